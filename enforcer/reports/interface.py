"""What every report format implements, and the optional extras a later run can add.

A reporter is a pure function of a ``RunResult`` (plus optional extras): it never
reads the clock, the environment or the network, so the same result always renders
to the same bytes. That is what lets golden files pin every format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from enforcer.actions.interface import ActionResult
from enforcer.model.values import Finding, RunResult


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One earlier run, for the trend chart (newest last)."""

    run_id: str
    as_of: datetime
    counts: Mapping[str, int]
    """Findings by status name (pass, fail, error, excepted)."""
    complete: bool = True


@dataclass(frozen=True, slots=True)
class ReportExtras:
    """History-derived additions (trend, new and fixed findings).

    Why separate from ``RunResult``: a run is a fact about one night; what changed since
    the previous night needs the store. Reporters render these sections only when given.
    """

    trend: tuple[TrendPoint, ...] = ()
    new: tuple[Finding, ...] = ()
    """Findings failing now that were not failing in the previous complete run."""
    fixed: tuple[Finding, ...] = ()
    """Findings from the previous run that no longer fail (their last failing state)."""
    previous_run_id: str | None = None
    changes: tuple[ActionResult, ...] = ()
    """What this run did to the directory (applied, failed, skipped) or only planned: nothing
    changes a directory without the reports saying so."""


@runtime_checkable
class Reporter(Protocol):
    name: str
    """Format name as used on the command line and in the configuration (``html``)."""
    extension: str
    """File extension without the dot."""

    def render(self, result: RunResult, *, color: bool = False, extras: ReportExtras | None = None) -> str:
        """The whole report as text. ``color`` only matters to terminal output."""
        ...
