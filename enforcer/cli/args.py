"""Command-line numbers: the parsers of :mod:`enforcer.model.parse` as argparse ``type=``s.

``type=int`` takes any number of digits, and a number too large for what it feeds (SQLite, a
``timedelta``, ``bind()``) came back as an internal error (exit 4) well after the arguments were
accepted. A bounded type refuses it as a usage error (exit 2) while the arguments are parsed.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from enforcer.model.parse import BadValue, parse_int, shown


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """``type=whole_number(1, 10_000)``: ASCII digits, from ``low`` to ``high`` (``low`` >= 0)."""

    def parse(text: str) -> int:
        try:
            return parse_int(text, "", low=low, high=high)
        except BadValue as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def real_number(low: float, high: float) -> Callable[[str], float]:
    """``type=real_number(1, 86400)``: a finite number in range (``float()`` also takes ``nan``,
    which passes every ``<`` check, and ``inf``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"{shown(text)} is not a number from {low:g} to {high:g}")
        return value

    return parse


PORT = whole_number(0, 65535)
"""A TCP port; 0 lets the system choose a free one."""
