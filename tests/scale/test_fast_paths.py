"""The engine's findings are the plain path's findings, field by field and in order.

Plain: every condition through ``Condition.evaluate`` with a Trace, ``Subject.of``,
``fingerprint`` and Finding's own constructor (``plain_findings`` below). Fast: ``Engine``, with
the trace-free conditions, positional constructors and pre-hashed fingerprints of
``enforcer.fast``. Compared on generated schools, blank records and hypothesis-drawn records in
which any field may be unknown; the conditions themselves are compared node by node in
``test_fast_conditions.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.demo.generator import DemoSchool, generate
from connectors.demo.settings import Settings
from enforcer.engine import Engine
from enforcer.fast.findings import subject_of
from enforcer.model.values import (
    KIND_OF,
    MODEL_OF,
    Account,
    Device,
    Finding,
    Record,
    Role,
    RosterEntry,
    Status,
    Subject,
    fingerprint,
)
from enforcer.rules.conditions import Trace
from enforcer.rules.loader import load_pack
from enforcer.rules.model import Pack
from enforcer.rules.operators import Ctx
from tests.scale.drawn import ANY_RECORD, AS_OF, DRAWN, PACKS, blank, resolver


@pytest.fixture(scope="module")
def school() -> DemoSchool:
    return generate(Settings(seed=77, pupils=200, staff=30, devices=120), "demo", AS_OF)


# -- subjects and whole findings ------------------------------------------------------------------


def test_fast_subject_is_subject_of(school: DemoSchool) -> None:
    records = [
        *school.records(),
        *school.roster,
        *blank(),
        Account(source="s", id="u", upn="u@x"),
        Account(source="s", id="n", display_name="N"),
        Device(source="s", id="d2", name="Laptop", assigned_user="bob"),
    ]
    assert {type(r) for r in records} == set(MODEL_OF.values())
    for record in records:
        fast, plain = subject_of(record), Subject.of(record)
        assert fast == plain and type(fast) is Subject and repr(fast) == repr(plain)


def plain_findings(pack: Pack, records: Sequence[Record]) -> list[Finding]:
    """What ``Engine`` must answer, worked out the plain way and in the engine's order.

    Every condition through ``evaluate`` with a Trace, subjects by ``Subject.of``, fingerprints
    by ``fingerprint``, passing findings by Finding's own constructor. Shared with the engine,
    not re-derived: which records wait for the roll, the roster index and the named checks'
    state (a resolver engine fed the same records), and the failure messages (``_finding``,
    which only the plain path ever reaches).
    """
    engine = resolver(pack, records)
    have_roster = engine.roster is not None

    def waits(r: Record) -> bool:
        return isinstance(r, RosterEntry) or (isinstance(r, Account) and r.role is Role.PUPIL)

    order = [r for r in records if not waits(r)] + [r for r in records if isinstance(r, Account) and waits(r)]
    order += [r for r in records if isinstance(r, RosterEntry)] if have_roster else []
    out: list[Finding] = []
    for record in order:
        with_roster = have_roster and waits(record)
        for rule in engine.by_kind[KIND_OF[type(record)]]:
            if "roster" in rule.needs and not with_roster:
                continue
            subject, ctx = Subject.of(record), Ctx(AS_OF, record)
            if rule.where is not None:
                trace = Trace()
                applies = rule.where.evaluate(record, engine.get, ctx, trace)
                if applies is False:
                    continue
                if applies is None:
                    why = "could not tell whether this rule applies: "
                    out.append(engine._finding(rule, subject, Status.ERROR, trace, why))
                    continue
            trace = Trace()
            if rule.check is not None:
                verdict = engine.states[rule.id].verdict(record, trace)
            else:
                assert rule.expect is not None
                verdict = rule.expect.evaluate(record, engine.get, ctx, trace)
            if verdict is True:
                out.append(
                    Finding(
                        rule=rule.id,
                        title=rule.title,
                        status=Status.PASS,
                        severity=rule.severity,
                        subject=subject,
                        evidence=trace.evidence,
                        message="ok",
                        clause=rule.clause,
                        remediation=rule.remediation,
                        fingerprint=fingerprint(rule.id, subject),
                    )
                )
            else:
                status = Status.FAIL if verdict is False else Status.ERROR
                out.append(engine._finding(rule, subject, status, trace))
    return out


def engine_findings(pack: Pack, records: Sequence[Record]) -> list[Finding]:
    """The engine's findings about the records (not the "no roster was read" configuration ones)."""
    engine = Engine(pack, AS_OF)
    out = [f for record in records for f in engine.evaluate(record)] + engine.finish()
    return [f for f in out if f.subject.source != "configuration"]


def _same(fast: list[Finding], plain: list[Finding]) -> None:
    assert len(fast) == len(plain)
    for f, p in zip(fast, plain, strict=True):
        assert f == p, (f, p)
        assert repr(f) == repr(p)  # evidence in the same order, values of the same types
        assert type(f) is Finding and type(f.subject) is Subject


@pytest.mark.parametrize("pack_name", PACKS)
def test_engine_is_the_plain_evaluator_on_a_school(pack_name: str, school: DemoSchool) -> None:
    pack = load_pack(pack_name)
    records = [*school.records(), *school.roster, *blank()]
    fast = engine_findings(pack, records)
    assert {f.status for f in fast} >= {Status.PASS, Status.FAIL, Status.ERROR}
    _same(fast, plain_findings(pack, records))


@DRAWN
@given(pack_name=st.sampled_from(PACKS), records=st.lists(ANY_RECORD, min_size=1, max_size=10))
def test_engine_is_the_plain_evaluator_on_drawn_records(pack_name: str, records: list[Record]) -> None:
    pack = load_pack(pack_name)
    _same(engine_findings(pack, records), plain_findings(pack, records))
