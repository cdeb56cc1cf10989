"""The one table of generic operators every data rule is built from.

Each operator declares which field types it accepts and what argument it takes,
so ``policy validate`` can reject ``role eq staf`` or ``age_at_most`` on a
boolean before anything connects. Operators only ever see known values: the
engine answers "unknown" for ``None`` before an operator is called.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from enforcer.model.parse import ascii_int
from enforcer.saferegex import Pattern

# Field type families, derived from the model annotations (see rules.fields).
BOOL, INT, STR, TIME, DATE, ENUM, LIST = "bool", "int", "str", "datetime", "date", "enum", "list"


@dataclass(frozen=True, slots=True)
class Ctx:
    """What an operator may need besides the value: the record and the as-of time."""

    now: datetime
    record: Any


@dataclass(frozen=True, slots=True)
class Operator:
    name: str
    types: frozenset[str]
    arg: str
    """'value' (scalar of the field's type), 'values' (list), 'number', 'days', 'regex', 'versions'."""
    test: Callable[[Any, Any, Ctx], bool]
    describe: str
    """How a failure reads: ``{key}``, ``{actual}``, ``{expected}`` are filled in."""


def _eq(actual: Any, expected: Any, _: Ctx) -> bool:
    return bool(actual == expected)


def _in(actual: Any, expected: Any, _: Ctx) -> bool:
    return actual in expected


def age_days(actual: datetime | date, now: datetime) -> float:
    """The one age, in days, that both the verdict and the message use."""
    if isinstance(actual, datetime):
        return (now - actual).total_seconds() / 86400
    return float((now.date() - actual).days)


_age_days = age_days


def age_text(days: float, threshold: Any) -> str:
    """The age as the message shows it: whole days when whole, else as many decimals as it takes
    to differ from the rule's threshold, so "90.2 days old, expected at most 90" never reads as
    "90 days old, expected at most 90" on a run at 02:00."""
    if days == int(days):
        return str(int(days))
    for places in range(1, 7):
        text = f"{days:.{places}f}"
        if not isinstance(threshold, int | float) or float(text) != float(threshold):
            return text
    return f"{days:.6f}"


FUTURE_SLACK_DAYS = 1.0
"""How far in the future a "last changed" time may be before it is not believed (clock skew)."""


def age_unknown(actual: datetime | date, now: datetime) -> str | None:
    """Why an age cannot be judged: a time after the as-of date (beyond clock skew) is a
    corrupt or hostile value, and an age test on it would otherwise pass for ever."""
    if _age_days(actual, now) < -FUTURE_SLACK_DAYS:
        return f"{actual.isoformat()} is in the future, so its age is unknown"
    return None


def _contains(actual: tuple[str, ...], expected: str, _: Ctx) -> bool:
    want = expected.casefold()
    return any(item.casefold() == want for item in actual)


def _matches(actual: Any, pattern: Pattern, _: Ctx) -> bool:
    """On the project's one engine (enforcer.saferegex), which cannot hang on a value."""
    return pattern.search(str(actual))


@functools.lru_cache(maxsize=4096)
def parse_version(text: str) -> tuple[int, ...] | None:
    """'10.0.22631.4317' -> (10, 0, 22631, 4317); junk -> None (unknown, not old or new).

    Cached: an estate has a handful of OS builds across thousands of devices, and each
    comparison parses both versions more than once.
    """
    parts = re.findall(r"[0-9]+", text)  # ASCII digits; a part past 18 digits is no version (None)
    numbers = [n for n in map(ascii_int, parts) if n is not None]
    return tuple(numbers) if parts and len(numbers) == len(parts) else None


def minimum_for(minimums: Mapping[str, str], record: Any) -> str | None:
    """The pack's minimum version for this record's platform (``*`` as a fallback)."""
    platform = getattr(record, "platform", None)
    key = platform.value if isinstance(platform, StrEnum) else None
    return minimums[key] if key is not None and key in minimums else minimums.get("*")


def _version_at_least(actual: str, minimums: Mapping[str, str], ctx: Ctx) -> bool:
    """Called only once ``version_unknown`` found both versions usable."""
    minimum = minimum_for(minimums, ctx.record)
    have, need = parse_version(actual), parse_version(minimum or "")
    if have is None or need is None:
        raise ValueError("version_at_least called without usable versions")
    width = max(len(have), len(need))
    return have + (0,) * (width - len(have)) >= need + (0,) * (width - len(need))


def version_unknown(actual: str, minimums: Mapping[str, str], record: Any) -> str | None:
    """Why a version comparison cannot be made (an unparsable version, a platform with no minimum)."""
    if parse_version(actual) is None:
        return f"version {actual!r} is not a version number"
    minimum = minimum_for(minimums, record)
    if minimum is None or parse_version(minimum) is None:
        platform = getattr(record, "platform", None)
        return f"no minimum version is set for platform {platform.value if platform else 'unknown'}"
    return None


_NUM = frozenset({INT})
_ORD = frozenset({INT, STR})

OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator(
            "eq", frozenset({BOOL, INT, STR, ENUM}), "value", _eq, "{key} is {actual}, expected {expected}"
        ),
        Operator(
            "ne",
            frozenset({BOOL, INT, STR, ENUM}),
            "value",
            lambda a, e, c: a != e,
            "{key} is {actual}, which is not allowed",
        ),
        Operator(
            "in", frozenset({INT, STR, ENUM}), "values", _in, "{key} is {actual}, expected one of {expected}"
        ),
        Operator(
            "not_in",
            frozenset({INT, STR, ENUM}),
            "values",
            lambda a, e, c: a not in e,
            "{key} is {actual}, which is not allowed",
        ),
        Operator(
            "lt", _NUM, "number", lambda a, e, c: a < e, "{key} is {actual}, expected less than {expected}"
        ),
        Operator(
            "le", _NUM, "number", lambda a, e, c: a <= e, "{key} is {actual}, expected at most {expected}"
        ),
        Operator(
            "gt", _NUM, "number", lambda a, e, c: a > e, "{key} is {actual}, expected more than {expected}"
        ),
        Operator(
            "ge", _NUM, "number", lambda a, e, c: a >= e, "{key} is {actual}, expected at least {expected}"
        ),
        Operator(
            "age_at_most",
            frozenset({TIME, DATE}),
            "days",
            lambda a, e, c: _age_days(a, c.now) <= e,
            "{key} is {actual} days old, expected at most {expected} days",
        ),
        Operator(
            "age_at_least",
            frozenset({TIME, DATE}),
            "days",
            lambda a, e, c: _age_days(a, c.now) >= e,
            "{key} is {actual} days old, expected at least {expected} days",
        ),
        Operator(
            "in_future",
            frozenset({TIME, DATE}),
            "none",
            lambda a, e, c: _age_days(a, c.now) < 0,
            "{key} is {actual}, which has passed",
        ),
        Operator(
            "matches",
            frozenset({STR, ENUM}),
            "regex",
            _matches,
            "{key} is {actual}, expected to match {expected}",
        ),
        Operator(
            "not_matches",
            frozenset({STR, ENUM}),
            "regex",
            lambda a, e, c: not _matches(a, e, c),
            "{key} is {actual}, which matches {expected}",
        ),
        Operator("contains", frozenset({LIST}), "value", _contains, "{key} does not contain {expected}"),
        Operator(
            "not_contains",
            frozenset({LIST}),
            "value",
            lambda a, e, c: not _contains(a, e, c),
            "{key} contains {expected}",
        ),
        Operator(
            "version_at_least",
            frozenset({STR}),
            "versions",
            _version_at_least,
            "{key} is {actual}, older than the minimum {expected}",
        ),
    )
}
