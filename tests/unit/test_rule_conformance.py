"""Every registered rule in every built-in pack, checked for the properties all rules must have."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from enforcer.engine import evaluate
from enforcer.model.values import Account, Device, DomainPolicy, Role, RosterEntry, Status, SubjectKind
from enforcer.rules.checks import CHECKS
from enforcer.rules.loader import builtin_packs, load_pack

AS_OF = datetime(2026, 11, 22, tzinfo=UTC)
RULES = [(name, rule) for name in builtin_packs() for rule in load_pack(name).rules]
BLANK = {
    SubjectKind.ACCOUNT: [
        Account(source="t", id="blank"),
        *(Account(source="t", id=f"blank-{r.value}", role=r) for r in Role),
    ],
    SubjectKind.DEVICE: [Device(source="t", id="blank")],
    SubjectKind.DOMAIN: [DomainPolicy(source="t", id="blank")],
    SubjectKind.PUPIL: [RosterEntry(source="t", pupil_id="blank")],
}


@pytest.mark.parametrize("pack_name, rule", RULES, ids=[f"{p}:{r.id}" for p, r in RULES])
def test_a_record_with_nothing_known_never_passes(pack_name: str, rule: object) -> None:
    """Fail closed: with every security field unknown, a rule errors or does not apply, never passes."""
    pack = load_pack(pack_name)
    records = BLANK[rule.kind]  # type: ignore[attr-defined]
    if rule.kind is SubjectKind.ACCOUNT and "roster" in rule.needs:  # type: ignore[attr-defined]
        records = [*records, RosterEntry(source="t", pupil_id="other")]
    findings = evaluate(pack, records, AS_OF, [rule.id])  # type: ignore[attr-defined]
    assert all(f.status is not Status.PASS for f in findings), [(f.subject.id, f.message) for f in findings]


@pytest.mark.parametrize("pack_name, rule", RULES, ids=[f"{p}:{r.id}" for p, r in RULES])
def test_rule_metadata_is_complete(pack_name: str, rule: object) -> None:
    r = rule
    assert r.title and r.clause and r.remediation.advice  # type: ignore[attr-defined]
    assert (r.expect is None) != (r.check is None)  # type: ignore[attr-defined]
    if r.check:  # type: ignore[attr-defined]
        assert r.check in CHECKS  # type: ignore[attr-defined]


def test_demo_school_makes_every_primary_rule_fail_somewhere() -> None:
    """The demo exists to show every control; a rule it never trips is an untested promise."""
    from enforcer.config import load_config
    from enforcer.pipeline.run import RunOptions, run

    result = run(load_config(None), RunOptions(as_of=AS_OF)).result
    failing = {f.rule for f in result.findings if f.status is Status.FAIL}
    every = {r.id for r in load_pack("primary-school").rules}
    assert every - failing == set()
    assert any(f.status is Status.ERROR for f in result.findings)
