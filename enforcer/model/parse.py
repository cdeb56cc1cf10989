"""The one integer parser and the one date parser for text that comes from outside.

Python's own parsers are too generous for input a person (or an attacker) typed: ``int()``
accepts any Unicode decimal digit (``'٣'``) while ``'²'.isdigit()`` is true and ``int('²')``
fails, and refuses more than 4,300 digits with a ``ValueError`` nobody expects; ``date()``
refuses 2027-06-31 with another. Each of those reached the CLI as an internal error (exit 4).
Here a number is 1 to :data:`MAX_DIGITS` ASCII digits and a date is ``YYYY-MM-DD`` that exists;
anything else is a :class:`BadValue` whose message says why, for a person. In ``enforcer.model``
so that connectors (which may import only the model and the interfaces) can use them too.
"""

from __future__ import annotations

import re
from datetime import date

MAX_DIGITS = 18
"""Every id, count, port and number of days fits; still a 64-bit integer (SQLite, PostgreSQL)."""
MAX_INT = 10**MAX_DIGITS - 1

_DIGITS = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


class BadValue(ValueError):
    """Text that is not the number or date it should be. A ``ValueError``, so argparse's
    ``type=`` and pydantic validators report it as a usage or validation error."""


def shown(text: str, limit: int = 24) -> str:
    """``text`` for a message: quoted, and cut short when it is long (a 5,000-digit number
    is not worth repeating in full, and a hostile one should not fill the terminal)."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} characters)"


def ascii_int(text: str) -> int | None:
    """The whole number ``text`` spells in ASCII digits (1 to 18 of them, nothing else), or None.

    For arguments that are either a number or a name (``undo ACTION|RUN``): None means
    "not a number", never an exception."""
    return int(text) if _DIGITS.fullmatch(text) else None


def parse_int(text: str, what: str, *, low: int = 0, high: int = MAX_INT) -> int:
    """A whole number from ``low`` to ``high``, or :class:`BadValue` naming ``what`` (if given)."""
    value = ascii_int(text)
    if value is None:
        raise BadValue(f"{_named(what)}{shown(text)} is not a whole number from {low} to {high}")
    if not low <= value <= high:
        raise BadValue(f"{_named(what)}{value} is out of range ({low} to {high})")
    return value


def parse_date(text: str, what: str) -> date:
    """``YYYY-MM-DD`` that exists on the calendar, or :class:`BadValue` naming ``what`` (if given)."""
    m = _DATE.fullmatch(text)
    if m is None:
        raise BadValue(f"{_named(what)}{shown(text)} is not a date (YYYY-MM-DD)")
    year, month, day = (int(g) for g in m.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise BadValue(f"{_named(what)}{text} is not a date on the calendar") from None


def _named(what: str) -> str:
    return f"{what}: " if what else ""
