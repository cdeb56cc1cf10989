"""Conditions (``where`` and ``expect``) compiled from pack YAML, with three-valued logic.

A leaf answers True, False or None (unknown: the source did not give the value).
``all`` / ``any`` / ``not`` follow Kleene logic, so an unknown only matters when it
could change the answer: ``any`` of a pass and an unknown passes, ``all`` of a
fail and an unknown fails, everything else unknown stays unknown and becomes an
``error`` finding. Nothing unknown ever becomes a pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from enforcer.model.values import SubjectKind
from enforcer.rules.fields import KEYS, ROSTER_KEYS
from enforcer.rules.operators import (
    BOOL,
    ENUM,
    INT,
    LIST,
    OPERATORS,
    STR,
    Ctx,
    Operator,
    age_unknown,
    minimum_for,
    version_unknown,
)
from enforcer.saferegex import PatternError, compile_pattern
from enforcer.yamlfile import Located

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
    def evaluate(self, record: Any, get: Getter, ctx: Ctx, trace: Trace) -> bool | None:
        raise NotImplementedError

    def test(self, record: Any, get: Getter, ctx: Ctx) -> bool | None:
        """The same answer as ``evaluate`` without recording evidence or messages.

        Why: most ``where`` selectors answer False (a staff rule meets a pupil) and their
        trace is thrown away, so the engine asks this first and builds a trace only when it
        will be shown; at a million records that is most of the evaluation time.
        """
        raise NotImplementedError

    def passes(self, record: Any, get: Getter, ctx: Ctx) -> dict[str, Any] | None:
        """``evaluate``'s evidence if it would answer True; None otherwise or if not cheaply known
        (then ask ``evaluate``). Why: most expectations pass; a Trace each was a cost at 1M."""
        return None

    def keys(self) -> set[str]:
        raise NotImplementedError


_PLAIN = frozenset({str, int, bool, float, type(None)})


def _json_safe(value: Any) -> Any:
    if type(value) in _PLAIN:  # the common case, checked first: this runs for every evidence value
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
    _operator: Operator = field(init=False, repr=False, compare=False)
    _version: bool = field(init=False, repr=False, compare=False)
    _age: bool = field(init=False, repr=False, compare=False)
    _age_key: str = field(init=False, repr=False, compare=False)
    _shown_text: str = field(init=False, repr=False, compare=False)
    _derived: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Resolved once here rather than per record: the table lookup and the string tests on
        # the operator's name were a measurable share of evaluating a million records.
        self._operator = OPERATORS[self.op]
        self._version = self.op == "version_at_least"
        self._age = self.op.startswith("age_at")
        self._age_key = f"{self.key}_age_days"
        self._shown_text = _show(self.shown)
        self._derived = self.key in DERIVED_KEYS

    def test(self, record: Any, get: Getter, ctx: Ctx) -> bool | None:
        actual = get(record, self.key) if self._derived else getattr(record, self.key, None)
        if actual is None:
            return None
        if self._version and version_unknown(actual, self.arg, record):
            return None
        if self._age and age_unknown(actual, ctx.now):
            return None
        return bool(self._operator.test(actual, self.arg, ctx))

    def passes(self, record: Any, get: Getter, ctx: Ctx) -> dict[str, Any] | None:
        if self._age:  # its evidence also holds the age in days: left to evaluate()
            return None
        actual = get(record, self.key) if self._derived else getattr(record, self.key, None)
        if actual is None or (self._version and version_unknown(actual, self.arg, record)):
            return None
        if not self._operator.test(actual, self.arg, ctx):
            return None
        return {self.key: actual if type(actual) in _PLAIN else _json_safe(actual)}

    def evaluate(self, record: Any, get: Getter, ctx: Ctx, trace: Trace) -> bool | None:
        actual = get(record, self.key) if self._derived else getattr(record, self.key, None)
        operator = self._operator
        if actual is None:
            trace.evidence[self.key] = None
            why = getattr(record, "notes", {}).get(self.key)
            trace.unknown.append(f"{self.key} is unknown" + (f" ({why})" if why else ""))
            return None
        if self._version:
            why = version_unknown(actual, self.arg, record)
            if why:
                trace.evidence[self.key] = actual
                trace.unknown.append(why)
                return None
        if self._age:
            why = age_unknown(actual, ctx.now)
            if why:
                trace.evidence[self.key] = _json_safe(actual)
                trace.unknown.append(f"{self.key}: {why}")
                return None
        ok = operator.test(actual, self.arg, ctx)
        shown_actual: Any = actual
        if self._age:
            days = (
                (ctx.now - actual).total_seconds() / 86400
                if isinstance(actual, datetime)
                else (ctx.now.date() - actual).days
            )
            shown_actual = int(days)
            trace.evidence[self._age_key] = shown_actual
        trace.evidence[self.key] = actual if type(actual) in _PLAIN else _json_safe(actual)
        if not ok:
            expected = _show(minimum_for(self.arg, record)) if self._version else self._shown_text
            trace.failed.append(
                operator.describe.format(key=self.key, actual=_show(shown_actual), expected=expected)
            )
        return bool(ok)

    def keys(self) -> set[str]:
        return {self.key}


def _show(value: Any) -> str:
    value = _json_safe(value)
    if isinstance(value, list):
        return "[" + ", ".join(str(_json_safe(v)) for v in value) + "]"
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

    def test(self, record: Any, get: Getter, ctx: Ctx) -> bool | None:
        result: bool | None = True
        for part in self.parts:
            r = part.test(record, get, ctx)
            if r is False:
                return False
            if r is None:
                result = None
        return result

    def passes(self, record: Any, get: Getter, ctx: Ctx) -> dict[str, Any] | None:
        evidence: dict[str, Any] = {}
        for part in self.parts:
            found = part.passes(record, get, ctx)
            if found is None:
                return None
            evidence.update(found)
        return evidence

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

    def test(self, record: Any, get: Getter, ctx: Ctx) -> bool | None:
        result: bool | None = False
        for part in self.parts:
            r = part.test(record, get, ctx)
            if r is True:
                return True
            if r is None:
                result = None
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

    def test(self, record: Any, get: Getter, ctx: Ctx) -> bool | None:
        r = self.part.test(record, get, ctx)
        return None if r is None else not r

    def keys(self) -> set[str]:
        return self.part.keys()


class Compiler:
    """Turns a YAML condition into a Condition, collecting every problem with its line."""

    def __init__(self, doc: Located, problems: list) -> None:  # list[InputError]
        self.doc = doc
        self.problems = problems

    def _err(self, loc: tuple, message: str) -> None:
        self.problems.append(self.doc.error(loc, message))

    def compile(self, raw: Any, kind: SubjectKind, loc: tuple) -> Condition | None:
        if not isinstance(raw, Mapping):
            self._err(loc, "a condition is a mapping: {key, op, value} or {all|any: [...]} or {not: ...}")
            return None
        logical = [k for k in ("all", "any", "not") if k in raw]
        if logical:
            word = logical[0]
            if len(raw) != 1:
                self._err(loc, f"'{word}' must be the only key of its condition")
                return None
            if word == "not":
                inner = self.compile(raw["not"], kind, (*loc, "not"))
                return Not(inner) if inner else None
            items = raw[word]
            if not isinstance(items, list) or not items:
                self._err((*loc, word), f"'{word}' takes a non-empty list of conditions")
                return None
            parts = [self.compile(item, kind, (*loc, word, i)) for i, item in enumerate(items)]
            if any(p is None for p in parts):
                return None
            return All(parts) if word == "all" else Any_(parts)  # type: ignore[arg-type]
        return self._leaf(raw, kind, loc)

    def _leaf(self, raw: Mapping[str, Any], kind: SubjectKind, loc: tuple) -> Condition | None:
        allowed = {"key", "op", "value", "days"}
        extra = set(raw) - allowed
        if extra:
            self._err(
                (*loc, sorted(extra)[0]),
                f"unknown key {sorted(extra)[0]!r} in condition "
                f"(expected key, op, value or days; or all/any/not)",
            )
            return None
        key, op_name = raw.get("key"), raw.get("op")
        if not isinstance(key, str):
            self._err(loc, "condition needs 'key'")
            return None
        if not isinstance(op_name, str):
            self._err(loc, "condition needs 'op'")
            return None
        fields = KEYS[kind]
        if key not in fields:
            self._err(
                (*loc, "key"), f"unknown key {key!r} for {kind.value} (known: {', '.join(sorted(fields))})"
            )
            return None
        op = OPERATORS.get(op_name)
        if op is None:
            self._err((*loc, "op"), f"unknown operator {op_name!r} (known: {', '.join(OPERATORS)})")
            return None
        family, enum_type = fields[key]
        if family not in op.types:
            self._err((*loc, "op"), f"operator {op_name!r} does not apply to {key!r} ({family})")
            return None
        return self._arg(raw, key, op.arg, op_name, family, enum_type, loc)

    def _arg(
        self,
        raw: Mapping[str, Any],
        key: str,
        arg: str,
        op: str,
        family: str,
        enum_type: type[StrEnum] | None,
        loc: tuple,
    ) -> Condition | None:
        if arg == "none":
            return Leaf(key, op, None, "")
        if arg == "days":
            days = raw.get("days")
            if not isinstance(days, int) or isinstance(days, bool) or days < 0:
                self._err((*loc, "days"), f"{op} needs 'days': a whole number of days >= 0")
                return None
            return Leaf(key, op, days, days)
        if "value" not in raw:
            self._err(loc, f"{op} needs 'value'")
            return None
        value = raw["value"]
        vloc = (*loc, "value")
        if arg == "regex":
            if not isinstance(value, str):
                self._err(vloc, "value must be a regular expression (a string)")
                return None
            try:  # one engine for every supplied pattern (enforcer.saferegex): it never hangs
                return Leaf(key, op, compile_pattern(value), value)
            except PatternError as exc:
                self._err(vloc, f"invalid regular expression: {exc.message}")
                return None
        if arg == "versions":
            if isinstance(value, str):
                value = {"*": value}
            if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
                self._err(vloc, "value is a version string or a mapping of platform to version string")
                return None
            return Leaf(key, op, dict(value), dict(value))
        if arg == "number":
            if not isinstance(value, int) or isinstance(value, bool):
                self._err(vloc, f"{op} needs a whole number")
                return None
            return Leaf(key, op, value, value)
        if arg == "values":
            if not isinstance(value, list) or not value:
                self._err(vloc, f"{op} needs a non-empty list")
                return None
            items = [self._scalar(v, key, family, enum_type, (*vloc, i)) for i, v in enumerate(value)]
            if any(i is _BAD for i in items):
                return None
            return Leaf(key, op, frozenset(items), value)
        item = self._scalar(value, key, LIST_ITEM.get(family, family), enum_type, vloc)
        return None if item is _BAD else Leaf(key, op, item, value)

    def _scalar(self, value: Any, key: str, family: str, enum_type: type[StrEnum] | None, loc: tuple) -> Any:
        if family == ENUM and enum_type is not None:
            try:
                return enum_type(value)
            except ValueError:
                known = ", ".join(e.value for e in enum_type)
                self._err(loc, f"{value!r} is not a valid {key} (known: {known})")
                return _BAD
        expected = {BOOL: bool, INT: int, STR: str}.get(family)
        if expected is not None and (type(value) is not expected):
            self._err(loc, f"{key} takes a {family} value, not {value!r}")
            return _BAD
        return value


_BAD = object()
LIST_ITEM = {LIST: STR}
