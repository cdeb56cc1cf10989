"""Staff, volunteers, service accounts and the odd unclassifiable account.

Leavers are represented the way many schools do it: the technician moves the
account to ``OU=Leavers`` and marks it ``leaver: "true"`` (the demo sets both,
so a pack can match either); whether it was also *disabled* is what the
"leavers disabled" rule checks.
"""

from __future__ import annotations

import random
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from connectors.demo.names import ADULT_FIRST, SURNAMES
from connectors.demo.people import (
    DEFAULT_MAX_AGE,
    DEFAULT_MIN_LEN,
    STAFF_MAX_AGE,
    STAFF_MIN_LEN,
    Builder,
    few,
    new_id,
    take,
)
from enforcer.model.values import Account, Role

_TITLES = (
    "Headteacher",
    "Deputy Headteacher",
    "School Business Manager",
    "ICT Technician",
    "SENCO",
    "Office Administrator",
    "Caretaker",
)
_SERVICES: tuple[tuple[str, str, dict[str, object]], ...] = (
    # username, description, extra fields
    ("svc-backup", "Backup service", {"is_admin": True, "groups": ("Backup Operators", "Domain Admins")}),
    ("svc-print", "Print server", {}),
    ("svc-mis-sync", "MIS to directory sync", {}),
    ("svc-wifi", "Wi-Fi RADIUS", {"reversible_encryption": True, "groups": ("WiFi-RADIUS",)}),
    ("svc-scanner", "Office scanner (scan to folder)", {"password_not_required": True}),
    ("svc-av", "Anti-virus console", {}),
)


_SU = "OU={},OU=School Users"


def _title(i: int) -> str:
    if i < len(_TITLES):
        return _TITLES[i]
    return "Teacher" if i % 2 == 0 else "Teaching Assistant"


def add_adults(b: Builder) -> tuple[str, ...]:
    """Adds staff, volunteers, service and unknown accounts; returns current staff usernames."""
    staff = _staff(b)
    _volunteers(b)
    _services(b)
    _unknown(b)
    return staff


def _adult(
    b: Builder, rng: random.Random, username: str, display: str, role: Role, ou: str, **fields: Any
) -> Account:
    """An adult's account; ``ou`` is the path under the domain, e.g. ``OU=Staff,OU=School Users``."""
    account = replace(
        Account(
            source=b.source,
            id=new_id(rng),
            username=username,
            upn=f"{username}@{b.s.domain}",
            display_name=display,
            role=role,
            year_group=None,
            enabled=True,
            password_last_set=b.ago(rng.uniform(1, 85)),
            must_change_password=False,
            password_never_expires=False,
            reversible_encryption=False,
            password_not_required=False,
            password_max_age_days=STAFF_MAX_AGE,
            password_min_length=STAFF_MIN_LEN,
            last_logon=b.ago(rng.uniform(0, 6)),
            has_expiry=False,
            account_expires=None,
            groups=("Staff",),
            mfa_registered=True,
            is_admin=False,
            external_id=None,
            container=f"CN={display},{ou},{b.dc}",
            attributes={},
        ),
        **fields,
    )
    staff = "Staff" in (account.groups or ())
    return replace(
        account,
        attributes=MappingProxyType(dict(account.attributes)),
        password_max_age_days=account.password_max_age_days if staff else DEFAULT_MAX_AGE,
        password_min_length=account.password_min_length if staff else DEFAULT_MIN_LEN,
    )


def _staff(b: Builder) -> tuple[str, ...]:
    rng = random.Random(f"{b.s.seed}:staff")
    n = b.s.staff
    people = []
    for i in range(n):
        given, family = rng.choice(ADULT_FIRST), rng.choice(SURNAMES)
        people.append((i, given, family, b.names.unique(f"{given[0]}{family}".lower())))
    pool = list(range(n))
    plan: dict[int, str] = {}
    for name, k in (
        ("staff_password_older_than_90_days", few(n, 0.05)),
        ("staff_password_exactly_90_days", 1),
        ("staff_password_91_days", 1),
        ("unknown_staff_password_last_set", 1),
        ("staff_password_never_expires", few(n, 0.05)),
        ("reversible_encryption_allowed", few(n, 0.03)),
        ("password_not_required", 1),
        ("staff_without_mfa", few(n, 0.08)),
        ("unknown_staff_mfa", 1),
        ("new_starter_must_change", 1),
        ("staff_outside_password_policy", few(n, 0.03)),
    ):
        for i in take(rng, pool, k):
            plan[i] = name
    old_ages = iter((120, 200, 410, 150, 365, 97))
    usernames = []
    for i, given, family, username in people:
        title = _title(i)
        teacher = title in ("Teacher", "Headteacher", "Deputy Headteacher", "SENCO")
        fields: dict[str, object] = {
            "groups": ("Staff", "Teachers" if teacher else "Support Staff"),
            "external_id": f"E{1001 + i}",
            "attributes": {"title": title},
        }
        what = plan.get(i)
        if what == "staff_password_older_than_90_days":
            fields["password_last_set"] = b.ago(next(old_ages, 120))
        elif what == "staff_password_exactly_90_days":
            fields["password_last_set"] = b.ago(90)
        elif what == "staff_password_91_days":
            fields["password_last_set"] = b.ago(91)
        elif what == "unknown_staff_password_last_set":
            fields["password_last_set"] = None
        elif what == "staff_password_never_expires":
            fields["password_never_expires"] = True
        elif what == "reversible_encryption_allowed":
            fields["reversible_encryption"] = True
        elif what == "password_not_required":
            fields["password_not_required"] = True
        elif what == "staff_without_mfa":
            fields["mfa_registered"] = False
        elif what == "unknown_staff_mfa":
            fields["mfa_registered"] = None
        elif what == "staff_outside_password_policy":  # not in the Staff group: default policy
            fields["groups"] = ("Teachers" if teacher else "Support Staff",)
        elif what == "new_starter_must_change":
            fields["must_change_password"] = True
            fields["password_last_set"] = b.ago(2)
        acct = _adult(b, rng, username, f"{given} {family}", Role.STAFF, _SU.format("Staff"), **fields)
        if what:
            b.p.add(what, acct.id)
        b.accounts.append(acct)
        usernames.append(username)
    if n:
        _staff_extras(b, rng, people)
    return tuple(usernames)


