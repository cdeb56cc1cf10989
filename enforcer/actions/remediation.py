"""Remediation: plan from failing findings, cap, record the intent, apply, record the outcome.

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
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from enforcer.actions.catalog import ACTIONS
from enforcer.actions.interface import ActionPlan, ActionResult, Outcome
from enforcer.model.errors import UsageError
from enforcer.logs import redact
from enforcer.model.values import Finding, Status
from enforcer.store import records
from enforcer.store.db import Database

MODES = ("report", "dry-run", "enforce")
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


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


@dataclass(frozen=True, slots=True)
class Outcomes:
    results: tuple[ActionResult, ...] = ()
    action_ids: tuple[int, ...] = ()
    stopped: str | None = None
    """Why enforcement stopped (the cap), or None."""
    notes: tuple[str, ...] = field(default=())

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def failed(self) -> bool:
        return any(r.outcome == Outcome.FAILED for r in self.results)


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


def modes_of(pack: object) -> dict[str, str]:
    """Rule id -> mode from a compiled pack (``pack.rules[i].mode``)."""
    return {r.id: getattr(r, "mode", "report") for r in getattr(pack, "rules", ())}


def execute(
    db: Database,
    planned: Iterable[Planned],
    remediators: Mapping[str, object],
    *,
    run_id: str | None,
    cap: Cap,
    subjects: int | None,
    apply: bool = True,
    clock: Clock = _now,
) -> Outcomes:
    """Record every plan; apply the ``enforce`` ones (when ``apply``) unless the cap stops them."""
    planned = list(planned)
    enforce = [p for p in planned if p.mode == "enforce"] if apply else []
    stopped = cap.check(len(enforce), subjects) if enforce else None
    results: list[ActionResult] = []
    ids: list[int] = []
    for p in planned:
        action_id = records.log_intent(db, p.plan, run_id, p.mode if apply else "dry-run", clock())
        ids.append(action_id)
        if p.mode != "enforce" or not apply:
            res = ActionResult(p.plan, Outcome.PLANNED, clock(), f"dry run ({p.mode}): nothing was changed")
        elif stopped:
            res = ActionResult(p.plan, Outcome.SKIPPED, clock(), stopped)
        else:
            res = _apply(p.plan, remediators.get(p.plan.subject.source), clock)
        records.log_outcome(db, action_id, res)
        results.append(res)
    return Outcomes(tuple(results), tuple(ids), stopped)


def _apply(plan: ActionPlan, remediator: object | None, clock: Clock) -> ActionResult:
    src = plan.subject.source
    supported = getattr(remediator, "supported_actions", None)
    if remediator is None or supported is None:
        return ActionResult(plan, Outcome.SKIPPED, clock(), f"source {src!r} cannot make changes")
    if plan.action not in supported():
        return ActionResult(plan, Outcome.SKIPPED, clock(), f"source {src!r} does not support {plan.action}")
    try:
        result: ActionResult = remediator.apply(plan)  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - recorded as FAILED in the audit log, the report and the exit code
        return ActionResult(plan, Outcome.FAILED, clock(), redact(f"{type(exc).__name__}: {exc}"))
    return result


def undo(
    db: Database,
    remediators: Mapping[str, object],
    *,
    action_id: int | None = None,
    run_id: str | None = None,
    clock: Clock = _now,
) -> Outcomes:
    """Restore recorded previous values, newest change first; each undo is itself audited."""
    entries = records.audit_entries(db, run_id=run_id, action_id=action_id)
    if not entries:
        raise UsageError(
            f"no recorded action {action_id}"
            if action_id is not None
            else f"no recorded actions for run {run_id}"
        )
    undone = {e.undo_of for e in records.audit_entries(db) if e.undo_of and e.outcome == Outcome.UNDONE}
    results, ids, notes = [], [], []
    for e in sorted(entries, key=lambda e: e.id, reverse=True):
        if e.outcome != Outcome.APPLIED or e.undo_of is not None:
            continue
        if e.id in undone:
            notes.append(f"action {e.id} was already undone")
            continue
        spec = ACTIONS.get(e.plan.action)
        new_id = records.log_intent(db, e.plan, e.run_id, "undo", clock(), undo_of=e.id)
        remediator = remediators.get(e.plan.subject.source)
        if spec is not None and not spec.reversible:
            res = ActionResult(e.plan, Outcome.SKIPPED, clock(), f"{e.plan.action} cannot be undone")
        elif e.previous is None:
            res = ActionResult(e.plan, Outcome.SKIPPED, clock(), "no previous values were recorded")
        elif remediator is None or not hasattr(remediator, "undo"):
            res = ActionResult(
                e.plan, Outcome.SKIPPED, clock(), f"source {e.plan.subject.source!r} cannot make changes"
            )
        else:
            try:
                res = remediator.undo(e.as_result())  # type: ignore[attr-defined]
            except Exception as exc:  # noqa: BLE001 - recorded as FAILED, as for apply
                res = ActionResult(e.plan, Outcome.FAILED, clock(), redact(f"{type(exc).__name__}: {exc}"))
        records.log_outcome(db, new_id, res)
        results.append(res)
        ids.append(new_id)
    if not results and not notes:
        notes.append("nothing to undo: no applied changes")
    return Outcomes(tuple(results), tuple(ids), None, tuple(notes))


def remediators_for(config: object, names: Iterable[str]) -> dict[str, object]:
    """Build the named sources from the configuration and keep those that can make changes."""
    from enforcer.sources.interface import Remediator
    from enforcer.sources import registry as source_types

    out: dict[str, object] = {}
    wanted = set(names)
    for sc in getattr(config, "sources", ()):
        if sc.name not in wanted:
            continue
        src = source_types.build_source(config, sc)
        if isinstance(src, Remediator):
            out[sc.name] = src
    return out
