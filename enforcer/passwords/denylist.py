"""The NCSC list of the 100,000 most common breached passwords, and its variants.

Attackers do not stop at the list: they try each entry with capitals, with
letters swapped for look-alike digits ("p@ssw0rd") and with digits or symbols
added at either end ("Summer2025!"). So a candidate is looked up as typed and in
those normalised forms; every form is compared case-insensitively.

The list ships gzipped as package data (enforcer/data/) and is loaded once per
process, on first use.
"""

from __future__ import annotations

import gzip
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources

DATA_FILE = "ncsc-pwned-top100k.txt.gz"
MIN_STEM = 3
"""A stem shorter than this ("ab" of "ab!83kq") says nothing about the candidate."""
MAX_LOOKUP = 256
"""No list entry we act on is longer; longer candidates are looked up as typed only."""

# Look-alike characters, one table per reading of the ambiguous "1" (i or l).
_LEET_BASE = {
    "@": "a",
    "4": "a",
    "8": "b",
    "(": "c",
    "3": "e",
    "6": "g",
    "9": "g",
    "#": "h",
    "0": "o",
    "$": "s",
    "5": "s",
    "7": "t",
    "+": "t",
    "2": "z",
}
_LEET_TABLES = (
    str.maketrans({**_LEET_BASE, "1": "i", "!": "i", "|": "l"}),
    str.maketrans({**_LEET_BASE, "1": "l", "!": "i", "|": "l"}),
)


def normalise(text: str) -> str:
    """The comparison key: compatibility-normalised and case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def stem(text: str) -> str:
    """Strip digits, symbols and spaces from both ends: "summer2025!" -> "summer"."""
    start, end = 0, len(text)
    while start < end and not text[start].isalpha():
        start += 1
    while end > start and not text[end - 1].isalpha():
        end -= 1
    return text[start:end]


def unleet(text: str) -> tuple[str, ...]:
    """Each reading of look-alike digits and symbols as letters."""
    return tuple(dict.fromkeys(text.translate(t) for t in _LEET_TABLES))


class Match(StrEnum):
    EXACT = "exact"
    """The candidate (ignoring case) is on the list."""
    VARIANT = "variant"
    """A list entry with look-alike swaps or characters added at the ends."""


@dataclass(frozen=True, slots=True)
class DenyHit:
    kind: Match
    rank: int
    """1-based position of the entry on the list (1 = most common)."""


class DenyList:
    """A set of normalised entries with their rank; lookups are O(length of candidate)."""

    def __init__(self, entries: list[str]) -> None:
        ranks: dict[str, int] = {}
        for i, entry in enumerate(entries, start=1):
            ranks.setdefault(normalise(entry), i)
        self._ranks = ranks

    def __len__(self) -> int:
        return len(self._ranks)

    def __contains__(self, candidate: object) -> bool:
        return isinstance(candidate, str) and self.lookup(candidate) is not None

    def lookup(self, candidate: str) -> DenyHit | None:
        """The best match of ``candidate`` or a variant of it, or ``None``."""
        key = normalise(candidate)
        rank = self._ranks.get(key)
        if rank is not None:
            return DenyHit(Match.EXACT, rank)
        if len(key) > MAX_LOOKUP:
            return None
        best: int | None = None
        for variant in self.variants(key):
            r = self._ranks.get(variant)
            if r is not None and (best is None or r < best):
                best = r
        return DenyHit(Match.VARIANT, best) if best is not None else None

    @staticmethod
    def variants(key: str) -> set[str]:
        """The normalised forms an attacker would derive ``key`` from (excluding ``key``)."""
        forms: set[str] = set()
        stripped = stem(key)
        if len(stripped) >= MIN_STEM:
            forms.add(stripped)
        for base in (key, stripped):
            for decoded in unleet(base):
                forms.add(decoded)
                s = stem(decoded)
                if len(s) >= MIN_STEM:
                    forms.add(s)
        forms.discard(key)
        forms.discard("")
        return forms


def read_entries() -> list[str]:
    """The packaged list, most common first."""
    ref = resources.files("enforcer").joinpath("data", DATA_FILE)
    with ref.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8", newline="\n") as text:
        return [line for line in text.read().split("\n") if line]


@lru_cache(maxsize=1)
def ncsc_top100k() -> DenyList:
    return DenyList(read_entries())