def _staff_extras(b: Builder, rng: random.Random, people: list[tuple[int, str, str, str]]) -> None:
    """Admin accounts (one without MFA) and leavers (two of three still enabled)."""
    tech = next((p for p in people if _title(p[0]) == "ICT Technician"), people[0])
    for username, given, family, mfa in (
        (f"adm-{tech[3]}", tech[1], tech[2], True),
        ("adm-itsupport", "IT Support", "(contractor)", False),
    ):
        acct = _adult(
            b,
            rng,
            b.names.unique(username),
            f"{given} {family}",
            Role.STAFF,
            _SU.format("Admins"),
            groups=("Domain Admins", "Staff"),
            is_admin=True,
            mfa_registered=mfa,
            attributes={"title": "Administrator account"},
        )
        if not mfa:
            b.p.add("admin_without_mfa", acct.id)
        b.accounts.append(acct)
    for k in range(3):
        given, family = rng.choice(ADULT_FIRST), rng.choice(SURNAMES)
        username = b.names.unique(f"{given[0]}{family}".lower())
        enabled = k > 0
        acct = _adult(
            b,
            rng,
            username,
            f"{given} {family}",
            Role.STAFF,
            _SU.format("Leavers"),
            enabled=enabled,
            password_last_set=b.ago(rng.uniform(30, 80)),
            last_logon=b.ago(rng.uniform(25, 60)),
            groups=("Staff",),
            attributes={"leaver": "true", "title": "Teacher"},
        )
        if enabled:
            b.p.add("staff_leaver_enabled", acct.id)
        b.accounts.append(acct)


def _volunteers(b: Builder) -> None:
    rng = random.Random(f"{b.s.seed}:volunteers")
    n = b.s.volunteers
    pool = list(range(n))
    no_expiry = set(take(rng, pool, few(n, 0.2)))
    unknown = set(take(rng, pool, 1 if n >= 4 else 0))
    for i in range(n):
        given, family = rng.choice(ADULT_FIRST), rng.choice(SURNAMES)
        username = b.names.unique(f"vol.{given[0]}{family}".lower())
        fields: dict[str, object] = {
            "groups": ("Volunteers",),
            "mfa_registered": False,
            "has_expiry": True,
            "account_expires": b.ago(-rng.uniform(20, 200)),
            "attributes": {"title": "Volunteer reader"},
        }
        if i in no_expiry:
            fields.update(has_expiry=False, account_expires=None)
        elif i in unknown:
            fields.update(has_expiry=None, account_expires=None)
        acct = _adult(
            b, rng, username, f"{given} {family}", Role.VOLUNTEER, _SU.format("Volunteers"), **fields
        )
        if i in no_expiry:
            b.p.add("volunteer_without_expiry", acct.id)
        elif i in unknown:
            b.p.add("unknown_volunteer_expiry", acct.id)
        b.accounts.append(acct)


def _services(b: Builder) -> None:
    rng = random.Random(f"{b.s.seed}:services")
    for username, description, extra in _SERVICES[: b.s.service_accounts]:
        fields: dict[str, object] = {
            "groups": ("Service Accounts",),
            "password_never_expires": True,
            "mfa_registered": False,
            "password_last_set": b.ago(rng.uniform(200, 900)),
            "attributes": {"description": description},
        }
        fields.update(extra)
        acct = _adult(
            b,
            rng,
            b.names.unique(username),
            description,
            Role.SERVICE,
            _SU.format("Service Accounts"),
            **fields,
        )
        if extra.get("is_admin"):
            b.p.add("admin_without_mfa", acct.id)
        if extra.get("reversible_encryption"):
            b.p.add("reversible_encryption_allowed", acct.id)
        if extra.get("password_not_required"):
            b.p.add("password_not_required", acct.id)
        b.accounts.append(acct)


def _unknown(b: Builder) -> None:
    """Accounts nobody classified: a leftover test account and a shared log-in."""
    if not b.s.staff:
        return
    rng = random.Random(f"{b.s.seed}:unknown")
    for username, display in (("test.user", "Test User"), ("hall.pc", "School hall PC login")):
        acct = _adult(
            b,
            rng,
            b.names.unique(username),
            display,
            Role.UNKNOWN,
            "CN=Users",
            groups=("Domain Users",),
            mfa_registered=None,
            attributes={},
        )
        b.p.add("unknown_role", acct.id)
        b.accounts.append(acct)
