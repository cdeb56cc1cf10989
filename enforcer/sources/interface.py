"""The one interface every source implements."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from enforcer.actions.interface import ActionPlan, ActionResult
from enforcer.identity import Classifier
from enforcer.model.values import Record


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One capability of a source (or the store, or the mail server) as ``config check`` found it.

    Why per capability: a bind that succeeds says nothing about what the account may read, and
    an unreadable part (BitLocker recovery objects, one Graph area) turns findings into
    "unknown" or fails the run; the administrator must see which part, and what it will cost,
    before the night's run.
    """

    capability: str
    """What was tried, in a few words ("bind", "BitLocker recovery objects", "managed devices")."""
    ok: bool
    """False when the run would fail or report findings as unknown because of it."""
    detail: str
    """What was found (counts, where); never a secret."""
    consequence: str | None = None
    """What this does to the findings, when it costs something ("encryption unknown on ...")."""


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

    def check(self) -> Sequence[CheckResult]:
        """Exercise each capability ``collect`` relies on, cheaply, for ``enforcer config check``.

        Raises :class:`enforcer.model.errors.SourceError` when the source cannot be reached
        at all (no connection, bind or token refused); a capability that is reachable but not
        readable is a result with ``ok=False`` and its consequence, never an exception.
        """
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
