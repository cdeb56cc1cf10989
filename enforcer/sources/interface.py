"""The one interface every source implements."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from enforcer.actions.interface import ActionPlan, ActionResult
from enforcer.identity import Classifier
from enforcer.model.values import Record


@runtime_checkable
class Source(Protocol):
    """Yields records as they are read.

    ``collect`` raises :class:`enforcer.model.errors.SourceError` (and nothing else) when it
    cannot read everything; the run then marks the source failed and the run
    incomplete, and none of that source's earlier findings may become "fixed".
    """

    name: str
    type: str

    def collect(self) -> Iterator[Record]: ...

    def check(self) -> str:
        """Test the connection for ``enforcer config check``; return a one-line summary."""
        ...


@runtime_checkable
class Remediator(Protocol):
    """A source that can also change what it reads (AD, Graph)."""

    def supported_actions(self) -> frozenset[str]: ...

    def apply(self, plan: ActionPlan) -> ActionResult:
        """Do the I/O for one plan. Errors become a FAILED result, never an exception."""
        ...

    def undo(self, result: ActionResult) -> ActionResult:
        """Restore ``result.previous``."""
        ...


@dataclass(frozen=True)
class BuildContext:
    """Everything a connector's ``build`` may need besides its own settings."""

    secrets: SecretReader
    """Reads ``{env: NAME}`` / ``{file: PATH}`` references; never argv."""
    classifier: Classifier
    """Turns container / groups / attributes into a role and year group, as configured."""
    base_dir: Path
    """Relative paths in settings are relative to this (the config file's folder)."""
    tracking_apps: tuple[str, ...] = ()
    """Names of tracking / anti-theft software the pack recognises (case-insensitive substrings)."""
    as_of: datetime | None = None


class SecretReader(Protocol):
    def __call__(self, ref: Mapping[str, str] | str | None, what: str) -> str: ...


class SourceFactory(Protocol):
    """``build`` in each connector module: settings is the connector's validated Settings."""

    def __call__(self, name: str, settings: Any, ctx: BuildContext) -> Source: ...
