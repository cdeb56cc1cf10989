"""The hot-path constructors, the trace-free pass and the direct JSON scan give what the slow paths give."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.demo.generator import DemoSchool, generate
from connectors.demo.settings import Settings
from connectors.snapshot.source import read_records, write_snapshot
from enforcer.engine import Engine, _subject_of
from enforcer.model.errors import InputError
from enforcer.model.frozen import builder
from enforcer.model.values import (
    KIND_OF,
    Account,
    Device,
    DomainPolicy,
    Finding,
    PasswordSettings,
    Role,
    RosterEntry,
    Subject,
)
from enforcer.rules.conditions import Trace
from enforcer.rules.loader import builtin_packs, load_pack
from enforcer.rules.operators import Ctx

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
MODELS = [Finding, Subject, Account, Device, DomainPolicy, RosterEntry, PasswordSettings, Ctx, Trace]


@pytest.fixture(scope="module")
def school() -> DemoSchool:
    return generate(Settings(seed=78, pupils=150, staff=25, devices=90), "demo", AS_OF)


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_builder_makes_the_same_object_as_the_constructor(cls: type) -> None:
    values = [f"{f.name}-value" for f in dataclasses.fields(cls)]  # distinct: a swapped field shows
    built, made = builder(cls)(*values), cls(*values)
    assert type(built) is cls
    assert built == made and repr(built) == repr(made)
    assert [getattr(built, f.name) for f in dataclasses.fields(cls)] == values
    if cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        assert hash(built) == hash(made)
        with pytest.raises(dataclasses.FrozenInstanceError):
            built.__setattr__(dataclasses.fields(cls)[0].name, "changed")


def test_builder_refuses_what_it_cannot_build_faithfully() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            raise AssertionError

    @dataclasses.dataclass(frozen=True)
    class Unslotted:
        a: int

    for cls in (Checked, Unslotted):
        with pytest.raises(TypeError):
            builder(cls)


def _blank() -> list[object]:
    return [
        Account(source="s", id="a"),
        Account(source="s", id="p", role=Role.PUPIL),
        Device(source="s", id="d"),
        DomainPolicy(source="s", id="dom"),
        RosterEntry(source="s", pupil_id="r"),
    ]


def test_fast_subject_is_subject_of(school: DemoSchool) -> None:
    records = [
        *school.records(),
        *school.roster,
        *_blank(),
        Account(source="s", id="u", upn="u@x"),
        Account(source="s", id="n", display_name="N"),
    ]
    assert {type(r) for r in records} == {Account, Device, DomainPolicy, RosterEntry}
    for record in records:
        assert _subject_of(record) == Subject.of(record)


@pytest.mark.parametrize("pack_name", sorted(builtin_packs()))
def test_passes_is_evaluate_when_it_answers(pack_name: str, school: DemoSchool) -> None:
    """``passes`` gives the evidence a passing ``evaluate`` records (same keys, order, values, types)."""
    pack = load_pack(pack_name)
    engine = Engine(pack, AS_OF)
    for record in school.roster:
        engine.evaluate(record)
    engine.finish()  # builds the roster index, so roster.* keys resolve
    answered = compared = 0
    for rule in pack.rules:
        for record in [*school.records(), *school.roster, *_blank()]:
            if KIND_OF[type(record)] is not rule.kind:
                continue
            for cond in (rule.where, rule.expect):
                if cond is None:
                    continue
                ctx = Ctx(AS_OF, record)
                trace = Trace()
                verdict = cond.evaluate(record, engine.get, ctx, trace)
                evidence = cond.passes(record, engine.get, ctx)
                compared += 1
                if evidence is None:
                    continue
                answered += 1
                assert verdict is True, (rule.id, record)
                assert list(evidence.items()) == list(trace.evidence.items()), (rule.id, record)
                assert [type(v) for v in evidence.values()] == [type(v) for v in trace.evidence.values()]
    assert answered > 300 and compared > 1000


def _snapshot_with(tmp_path: Path, line: bytes) -> Path:
    """A one-account snapshot whose record line is replaced by ``line``."""
    path = tmp_path / "s.jsonl"
    write_snapshot(path, [Account(source="s", id="1", enabled=True)], school=None, source="s")
    lines = path.read_bytes().split(b"\n")
    lines[1] = line
    path.write_bytes(b"\n".join(lines))
    return path


@pytest.mark.parametrize("wrap", [b"%s   ", b"  %s", b"%s\r", b"\t%s\t"])
def test_record_lines_with_whitespace_read_as_json_loads_reads_them(tmp_path: Path, wrap: bytes) -> None:
    """The reader calls json's scanner directly; whatever is not exactly one value goes to loads."""
    clean = _snapshot_with(tmp_path, json.dumps({"kind": "account", "source": "s", "id": "1"}).encode())
    expected = list(read_records(clean))
    line = wrap % json.dumps({"kind": "account", "source": "s", "id": "1"}).encode()
    assert list(read_records(_snapshot_with(tmp_path, line))) == expected


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"kind": "account", "source": "s", "id": "1"} {"x": 1}', "not valid JSON: Extra data"),
        (b'{"kind": "account", "source": "s", "id": "1"', "not valid JSON"),
        (b"", "end record says"),  # a blank line is skipped: the end record then disagrees
        (b"x", "not valid JSON: Expecting value"),
        (b'"text"', "a record is a JSON object"),
        (b"NaN", "a record is a JSON object"),
        (b"[1, 2]", "a record is a JSON object"),
        (b'{"kind": "account", "id": "\xff"}', "not valid UTF-8"),
    ],
)
def test_bad_record_lines_keep_their_errors(tmp_path: Path, line: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        list(read_records(_snapshot_with(tmp_path, line)))
    assert err.value.line in (2, 3)
