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
from typing import Any

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
