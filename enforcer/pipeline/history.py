"""What ``enforcer run`` adds to a one-off audit: lock, exceptions, history, diff, remediation, digest.

:func:`enforcer.pipeline.run.run` calls the three hooks (``begin`` before any source is
read, ``record`` after evaluation and before reports are written,
``after_reports`` at the end) when ``RunOptions.history`` is set; ``enforcer
audit`` leaves it unset and so never writes to the store. Used as a context
manager, a run that ends with an error is marked incomplete at once (a run that
is killed is marked at the next start) and the lock is always released.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from enforcer.model.errors import EnforcerError
from enforcer.waivers import PolicyException, apply_exceptions, beside_pack, load_exceptions_file
from enforcer.logs import redact
from enforcer.model.values import RunResult
from enforcer.store import Store, open_store, records, run_lock, runs
from enforcer.store.codec import ts
from enforcer.store.diff import RunDiff
from enforcer.store.lock import RunLock

log = logging.getLogger(__name__)
TREND_RUNS = 30


class RunHistory:
    def __init__(
        self, config: Any, *, digest: bool = True, remediate: bool = True, take_lock: bool = True
    ) -> None:
        self.config = config
        self.take_lock = take_lock
        """False when an estate run already holds the one lock for all its schools."""
        self.digest = digest
        self.remediate = remediate
        self.store: Store | None = None
        self.lock: RunLock | None = None
        self.run_id: str | None = None
        self.diff: RunDiff | None = None
        self.remediation: Any = None
        self.extras: Any = None
        """The ReportExtras given to the reports, for the terminal summary too."""
        self.messages: list[str] = []
        """One-line notes for the person running the command (digest sent, cap reached)."""
        self._recorded = False

    # -- hooks called by run() -----------------------------------------------------------
    def begin(self, config: Any, run_id: str, started: datetime) -> None:
        if self.take_lock:
            self.lock = run_lock().acquire()
        self.store = open_store(config)
        runs.begin_run(self.store.db, run_id, config.school.name, started)
        self.run_id = run_id

    def record(self, result: RunResult, pack: Any) -> tuple[RunResult, Any]:
        from enforcer.reports.interface import ReportExtras, TrendPoint

        assert self.store is not None, "begin() first"
        db = self.store.db
        rules = [r.id for r in getattr(pack, "rules", ())]
        excepted = apply_exceptions(result.findings, self.exceptions(pack, rules), result.as_of)
        result = dataclasses.replace(result, findings=tuple(excepted))
        self.diff = runs.record_run(db, result)
        self._recorded = True
        if self.remediate:
            self._remediate(result, pack)
        self.store.purge(self.config.model.store.retention_days, result.started)
        history = list(reversed(runs.list_runs(db, result.school, TREND_RUNS)))
        trend = tuple(
            TrendPoint(r.id, r.started, dict(r.counts), r.state == "complete")
            for r in history
            if r.state != "started"
        )
        extras = ReportExtras(
            trend=trend,
            new=self.diff.new + self.diff.regressed,
            fixed=self.diff.fixed,
            previous_run_id=self.diff.against,
        )
        self.extras = extras
        return result, extras

    def after_reports(self, result: RunResult, written: tuple[Path, ...] | list[Path]) -> None:
        email = self.config.model.email
        if not (self.digest and email.enabled and self.diff is not None):
            return
        from enforcer.reports import digest

        html = next((p for p in written if p.name == f"enforcer-{result.run_id}.html"), None)
        try:
            digest.send(digest.compose(result, self.diff, email, html), email)
        except digest.DigestError as exc:
            # The night's findings are recorded and the reports written; a mail outage must not
            # turn that into a failed run, but it must be seen.
            log.error("digest not sent: %s", exc)
            self.messages.append(f"digest not sent: {exc}")
            return
        self.messages.append(f"digest sent to {', '.join(email.recipients)}")

    # -- helpers -------------------------------------------------------------------------
    def exceptions(self, pack: Any, rules: list[str]) -> list[PolicyException]:
        assert self.store is not None
        out = records.list_exceptions(self.store.db)
        path = self.exceptions_path(pack)
        if path is not None:
            out += load_exceptions_file(path, rules or None)
        return out

    def exceptions_path(self, pack: Any) -> Path | None:
        if self.config.model.exceptions:
            return self.config.resolve(self.config.model.exceptions)
        pack_path = getattr(getattr(pack, "info", None), "path", None)
        if pack_path:
            candidate = beside_pack(pack_path)
            if candidate.is_file():
                return candidate
        return None

    def _remediate(self, result: RunResult, pack: Any) -> None:
        from enforcer.actions import remediation

        assert self.store is not None
        planned = remediation.plan(result.findings, remediation.modes_of(pack), records.marked(self.store.db))
        if not planned:
            return
        enforce = {p.plan.subject.source for p in planned if p.mode == "enforce"}
        remediators: dict[str, object] = {}
        if enforce and result.complete:
            try:
                remediators = remediation.remediators_for(self.config, enforce)
            except EnforcerError as exc:
                # The run is recorded; its reports must still be written. Without a source that
                # can act, each enforce plan is recorded as skipped, and the reason is shown.
                self.messages.append(f"remediation skipped: {redact(str(exc))}")
        cfg = self.config.model.remediation
        row = self.store.db.one("SELECT subjects FROM runs WHERE id = ?", (result.run_id,))
        # An incomplete run saw only part of the school: its plans are recorded, never applied.
        self.remediation = remediation.execute(
            self.store.db,
            planned,
            remediators if result.complete else {},
            run_id=result.run_id,
            cap=remediation.Cap(cfg.max_changes, cfg.max_share),
            subjects=row["subjects"] if row else None,
            apply=result.complete,
        )
        if not result.complete and any(p.mode == "enforce" for p in planned):
            self.messages.append(
                "enforcement skipped: the run is incomplete, so its changes were only recorded as planned"
            )
        if self.remediation.stopped:
            self.messages.append(self.remediation.stopped)
        failed = [r for r in self.remediation.results if r.outcome == "failed"]
        if failed:
            self.messages.append(
                f"{len(failed)} remediation action(s) failed (see enforcer history "
                f"and the audit log): " + "; ".join(r.message for r in failed[:3])
            )

    # -- context manager -----------------------------------------------------------------
    def __enter__(self) -> RunHistory:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self.store is not None and self.run_id and not self._recorded:
                reason = (
                    "interrupted"
                    if t is KeyboardInterrupt
                    else f"failed: {redact(str(e))}"
                    if e
                    else "not recorded"
                )
                self.store.db.execute(
                    "UPDATE runs SET state = 'incomplete', reason = ?, finished = ? "
                    "WHERE id = ? AND state = 'started'",
                    (reason[:500], ts(datetime.now(UTC)), self.run_id),
                )
        finally:
            if self.store is not None:
                self.store.close()
            if self.lock is not None:
                self.lock.release()
            for m in self.messages:
                print(f"enforcer: {m}", file=sys.stderr)
