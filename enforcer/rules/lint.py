"""Where a pack departs from NCSC guidance: advice, never a failure.

Schools write forced expiry, maximum lengths and composition rules into their
policies; NCSC advises against all three. A school may keep them, but should
know it is choosing to, so ``enforcer policy lint`` says so and exits 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from enforcer.rules.conditions import All, Any_, Condition, Leaf, Not
from enforcer.rules.model import Pack

EXPIRY_KEYS = {
    "password_last_set",
    "password_max_age_days",
    "max_password_age_days",
    "password_never_expires",
}


@dataclass(frozen=True, slots=True)
class LintNote:
    rule: str | None
    line: int | None
    message: str


def _leaves(cond: Condition | None) -> list[Leaf]:
    if cond is None:
        return []
    if isinstance(cond, Leaf):
        return [cond]
    if isinstance(cond, All | Any_):
        return [leaf for part in cond.parts for leaf in _leaves(part)]
    if isinstance(cond, Not):
        return _leaves(cond.part)
    return []


def lint(pack: Pack) -> list[LintNote]:
    notes: list[LintNote] = []
    for rule in pack.rules:
        keys = {leaf.key for leaf in _leaves(rule.expect)}
        if keys & EXPIRY_KEYS:
            notes.append(
                LintNote(
                    rule.id,
                    rule.line,
                    "forces periodic password expiry; NCSC advises against it (users pick "
                    "weaker, predictable passwords) and Cyber Essentials does not require it",
                )
            )
        if "complexity_required" in keys:
            notes.append(
                LintNote(
                    rule.id, rule.line, "requires composition rules; NCSC prefers length and a deny list"
                )
            )
    pw = pack.password
    if pw is not None:
        if pw.max_length < 64:
            notes.append(
                LintNote(
                    None,
                    None,
                    f"password.max_length is {pw.max_length}; NCSC advises "
                    "allowing long passwords and passphrases (64 or more)",
                )
            )
        elif pw.max_length < 1024:
            notes.append(
                LintNote(
                    None,
                    None,
                    f"password.max_length is {pw.max_length}: a maximum length; "
                    "keep it generous so passphrases fit",
                )
            )
        if pw.required_classes or pw.min_classes:
            notes.append(
                LintNote(
                    None,
                    None,
                    "password.required_classes / min_classes are composition "
                    "rules; NCSC advises against them (they make passwords predictable)",
                )
            )
        if not pw.deny_common:
            notes.append(
                LintNote(
                    None,
                    None,
                    "password.deny_common is off; Cyber Essentials' 8-character "
                    "option needs a deny list of common passwords",
                )
            )
        if pw.min_length < 8:
            notes.append(
                LintNote(
                    None, None, f"password.min_length {pw.min_length} is below Cyber Essentials' minimum of 8"
                )
            )
    return notes
