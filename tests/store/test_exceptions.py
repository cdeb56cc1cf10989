"""Exceptions: matching, expiry (excepted until the end date, then fail again), files with lines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from enforcer.model.errors import InputError, UsageError
from enforcer.model.values import Status, SubjectKind
from enforcer.store import records, runs
from enforcer.waivers import PolicyException, apply_exceptions, beside_pack, load_exceptions_file

from .factory import T0, finding, result


def _exc(**kw) -> PolicyException:
    base = {
        "rule": "enc",
        "reason": "Kiosk, no personal data",
        "approver": "Head teacher",
        "expires": dt.date(2026, 12, 31),
    }
    return PolicyException(**{**base, **kw})


def test_excepted_until_expiry_then_fail_again() -> None:
    f = finding("enc", "kiosk-1")
    e = _exc(subject="KIOSK-1", expires=dt.date(2026, 12, 31))
    on_last_day = apply_exceptions([f], [e], dt.datetime(2026, 12, 31, 23, 0, tzinfo=dt.UTC))
    assert on_last_day[0].status == Status.EXCEPTED
    assert on_last_day[0].exception["approver"] == "Head teacher"
    day_after = apply_exceptions([f], [e], dt.date(2027, 1, 1))
    assert day_after[0].status == Status.FAIL and day_after[0].exception is None


def test_selector_rule_and_error_are_respected() -> None:
    kiosk, laptop = finding("enc", "k1", name="KIOSK-01"), finding("enc", "l1", name="DPS-LT-001")
    other_rule = finding("fw", "k2", name="KIOSK-02")
    unknown = finding("enc", "k3", Status.ERROR, name="KIOSK-03")
    e = _exc(selector={"kind": "device", "name": "kiosk-*"})
    out = apply_exceptions([kiosk, laptop, other_rule, unknown], [e], dt.date(2026, 12, 1))
    assert [f.status for f in out] == [Status.EXCEPTED, Status.FAIL, Status.FAIL, Status.ERROR]


def test_fingerprint_exception_and_bad_shapes() -> None:
    f = finding("mfa", "alice", kind=SubjectKind.ACCOUNT)
    assert (
        apply_exceptions([f], [_exc(rule="mfa", fingerprint=f.fingerprint)], T0)[0].status == Status.EXCEPTED
    )
    with pytest.raises(UsageError):
        _exc(subject="a", fingerprint="b")
    with pytest.raises(UsageError):
        _exc(selector={"colour": "red"})
    with pytest.raises(UsageError):
        _exc(subject="a", reason=" ")


def test_exception_shows_in_history_until_expiry(store) -> None:
    """Through the store: excepted in runs before the end date, fail in the run after it."""
    f = finding("enc", "kiosk-1")
    saved = records.add_exception(store.db, _exc(subject="kiosk-1", expires=dt.date(2026, 11, 21)), T0)
    assert saved.id.startswith("store:")
    statuses = []
    for day in range(3):
        live = records.list_exceptions(store.db)
        res = result(f"r{day}", apply_exceptions([f], live, T0 + dt.timedelta(days=day)), day=day)
        runs.record_run(store.db, res)
        statuses.append(runs.run_findings(store.db, f"r{day}")[0].status)
    assert statuses == [Status.EXCEPTED, Status.EXCEPTED, Status.FAIL]
    assert runs.get_run(store.db, "r2").changes["new"] == 0  # excepted -> fail is still failing, not new
    records.remove_exception(store.db, int(saved.id.split(":")[1]), T0)
    assert records.list_exceptions(store.db) == []
    with pytest.raises(UsageError):
        records.remove_exception(store.db, 999, T0)


def test_file_beside_the_pack(tmp_path: Path) -> None:
    pack = tmp_path / "primary-school.yaml"
    path = beside_pack(pack)
    assert path.name == "primary-school.exceptions.yaml"
    path.write_text(
        "exceptions:\n"
        "  - rule: enc\n    subject: KIOSK-01\n    reason: Library kiosk\n"
        "    approver: J Smith (Head)\n    expires: 2027-03-31\n"
    )
    [e] = load_exceptions_file(path, ["enc"])
    assert e.expires == dt.date(2027, 3, 31) and e.id == f"{path}:2"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "exceptions:\n  - rule: enc\n    subject: A\n    reason: r\n    approver: a\n    expires: soon\n",
            6,
            "expires",
        ),
        (
            "exceptions:\n  - rule: enc\n    reason: r\n    approver: a\n    expires: 2027-01-01\n",
            2,
            "exactly one of",
        ),
        (
            "exceptions:\n  - rule: nope\n    subject: A\n    reason: r\n    approver: a\n    expires: 2027-01-01\n",
            2,
            "no rule 'nope'",
        ),
        (
            "exceptions:\n  - rule: enc\n    subject: A\n    reason: r\n    approver: a\n    expires: 2027-01-01\n"
            "    colour: red\n",
            7,
            "unknown key",
        ),
    ],
)
def test_file_errors_carry_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "x.exceptions.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_exceptions_file(path, ["enc"])
    assert info.value.path == str(path) and info.value.line == line
    assert message in str(info.value)


def test_school_source_and_kind_are_stored_and_read_back(store) -> None:
    """Migration 2's columns, through the repository (re-run on PostgreSQL): an exception keeps
    its school, source and kind, and a source-scoped one ignores the same subject elsewhere."""
    e = _exc(subject="kiosk-1", school="Ash Primary", source="ash-ad", kind="false-positive")
    saved = records.add_exception(store.db, e, T0)
    [back] = records.list_exceptions(store.db)
    assert (back.school, back.source, back.kind, back.id) == (
        "Ash Primary",
        "ash-ad",
        "false-positive",
        saved.id,
    )
    assert back.covers_school("ash primary") and not back.covers_school("Birch Primary")
    same_name_other_source = finding("enc", "kiosk-1", source="birch-ad")
    assert apply_exceptions([same_name_other_source], [back], T0)[0].status == Status.FAIL
    [hit] = apply_exceptions([finding("enc", "kiosk-1", source="ash-ad")], [back], T0)
    assert hit.exception is not None and hit.exception["kind"] == "false-positive"


def migrate_from_version_1(db) -> list[PolicyException]:
    """A store written before exceptions had a school, opened by this version: a one-finding
    exception is narrowed to its finding's school, a subject one stays estate-wide."""
    from enforcer.store.schema import LATEST, MIGRATIONS, SERIAL

    with db.transaction():
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for stmt in MIGRATIONS[0]:
            db.execute(stmt.replace("{serial}", SERIAL[db.dialect]))
        db.execute("INSERT INTO schema_version (version) VALUES (1)")
        db.execute(
            "INSERT INTO findings (fingerprint, school, rule, kind, subject_id, source, first_seen, opened, "
            "last_seen, last_status, last_run) VALUES ('fp1', 'Ash Primary', 'enc', 'device', 'lt-1', 'ash', "
            "'t', 't', 't', 'fail', 'r1')"
        )
        for target in ("fingerprint", "subject"):
            db.execute(
                f"INSERT INTO exceptions (rule, {target}, reason, approver, expires, created) "
                "VALUES ('enc', ?, 'r', 'a', '2099-01-01', 't')",
                ("fp1" if target == "fingerprint" else "svc-wifi",),
            )
    assert db.migrate() == LATEST
    return records.list_exceptions(db)


