"""The store on a real PostgreSQL server (started by tests/services/postgres.py).

The core cases of the SQLite suite are run again, unchanged, on PostgreSQL (``CORE``);
the rest covers what only the second engine can get wrong: placeholders beside a
literal ``%``, the catalogue per schema, the writer lock, driver errors as one line,
and the password that never travels in the URL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from enforcer.model.errors import StoreError
from enforcer.model.values import SubjectKind
from enforcer.store import open_store, records, runs
from enforcer.store.pg import pyformat
from enforcer.store.schema import LATEST
from tests.services.postgres import PASSWORD, USER, free_port

from . import test_exceptions, test_remediation, test_store
from .factory import T0, finding, result
from .test_cli_history import AS_OF, _edit, school, snapshot  # noqa: F401 - fixtures

CORE: list[Callable] = [
    test_store.test_diff_new_fixed_still_regressed,
    test_store.test_failed_source_never_turns_findings_fixed,
    test_store.test_error_verdict_is_unknown_not_fixed,
    test_store.test_passes_are_counted_not_stored,
    test_store.test_retention_purges_old_history_but_not_open_findings,
    test_exceptions.test_exception_shows_in_history_until_expiry,
    test_exceptions.test_school_source_and_kind_are_stored_and_read_back,
    test_remediation.test_enforce_logs_intent_then_outcome_and_undo_restores,
    test_remediation.test_cap_stops_all_enforcement_and_says_why,
    test_remediation.test_failures_are_recorded_not_raised,
    test_remediation.test_dry_run_records_planned_and_changes_nothing,
    test_remediation.test_intent_survives_a_crash_between_intent_and_outcome,
]


@pytest.mark.parametrize("case", CORE, ids=[c.__name__.removeprefix("test_") for c in CORE])
def test_core_case_on_postgresql(case: Callable, pg_store) -> None:
    assert pg_store.db.dialect == "postgresql"
    case(pg_store)


def test_migration_gives_one_finding_exceptions_their_school_on_postgresql(pg_url: str) -> None:
    from enforcer.store.connect import connect

    db = connect(pg_url, Path.cwd(), 5.0, PASSWORD)
    try:
        by_fp, by_subject = test_exceptions.migrate_from_version_1(db)
    finally:
        db.close()
    assert (by_fp.school, by_fp.kind, by_subject.school) == ("Ash Primary", "accepted-risk", None)


def test_placeholders_leave_quoted_text_and_percent_alone() -> None:
    assert (
        pyformat("SELECT '?', \"a?\" FROM t WHERE x LIKE 'a%' AND y = ? AND z = '%?'''")
        == "SELECT '?', \"a?\" FROM t WHERE x LIKE 'a%%' AND y = %s AND z = '%%?'''"
    )


def test_migrations_are_idempotent_and_versioned(any_store, request: pytest.FixtureRequest) -> None:
    assert any_store.db.version() == LATEST
    assert any_store.db.migrate() == LATEST  # a second migrate changes nothing
    rows = any_store.db.query("SELECT version FROM schema_version ORDER BY version")
    assert [r["version"] for r in rows] == list(range(1, LATEST + 1))
    if any_store.db.dialect == "postgresql":
        again = open_store(url=request.getfixturevalue("pg_url"), password=PASSWORD)
        assert again.db.version() == LATEST
        again.close()


def test_review_queue_notes_and_prefix_lookup(any_store) -> None:
    laptop, alice = finding("enc", "laptop-1"), finding("mfa", "alice", kind=SubjectKind.ACCOUNT)
    runs.record_run(any_store.db, result("r1", [laptop, alice]))
    now = T0 + dt.timedelta(days=10)
    items = records.queue(any_store.db, now, kind="device", min_age_days=5)
    assert [i.fingerprint for i in items] == [laptop.fingerprint]
    item = records.find_item(any_store.db, laptop.fingerprint[:10])  # LIKE 'prefix%': a literal % in the bind
    assert item.fingerprint == laptop.fingerprint
    assert records.find_item(any_store.db, str(item.id)).fingerprint == laptop.fingerprint
    note = records.add_note(any_store.db, laptop.fingerprint, "IT", "50% done? ask 'Sam'", now)
    assert note > 0 and records.notes(any_store.db, laptop.fingerprint)[0]["text"] == "50% done? ask 'Sam'"


def test_hostile_text_is_stored_not_fatal(any_store) -> None:
    """A lone surrogate (both engines) or a NUL (PostgreSQL refuses it) must not make a run unrecordable."""
    bad = finding("enc", "lt-9", name="lone\ud800 nul\x00 name")
    runs.record_run(any_store.db, result("r1", [bad, finding("enc", "ok")]))
    names = {f.subject.name for f in runs.run_findings(any_store.db, "r1")}
    assert "\ud800" not in "".join(n or "" for n in names) and "OK" in names
    assert runs.get_run(any_store.db, "r1").state == "complete"


def test_not_an_enforcer_store_is_refused(pg_server, pg_url: str) -> None:
    schema = pg_url.rsplit("%3D", 1)[1]
    pg_server.admin(f"CREATE TABLE {schema}.photos (id INTEGER)")
    with pytest.raises(StoreError, match="not an enforcer store"):
        open_store(url=pg_url, password=PASSWORD)


def test_locked_store_gives_one_clear_error_and_writes_nothing(pg_store, pg_url: str) -> None:
    """Another process holds the writer lock (as a run on another machine would)."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys,time; from enforcer.store import open_store;"
            "s=open_store(url=sys.argv[1], password=sys.argv[2]); t=s.db.transaction(); t.__enter__();"
            "s.db.execute(\"INSERT INTO notes (fingerprint, author, text, created) VALUES ('a','b','c','d')\");"
            "print('locked', flush=True); time.sleep(30)",
            pg_url,
            PASSWORD,
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=str(Path(__file__).parents[2]),
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        s = open_store(url=pg_url, password=PASSWORD, busy_timeout=0.2)
        with pytest.raises(StoreError, match="locked by another process") as info:
            runs.begin_run(s.db, "r1", "Demo", T0)
        assert "\n" not in str(info.value)
        assert runs.get_run(s.db, "r1") is None
        s.close()
    finally:
        holder.kill()
        holder.wait()
    assert pg_store.db.one("SELECT count(*) AS n FROM notes")["n"] == 0  # the holder's write died with it


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("unreachable", "unreachable"),
        ("wrong password", "refused the login"),
        ("password in URL", "must not contain a password"),
        ("missing database", 'database "nodb" does not exist'),
        ("missing schema", "schema in search_path does not exist"),
    ],
)
def test_connection_problems_are_one_line(pg_server, target: str, message: str) -> None:
    url, password = pg_server.url, "not-the-password"
    if target == "unreachable":
        url = f"postgresql://{USER}@127.0.0.1:{free_port()}/enforcer"
    elif target == "password in URL":
        url = f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{pg_server.port}/enforcer"
    elif target == "missing database":
        url, password = pg_server.url.rsplit("/", 1)[0] + "/nodb", PASSWORD
    elif target == "missing schema":
        url, password = pg_server.url + "?options=-csearch_path%3Dnoschema", PASSWORD
    with pytest.raises(StoreError, match=message) as info:
        open_store(url=url, password=password, busy_timeout=1)
    text = str(info.value)
    assert "\n" not in text and PASSWORD not in text and "not-the-password" not in text
    assert text.startswith("store postgresql://enforcer@127.0.0.1:") or "password" in message


