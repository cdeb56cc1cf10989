"""The one shape every connector's remediation takes (AD and Graph).

Why a base class: the two connectors used to wire refusals, dry runs and error
handling differently (a class for AD, module functions glued into the source for
Graph), so "an error becomes a FAILED result, never an exception" was true in two
places by two different routes. Here it is true once: a connector says what it
refuses without I/O, then does the I/O; anything in the project's error family
that escapes becomes a FAILED result with the reason, and anything else is a bug
that the pipeline still records as FAILED.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from enforcer.actions.interface import ActionPlan, ActionResult, Outcome
from enforcer.model.errors import EnforcerError


def make_result(
    plan: ActionPlan,
    outcome: Outcome,
    message: str,
    previous: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
) -> ActionResult:
    return ActionResult(
        plan=plan, outcome=outcome, at=datetime.now(UTC), message=message, previous=previous, new=new
    )


class BaseRemediator(ABC):
    """Implements :class:`enforcer.sources.interface.Remediator` around four connector steps."""

    SUPPORTED: ClassVar[frozenset[str]]

    def __init__(self, source: str) -> None:
        self.source = source

    def supported_actions(self) -> frozenset[str]:
        return self.SUPPORTED

    def apply(self, plan: ActionPlan) -> ActionResult:
        refused = self._refusal(plan)
        if refused is not None:
            return refused
        try:
            return self._apply(plan)
        except EnforcerError as exc:
            return make_result(plan, Outcome.FAILED, str(exc))

    def undo(self, result: ActionResult) -> ActionResult:
        refused = self._undo_refusal(result)
        if refused is not None:
            return refused
        try:
            return self._undo(result)
        except EnforcerError as exc:
            return self._undo_failed(result, exc)

    @abstractmethod
    def _refusal(self, plan: ActionPlan) -> ActionResult | None:
        """Why this plan cannot be carried out here (no I/O); None when it can."""

    @abstractmethod
    def _apply(self, plan: ActionPlan) -> ActionResult:
        """The change itself, or PLANNED for a dry run; may raise an :class:`EnforcerError`."""

    @abstractmethod
    def _undo_refusal(self, done: ActionResult) -> ActionResult | None:
        """Why this result cannot be undone (no I/O); None when it can."""

    @abstractmethod
    def _undo(self, done: ActionResult) -> ActionResult:
        """Write the recorded previous value back; may raise an :class:`EnforcerError`."""

    def _undo_failed(self, done: ActionResult, exc: EnforcerError) -> ActionResult:
        """Overridden where a connector knows, without I/O, the values its undo tried to write."""
        return make_result(done.plan, Outcome.FAILED, f"undo failed: {exc}")
