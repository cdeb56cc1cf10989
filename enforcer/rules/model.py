"""Compiled rules and packs: what the engine evaluates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from enforcer.model.values import PackInfo, Remediation, Severity, SubjectKind
from enforcer.rules.conditions import Condition

if TYPE_CHECKING:
    from enforcer.passwords.policy import PasswordPolicy


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    kind: SubjectKind
    where: Condition | None
    expect: Condition | None
    check: str | None
    """A named check for the few rules that need code (``expect: {check: NAME}``)."""
    check_params: Mapping[str, Any]
    severity: Severity
    clause: str
    guidance: str
    remediation: Remediation
    mode: str
    needs: frozenset[str]
    message: str | None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Pack:
    info: PackInfo
    title: str
    description: str
    sources: tuple[str, ...]
    rules: tuple[Rule, ...]
    tracking_apps: tuple[str, ...] = ()
    password: PasswordPolicy | None = None
    raw_password: Mapping[str, Any] = field(default_factory=dict)

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)
