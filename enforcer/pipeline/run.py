"""The one orchestration function behind ``enforcer run``, ``enforcer audit`` and the scheduler.

Order matters for safety: the pack is validated and every source built before
anything connects; a source that fails is recorded as failed and the run as
incomplete, never skipped silently, and cross-record checks (roster
reconciliation) are then reported as errors rather than run on partial data.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from enforcer.sources import registry as source_types
from enforcer.config import Config, SourceConfig
from enforcer.engine import Engine
from enforcer.model.errors import InputError, SourceError, UsageError
from enforcer.logs import redact
from enforcer.model.values import (
    Account,
    Device,
    DomainPolicy,
    Finding,
    RosterEntry,
    RunResult,
    SourceStatus,
    Status,
)
from enforcer.rules.loader import load_pack

log = logging.getLogger(__name__)

ONLY_TYPES = {"accounts": (Account,), "devices": (Device,)}
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class RunOptions:
    as_of: datetime | None = None
    policy: str | None = None
    """A pack name or path overriding the configuration's."""
    source_names: Sequence[str] = ()
    only: str | None = None
    rule_ids: Sequence[str] = ()
    reports_dir: Path | None = None
    """When set (``enforcer run``), write every configured report format there."""
    progress: Progress | None = None
    extras: dict[str, object] = field(default_factory=dict)
    record: bool = False
    """``enforcer run``: lock, apply exceptions, record history, diff, remediate, send the digest.
    ``enforcer audit`` leaves it off and never writes to the store."""


def parse_as_of(text: str) -> datetime:
    """A date means midnight UTC at the start of that day; a full ISO timestamp is used as given."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of: {text!r} is not a date (YYYY-MM-DD)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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


@dataclass(frozen=True)
class RunOutcome:
    """A run's result plus what was done with it (reports written, history notes)."""

    result: RunResult
    reports: tuple[Path, ...] = ()
    extras: Any = None
    """``ReportExtras`` (trend, new, fixed) when the run was recorded in the history store."""
    schools: tuple[SchoolSummary, ...] = ()
    """For an estate: one summary per school (``result`` then holds no findings)."""
    actions_failed: bool = False
    """A remediation the run applied failed: never silent, it fails the run (exit 1 at least)."""

    @property
    def exit_code(self) -> int:
        if self.schools:
            codes = [s.exit_code for s in self.schools]
            return 3 if 3 in codes else max(codes)
        code = exit_code(self.result)
        return max(code, 1) if self.actions_failed else code


@dataclass(frozen=True)
class SchoolSummary:
    """What the combined estate report needs of one school; its findings are not kept."""

    id: str
    name: str
    complete: bool
    counts: dict[str, int]
    failing_by_rule: dict[str, int]
    failing_by_severity: dict[str, int]
    reports: tuple[Path, ...]
    exit_code: int
    error: str | None = None


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


def run_school(config: Config, options: RunOptions, history: Any = None) -> RunOutcome:
    started = datetime.now(UTC)
    as_of = options.as_of or started
    run_id = _run_id(started)
    pack = load_pack(options.policy or config.model.policy, config.base_dir)
    if options.rule_ids:
        unknown = [r for r in options.rule_ids if pack.rule(r) is None]
        if unknown:
            raise UsageError(f"no rule {unknown[0]!r} in pack {pack.info.name}")
    chosen = select_sources(config, options.source_names)
    built = [
        (sc, source_types.build_source(config, sc, tracking_apps=pack.tracking_apps, as_of=as_of))
        for sc in chosen
    ]
    if history is not None:  # history hook 1/3: run lock + "started" row
        history.begin(config, run_id, started)

    statuses: list[SourceStatus] = []
    findings: list[Finding] = []
    engine = Engine(pack, as_of, options.rule_ids or None)
    wanted = ONLY_TYPES.get(options.only or "", None)

    def consume(record: object) -> None:
        if wanted is not None and not isinstance(record, (*wanted, RosterEntry)):
            return
        findings.extend(engine.evaluate(record))  # type: ignore[arg-type]

    for sc, src in built:
        status = _drain(sc, src, consume, options.progress)
        statuses.append(status)
        if not status.ok:
            engine.input_incomplete()
    findings.extend(engine.finish())
    findings = merge_duplicates(findings)
    findings.sort(key=lambda f: (f.rule, f.subject.kind.value, f.subject.source, f.subject.id))
    result = RunResult(
        run_id=run_id,
        started=started,
        finished=datetime.now(UTC),
        as_of=as_of,
        school=config.school.name,
        pack=pack.info,
        sources=tuple(statuses),
        findings=tuple(findings),
        rules=engine.evaluated_rules(),
    )
    extras = None
    if history is not None:  # history hook 2/3: exceptions, store, diff, remediation
        result, extras = history.record(result, pack)
    written: list[Path] = []
    if options.reports_dir is not None:
        from enforcer.reports.writer import write_reports

        written = write_reports(
            result, options.reports_dir, list(config.model.reports.formats), extras=extras
        )
    if history is not None:  # history hook 3/3: the email digest
        history.after_reports(result, tuple(written))
    actions = getattr(history, "remediation", None)
    return RunOutcome(result, tuple(written), extras, actions_failed=bool(actions and actions.failed))


def _drain(
    sc: SourceConfig, source: object, sink: Callable[[object], None], progress: Progress | None
) -> SourceStatus:
    counts = {"accounts": 0, "devices": 0, "domains": 0, "pupils": 0}
    key = {Account: "accounts", Device: "devices", DomainPolicy: "domains", RosterEntry: "pupils"}
    n = 0
    try:
        for record in source.collect():  # type: ignore[attr-defined]
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


def exit_code(result: RunResult) -> int:
    """3 incomplete wins over 1 failing; errors (could not evaluate) count as failing."""
    if not result.complete:
        return 3
    counts = result.counts()
    return 1 if counts["fail"] or counts["error"] else 0


__all__ = ["RunOptions", "RunOutcome", "SchoolSummary", "exit_code", "parse_as_of", "run", "run_school"]
