"""Turns a pack's YAML conditions into ``Condition`` trees, checking keys, operators and values.

Every problem is collected with its file and line rather than raised, so ``policy validate``
reports all of a pack's mistakes at once; the compiled tree only ever holds operators that
apply to the key's type, with arguments already parsed (enums, regular expressions, sets).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from enforcer.model.errors import InputError
from enforcer.model.values import SubjectKind
from enforcer.rules.conditions import All, Any_, Condition, Leaf, Not
from enforcer.rules.fields import KEYS
from enforcer.rules.operators import BOOL, ENUM, INT, LIST, OPERATORS, STR
from enforcer.saferegex import PatternError, compile_pattern
from enforcer.yamlfile import Located

Loc = tuple[str | int, ...]
"""Where in the pack document a value sits, e.g. ``("rules", 3, "expect", "value")``."""


class Compiler:
    """Turns a YAML condition into a Condition, collecting every problem with its line."""

    def __init__(self, doc: Located, problems: list[InputError]) -> None:
        self.doc = doc
        self.problems = problems

    def _err(self, loc: Loc, message: str) -> None:
        self.problems.append(self.doc.error(loc, message))

    def compile(self, raw: Any, kind: SubjectKind, loc: Loc) -> Condition | None:
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
            compiled = [self.compile(item, kind, (*loc, word, i)) for i, item in enumerate(items)]
            parts = [p for p in compiled if p is not None]
            if len(parts) != len(compiled):
                return None
            return All(parts) if word == "all" else Any_(parts)
        return self._leaf(raw, kind, loc)

    def _leaf(self, raw: Mapping[str, Any], kind: SubjectKind, loc: Loc) -> Condition | None:
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
        loc: Loc,
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
            if not isinstance(value, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
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

    def _scalar(self, value: Any, key: str, family: str, enum_type: type[StrEnum] | None, loc: Loc) -> Any:
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
