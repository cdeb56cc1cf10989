"""The shape of a policy pack file (validated with pydantic at the file edge).

Conditions (``where``, ``expect``) are left as raw data here and compiled by
``compiler.Compiler``, which knows the subject's fields and the operator table.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from enforcer.model.values import Severity, SubjectKind

RULE_ID = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PackMeta(_Strict):
    name: str = Field(pattern=RULE_ID)
    version: str = Field(min_length=1)
    title: str = Field(min_length=1)
    description: str = ""
    sources: list[str] = Field(default_factory=list)
    """The documents the pack paraphrases (policies, NCSC, DfE), for the reader."""


class AppliesTo(_Strict):
    kind: SubjectKind
    where: Any = None


class RemediationSpec(_Strict):
    advice: str = Field(min_length=1)
    action: str | None = None
    mode: Literal["report", "dry-run", "enforce"] = "report"
    params: dict[str, Any] = Field(default_factory=dict)


class RuleSpec(_Strict):
    id: str = Field(pattern=RULE_ID, max_length=64)
    title: str = Field(min_length=1)
    applies_to: AppliesTo
    expect: dict[str, Any]
    severity: Severity
    clause: str = Field(min_length=1)
    """The school policy section this enforces, paraphrased, e.g. 'Network security: ...'."""
    guidance: str = ""
    remediation: RemediationSpec
    needs: list[Literal["roster"]] = Field(default_factory=list)
    message: str | None = None
    """Optional plain-English sentence used when the rule fails."""


class InventorySpec(_Strict):
    tracking_apps: list[str] = Field(default_factory=list)


class PackFile(_Strict):
    pack: PackMeta
    inventory: InventorySpec = InventorySpec()
    password: dict[str, Any] | None = None
    rules: list[dict[str, Any]] = Field(min_length=1)