def test_migration_gives_one_finding_exceptions_their_school(tmp_path: Path) -> None:
    from enforcer.store.connect import connect

    db = connect(f"sqlite:///{tmp_path / 'v1.db'}", tmp_path)
    try:
        by_fp, by_subject = migrate_from_version_1(db)
    finally:
        db.close()
    assert (by_fp.fingerprint, by_fp.school, by_fp.kind) == ("fp1", "Ash Primary", "accepted-risk")
    assert (by_subject.subject, by_subject.school) == ("svc-wifi", None)


def test_file_entries_carry_kind_and_source_and_refuse_other_kinds(tmp_path: Path) -> None:
    """A file entry has no school (it applies wherever the file is read) but may name a source
    and a kind; a kind that is neither is an error with file and line."""
    path = tmp_path / "x.exceptions.yaml"
    entry = "  - rule: enc\n    subject: A\n    reason: r\n    approver: a\n    expires: 2099-01-01\n"
    path.write_text(f"exceptions:\n{entry}    kind: false-positive\n    source: ash-ad\n")
    [e] = load_exceptions_file(path, ["enc"])
    assert (e.kind, e.source, e.school) == ("false-positive", "ash-ad", None)
    path.write_text(f"exceptions:\n{entry}    kind: probably-fine\n")
    with pytest.raises(InputError) as info:
        load_exceptions_file(path, ["enc"])
    assert info.value.line == 7 and "kind" in str(info.value)
