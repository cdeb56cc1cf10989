"""The one interface every source implements."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol, runtime_checkable

from enforcer.actions.interface import ActionPlan, ActionResult
from enforcer.identity import Classifier
from enforcer.models import Record


@runtime_checkable
class Source(Protocol):
    """Yields records as they are read.

    ``collect`` raises :class:`enforcer.errors.SourceError` (and nothing else) when it
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


class SourceFactory(Protocol):
    """Builds a source from its configuration section.

    ``settings`` is the validated mapping from the config file; ``secrets`` reads a
    named secret from the environment or a file (never argv); ``classifier`` turns raw
    attributes into roles and year groups as the configuration says.
    """

    def __call__(
        self,
        name: str,
        settings: Mapping[str, Any],
        secrets: "SecretReader",
        classifier: Classifier,
        base_dir: str,
    ) -> Source: ...


class SecretReader(Protocol):
    def __call__(self, ref: Mapping[str, str] | str | None, what: str) -> str: ...
