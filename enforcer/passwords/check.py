"""Checking one candidate password against a policy, with reasons people understand.

Why here and not in the nightly run: a directory never reveals a password, so the
only moment a predictable one can be stopped is when it is set. Every reason is
written for the pupil or teacher choosing the password, and none of them quotes
any part of the candidate, so an audit report built from reasons leaks nothing.

The work per candidate is bounded: the length limit is checked first, zxcvbn-rs
sees at most ``ZXCVBN_WINDOW`` characters (it would ignore the rest anyway) and
the deny-list variants are only computed for short candidates.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from enforcer.passwords.denylist import DenyList, Match, ncsc_top100k, normalise, unleet
from enforcer.passwords.policy import PasswordPolicy

ZXCVBN_WINDOW = 100
MIN_WORD = 3
"""Names and school words shorter than this ("Al", "St") would refuse too much."""
GENERIC_SCHOOL_WORDS = frozenset(
    {
        "the",
        "and",
        "of",
        "school",
        "primary",
        "junior",
        "infant",
        "infants",
        "academy",
        "church",
        "college",
        "saint",
        "community",
        "nursery",
        "federation",
        "trust",
        "england",
        "voluntary",
    }
)
"""Words of a school's name that say nothing about which school it is."""


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    """Stable id for programs (``too_short``, ``common_password``...)."""
    message: str
    """Plain words for the person choosing the password; never quotes the password."""


@dataclass(frozen=True, slots=True)
class UserDetails:
    """What we know about the person, used as zxcvbn user inputs and for own-name checks."""

    username: str | None = None
    name: str | None = None
    school: str | None = None
    extra: tuple[str, ...] = ()
    """Anything else personal (date of birth, pet's name, email)."""

    def inputs(self) -> list[str]:
        parts = [self.username, self.name, self.school, *self.extra]
        out: list[str] = []
        for p in parts:
            if p:
                out.append(p)
                out.extend(w for w in _words(p) if w != p)
        return out


@dataclass(frozen=True, slots=True)
class Verdict:
    accepted: bool
    reasons: tuple[Reason, ...] = ()
    score: int | None = None
    """zxcvbn score 0-4; ``None`` when it was not computed (switched off by the policy)."""
    suggestions: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {
            "verdict": "accept" if self.accepted else "refuse",
            "accepted": self.accepted,
            "reasons": [{"code": r.code, "message": r.message} for r in self.reasons],
            "score": self.score,
            "suggestions": list(self.suggestions),
        }


_CLASS_REASON = {
    "lower": "Add at least one small (lower-case) letter.",
    "upper": "Add at least one capital letter.",
    "letter": "Add at least one letter.",
    "digit": "Add at least one number (0-9).",
    "symbol": "Add at least one symbol, such as ! ? # or -.",
}


def char_classes(text: str) -> set[str]:
    found: set[str] = set()
    for ch in text:
        if ch.isalpha():
            found.add("letter")
            if ch.islower():
                found.add("lower")
            elif ch.isupper():
                found.add("upper")
        elif ch.isdigit():
            found.add("digit")
        elif ch.isprintable():
            found.add("symbol")  # includes spaces: a space is a fine symbol in a passphrase
    return found


