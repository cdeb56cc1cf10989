"""The history steps of ``enforcer run``: lock, waivers (exceptions), record, diff and trend.

:func:`enforcer.pipeline.run.run_school` calls them in order (``begin`` before any source
is read, ``apply_waivers`` and ``record`` after evaluation, before reports are written);
``enforcer audit`` uses none of them and so never writes to the store. Used as a context
manager, a run that ends with an error is marked incomplete at once (a run that is killed is
marked at the next start) and the lock is always released.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from enforcer.config import Config
from enforcer.logs import redact
from enforcer.model.values import RunResult, SourceStatus
from enforcer.reports.interface import ReportExtras, TrendPoint
from enforcer.rules.model import Pack
from enforcer.store import Store, open_store, records, run_lock, runs
from enforcer.store.diff import RunDiff
from enforcer.store.runlock import Lock
from enforcer.waivers import PolicyException, apply_exceptions, beside_pack, load_exceptions_file

log = logging.getLogger(__name__)
TREND_RUNS = 30


class RunHistory:
    def __init__(
        self, config: Config, *, digest: bool = True, remediate: bool = True, take_lock: bool = True
    ) -> None:
        self.config = config
        self.take_lock = take_lock
        """False when an estate run already holds the one lock for all its schools."""
        self.digest = digest
        self.remediate = remediate
        self.store: Store | None = None
        self.lock: Lock | None = None
        self.run_id: str | None = None
        self.diff: RunDiff | None = None
        self.extras: ReportExtras | None = None
        """The ReportExtras given to the reports, for the terminal summary too."""
        self.messages: list[str] = []
        """One-line notes for the person running the command (digest sent, cap reached)."""
        self._recorded = False

    @property
    def opened(self) -> Store:
        assert self.store is not None, "begin() first"
        return self.store

    # -- steps -----------------------------------------------------------------------------
    def begin(self, run_id: str, started: datetime) -> None:
        if self.take_lock:
            self.lock = run_lock(self.config).acquire()
        self.store = open_store(self.config)
        runs.begin_run(self.store.db, run_id, self.config.school.name, started)
        self.run_id = run_id

    def guard_roster(self, statuses: list[SourceStatus], *, accept_drop: bool) -> list[SourceStatus]:
        """A source whose roll shrank by more than ``roster.max_drop`` since the last complete
        run is marked failed: a CSV export cut at a row boundary looks like a shorter, complete
        roll, and would otherwise turn every missing pupil's finding into "fixed"."""
        if accept_drop:
            return statuses
        last = runs.last_complete(self.opened.db, self.config.school.name)
        if last is None:
            return statuses
        before = runs.source_counts(self.opened.db, last.id)
        limit = self.config.model.roster.max_drop
        out = []
        for s in statuses:
            was = before.get(s.name, {}).get("pupils", 0)
            now = s.counts.get("pupils", 0)
            if s.ok and was and now < was * (1 - limit):
                s = dataclasses.replace(
                    s,
                    ok=False,
                    error=(
                        f"the roll shrank from {was} to {now} pupils since the last complete run "
                        f"(more than {limit:.0%}): treated as a cut-off export, so nothing is counted "
                        "fixed. If the roll really shrank, run again with --accept-roster-drop"
                    ),
                )
                log.warning("source %s: %s", s.name, s.error)
            out.append(s)
        return out

    def apply_waivers(self, result: RunResult, pack: Pack) -> RunResult:
        """The *except* step: findings covered by a current exception become ``excepted``."""
        rules = [r.id for r in pack.rules]
        excepted = apply_exceptions(result.findings, self.exceptions(pack, rules), result.as_of)
        return dataclasses.replace(result, findings=tuple(excepted))

    def record(self, result: RunResult) -> ReportExtras:
        """The *record* step: store the run, diff it against the last complete one, purge by
        retention, and return what the reports show of the history (trend, new, fixed)."""
        db = self.opened.db
        self.diff = runs.record_run(db, result)
        self._recorded = True
        self.opened.purge(self.config.model.store.retention_days, result.started)
        history = list(reversed(runs.list_runs(db, result.school, TREND_RUNS)))
        trend = tuple(
            TrendPoint(r.id, r.started, dict(r.counts), r.state == "complete")
            for r in history
            if r.state != "started"
        )
        self.extras = ReportExtras(
            trend=trend,
            new=self.diff.new + self.diff.regressed,
            fixed=self.diff.fixed,
            previous_run_id=self.diff.against,
        )
        return self.extras

    # -- helpers ---------------------------------------------------------------------------
    def exceptions(self, pack: Pack, rules: list[str]) -> list[PolicyException]:
        """The exceptions this school's run applies: the store's for this school and the
        estate-wide ones (school None), never another school's; plus the file's, which
        have no school (a file beside the pack applies to every school using that pack)."""
        school = self.config.school.name
        out = [e for e in records.list_exceptions(self.opened.db) if e.covers_school(school)]
        path = self.exceptions_path(pack)
        if path is not None:
            out += load_exceptions_file(path, rules or None)
        return out

    def exceptions_path(self, pack: Pack) -> Path | None:
        return exceptions_file(self.config, pack)

    # -- context manager -------------------------------------------------------------------
    def __enter__(self) -> RunHistory:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self.store is not None and self.run_id and not self._recorded:
                if t is not None and issubclass(t, KeyboardInterrupt):
                    # Ctrl-C, SIGTERM (cli.main.Terminated) or an estate's stop (Interrupted)
                    reason = "interrupted" if t is KeyboardInterrupt else f"interrupted: {redact(str(e))}"
                else:
                    reason = f"failed: {redact(str(e))}" if e else "not recorded"
                runs.abandon(self.store.db, self.run_id, reason, datetime.now(UTC))
        finally:
            if self.store is not None:
                self.store.close()
            if self.lock is not None:
                self.lock.release()
            for m in self.messages:
                print(f"enforcer: {m}", file=sys.stderr)


def exceptions_file(config: Config, pack: Pack) -> Path | None:
    """The exceptions file a school's run reads: the one its configuration names, else the
    one beside its pack (``policies/x.yaml`` -> ``policies/x.exceptions.yaml``) if present."""
    if config.model.exceptions:
        return config.resolve(config.model.exceptions)
    if pack.info.path:
        candidate = beside_pack(pack.info.path)
        if candidate.is_file():
            return candidate
    return None