def _cli(home: Path, cfg: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "enforcer", *args, "--config", str(cfg)],
        cwd=Path(__file__).parents[2],
        text=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "ENFORCER_HOME": str(home), "NO_COLOR": "1", **env},
    )


def test_cli_through_config_with_password_from_environment(tmp_path: Path, pg_server, pg_url: str) -> None:
    """The secret reference is read; a stopped or refusing server is exit 2 and one line."""
    cfg = tmp_path / "enforcer.yaml"
    cfg.write_text(
        "school: {name: Demo Primary School}\nsources: []\n"
        f"store: {{url: '{pg_url}', password: {{env: ENFORCER_PG_PASSWORD}}}}\n"
    )
    ok = _cli(tmp_path / "home", cfg, "history", ENFORCER_PG_PASSWORD=PASSWORD)
    assert ok.returncode == 0, ok.stderr
    bad = _cli(tmp_path / "home", cfg, "history", ENFORCER_PG_PASSWORD="nope-wrong")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "refused the login" in bad.stderr
    cfg.write_text(cfg.read_text().replace(f":{pg_server.port}/", f":{free_port()}/"))
    down = _cli(tmp_path / "home", cfg, "history", ENFORCER_PG_PASSWORD=PASSWORD)
    assert down.returncode == 2 and "unreachable" in down.stderr and "Traceback" not in down.stderr