def _words(text: str) -> list[str]:
    """Runs of letters and digits, lower-cased: "St Mary's C of E" -> st, mary, s, c, of, e."""
    out, cur = [], []
    for ch in normalise(text):
        if ch.isalnum():
            cur.append(ch)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def _compact(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def _forms(candidate: str) -> tuple[str, ...]:
    """The candidate as compared with names: lower-cased, without separators, look-alikes undone."""
    key = normalise(candidate)
    forms = {_compact(key)}
    for decoded in unleet(key):
        forms.add(_compact(decoded))
    return tuple(forms)


def _needles(texts: Iterable[str], generic: frozenset[str] = frozenset()) -> set[str]:
    """What to look for: each text without separators, and each distinctive word in it."""
    out: set[str] = set()
    for text in texts:
        whole = _compact(normalise(text))
        if len(whole) >= MIN_WORD:
            out.add(whole)
        for w in _words(text):
            if len(w) >= MIN_WORD and w not in generic:
                out.add(w)
    return out


def _contains_any(forms: tuple[str, ...], needles: set[str]) -> bool:
    return any(n in f for f in forms for n in needles)


def check_password(
    candidate: str, policy: PasswordPolicy, user: UserDetails | None = None, deny: DenyList | None = None
) -> Verdict:
    """Every reason ``candidate`` is refused under ``policy``; accepted when there are none."""
    user = user or UserDetails()
    reasons: list[Reason] = []
    if candidate == "":
        return Verdict(False, (Reason("empty", "Type a password: it cannot be empty."),))
    length = len(unicodedata.normalize("NFC", candidate))
    too_long = length > policy.max_length
    if length < policy.min_length:
        reasons.append(Reason("too_short", f"Make it longer: use at least {policy.min_length} characters."))
    if too_long:
        reasons.append(Reason("too_long", f"Make it shorter: use at most {policy.max_length} characters."))
    if any(not ch.isprintable() and ch != " " for ch in candidate):
        reasons.append(
            Reason(
                "unprintable",
                "Use only characters you can type: no tabs, line breaks or invisible characters.",
            )
        )
    classes = char_classes(candidate)
    for cls in sorted(policy.required_classes):
        if cls not in classes:
            reasons.append(Reason(f"missing_{cls}", _CLASS_REASON[cls]))
    if policy.min_classes:
        have = sum(1 for c in ("lower", "upper", "digit", "symbol") if c in classes)
        if have < policy.min_classes:
            reasons.append(
                Reason(
                    "too_few_kinds",
                    f"Mix at least {policy.min_classes} kinds of character: "
                    "small letters, capital letters, numbers and symbols.",
                )
            )
    if policy.deny_common:
        hit = (deny or ncsc_top100k()).lookup(candidate)
        if hit is not None and hit.kind is Match.EXACT:
            reasons.append(
                Reason(
                    "common_password",
                    "This is one of the most common passwords, which "
                    "attackers try first. Choose something nobody else would.",
                )
            )
        elif hit is not None:
            reasons.append(
                Reason(
                    "common_password_variant",
                    "This is a common password with small changes "
                    "(capitals, numbers or symbols added, or letters swapped for look-alikes). "
                    "Attackers try those changes too.",
                )
            )
    forms = _forms(candidate) if not too_long else _forms(candidate[: policy.max_length])
    if policy.school_words and _contains_any(forms, _needles(policy.school_words, GENERIC_SCHOOL_WORDS)):
        reasons.append(
            Reason(
                "school_word",
                "Don't use the school's name or other school words "
                "(like the town or team names): they are easy to guess.",
            )
        )
    if user.school and _contains_any(forms, _needles([user.school], GENERIC_SCHOOL_WORDS)):
        if not any(r.code == "school_word" for r in reasons):
            reasons.append(
                Reason(
                    "school_word",
                    "Don't use the school's name or other school words "
                    "(like the town or team names): they are easy to guess.",
                )
            )
    if user.username and _contains_any(forms, _needles([user.username])):
        reasons.append(Reason("contains_username", "Don't put your username in your password."))
    if user.name and _contains_any(forms, _needles([user.name])):
        reasons.append(Reason("contains_name", "Don't put your own name in your password."))
    if user.extra and _contains_any(forms, _needles(user.extra)):
        reasons.append(
            Reason("contains_personal", "Don't put things about you (like your birthday) in your password.")
        )
    score: int | None = None
    suggestions: tuple[str, ...] = ()
    if policy.min_score > 0:
        score, warning, suggestions = _strength(candidate, user.inputs() + list(policy.school_words))
        if score < policy.min_score:
            why = f" {warning}" if warning else ""
            reasons.append(
                Reason(
                    "too_guessable",
                    f"This password would be too easy to guess.{why} "
                    "Try three or four random words together.",
                )
            )
    return Verdict(not reasons, tuple(reasons), score, suggestions)


def _strength(candidate: str, inputs: list[str]) -> tuple[int, str | None, tuple[str, ...]]:
    """zxcvbn-rs on the first ``ZXCVBN_WINDOW`` characters (it reads no further)."""
    from zxcvbn_rs_py import zxcvbn  # imported here so `enforcer --help` stays light

    result = zxcvbn(candidate[:ZXCVBN_WINDOW], inputs)
    feedback = result.feedback
    warning = str(feedback.warning) if feedback is not None and feedback.warning is not None else None
    suggestions = tuple(str(s) for s in feedback.suggestions) if feedback is not None else ()
    return int(result.score), warning, suggestions
