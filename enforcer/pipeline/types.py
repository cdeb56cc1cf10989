"""What a run is asked to do and what it gives back: shared by the single-school pipeline, the
estate orchestration and every caller (CLI, scheduler, console), so none imports another."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from enforcer.model.errors import UsageError
from enforcer.model.values import RunResult
from enforcer.reports.interface import ReportExtras

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
    accept_roster_drop: bool = False
    """The user confirmed that the roll really shrank (see ``roster.max_drop``)."""
    record: bool = False
    """``enforcer run``: lock, apply exceptions, record history, diff, remediate, send the digest.
    ``enforcer audit`` leaves it off and never writes to the store."""
    stop: threading.Event | None = None
    """Set when the run must stop (Ctrl-C or SIGTERM reached an estate run). Only the main thread
    receives signals, so a school running in a worker thread looks here between records and before
    it records its run, and raises :class:`Interrupted`."""


class Interrupted(KeyboardInterrupt):
    """A school's run stopped because :attr:`RunOptions.stop` was set.

    A ``KeyboardInterrupt`` and not an ``EnforcerError`` on purpose: no ``except Exception`` in a
    connector can mistake it for a failed source (which would let the run be recorded), and
    ``RunHistory`` records it exactly as it records Ctrl-C in a lone school: incomplete, interrupted.
    """

    def __init__(self, message: str = "the estate run was stopped while this school was running") -> None:
        super().__init__(message)


def check_stop(options: RunOptions) -> None:
    """Raise :class:`Interrupted` if the run was told to stop."""
    if options.stop is not None and options.stop.is_set():
        raise Interrupted()


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
    stopped: str | None = None
    """Set when the estate run was stopped (Ctrl-C, SIGTERM) before this school finished:
    ``interrupted`` (it was running; nothing of it was recorded as complete) or ``not started``."""

    @property
    def state(self) -> str:
        """``complete``, ``incomplete`` (a source or the school's own configuration failed),
        ``interrupted`` or ``not started``: what the estate report shows."""
        return self.stopped or ("complete" if self.complete else "incomplete")


@dataclass(frozen=True)
class RunOutcome:
    """A run's result plus what was done with it (reports written, history notes)."""

    result: RunResult
    reports: tuple[Path, ...] = ()
    extras: ReportExtras | None = None
    """Trend, new and fixed, when the run was recorded in the history store."""
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


def exit_code(result: RunResult) -> int:
    """3 incomplete wins over 1 failing; errors (could not evaluate) count as failing."""
    if not result.complete:
        return 3
    counts = result.counts()
    return 1 if counts["fail"] or counts["error"] else 0


def parse_as_of(text: str) -> datetime:
    """A date means midnight UTC at the start of that day; a full ISO timestamp is used as given."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of: {text!r} is not a date (YYYY-MM-DD)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
