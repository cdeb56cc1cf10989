"""The trace-free conditions (``enforcer.fast.conditions``) answer as ``Condition.evaluate`` does.

``selector(cond)`` must give ``evaluate``'s answer; ``passing(cond)`` must give ``evaluate``'s
evidence (same keys, order, values and types) exactly when ``evaluate`` answers True. Checked
for every built-in pack's conditions on a generated school, blank records and drawn records;
for every key and operator on edge values (table-driven); and for drawn conditions nested any
way, over every key and operator, including those no built-in pack uses yet.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.demo.generator import DemoSchool, generate
from connectors.demo.settings import Settings
from enforcer.engine import Engine
from enforcer.fast.conditions import passing, selector
from enforcer.model.values import (
    KIND_OF,
    MODEL_OF,
    Account,
    Platform,
    Record,
    Role,
    RosterEntry,
    SubjectKind,
)
from enforcer.rules.compiler import Compiler
from enforcer.rules.conditions import Condition, Not, Trace
from enforcer.rules.fields import KEYS
from enforcer.rules.loader import load_pack
from enforcer.rules.operators import BOOL, DATE, ENUM, INT, LIST, OPERATORS, STR, TIME, Ctx
from enforcer.yamlfile import Located
from tests.scale.drawn import (
    ANY_RECORD,
    AS_OF,
    DRAWN,
    EDGE_DAYS,
    NAMES,
    PACKS,
    TEXTS,
    blank,
    records_of,
    resolver,
)


@pytest.fixture(scope="module")
def school() -> DemoSchool:
    return generate(Settings(seed=77, pupils=200, staff=30, devices=120), "demo", AS_OF)


# -- node by node -------------------------------------------------------------------------------


def assert_fast_is_plain(cond: Condition, record: Record, engine: Engine) -> bool:
    """``selector`` answers as ``evaluate`` does; ``passing`` gives its evidence exactly when it
    answers True (same keys, order, values and types). Returns whether ``passing`` answered."""
    ctx = Ctx(AS_OF, record)
    trace = Trace()
    verdict = cond.evaluate(record, engine.get, ctx, trace)
    assert selector(cond)(record, engine.get, ctx) is verdict, (cond, record)
    passes = passing(cond)
    if passes is None:
        return False
    evidence = passes(record, engine.get, ctx)
    assert (evidence is not None) == (verdict is True), (cond, record)
    if evidence is not None:
        assert list(evidence.items()) == list(trace.evidence.items()), (cond, record)
        assert [type(v) for v in evidence.values()] == [type(v) for v in trace.evidence.values()]
    return evidence is not None


@pytest.mark.parametrize("pack_name", PACKS)
def test_every_pack_condition_on_a_school(pack_name: str, school: DemoSchool) -> None:
    pack = load_pack(pack_name)
    engine = resolver(pack, school.roster)
    compared = answered = 0
    for rule in pack.rules:
        for record in [*school.records(), *school.roster, *blank()]:
            if KIND_OF[type(record)] is not rule.kind:
                continue
            for cond in (rule.where, rule.expect):
                if cond is not None:
                    answered += assert_fast_is_plain(cond, record, engine)
                    compared += 1
    assert compared > 1000 and answered > 300


@DRAWN
@given(pack_name=st.sampled_from(PACKS), records=st.lists(ANY_RECORD, min_size=1, max_size=8))
def test_every_pack_condition_on_drawn_records(pack_name: str, records: list[Record]) -> None:
    pack = load_pack(pack_name)
    engine = resolver(pack, records)
    for rule in pack.rules:
        for record in records:
            if KIND_OF[type(record)] is rule.kind:
                for cond in (rule.where, rule.expect):
                    if cond is not None:
                        assert_fast_is_plain(cond, record, engine)


def _scalar(family: str, enum: type[StrEnum] | None) -> st.SearchStrategy[Any]:
    if family == ENUM and enum is not None:
        return st.sampled_from([e.value for e in enum])
    return {BOOL: st.booleans(), INT: st.integers(-2, 100), STR: st.sampled_from(TEXTS + NAMES)}[family]


VERSIONS = st.sampled_from(["10.0.22631", "14.0", "17", "junk", "1.2.3.4.5"])


@st.composite
def leaves(draw: st.DrawFn, kind: SubjectKind) -> dict[str, Any]:
    """A valid leaf for ``kind``: any key, any operator that applies to it, a fitting argument."""
    key = draw(st.sampled_from(sorted(KEYS[kind])))
    family, enum = KEYS[kind][key]
    op = draw(st.sampled_from(sorted(n for n, o in OPERATORS.items() if family in o.types)))
    raw: dict[str, Any] = {"key": key, "op": op}
    arg = OPERATORS[op].arg
    if arg == "days":
        raw["days"] = draw(st.integers(0, 400))
    elif arg == "regex":
        raw["value"] = draw(st.sampled_from(["^s", "x", "staff|admin", r"\d+", "(?i)bob"]))
    elif arg == "versions":
        platforms = st.sampled_from(["*", *(p.value for p in Platform)])
        raw["value"] = draw(VERSIONS | st.dictionaries(platforms, VERSIONS, min_size=1, max_size=3))
    elif arg == "number":
        raw["value"] = draw(st.integers(-2, 100))
    elif arg == "values":
        raw["value"] = draw(st.lists(_scalar(family, enum), min_size=1, max_size=3))
    elif arg == "value":
        raw["value"] = draw(_scalar(STR if family == LIST else family, enum))
    return raw


def conditions(kind: SubjectKind) -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        leaves(kind),
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"all": xs}),
            st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"any": xs}),
            inner.map(lambda x: {"not": x}),
        ),
        max_leaves=5,
    )


@DRAWN
@given(data=st.data(), kind=st.sampled_from(list(SubjectKind)))
def test_drawn_conditions_on_drawn_records(data: st.DataObject, kind: SubjectKind) -> None:
    """Every key and operator, nested any way, including the ones no built-in pack uses yet."""
    raw = data.draw(conditions(kind))
    problems: list[Any] = []
    cond = Compiler(Located(raw, {}, "drawn.yaml"), problems).compile(raw, kind, ())
    assert cond is not None, problems
    records = data.draw(st.lists(records_of(MODEL_OF[kind]), min_size=1, max_size=6))
    roll = data.draw(st.lists(records_of(RosterEntry), max_size=4))
    engine = resolver(load_pack("primary-school"), [*records, *roll])
    for record in records:
        assert_fast_is_plain(cond, record, engine)


EDGE_VALUES: dict[str, list[Any]] = {
    BOOL: [True, False],
    INT: [-1, 0, 7, 90],
    STR: ["", "staff", "Staff Room", "10.0.22631.4317", "14", "junk"],
    TIME: [AS_OF + timedelta(days=d) for d in EDGE_DAYS],
    DATE: [AS_OF.date() + timedelta(days=int(d)) for d in EDGE_DAYS],
    LIST: [(), ("staff",), ("x", "STAFF")],
}
ARGS: dict[str, list[dict[str, Any]]] = {
    "none": [{}],
    "days": [{"days": 0}, {"days": 1}, {"days": 90}],
    "regex": [{"value": "^s"}, {"value": "(?i)staff|14"}],
    "versions": [{"value": "14.0"}, {"value": {"windows": "10.0.22631", "*": "17"}}],
    "number": [{"value": 0}, {"value": 7}],
}


def _edge_args(op: str, family: str, enum: type[StrEnum] | None) -> list[dict[str, Any]]:
    arg = OPERATORS[op].arg
    if arg in ARGS:
        return ARGS[arg]
    scalars = (
        [e.value for e in enum] if family == ENUM and enum else EDGE_VALUES[STR if family == LIST else family]
    )
    if arg == "values":
        return [{"value": scalars[:2]}, {"value": scalars[-1:]}]
    return [{"value": v} for v in scalars[:3]]


def _edge_records(kind: SubjectKind, key: str, family: str, enum: type[StrEnum] | None) -> list[Record]:
    """Blank records of ``kind`` with ``key`` unknown and set to each edge value of its type."""
    cls = MODEL_OF[kind]
    base: Any = next(r for r in blank() if type(r) is cls)
    if key not in {f.name for f in dataclasses.fields(cls)}:
        return [base]  # worked out by the engine: covered by ROLL below
    values = list(enum) if family == ENUM and enum else EDGE_VALUES[family]
    return [base, *(dataclasses.replace(base, **{key: v}) for v in values)]


ROLL: list[Record] = [
    RosterEntry(source="s", pupil_id="p1", year_group=3, on_roll=True, internet_consent=False),
    RosterEntry(source="s", pupil_id="p2", date_of_birth=date(2019, 10, 1), on_roll=False, username="kim"),
    RosterEntry(source="s", pupil_id="p3"),
    Account(source="s", id="a1", role=Role.PUPIL, external_id="P1"),
    Account(source="s", id="a2", role=Role.PUPIL, upn="KIM@school.org"),
    Account(source="s", id="a3", role=Role.PUPIL, external_id="p3", year_group=5),
    Account(source="s", id="a4", role=Role.PUPIL, username="nobody"),
]
"""Pupils and accounts whose ``roster.*`` and ``year_group`` keys come out known, unknown and
unmatched, for the keys the engine works out rather than reads off the record."""


def test_every_key_and_operator_on_edge_values() -> None:
    """Table-driven: every key of every kind, every operator that applies to it, each edge value."""
    engine = resolver(load_pack("primary-school"), ROLL)
    compared = 0
    for kind, keys in KEYS.items():
        for key, (family, enum) in keys.items():
            records = _edge_records(kind, key, family, enum)
            records += [r for r in ROLL if KIND_OF[type(r)] is kind]
            for op in (n for n, o in OPERATORS.items() if family in o.types):
                for arg in _edge_args(op, family, enum):
                    raw = {"key": key, "op": op, **arg}
                    problems: list[Any] = []
                    cond = Compiler(Located(raw, {}, "edge.yaml"), problems).compile(raw, kind, ())
                    assert cond is not None, (raw, problems)
                    for record in records:
                        assert_fast_is_plain(cond, record, engine)
                        assert_fast_is_plain(Not(cond), record, engine)
                        compared += 1
    assert compared > 3000
