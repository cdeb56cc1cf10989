"""Accounts and the MIS roster of the demo school.

Every planted problem is picked from a pool without replacement, so an
account usually carries one problem and the report reads like a real school's
rather than a wall of red on a few unlucky records.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any

from connectors.demo.names import BOYS, GIRLS, SURNAMES
from connectors.demo.settings import Settings
from enforcer.identity import school_year_start
from enforcer.model.values import Account, Role, RosterEntry

YEAR_LABEL = {-1: "Nursery", 0: "Reception"}
# Effective password policy, as the demo domain policy and its PSOs say.
STAFF_MAX_AGE, STAFF_MIN_LEN = 90, 10  # Staff PSO (members of the Staff group)
DEFAULT_MAX_AGE, DEFAULT_MIN_LEN = 180, 7  # default domain policy (everyone else)
PUPIL_MIN_LEN = 6  # Pupils PSO (max age 0: never expires)


@dataclass
class Planter:
    """Records which violations were planted on which records."""

    planted: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, record_id: str) -> None:
        self.planted.setdefault(name, []).append(record_id)


def few(n: int, share: float) -> int:
    """A few percent of n, but at least one when there is anyone to plant it on."""
    return min(n, max(1, round(n * share))) if n else 0


def take(rng: random.Random, pool: list[Any], k: int) -> list[Any]:
    """Remove and return k items chosen at random (fewer if the pool runs out)."""
    chosen = rng.sample(range(len(pool)), min(k, len(pool)))
    picked = [pool[i] for i in sorted(chosen)]
    for i in sorted(chosen, reverse=True):
        del pool[i]
    return picked


def new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Usernames:
    def __init__(self) -> None:
        self.used: set[str] = set()

    def unique(self, base: str) -> str:
        name, n = base, 1
        while name in self.used:
            n += 1
            name = f"{base}{n}"
        self.used.add(name)
        return name


@dataclass
class _Pupil:
    pupil_id: str
    given: str
    family: str
    dob: date
    year: int


def _year_counts(total: int) -> dict[int, int]:
    """Nursery is half-size (mornings only); Reception to Year 6 are equal."""
    weights = {-1: 0.5, **{y: 1.0 for y in range(0, 7)}}
    raw = {y: total * w / sum(weights.values()) for y, w in weights.items()}
    counts = {y: int(v) for y, v in raw.items()}
    for y in sorted(raw, key=lambda y: raw[y] - counts[y], reverse=True)[: total - sum(counts.values())]:
        counts[y] += 1
    return counts


def _cohort_range(year: int, sy: int) -> tuple[date, date]:
    """Birth dates of the cohort in ``year`` for the school year starting in ``sy``."""
    age = year + 4
    return date(sy - age - 1, 9, 1), date(sy - age, 8, 31)


def _birthday(rng: random.Random, year: int, sy: int) -> date:
    first, last = _cohort_range(year, sy)
    return first + timedelta(days=rng.randrange((last - first).days + 1))


class Builder:
    def __init__(self, settings: Settings, source: str, ref: datetime, planter: Planter) -> None:
        self.s, self.source, self.ref, self.p = settings, source, ref, planter
        self.dc = ",".join(f"DC={part}" for part in settings.domain.split("."))
        self.names = Usernames()
        self.accounts: list[Account] = []
        self.roster: list[RosterEntry] = []

    def ago(self, days: float) -> datetime:
        return self.ref - timedelta(days=days)

    # -- pupils ---------------------------------------------------------------------------
    def pupils(self) -> None:
        rng = random.Random(f"{self.s.seed}:pupils")
        sy = school_year_start(self.ref.date())
        pupils: list[_Pupil] = []
        for year, count in _year_counts(self.s.pupils).items():
            for _ in range(count):
                given = rng.choice(GIRLS if rng.random() < 0.5 else BOYS)
                pupils.append(
                    _Pupil(
                        f"P{20001 + len(pupils)}", given, rng.choice(SURNAMES), _birthday(rng, year, sy), year
                    )
                )
        n = len(pupils)
        y1 = [p for p in pupils if p.year >= 1]
        reception = [p for p in pupils if p.year == 0]
        nursery = [p for p in pupils if p.year == -1]
        missing = take(rng, y1, few(n, 0.007))
        consent_no = take(rng, y1, few(n, 0.005))
        consent_unknown = take(rng, y1, 1)
        roster_year_only = take(rng, y1, few(n, 0.02))
        dob_only = take(rng, y1, few(n, 0.01))
        not_required = take(rng, y1, 1)
        no_external = take(rng, y1, 1)
        # The 31 August / 1 September boundary, known only from the date of birth.
        boundary_y1 = take(rng, y1, 1)
        boundary_r = take(rng, reception, 1)
        for p in boundary_y1:
            p.dob = _cohort_range(1, sy)[1]  # 31 August: turned 5 by the cut-off, so Year 1
        for p in boundary_r:
            p.dob = _cohort_range(0, sy)[0]  # 1 September a year later: still 4, Reception
        below_y1 = take(rng, reception, 1) + take(rng, nursery, 1)
        consent_of: dict[str, bool | None] = {p.pupil_id: (rng.random() < 0.85) for p in reception + nursery}
        for p in consent_no:
            consent_of[p.pupil_id] = False
        for p in consent_unknown:
            consent_of[p.pupil_id] = None
        ids = {
            k: {p.pupil_id for p in v}
            for k, v in {
                "missing": missing,
                "roster_year_only": roster_year_only,
                "dob_only": dob_only,
                "not_required": not_required,
                "no_external": no_external,
                "boundary": boundary_y1 + boundary_r,
                "below": below_y1 + boundary_r,
            }.items()
        }
        for p in pupils:
            no_year_anywhere = p.pupil_id in ids["dob_only"] or p.pupil_id in ids["boundary"]
            self.roster.append(
                RosterEntry(
                    source=self.source,
                    pupil_id=p.pupil_id,
                    given_name=p.given,
                    family_name=p.family,
                    date_of_birth=p.dob,
                    year_group=None if no_year_anywhere else p.year,
                    on_roll=True,
                    internet_consent=consent_of.get(p.pupil_id, True),
                    username=None,
                )
            )
            if p.pupil_id in ids["missing"]:
                self.p.add("pupil_on_roll_without_account", p.pupil_id)
                continue
            if p.year < 1 and p.pupil_id not in ids["below"]:
                continue  # Nursery and Reception have no accounts, as the policy says
            acct = self.pupil_account(
                rng, p, sy, year_known=not (no_year_anywhere or p.pupil_id in ids["roster_year_only"])
            )
            if p.pupil_id in ids["below"]:
                self.p.add("pupil_account_below_year_1", acct.id)
            if p.pupil_id in ids["dob_only"] or p.pupil_id in ids["boundary"]:
                self.p.add("pupil_year_group_from_dob_only", acct.id)
            if p.pupil_id in ids["roster_year_only"]:
                self.p.add("pupil_year_group_from_roster_only", acct.id)
            if consent_of.get(p.pupil_id, True) is False:
                self.p.add("pupil_no_internet_consent_enabled", acct.id)
            elif consent_of.get(p.pupil_id, True) is None:
                self.p.add("unknown_pupil_internet_consent", acct.id)
            if p.pupil_id in ids["not_required"]:
                acct = replace(acct, password_not_required=True)
                self.p.add("password_not_required", acct.id)
            if p.pupil_id in ids["no_external"]:
                acct = replace(acct, external_id=None)
                self.p.add("unknown_pupil_external_id", acct.id)
            self.accounts.append(acct)
        self.pupil_leavers(rng, sy, len(pupils))

    def pupil_leavers(self, rng: random.Random, sy: int, n: int) -> None:
        """Pupils who left this year: three accounts still enabled, one correctly disabled."""
        if not n:
            return
        for i in range(few(n, 0.007) + 1):
            year = rng.randint(1, 6)
            p = _Pupil(
                f"P{20001 + n + i}",
                rng.choice(GIRLS + BOYS),
                rng.choice(SURNAMES),
                _birthday(rng, year, sy),
                year,
            )
            self.roster.append(
                RosterEntry(
                    source=self.source,
                    pupil_id=p.pupil_id,
                    given_name=p.given,
                    family_name=p.family,
                    date_of_birth=p.dob,
                    year_group=p.year,
                    on_roll=False,
                    internet_consent=True,
                )
            )
            enabled = i > 0
            acct = self.pupil_account(rng, p, sy, year_known=True, enabled=enabled)
            if enabled:
                self.p.add("pupil_left_account_enabled", acct.id)
            self.accounts.append(acct)
        # An account whose MIS id matches nobody on the roster at all.
        year = rng.randint(1, 6)
        ghost = _Pupil(
            f"P{19001 + rng.randrange(900)}",
            rng.choice(GIRLS + BOYS),
            rng.choice(SURNAMES),
            _birthday(rng, year, sy),
            year,
        )
        acct = self.pupil_account(rng, ghost, sy, year_known=True)
        self.p.add("pupil_account_not_on_roster", acct.id)
        self.accounts.append(acct)

    def pupil_account(
        self, rng: random.Random, p: _Pupil, sy: int, year_known: bool, enabled: bool = True
    ) -> Account:
        intake = (sy - max(p.year, 0)) % 100
        username = self.names.unique(f"{p.given.lower()}.{p.family[0].lower()}{intake:02d}")
        label = YEAR_LABEL.get(p.year, f"Year {p.year}")
        display = f"{p.given} {p.family}"
        return Account(
            source=self.source,
            id=new_id(rng),
            username=username,
            upn=f"{username}@{self.s.domain}",
            display_name=display,
            role=Role.PUPIL,
            year_group=p.year if year_known else None,
            enabled=enabled,
            password_last_set=self.ago(rng.uniform(3, 330)),
            must_change_password=False,
            password_never_expires=True,
            reversible_encryption=False,
            password_not_required=False,
            password_max_age_days=0,
            password_min_length=PUPIL_MIN_LEN,
            last_logon=self.ago(rng.uniform(0, 20)),
            has_expiry=False,
            account_expires=None,
            groups=("Pupils", label),
            mfa_registered=False,
            is_admin=False,
            external_id=p.pupil_id,
            container=f"CN={display},OU={label},OU=Pupils,OU=School Users,{self.dc}",
            attributes=MappingProxyType(
                {"yearGroup": label, "department": "Pupils"} if year_known else {"department": "Pupils"}
            ),
        )