def test_two_cli_runs_on_postgresql_report_one_fixed_and_one_new(
    tmp_path: Path,
    school: Path,  # noqa: F811
    pg_url: str,
) -> None:
    """The issue's "done when", with the store on the server instead of a file."""
    school.write_text(
        school.read_text() + f"store: {{url: '{pg_url}', password: {{env: ENFORCER_PG_PASSWORD}}}}\n"
    )
    home, env = tmp_path / "home", {"ENFORCER_PG_PASSWORD": PASSWORD}
    first = _cli(home, school, "run", "--as-of", AS_OF, **env)
    assert first.returncode == 1, first.stderr
    s = open_store(url=pg_url, password=PASSWORD)
    rows = s.db.query("SELECT subject_id, rule FROM run_findings")
    once = [
        r["subject_id"]
        for r in rows
        if r["rule"] == "computer-encrypted" and sum(x["subject_id"] == r["subject_id"] for x in rows) == 1
    ]
    failing = {r["subject_id"] for r in rows}
    accounts = [json.loads(x) for x in (tmp_path / "school.jsonl").read_text().splitlines()[1:]]
    account = next(
        a
        for a in accounts
        if a.get("kind") == "account"
        and a.get("enabled") is True
        and a.get("role") == "staff"
        and a["id"] not in failing
    )
    _edit(tmp_path / "school.jsonl", "device", sorted(once)[0], encrypted=True)
    _edit(tmp_path / "school.jsonl", "account", account["id"], reversible_encryption=True)
    second = _cli(home, school, "run", "--as-of", AS_OF, **env)
    assert second.returncode == 1, second.stderr
    assert "Since the previous run: 1 new, 1 fixed" in second.stdout
    fixed = s.db.query("SELECT rule, subject_id FROM findings WHERE resolved IS NOT NULL")
    assert [(f["rule"], f["subject_id"]) for f in fixed] == [("computer-encrypted", sorted(once)[0])]
    s.close()
    review = _cli(home, school, "review", **env)
    assert review.returncode in (0, 1) and "computer-encrypted" in review.stdout, review.stderr


def test_stores_opened_at_once_migrate_once(pg_url: str) -> None:
    """Two machines starting against a new database: each migration step is applied exactly once."""
    from concurrent.futures import ThreadPoolExecutor

    def opener(_: int) -> int:
        s = open_store(url=pg_url, password=PASSWORD)
        try:
            return s.db.version()
        finally:
            s.close()

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(opener, range(4))) == [LATEST] * 4
    s = open_store(url=pg_url, password=PASSWORD)
    assert s.db.one("SELECT count(*) AS n FROM schema_version")["n"] == LATEST
    s.close()


def test_run_lock_lives_with_the_postgresql_store(pg_url: str) -> None:
    """Two processes (two homes, two machines) on one PostgreSQL store run one at a time: the
    lock is a session advisory lock on the store, released when its holder lets go."""
    from enforcer.model.errors import StoreError
    from enforcer.store.runlock import lock_for

    first = lock_for(pg_url, Path.cwd(), PASSWORD).acquire()
    try:
        with pytest.raises(StoreError, match="already in progress"):
            lock_for(pg_url, Path.cwd(), PASSWORD).acquire()
    finally:
        first.release()
    with lock_for(pg_url, Path.cwd(), PASSWORD):
        pass
