"""The one "remediate a recorded run": used by the nightly run, ``enforcer remediate`` and
``enforcer undo`` (and the console later), so the rules for acting are written once.

A run that is incomplete saw only part of the school: its plans are recorded, never applied.
The sources that act are the ones the run built (the nightly run hands them over) or, for a
command acting on a recorded run later, built once here from the configuration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from enforcer.actions import apply as acting
from enforcer.actions.plan import Cap, Planned, modes_of, plan
from enforcer.config import Config
from enforcer.logs import redact
from enforcer.model.errors import EnforcerError, UsageError
from enforcer.model.values import Finding
from enforcer.pipeline.build import build_source
from enforcer.rules.model import Pack
from enforcer.sources.interface import Remediator, Source
from enforcer.store import Store, records, runs
from enforcer.store.audit import StoreAuditLog


@dataclass(frozen=True, slots=True)
class Remediation:
    """What remediating one run did, for the summary, the reports and the digest."""

    outcomes: acting.Outcomes
    messages: tuple[str, ...] = ()


def remediators_for(
    config: Config, names: Iterable[str], built: Mapping[str, Source] | None = None
) -> dict[str, Remediator]:
    """The named sources that can make changes: the run's own when given, else built once here."""
    out: dict[str, Remediator] = {}
    wanted = set(names)
    for sc in config.sources:
        if sc.name not in wanted:
            continue
        src = built[sc.name] if built is not None and sc.name in built else build_source(config, sc)
        if isinstance(src, Remediator):
            out[sc.name] = src
    return out


def cap_of(config: Config) -> Cap:
    cfg = config.model.remediation
    return Cap(cfg.max_changes, cfg.max_share)


def plan_run(store: Store, findings: Iterable[Finding], pack: Pack) -> list[Planned]:
    """Pure planning plus the review queue's marks, which lift a dry-run rule for one subject."""
    return plan(findings, modes_of(pack), records.marked(store.db))


def remediate(
    config: Config,
    store: Store,
    *,
    run_id: str,
    findings: Iterable[Finding],
    pack: Pack,
    complete: bool,
    subjects: int | None,
    built: Mapping[str, Source] | None = None,
) -> Remediation | None:
    """Plan, record and (for a complete run) apply one run's remediation; None when nothing to do."""
    planned = plan_run(store, findings, pack)
    if not planned:
        return None
    messages: list[str] = []
    enforce = {p.plan.subject.source for p in planned if p.mode == "enforce"}
    remediators: dict[str, Remediator] = {}
    if enforce and complete:
        try:
            remediators = remediators_for(config, enforce, built)
        except EnforcerError as exc:
            # The run is recorded; its reports must still be written. Without a source that can
            # act, each enforce plan is recorded as skipped, and the reason is shown.
            messages.append(f"remediation skipped: {redact(str(exc))}")
    outcomes = acting.execute(
        StoreAuditLog(store.db),
        planned,
        remediators if complete else {},
        run_id=run_id,
        cap=cap_of(config),
        subjects=subjects,
        apply=complete,
    )
    if not complete and any(p.mode == "enforce" for p in planned):
        messages.append(
            "enforcement skipped: the run is incomplete, so its changes were only recorded as planned"
        )
    if outcomes.stopped:
        messages.append(outcomes.stopped)
    failed = [r for r in outcomes.results if r.outcome == acting.Outcome.FAILED]
    if failed:
        messages.append(
            f"{len(failed)} remediation action(s) failed (see enforcer history and the audit log): "
            + "; ".join(r.message for r in failed[:3])
        )
    return Remediation(outcomes, tuple(messages))


def recorded_run(store: Store, run_id: str, *, for_apply: bool) -> runs.RunRow:
    """A recorded run that may be remediated: with ``for_apply``, only the school's latest and
    only a complete one (an older run's findings may be out of date; an incomplete one saw part)."""
    row = runs.get_run(store.db, run_id)
    if row is None:
        raise UsageError(f"no run {run_id!r} in the store")
    if not for_apply:
        return row
    latest = runs.list_runs(store.db, row.school, 1)
    if latest and latest[0].id != row.id:
        raise UsageError(
            f"run {row.id} is not the latest run for {row.school}; its findings may be out "
            f"of date (latest: {latest[0].id})"
        )
    if row.state != "complete":
        raise UsageError(
            f"run {row.id} is {row.state}: it saw only part of the school, so nothing is "
            "applied from it (plans can still be listed without --apply)"
        )
    return row


def undo(
    config: Config, store: Store, *, action_id: int | None = None, run_id: str | None = None
) -> acting.Outcomes:
    """Restore the previous values of one applied action or of every action of a run."""
    log = StoreAuditLog(store.db)
    entries = log.entries(run_id=run_id, action_id=action_id)
    sources = {e.plan.subject.source for e in entries}
    return acting.undo(log, remediators_for(config, sources), action_id=action_id, run_id=run_id)
