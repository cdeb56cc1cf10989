"""Conditions (``where`` and ``expect``) compiled from pack YAML, with three-valued logic.

A leaf answers True, False or None (unknown: the source did not give the value).
``all`` / ``any`` / ``not`` follow Kleene logic, so an unknown only matters when it
could change the answer: ``any`` of a pass and an unknown passes, ``all`` of a
fail and an unknown fails, everything else unknown stays unknown and becomes an
``error`` finding. Nothing unknown ever becomes a pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from enforcer.rules.fields import ROSTER_KEYS
from enforcer.rules.operators import (
    OPERATORS,
    Ctx,
    Operator,
    age_days,
    age_text,
    age_unknown,
    minimum_for,
    version_unknown,
)

Getter = Callable[[Any, str], Any]
"""Resolves a derived key (``roster.*``, the effective ``year_group``) for a record."""
DERIVED_KEYS = frozenset(ROSTER_KEYS) | {"year_group"}
"""Keys the engine works out; every other key is the record's own attribute, read directly."""


@dataclass(slots=True)
class Trace:
    """What evaluation saw, for the finding's evidence and message."""

    evidence: dict[str, Any] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


class Condition:
    """A node of a compiled condition; ``evaluate`` is the plain path and the definition.

    The engine's hot path asks trace-free twins of ``evaluate`` compiled from the same tree
    (``enforcer.fast.conditions``); they must give the same answers, and a test holds them to it.
    """

    def evaluate(self, record: Any, get: Getter, ctx: Ctx, trace: Trace) -> bool | None:
        raise NotImplementedError

    def keys(self) -> set[str]:
        raise NotImplementedError


PLAIN = frozenset({str, int, bool, float, type(None)})
"""Types that are already JSON-safe: evidence values of these types are stored as they are."""


def json_safe(value: Any) -> Any:
    if type(value) in PLAIN:  # the common case, checked first: this runs for every evidence value
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value._value_  # the same as .value, without the enum property's descriptor call
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(slots=True)
class Leaf(Condition):
    key: str
    op: str
    arg: Any
    shown: Any
    """The expected value as written in the pack, for messages."""
    operator: Operator = field(init=False, repr=False, compare=False)
    is_version: bool = field(init=False, repr=False, compare=False)
    """A version comparison, which is unknown when either version cannot be read."""
    is_age: bool = field(init=False, repr=False, compare=False)
    """An age test, which is unknown for a time in the future and records the age as evidence."""
    derived: bool = field(init=False, repr=False, compare=False)
    """The key is worked out by the engine (``roster.*``, ``year_group``), not read off the record."""
    _age_key: str = field(init=False, repr=False, compare=False)
    _shown_text: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Resolved once here rather than per record: the table lookup and the string tests on
        # the operator's name were a measurable share of evaluating a million records.
        self.operator = OPERATORS[self.op]
        self.is_version = self.op == "version_at_least"
        self.is_age = self.op.startswith("age_at")
        self.derived = self.key in DERIVED_KEYS
        self._age_key = f"{self.key}_age_days"
        self._shown_text = _show(self.shown)

    def evaluate(self, record: Any, get: Getter, ctx: Ctx, trace: Trace) -> bool | None:
        actual = get(record, self.key) if self.derived else getattr(record, self.key, None)
        operator = self.operator
        if actual is None:
            trace.evidence[self.key] = None
            why = getattr(record, "notes", {}).get(self.key)
            trace.unknown.append(f"{self.key} is unknown" + (f" ({why})" if why else ""))
            return None
        if self.is_version:
            why = version_unknown(actual, self.arg, record)
            if why:
                trace.evidence[self.key] = actual
                trace.unknown.append(why)
                return None
        if self.is_age:
            why = age_unknown(actual, ctx.now)
            if why:
                trace.evidence[self.key] = json_safe(actual)
                trace.unknown.append(f"{self.key}: {why}")
                return None
        ok = operator.test(actual, self.arg, ctx)
        shown_actual: Any = actual
        if self.is_age:
            days = age_days(actual, ctx.now)
            trace.evidence[self._age_key] = int(days)
            shown_actual = age_text(days, self.arg)
        trace.evidence[self.key] = actual if type(actual) in PLAIN else json_safe(actual)
        if not ok:
            expected = _show(minimum_for(self.arg, record)) if self.is_version else self._shown_text
            trace.failed.append(
                operator.describe.format(key=self.key, actual=_show(shown_actual), expected=expected)
            )
        return bool(ok)

    def keys(self) -> set[str]:
        return {self.key}


def _show(value: Any) -> str:
    value = json_safe(value)
    if isinstance(value, list):
        return "[" + ", ".join(str(json_safe(v)) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)


@dataclass(slots=True)
class All(Condition):
    parts: list[Condition]

    def evaluate(self, record: Any, get: Getter, ctx: Ctx, trace: Trace) -> bool | None:
        result: bool | None = True
        for part in self.parts:
            r = part.evaluate(record, get, ctx, trace)
            if r is False:
                return False
            if r is None:
                result = None
        return result

    def keys(self) -> set[str]:
        return set().union(*(p.keys() for p in self.parts))


@dataclass(slots=True)
class Any_(Condition):
    parts: list[Condition]

    def evaluate(self, record: Any, get: Getter, ctx: Ctx, trace: Trace) -> bool | None:
        result: bool | None = False
        for part in self.parts:
            sub = Trace()
            r = part.evaluate(record, get, ctx, sub)
            trace.evidence.update(sub.evidence)
            if r is True:
                return True
            if r is None:
                result = None
                trace.unknown.extend(sub.unknown)
            else:
                trace.failed.extend(sub.failed)
        return result

    def keys(self) -> set[str]:
        return set().union(*(p.keys() for p in self.parts))


@dataclass(slots=True)
class Not(Condition):
    part: Condition

    def evaluate(self, record: Any, get: Getter, ctx: Ctx, trace: Trace) -> bool | None:
        sub = Trace()
        r = self.part.evaluate(record, get, ctx, sub)
        trace.evidence.update(sub.evidence)
        trace.unknown.extend(sub.unknown)
        if r is True:
            trace.failed.append("the condition under 'not' holds")
            return False
        return None if r is None else True

    def keys(self) -> set[str]:
        return self.part.keys()
