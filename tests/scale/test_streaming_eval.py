"""Streaming evaluation and the snapshot reader at scale give exactly the plain paths' answers.

The engine's fast paths are compared node by node with the plain ones in ``test_fast_paths.py``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.demo.generator import DemoSchool, generate
from connectors.demo.settings import Settings
from connectors.snapshot.source import read_records, write_snapshot
from enforcer.engine import evaluate
from enforcer.model.errors import InputError
from enforcer.model.values import (
    Account,
    Device,
    Role,
    Status,
    Subject,
    fingerprint,
)
from enforcer.rules.loader import load_pack

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def school() -> DemoSchool:
    return generate(Settings(seed=77, pupils=200, staff=30, devices=120), "demo", AS_OF)


def test_engine_fingerprints_are_the_models_fingerprints(school: DemoSchool) -> None:
    hostile = [
        Account(source="s\udcff", id="id\x1f\ud800", role=Role.STAFF),
        Device(source="s", id="é🙂"),
        Account(source="s", id="a"),
    ]
    findings = evaluate(load_pack("primary-school"), [*school.records(), *hostile], AS_OF)
    assert findings
    for f in findings:
        assert f.fingerprint == fingerprint(f.rule, f.subject)


def test_fingerprints_after_an_unknown_selector() -> None:
    """A record whose first rule cannot tell if it applies still gets right fingerprints after."""
    from tests.unit.helpers import pack_from, rule_yaml

    pack = pack_from(
        rule_yaml(
            "account",
            "{key: enabled, op: eq, value: true}",
            "{key: is_admin, op: eq, value: true}",
            rid="first",
        )
        + rule_yaml("account", "{key: enabled, op: eq, value: true}", rid="second")
    )
    findings = evaluate(pack, [Account(source="s", id="x", enabled=True)], AS_OF)
    assert [(f.rule, f.status) for f in findings] == [("first", Status.ERROR), ("second", Status.PASS)]
    assert all(f.fingerprint == fingerprint(f.rule, f.subject) for f in findings)


def test_every_finding_field_lands_in_its_place(school: DemoSchool) -> None:
    """The engine builds findings positionally (it is the hot path): a reordered model shows here."""
    pack = load_pack("primary-school")
    findings = evaluate(pack, school.records(), AS_OF)
    assert {f.status for f in findings} == {Status.PASS, Status.FAIL, Status.ERROR}
    for f in findings:
        rule = pack.rule(f.rule)
        assert rule is not None
        assert (f.title, f.severity, f.clause, f.remediation) == (
            rule.title,
            rule.severity,
            rule.clause,
            rule.remediation,
        )
        assert isinstance(f.subject, Subject) and isinstance(f.evidence, dict) and isinstance(f.message, str)
        assert f.exception is None


def test_reader_joins_lines_across_chunks(tmp_path: Path, school: DemoSchool) -> None:
    """Plain snapshots larger than the reader's 256 KiB chunk come back record for record."""
    path = tmp_path / "big.jsonl"
    records = list(school.records()) * 4
    write_snapshot(path, records, school="x", source="demo")
    assert path.stat().st_size > 3 * (1 << 18)
    assert list(read_records(path)) == records
    gz = tmp_path / "big.jsonl.gz"
    write_snapshot(gz, records, school="x", source="demo")
    assert list(read_records(gz)) == records


def test_last_line_without_newline_is_read(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    write_snapshot(path, [Account(source="s", id="1")], school=None, source="s")
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    assert [r.id for r in read_records(path)] == ["1"]


@pytest.mark.parametrize("value", [[], {}, 3, True])
def test_an_enum_of_the_wrong_json_type_is_an_input_error(tmp_path: Path, value: object) -> None:
    """Was a TypeError (unhashable list) and so an internal error, exit 4."""
    path = tmp_path / "s.jsonl"
    write_snapshot(path, [Account(source="s", id="1")], school=None, source="s")
    lines = path.read_text().splitlines()
    record = json.loads(lines[1])
    record["role"] = value
    lines[1] = json.dumps(record)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="role") as err:
        list(read_records(path))
    assert err.value.line == 2


def test_plain_fields_still_refuse_the_wrong_type(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    write_snapshot(path, [Account(source="s", id="1")], school=None, source="s")
    lines = path.read_text().splitlines()
    for field, bad in (("enabled", 1), ("year_group", True), ("username", 5), ("id", None)):
        record = json.loads(lines[1])
        record[field] = bad
        path.write_text("\n".join([lines[0], json.dumps(record), lines[2]]) + "\n")
        with pytest.raises(InputError, match=field):
            list(read_records(path))
