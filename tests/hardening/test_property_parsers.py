"""Property-based tests: no input to the pack, config or YAML parsers crashes them.

Whatever the bytes, the outcome is a parsed document or an InputError carrying the
file name (and a line where there is one); never another exception type.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enforcer.config import ConfigModel, _build
from enforcer.engine import evaluate
from enforcer.model.errors import InputError
from enforcer.model.values import Account, Device, Platform, Role, Status
from enforcer.rules.loader import compile_pack, load_pack
from enforcer.rules.operators import OPERATORS
from enforcer.yamlfile import load_text

YAMLISH = st.text(alphabet=string.printable + "é€\u202e\x00", max_size=400)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(YAMLISH)
def test_any_text_as_a_pack_is_parsed_or_a_located_error(text: str) -> None:
    try:
        compile_pack(load_text(text, "fuzz.yaml"))
    except InputError as exc:
        assert str(exc).startswith("fuzz.yaml")


@SETTINGS
@given(YAMLISH)
def test_any_text_as_a_config_is_parsed_or_a_located_error(text: str) -> None:
    from pathlib import Path

    try:
        _build(load_text(text, "fuzz.yaml"), "fuzz.yaml", Path("."))
    except InputError as exc:
        assert str(exc).startswith("fuzz.yaml")


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.text(max_size=20),
    st.lists(st.text(max_size=5), max_size=3),
)


@SETTINGS
@given(
    key=st.sampled_from(["enabled", "role", "password_last_set", "groups", "year_group", "nope"]),
    op=st.sampled_from([*OPERATORS, "bogus"]),
    value=SCALARS,
    days=st.one_of(st.none(), st.integers(-5, 500)),
)
def test_any_leaf_compiles_or_is_a_located_error(key: str, op: str, value: object, days: int | None) -> None:
    leaf: dict[str, object] = {"key": key, "op": op, "value": value}
    if days is not None:
        leaf["days"] = days
    import json

    text = (
        "pack: {name: p, version: '1', title: T}\nrules:\n- id: r\n  title: T\n"
        "  applies_to: {kind: account}\n  expect: "
        + json.dumps(leaf)
        + "\n  severity: low\n  clause: c\n  remediation: {advice: a}\n"
    )
    try:
        compile_pack(load_text(text, "leaf.yaml"))
    except InputError as exc:
        assert "leaf.yaml:" in str(exc)


NOW = datetime(2026, 11, 22, tzinfo=UTC)
maybe_bool = st.one_of(st.none(), st.booleans())
maybe_time = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(1601, 1, 2), max_value=datetime(9000, 1, 1), timezones=st.just(UTC)),
)
accounts = st.builds(
    Account,
    source=st.just("fuzz"),
    id=st.text(min_size=1, max_size=30),
    username=st.one_of(st.none(), st.text()),
    role=st.sampled_from(list(Role)),
    year_group=st.one_of(st.none(), st.integers(-3, 14)),
    enabled=maybe_bool,
    password_last_set=maybe_time,
    must_change_password=maybe_bool,
    password_never_expires=maybe_bool,
    reversible_encryption=maybe_bool,
    password_not_required=maybe_bool,
    password_max_age_days=st.one_of(st.none(), st.integers(0, 10**6)),
    has_expiry=maybe_bool,
    container=st.one_of(st.none(), st.text(max_size=60)),
    mfa_registered=maybe_bool,
    is_admin=maybe_bool,
)
devices = st.builds(
    Device,
    source=st.just("fuzz"),
    id=st.text(min_size=1, max_size=30),
    platform=st.one_of(st.none(), st.sampled_from(list(Platform))),
    os_version=st.one_of(st.none(), st.text(max_size=20)),
    encrypted=maybe_bool,
    managed=maybe_bool,
    tracking=maybe_bool,
    antivirus_current=maybe_bool,
    firewall_on=maybe_bool,
    jailbroken=maybe_bool,
    passcode_required=maybe_bool,
    last_os_update=maybe_time,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(accounts, devices), max_size=8))
def test_engine_never_crashes_and_unknown_never_passes(records: list[object]) -> None:
    for pack_name in ("primary-school", "ncsc-baseline"):
        pack = load_pack(pack_name)
        for f in evaluate(pack, records, NOW):  # type: ignore[arg-type]
            assert f.status in (Status.PASS, Status.FAIL, Status.ERROR)
            if f.status is Status.PASS:
                # A pass is only ever backed by known evidence for what it checked.
                assert f.evidence and not all(v is None for v in f.evidence.values()), f


def test_config_model_defaults_are_the_demo() -> None:
    assert [s.type for s in ConfigModel().sources] == ["demo"]
    assert timedelta(days=1)  # keep import used


# -- snapshot decode paths (connectors/snapshot.py) and the roster CSV (connectors/roster.py) -------

JSONISH = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False),
        st.text(max_size=12),
        st.sampled_from(
            [
                "staff",
                "windows",
                "2025-01-01T00:00:00+00:00",
                "2025-01-01",
                "9999-12-31T23:59:59+00:00",
                "\ud800",
            ]
        ),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
SNAP_KEYS = st.sampled_from(
    [
        "kind",
        "id",
        "source",
        "username",
        "role",
        "enabled",
        "password_last_set",
        "groups",
        "attributes",
        "platform",
        "form_factor",
        "date_of_birth",
        "year_group",
        "fine_grained",
        "notes",
        "pupil_id",
        "bogus",
    ]
)


@SETTINGS
@given(
    kind=st.sampled_from(["account", "device", "domain", "pupil", "end", "nope", None]),
    fields=st.dictionaries(SNAP_KEYS, JSONISH, max_size=6),
)
def test_any_record_object_decodes_or_is_a_value_error(kind: object, fields: dict) -> None:
    from connectors.snapshot.source import decode_record, encode_record

    obj = {**fields, "kind": kind}
    try:
        record = decode_record(obj, source="fuzz")
    except ValueError:
        return
    again = decode_record(encode_record(record), source="fuzz")  # what decodes, round-trips
    assert again == record


@SETTINGS
@given(
    lines=st.lists(
        st.one_of(st.binary(max_size=40), JSONISH.map(lambda v: __import__("json").dumps(v).encode())),
        max_size=5,
    ),
    header=st.booleans(),
    end=st.booleans(),
)
def test_any_snapshot_bytes_read_or_a_located_error(
    tmp_path_factory, lines: list[bytes], header: bool, end: bool
) -> None:
    import json

    from connectors.snapshot.source import read_records

    path = tmp_path_factory.mktemp("snap") / "s.jsonl"
    head = [json.dumps({"format": "enforcer.snapshot", "version": 1}).encode()] if header else []
    tail = [json.dumps({"kind": "end", "records": 0}).encode()] if end else []
    path.write_bytes(b"\n".join(head + lines + tail))
    try:
        for _ in read_records(path):
            pass
    except InputError as exc:
        assert str(exc).startswith(str(path))


CELL = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@SETTINGS
@given(rows=st.lists(st.lists(CELL, min_size=0, max_size=8), max_size=6), raw_tail=st.binary(max_size=20))
def test_any_roster_csv_reads_or_a_located_error(
    tmp_path_factory, rows: list[list[str]], raw_tail: bytes
) -> None:
    import csv
    import io

    from connectors.roster import RosterReader, Settings

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["UPN", "Forename", "Surname", "DOB", "Year", "On Roll", "Internet Consent"])
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("roster") / "r.csv"
    path.write_bytes(buf.getvalue().encode("utf-8") + raw_tail)
    try:
        entries = list(RosterReader("mis", path, Settings(path=str(path))).rows())
    except InputError as exc:
        assert str(exc).startswith(str(path))
        return
    ids = [e.pupil_id for e in entries]
    assert len(ids) == len(set(ids)) and all(e.source == "mis" for e in entries)
