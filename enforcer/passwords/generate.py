"""Age-appropriate pupil passwords that pass the pack's own rules.

A five-year-old can type two short words they can read; a ten-year-old can
manage a longer passphrase. Every word comes from a hand-picked list of common,
child-friendly words (enforcer/data/words-children.txt), every choice from
:mod:`secrets`, and every password is checked with the same code as
``enforcer password check`` before it is handed out: a candidate the pack refuses
is drawn again, so nothing that fails the pack is ever issued.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from enforcer.model.errors import UsageError
from enforcer.passwords.check import UserDetails, check_password
from enforcer.passwords.policy import PasswordPolicy

WORDS_FILE = "words-children.txt"
MAX_ATTEMPTS = 500
SEPARATOR = "-"
MIN_YEAR, MAX_YEAR = -2, 13
"""Nursery (N1 -2, N2 -1), Reception (0), Years 1-13."""


@dataclass(frozen=True, slots=True)
class Shape:
    """How a password for one age looks."""

    words: int
    max_word_length: int
    digits: int

    def entropy_bits(self, vocabulary: int) -> float:
        """Bits of randomness before the pack's check (which only removes candidates)."""
        return self.words * math.log2(vocabulary) + self.digits * math.log2(10)


def shape_for_year(year: int) -> Shape:
    """Years 1-2 (and younger): two short words and two digits; older pupils get more words."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise UsageError(f"year must be between {MIN_YEAR} (Nursery) and {MAX_YEAR}, not {year}")
    if year <= 2:
        return Shape(words=2, max_word_length=5, digits=2)
    if year <= 4:
        return Shape(words=3, max_word_length=5, digits=2)
    if year <= 6:
        return Shape(words=3, max_word_length=8, digits=2)
    return Shape(words=4, max_word_length=8, digits=2)


@lru_cache(maxsize=1)
def word_list() -> tuple[str, ...]:
    text = resources.files("enforcer").joinpath("data", WORDS_FILE).read_text(encoding="utf-8")
    return tuple(w for w in (line.strip() for line in text.splitlines()) if w and not w.startswith("#"))


def _vocabulary(shape: Shape) -> tuple[str, ...]:
    return tuple(w for w in word_list() if len(w) <= shape.max_word_length)


def draw(shape: Shape) -> str:
    """One random candidate: Capitalised words and a number, joined by hyphens ("Sun-Frog-47")."""
    vocab = _vocabulary(shape)
    words = [secrets.choice(vocab).capitalize() for _ in range(shape.words)]
    number = "".join(secrets.choice("0123456789") for _ in range(shape.digits))
    return SEPARATOR.join([*words, number])


def generate(year: int, policy: PasswordPolicy, user: UserDetails | None = None) -> str:
    """A password for a pupil in ``year`` that ``policy`` accepts (for this user, when given)."""
    shape = shape_for_year(year)
    for _ in range(MAX_ATTEMPTS):
        candidate = draw(shape)
        if check_password(candidate, policy, user).accepted:
            return candidate
    raise UsageError(
        f"could not make a Year {year} password that the pack accepts in {MAX_ATTEMPTS} tries: "
        f"its rules ({policy.describe()}) do not suit generated passphrases"
    )
