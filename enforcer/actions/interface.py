"""Remediation actions: a pure plan, then an apply that does the I/O.

Every plan is written to the audit log as an intent before ``apply`` and its
result as an outcome after, with the previous value, so a change can be undone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol

from enforcer.model.values import Subject, SubjectKind

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class Outcome(StrEnum):
    PLANNED = "planned"  # dry run: nothing was written
    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"  # e.g. over the change cap, or not supported by the source
    UNDONE = "undone"


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """What an action is, for validation and ``rules show`` (no I/O)."""

    name: str
    kinds: frozenset[SubjectKind]
    description: str
    reversible: bool = True
    opt_in: bool = False
    """True for disruptive actions (remote lock) that a rule must enable explicitly."""


@dataclass(frozen=True, slots=True)
class ActionPlan:
    action: str
    subject: Subject
    rule: str
    finding: str
    """Fingerprint of the finding that asked for it."""
    params: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    dry_run: bool = True


@dataclass(frozen=True, slots=True)
class ActionResult:
    plan: ActionPlan
    outcome: Outcome
    at: datetime
    message: str = ""
    previous: Mapping[str, Any] | None = None
    """Values before the change, enough for ``undo`` to restore them."""
    new: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of the remediation audit log: an intent, and its outcome once known."""

    id: int
    run_id: str | None
    plan: ActionPlan
    mode: str
    intent_at: datetime
    outcome: str
    """An Outcome value, or ``pending`` when the process died between intent and outcome."""
    outcome_at: datetime | None
    message: str | None
    previous: Mapping[str, Any] | None
    new: Mapping[str, Any] | None
    undo_of: int | None

    def as_result(self) -> ActionResult:
        return ActionResult(
            self.plan,
            Outcome(self.outcome),
            self.outcome_at or self.intent_at,
            self.message or "",
            self.previous,
            self.new,
        )


class AuditLog(Protocol):
    """Where intents and outcomes go: the store implements it (``enforcer.store.audit``), so
    applying and undoing actions never needs to know SQL, and tests can read it back."""

    def log_intent(
        self, plan: ActionPlan, run_id: str | None, mode: str, now: datetime, undo_of: int | None = None
    ) -> int:
        """Committed before ``apply`` runs, so a crash mid-change still leaves a trace."""
        ...

    def log_outcome(self, action_id: int, result: ActionResult) -> None: ...

    def entries(self, *, run_id: str | None = None, action_id: int | None = None) -> list[AuditEntry]:
        """One action, every action of a run (oldest first), or nothing when neither is given."""
        ...

    def undone_ids(self) -> set[int]:
        """Every action id that has been undone, however old (not a recent window)."""
        ...

    def applied(self, run_id: str) -> list[AuditEntry]:
        """Changes already applied for a run, so a second ``--apply`` neither repeats one nor
        gets a fresh cap."""
        ...
