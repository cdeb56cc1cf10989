"""Remediation, the half that acts: record the intent, apply, record the outcome; and undo.

Every plan reaches the audit log as an intent before anything changes and as an outcome after,
with the values it replaced; the log is a protocol (:class:`AuditLog`) the store implements, so
this module knows no SQL. An action is applied at most once per run and undone at most once,
and the cap counts every change a run has made, not only those of one call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from enforcer.actions.catalog import ACTIONS
from enforcer.actions.interface import ActionPlan, ActionResult, AuditLog, Outcome
from enforcer.actions.plan import Cap, Planned
from enforcer.logs import redact
from enforcer.model.errors import UsageError
from enforcer.sources.interface import Remediator

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


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


def execute(
    log: AuditLog,
    planned: Iterable[Planned],
    remediators: Mapping[str, Remediator],
    *,
    run_id: str | None,
    cap: Cap,
    subjects: int | None,
    apply: bool = True,
    clock: Clock = _now,
) -> Outcomes:
    """Record every plan; apply the ``enforce`` ones (when ``apply``) unless the cap stops them.

    Changes this run already applied (an earlier ``remediate --apply``, or the nightly run) are
    not applied again, and they count against the run's cap."""
    planned = list(planned)
    done = {(e.plan.finding, e.plan.action): e.id for e in log.applied(run_id)} if run_id else {}
    fresh = [p for p in planned if (p.plan.finding, p.plan.action) not in done]
    enforce = [p for p in fresh if p.mode == "enforce"] if apply else []
    stopped = cap.check(len(done) + len(enforce), subjects) if enforce else None
    results: list[ActionResult] = []
    ids: list[int] = []
    notes: list[str] = []
    for p in planned:
        earlier = done.get((p.plan.finding, p.plan.action))
        if earlier is not None:
            notes.append(
                f"{p.plan.action} on {p.plan.subject.name or p.plan.subject.id} was already applied "
                f"in this run (action {earlier}); not repeated"
            )
            continue
        action_id = log.log_intent(p.plan, run_id, p.mode if apply else "dry-run", clock())
        ids.append(action_id)
        if p.mode != "enforce" or not apply:
            res = ActionResult(p.plan, Outcome.PLANNED, clock(), f"dry run ({p.mode}): nothing was changed")
        elif stopped:
            res = ActionResult(p.plan, Outcome.SKIPPED, clock(), stopped)
        else:
            res = _apply(p.plan, remediators.get(p.plan.subject.source), clock)
        log.log_outcome(action_id, res)
        results.append(res)
    return Outcomes(tuple(results), tuple(ids), stopped, tuple(notes))


def _apply(plan: ActionPlan, remediator: Remediator | None, clock: Clock) -> ActionResult:
    src = plan.subject.source
    if remediator is None:
        return ActionResult(plan, Outcome.SKIPPED, clock(), f"source {src!r} cannot make changes")
    if plan.action not in remediator.supported_actions():
        return ActionResult(plan, Outcome.SKIPPED, clock(), f"source {src!r} does not support {plan.action}")
    try:
        return remediator.apply(plan)
    except Exception as exc:  # noqa: BLE001 - a connector bug is recorded as FAILED (audit log, report, exit code)
        return ActionResult(plan, Outcome.FAILED, clock(), redact(f"{type(exc).__name__}: {exc}"))


def undo(
    log: AuditLog,
    remediators: Mapping[str, Remediator],
    *,
    action_id: int | None = None,
    run_id: str | None = None,
    clock: Clock = _now,
) -> Outcomes:
    """Restore recorded previous values, newest change first; each undo is itself audited, and an
    action that was ever undone (however long ago) is never undone again."""
    entries = log.entries(run_id=run_id, action_id=action_id)
    if not entries:
        raise UsageError(
            f"no recorded action {action_id}"
            if action_id is not None
            else f"no recorded actions for run {run_id}"
        )
    undone = log.undone_ids()
    results: list[ActionResult] = []
    ids: list[int] = []
    notes: list[str] = []
    for e in sorted(entries, key=lambda e: e.id, reverse=True):
        if e.outcome != Outcome.APPLIED or e.undo_of is not None:
            continue
        if e.id in undone:
            notes.append(f"action {e.id} was already undone")
            continue
        spec = ACTIONS.get(e.plan.action)
        new_id = log.log_intent(e.plan, e.run_id, "undo", clock(), undo_of=e.id)
        remediator = remediators.get(e.plan.subject.source)
        if spec is not None and not spec.reversible:
            res = ActionResult(e.plan, Outcome.SKIPPED, clock(), f"{e.plan.action} cannot be undone")
        elif e.previous is None:
            res = ActionResult(e.plan, Outcome.SKIPPED, clock(), "no previous values were recorded")
        elif remediator is None:
            res = ActionResult(
                e.plan, Outcome.SKIPPED, clock(), f"source {e.plan.subject.source!r} cannot make changes"
            )
        else:
            try:
                res = remediator.undo(e.as_result())
            except Exception as exc:  # noqa: BLE001 - recorded as FAILED, as for apply
                res = ActionResult(e.plan, Outcome.FAILED, clock(), redact(f"{type(exc).__name__}: {exc}"))
        log.log_outcome(new_id, res)
        results.append(res)
        ids.append(new_id)
    if not results and not notes:
        notes.append("nothing to undo: no applied changes")
    return Outcomes(tuple(results), tuple(ids), None, tuple(notes))
