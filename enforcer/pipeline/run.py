"""The one orchestration function behind ``enforcer run``, ``enforcer audit`` and the scheduler.

Order matters for safety: the pack is validated and every source built before
anything connects; a source that fails is recorded as failed and the run as
incomplete, never skipped silently, and cross-record checks (roster
reconciliation) are then reported as errors rather than run on partial data.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from enforcer.config import Config, SourceConfig
from enforcer.engine import Engine
from enforcer.logs import redact
from enforcer.model.errors import InputError, SourceError, UsageError
from enforcer.model.values import (
    KIND_OF,
    MODEL_OF,
    Account,
    Device,
    Finding,
    Record,
    RosterEntry,
    RunResult,
    SourceStatus,
    Status,
    SubjectKind,
)
from enforcer.pipeline.build import build_source
from enforcer.pipeline.notify import send_digest
from enforcer.pipeline.remediate import remediate
from enforcer.pipeline.types import (
    Progress,
    RunOptions,
    RunOutcome,
    SchoolSummary,
    check_stop,
    exit_code,
    parse_as_of,
)
from enforcer.reports.interface import ReportExtras
from enforcer.rules.loader import load_pack
from enforcer.rules.model import Pack
from enforcer.sources.interface import Source
from enforcer.store import runs

if TYPE_CHECKING:
    from enforcer.pipeline.history import RunHistory

log = logging.getLogger(__name__)

ONLY: dict[str, tuple[tuple[type, ...], frozenset[SubjectKind]]] = {
    # --only: which records are read and which rules run. Pupils belong with accounts (a pupil
    # without an account is an account problem); a devices-only audit must not see the roll, or
    # every pupil would "have no account".
    "accounts": ((Account, RosterEntry), frozenset({SubjectKind.ACCOUNT, SubjectKind.PUPIL})),
    "devices": ((Device,), frozenset({SubjectKind.DEVICE})),
}


def select_sources(config: Config, names: Sequence[str]) -> list[SourceConfig]:
    if not names:
        return list(config.sources)
    known = {s.name: s for s in config.sources}
    missing = [n for n in names if n not in known]
    if missing:
        raise UsageError(
            f"no source named {missing[0]!r} in the configuration (configured: {', '.join(known) or 'none'})"
        )
    return [known[n] for n in names]


def run(config: Config, options: RunOptions) -> RunOutcome:
    """Collect, evaluate and (for ``enforcer run``) record and report: one school or an estate."""
    if config.multi_school:
        from enforcer.pipeline.estate import run_estate

        return run_estate(config, options, run_school)
    if not options.record:
        return run_school(config, options)
    from enforcer.pipeline.history import RunHistory

    with RunHistory(config) as history:
        return run_school(config, options, history)


def run_school(config: Config, options: RunOptions, history: RunHistory | None = None) -> RunOutcome:
    """collect -> evaluate -> except -> record -> remediate -> report -> notify, in that order.

    Everything that can be refused (the pack, the rule ids, each source's settings and secrets)
    is checked before anything connects; sources are built once and the same objects are
    handed to remediation."""
    started = datetime.now(UTC)
    as_of = options.as_of or started
    run_id = _run_id(started)
    pack = load_pack(options.policy or config.model.policy, config.base_dir)
    if options.rule_ids:
        unknown = [r for r in options.rule_ids if pack.rule(r) is None]
        if unknown:
            raise UsageError(f"no rule {unknown[0]!r} in pack {pack.info.name}")
    built = {
        sc.name: (sc, build_source(config, sc, tracking_apps=pack.tracking_apps, as_of=as_of))
        for sc in select_sources(config, options.source_names)
    }
    if history is not None:
        history.begin(run_id, started)
    guard = None
    if history is not None:
        guard = functools.partial(history.guard_roster, accept_drop=options.accept_roster_drop)
    result = _collect_and_evaluate(config, pack, list(built.values()), options, run_id, started, as_of, guard)
    extras: ReportExtras | None = None
    actions_failed = False
    check_stop(options)  # the last moment to stop: once recorded, a run is complete and is reported
    if history is not None:
        result = history.apply_waivers(result, pack)
        extras = history.record(result)
        if history.remediate:
            done = remediate(
                config,
                history.opened,
                run_id=result.run_id,
                findings=result.findings,
                pack=pack,
                complete=result.complete,
                subjects=_subjects(history, result.run_id),
                built={name: src for name, (_, src) in built.items()},
            )
            if done is not None:
                history.messages.extend(done.messages)
                actions_failed = done.outcomes.failed
                extras = dataclasses.replace(extras, changes=done.outcomes.results)
    written: list[Path] = []
    if options.reports_dir is not None:
        from enforcer.reports.writer import write_reports

        written = write_reports(
            result, options.reports_dir, list(config.model.reports.formats), extras=extras
        )
    if history is not None and history.digest and history.diff is not None:
        line = send_digest(config, result, history.diff, written, extras.changes if extras else ())
        if line:
            history.messages.append(line)
    return RunOutcome(result, tuple(written), extras, actions_failed=actions_failed)


def _collect_and_evaluate(
    config: Config,
    pack: Pack,
    built: list[tuple[SourceConfig, Source]],
    options: RunOptions,
    run_id: str,
    started: datetime,
    as_of: datetime,
    guard: Callable[[list[SourceStatus]], list[SourceStatus]] | None = None,
) -> RunResult:
    """The *collect* and *evaluate* steps: records stream from each source into the engine.
    ``guard`` may mark a source failed after reading (a roll that shrank too far) before the
    roster is reconciled."""
    statuses: list[SourceStatus] = []
    findings: list[Finding] = []
    rule_ids: list[str] | None = list(options.rule_ids) or None
    wanted: tuple[type, ...] | None = None
    if options.only:
        wanted, kinds = ONLY[options.only]
        rule_ids = [r.id for r in pack.rules if r.kind in kinds and (rule_ids is None or r.id in rule_ids)]
    engine = Engine(pack, as_of, rule_ids)
    seen: Counter[str] = Counter()

    def consume(record: Record) -> None:
        check_stop(options)
        if wanted is not None and not isinstance(record, wanted):
            return
        if isinstance(record, Account):
            seen[f"account:{record.role.value if record.role else 'unknown'}"] += 1
        elif isinstance(record, Device):
            seen[f"device:{record.platform.value if record.platform else 'unknown'}"] += 1
        findings.extend(engine.evaluate(record))

    for sc, src in built:
        statuses.append(_drain(sc, src, consume, options.progress))
    if guard is not None:
        statuses = guard(statuses)
    if not all(s.ok for s in statuses):
        engine.input_incomplete()
    findings.extend(engine.finish())
    findings = merge_duplicates(findings)
    findings.sort(key=lambda f: (f.rule, f.subject.kind.value, f.subject.source, f.subject.id))
    applied = {f.rule for f in findings}
    idle = tuple(r.id for r in engine.rules if r.id not in applied)
    return RunResult(
        run_id=run_id,
        started=started,
        finished=datetime.now(UTC),
        as_of=as_of,
        school=config.school.name,
        pack=pack.info,
        sources=tuple(statuses),
        findings=tuple(findings),
        rules=engine.evaluated_rules(),
        coverage=dict(sorted(seen.items())),
        idle_rules=idle,
    )


def _subjects(history: RunHistory, run_id: str) -> int | None:
    """As recorded with the run: the base of the remediation cap's share."""
    row = runs.get_run(history.opened.db, run_id)
    return row.subjects if row else None


def _drain(
    sc: SourceConfig, source: Source, sink: Callable[[Record], None], progress: Progress | None
) -> SourceStatus:
    counts = {kind.plural: 0 for kind in MODEL_OF}
    key = {cls: kind.plural for cls, kind in KIND_OF.items()}
    n = 0
    try:
        for record in source.collect():
            counts[key[type(record)]] += 1
            sink(record)
            n += 1
            if progress is not None and n % 500 == 0:
                progress(sc.name, n)
    except (SourceError, InputError) as exc:
        # Bad data in a source file (a malformed MIS export or snapshot) fails that source,
        # with its file and line, rather than the whole run: other sources still count.
        # Redacted here, once, because this text goes to the reports, the store and the email:
        # a connector's error may repeat what a server echoed back, secrets included.
        message = redact(str(exc))
        log.warning("source %s failed: %s", sc.name, message)
        return SourceStatus(sc.name, sc.type, False, message, counts)
    if progress is not None:
        progress(sc.name, n)
    return SourceStatus(sc.name, sc.type, True, None, counts)


def merge_duplicates(findings: list[Finding]) -> list[Finding]:
    """One finding per fingerprint, even when a source returns the same object twice.

    A directory can hand back one object twice (a paged search over a changing tree, a
    snapshot edited by hand); two findings with one fingerprint would make the history
    store refuse the whole run. Copies that agree collapse into one; copies that disagree
    become an ``error``: the tool cannot tell which copy is true, so neither may pass.
    """
    first: dict[str, int] = {}
    out: list[Finding] = []
    for f in findings:
        i = first.get(f.fingerprint)
        if i is None:
            first[f.fingerprint] = len(out)
            out.append(f)
            continue
        kept = out[i]
        if kept.status is not f.status and kept.status is not Status.ERROR:
            out[i] = replace(
                kept,
                status=Status.ERROR,
                message=(
                    "the source returned this subject more than once with different values "
                    f"({kept.status.value} and {f.status.value}); check the directory for duplicate objects"
                ),
            )
    return out


def _run_id(started: datetime) -> str:
    return started.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


__all__ = ["RunOptions", "RunOutcome", "SchoolSummary", "exit_code", "parse_as_of", "run", "run_school"]
