"""Remediation, the pure half: which failing findings get which action, in which mode, under which cap.

Per rule the pack chooses a mode: ``report`` (advice only, no plan), ``dry-run``
(the plan is made and recorded as ``planned``, nothing changes) or ``enforce``
(the plan is applied through the source's :class:`~enforcer.sources.interface.Remediator`).
A finding the IT contractor marked for remediation in the review queue lifts a
``dry-run`` rule to ``enforce`` for that one subject; it never overrides
``report`` and never enables an opt-in action (remote lock) by itself.

The cap is a circuit breaker, not a quota: when a run would change more than
``max_changes`` subjects, or more than ``max_share`` of the subjects it saw,
nothing is changed at all and the run says why. A sudden spike almost always
means bad input (an empty group, a wrong OU), and the safest response to bad
input is to change nothing and tell a person.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from enforcer.actions.catalog import ACTIONS
from enforcer.actions.interface import ActionPlan
from enforcer.model.errors import UsageError
from enforcer.model.values import Finding, Status
from enforcer.rules.model import Pack

MODES = ("report", "dry-run", "enforce")


@dataclass(frozen=True, slots=True)
class Planned:
    plan: ActionPlan
    mode: str
    """``dry-run`` or ``enforce`` (after any lift from a review-queue mark)."""


@dataclass(frozen=True, slots=True)
class Cap:
    max_changes: int
    max_share: float

    def limit(self, subjects: int | None) -> int:
        if not subjects:
            return self.max_changes
        return min(self.max_changes, math.floor(self.max_share * subjects))

    def check(self, n: int, subjects: int | None) -> str | None:
        """None when ``n`` changes are allowed, else the sentence the run reports."""
        limit = self.limit(subjects)
        if n <= limit:
            return None
        of = f", {self.max_share:.0%} of {subjects} subjects" if subjects else ""
        return (
            f"enforcement stopped: {n} changes planned, above this run's cap of {limit} "
            f"(at most {self.max_changes} per run{of}); nothing was changed. Check the findings, "
            "then raise remediation.max_changes / max_share in the configuration if they are right"
        )


def plan(
    findings: Iterable[Finding], modes: Mapping[str, str], marked: Collection[str] = ()
) -> list[Planned]:
    """Pure: which failing findings get which action, in which mode."""
    out: list[Planned] = []
    for f in findings:
        action = f.remediation.action
        if f.status != Status.FAIL or not action:
            continue
        mode = modes.get(f.rule, "report")
        if mode not in MODES:
            raise UsageError(f"rule {f.rule}: unknown remediation mode {mode!r}")
        spec = ACTIONS.get(action)
        if mode == "report" or spec is None or f.subject.kind not in spec.kinds:
            continue
        if mode == "dry-run" and f.fingerprint in marked and not spec.opt_in:
            mode = "enforce"
        out.append(
            Planned(
                ActionPlan(
                    action=action,
                    subject=f.subject,
                    rule=f.rule,
                    finding=f.fingerprint,
                    params=dict(f.remediation.params),
                    dry_run=mode != "enforce",
                ),
                mode,
            )
        )
    return out


def modes_of(pack: Pack) -> dict[str, str]:
    """Rule id -> remediation mode from a compiled pack."""
    return {r.id: r.mode for r in pack.rules}
