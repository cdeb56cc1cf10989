"""Who is who: roles and year groups from what the directory says.

Schools tell staff, pupils, volunteers and service accounts apart in different
ways (an OU, a group, an attribute), so the configuration lists matchers and
the first that matches wins. No match means ``Role.UNKNOWN``, which a pack rule
reports: we never guess a role, since a guessed "pupil" would exempt a staff
account from the staff password rules. Patterns run on the project's one engine
(``enforcer.saferegex``), so a value cannot make classification hang; the
configuration refuses a pattern that engine cannot run, with file and line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from enforcer.model.values import Role
from enforcer.saferegex import compile_pattern


@dataclass(frozen=True, slots=True)
class RoleMatcher:
    role: Role
    ou: str | None = None
    """Matches when the container (DN) ends with this OU path (case-insensitive)."""
    group: str | None = None
    """Matches when the account is a member of this group (CN or full DN, case-insensitive)."""
    attribute: str | None = None
    value: str | None = None
    """With ``attribute``: an exact (case-insensitive) value, or a regex when ``pattern``."""
    pattern: bool = False

    def matches(
        self, container: str | None, groups: Iterable[str] | None, attributes: Mapping[str, str]
    ) -> bool:
        if self.ou is not None:
            if container is None or not _dn_within(container, self.ou):
                return False
        if self.group is not None:
            if groups is None or not any(_group_is(g, self.group) for g in groups):
                return False
        if self.attribute is not None:
            actual = attributes.get(self.attribute)
            if actual is None:
                return False
            if self.value is not None:
                if self.pattern:
                    if not compile_pattern(self.value, ignore_case=True).search(actual):
                        return False
                elif actual.casefold() != self.value.casefold():
                    return False
        return True


def _norm_dn(dn: str) -> str:
    return ",".join(part.strip() for part in dn.casefold().split(","))


def _dn_within(dn: str, ou: str) -> bool:
    d, o = _norm_dn(dn), _norm_dn(ou)
    return d == o or d.endswith("," + o)


def _group_is(member_of: str, wanted: str) -> bool:
    m, w = member_of.casefold(), wanted.casefold()
    if m == w:
        return True
    first = _norm_dn(m).split(",", 1)[0]
    return first == f"cn={w}"


@dataclass(frozen=True, slots=True)
class YearGroupRule:
    """Year group from an attribute, e.g. ``description: "Year 3"`` with pattern ``Year (\\d+)``."""

    attribute: str
    pattern: str = r"(-?\d+)"


class Classifier:
    """Built from the configuration; connectors call it for every account."""

    def __init__(self, matchers: Sequence[RoleMatcher] = (), year_group: YearGroupRule | None = None) -> None:
        self.matchers = tuple(matchers)
        self.year_group_rule = year_group

    def role(
        self, container: str | None, groups: Iterable[str] | None, attributes: Mapping[str, str]
    ) -> Role:
        groups = tuple(groups) if groups is not None else None
        for m in self.matchers:
            if m.matches(container, groups, attributes):
                return m.role
        return Role.UNKNOWN

    def year_group(self, attributes: Mapping[str, str]) -> int | None:
        rule = self.year_group_rule
        if rule is None:
            return None
        raw = attributes.get(rule.attribute)
        if raw is None:
            return None
        return parse_year_group(raw, rule.pattern)


_NAMED_YEARS = {"nursery": -1, "n": -1, "reception": 0, "r": 0, "rec": 0}


def parse_year_group(raw: str, pattern: str = r"(-?\d+)") -> int | None:
    """'Reception' -> 0, 'Year 3' -> 3, 'Y6' -> 6; anything else is unknown."""
    text = raw.strip()
    named = _NAMED_YEARS.get(text.casefold())
    if named is not None:
        return named
    for word, value in _NAMED_YEARS.items():
        if len(word) > 2 and word in text.casefold():
            return value
    number = compile_pattern(pattern, ignore_case=True).group(text, 1)
    if number is None:  # no match, or a group that took no part: unknown, never a guess
        return None
    try:
        return int(number)
    except ValueError:
        return None


def school_year_start(today: date) -> int:
    """The calendar year in which the current English school year began (1 September)."""
    return today.year if (today.month, today.day) >= (9, 1) else today.year - 1


def year_group_from_birth(dob: date, today: date) -> int:
    """English rule: the child's age on 31 August before the school year starts.

    Age 4 on that day is Reception (0), 5 is Year 1, ... 10 is Year 6; younger is
    Nursery (-1 and below). A child born on 31 August is the oldest-age cut-off of
    their cohort; one born on 1 September joins the following year's cohort.
    """
    cutoff = date(school_year_start(today), 8, 31)
    age = cutoff.year - dob.year - ((cutoff.month, cutoff.day) < (dob.month, dob.day))
    return age - 4
