"""A pack's ``password:`` section: what a new password must be.

The pack loader validates the YAML mapping with :class:`PasswordPolicyModel` and
hands the rest of the code a frozen :class:`PasswordPolicy`, so the checker never
sees an unvalidated value. Defaults are the safe ones (deny list on, zxcvbn
score 3): a pack that says nothing about passwords gets a strict policy, never an
open one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CharClass = Literal["lower", "upper", "letter", "digit", "symbol"]
CHAR_CLASSES: tuple[str, ...] = ("lower", "upper", "letter", "digit", "symbol")
COUNTED_CLASSES: tuple[str, ...] = ("lower", "upper", "digit", "symbol")
"""The four kinds ``min_classes`` counts ("letter" overlaps lower and upper)."""

HARD_MAX_LENGTH = 1024
"""No pack may allow more: it bounds the work done on one candidate."""


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """What a password must satisfy when it is set."""

    min_length: int = 8
    max_length: int = 64
    """Enforced here: zxcvbn-rs looks only at the first 100 characters."""
    required_classes: frozenset[str] = frozenset()
    """Each of these kinds of character must appear (subset of ``CHAR_CLASSES``)."""
    min_classes: int | None = None
    """At least this many of lower, upper, digit, symbol; ``None`` = no such rule."""
    deny_common: bool = True
    """Refuse the NCSC top-100k list and its obvious variants."""
    school_words: tuple[str, ...] = ()
    """School name, town, team names: refused inside a password."""
    min_score: int = 3
    """Lowest zxcvbn score (0-4) accepted; 0 switches the strength estimate off."""

    def describe(self) -> str:
        """One line for people: what the rules are, in plain words."""
        parts = [f"{self.min_length} to {self.max_length} characters"]
        if self.required_classes:
            parts.append("must include " + ", ".join(_CLASS_WORDS[c] for c in sorted(self.required_classes)))
        if self.min_classes:
            parts.append(f"at least {self.min_classes} kinds of character")
        if self.deny_common:
            parts.append("not a common password")
        if self.school_words:
            parts.append("no school words")
        if self.min_score:
            parts.append(f"strength score at least {self.min_score} of 4")
        return "; ".join(parts)


_CLASS_WORDS = {
    "lower": "a small letter",
    "upper": "a capital letter",
    "letter": "a letter",
    "digit": "a number",
    "symbol": "a symbol",
}


class PasswordPolicyModel(BaseModel):
    """The ``password:`` mapping of a policy pack, as written in YAML."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_length: int = Field(default=8, ge=1, le=HARD_MAX_LENGTH)
    max_length: int = Field(default=64, ge=1, le=HARD_MAX_LENGTH)
    required_classes: list[CharClass] = Field(default_factory=list)
    min_classes: int | None = Field(default=None, ge=1, le=len(COUNTED_CLASSES))
    deny_common: bool = True
    school_words: list[str] = Field(default_factory=list)
    min_score: int = Field(default=3, ge=0, le=4)

    @field_validator("school_words")
    @classmethod
    def _words_not_blank(cls, words: list[str]) -> list[str]:
        cleaned = [w.strip() for w in words]
        if any(not w for w in cleaned):
            raise ValueError("school words may not be blank")
        return cleaned

    @model_validator(mode="after")
    def _lengths_consistent(self) -> PasswordPolicyModel:
        if self.min_length > self.max_length:
            raise ValueError(f"min_length ({self.min_length}) is more than max_length ({self.max_length})")
        return self

    def to_policy(self) -> PasswordPolicy:
        return PasswordPolicy(
            min_length=self.min_length,
            max_length=self.max_length,
            required_classes=frozenset(self.required_classes),
            min_classes=self.min_classes,
            deny_common=self.deny_common,
            school_words=tuple(self.school_words),
            min_score=self.min_score,
        )
