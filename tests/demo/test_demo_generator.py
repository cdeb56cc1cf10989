"""The demo school: deterministic, near its target sizes, and carrying every planted problem."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from connectors.demo.generator import DemoSchool, generate
from connectors.demo.names import ADULT_FIRST, BOYS, EXCLUDED, GIRLS, SURNAMES
from connectors.demo.settings import Settings
from enforcer.identity import year_group_from_birth
from enforcer.model.values import Account, Device, FormFactor, Ownership, Platform, Role, RosterEntry
from tests.demo.conftest import AS_OF

MOBILE = (FormFactor.TABLET, FormFactor.PHONE)
COMPUTER = (FormFactor.LAPTOP, FormFactor.DESKTOP)


def _school_dev(d: Device) -> bool:
    return d.ownership is Ownership.SCHOOL


def _staff(a: Account) -> bool:
    return a.role is Role.STAFF and a.enabled is True


def _age(school: DemoSchool, t: datetime | None) -> timedelta | None:
    return None if t is None else school.reference - t


# Each planted name -> a predicate that recognises it from the record's own fields.
VIOLATIONS = {
    "staff_password_older_than_90_days": lambda s, r: (
        isinstance(r, Account)
        and _staff(r)
        and r.password_last_set is not None
        and _age(s, r.password_last_set) > timedelta(days=91)
    ),
    "staff_password_91_days": lambda s, r: (
        isinstance(r, Account) and _staff(r) and _age(s, r.password_last_set) == timedelta(days=91)
    ),
    "staff_password_exactly_90_days": lambda s, r: (
        isinstance(r, Account) and _staff(r) and _age(s, r.password_last_set) == timedelta(days=90)
    ),
    "staff_password_never_expires": lambda s, r: (
        isinstance(r, Account) and _staff(r) and r.password_never_expires is True
    ),
    "reversible_encryption_allowed": lambda s, r: isinstance(r, Account) and r.reversible_encryption is True,
    "password_not_required": lambda s, r: isinstance(r, Account) and r.password_not_required is True,
    "staff_without_mfa": lambda s, r: (
        isinstance(r, Account) and _staff(r) and not r.is_admin and r.mfa_registered is False
    ),
    "admin_without_mfa": lambda s, r: (
        isinstance(r, Account) and r.is_admin is True and r.mfa_registered is False
    ),
    "staff_outside_password_policy": lambda s, r: (
        isinstance(r, Account) and _staff(r) and (r.password_max_age_days or 0) > 90
    ),
    "volunteer_without_expiry": lambda s, r: (
        isinstance(r, Account) and r.role is Role.VOLUNTEER and r.has_expiry is False
    ),
    "staff_leaver_enabled": lambda s, r: (
        isinstance(r, Account)
        and r.attributes.get("leaver") == "true"
        and r.enabled is True
        and "OU=Leavers" in (r.container or "")
    ),
    "unknown_role": lambda s, r: isinstance(r, Account) and r.role is Role.UNKNOWN and r.enabled is True,
    "computer_not_encrypted": lambda s, r: (
        isinstance(r, Device) and _school_dev(r) and r.form_factor in COMPUTER and r.encrypted is False
    ),
    "mobile_not_managed": lambda s, r: (
        isinstance(r, Device) and _school_dev(r) and r.form_factor in MOBILE and r.managed is False
    ),
    "mobile_without_tracking": lambda s, r: (
        isinstance(r, Device) and _school_dev(r) and r.form_factor in MOBILE and r.tracking is False
    ),
    "device_without_passcode": lambda s, r: (
        isinstance(r, Device) and _school_dev(r) and r.passcode_required is False
    ),
    "os_outdated": lambda s, r: (
        isinstance(r, Device) and r.os_version in ("10.0.19045.3803", "15.8.3", "103.0.5060.132", "9")
    ),
    "security_updates_overdue": lambda s, r: (
        isinstance(r, Device)
        and r.last_os_update is not None
        and timedelta(days=14) < _age(s, r.last_os_update) < timedelta(days=90)
    ),
    "antivirus_not_current": lambda s, r: isinstance(r, Device) and r.antivirus_current is False,
    "firewall_off": lambda s, r: isinstance(r, Device) and r.firewall_on is False,
    "device_jailbroken": lambda s, r: isinstance(r, Device) and r.jailbroken is True,
    "device_not_checked_in_30_days": lambda s, r: (
        isinstance(r, Device) and _age(s, r.last_check_in) > timedelta(days=30)
    ),
    "unknown_staff_password_last_set": lambda s, r: (
        isinstance(r, Account) and _staff(r) and r.password_last_set is None
    ),
    "unknown_staff_mfa": lambda s, r: isinstance(r, Account) and _staff(r) and r.mfa_registered is None,
    "unknown_volunteer_expiry": lambda s, r: (
        isinstance(r, Account) and r.role is Role.VOLUNTEER and r.has_expiry is None
    ),
    "unknown_device_encrypted": lambda s, r: isinstance(r, Device) and r.encrypted is None,
    "unknown_device_managed": lambda s, r: isinstance(r, Device) and r.managed is None,
    "unknown_device_tracking": lambda s, r: isinstance(r, Device) and r.tracking is None,
    "unknown_device_passcode": lambda s, r: isinstance(r, Device) and r.passcode_required is None,
    "unknown_device_os": lambda s, r: isinstance(r, Device) and r.os_version is None,
    "unknown_device_antivirus": lambda s, r: (
        isinstance(r, Device) and r.platform is Platform.WINDOWS and r.antivirus_current is None
    ),
    "unknown_device_firewall": lambda s, r: (
        isinstance(r, Device) and r.platform is Platform.WINDOWS and r.firewall_on is None
    ),
    "unknown_device_jailbroken": lambda s, r: (
        isinstance(r, Device) and r.platform is Platform.IOS and r.jailbroken is None
    ),
}


def test_same_seed_same_school() -> None:
    a = list(generate(Settings(), "demo", AS_OF).records())
    b = list(generate(Settings(), "demo", AS_OF).records())
    assert a == b


def test_other_seed_other_school() -> None:
    a = generate(Settings(seed=1), "demo", AS_OF)
    b = generate(Settings(seed=2), "demo", AS_OF)
    assert [x.username for x in a.accounts] != [x.username for x in b.accounts]


def test_dates_move_with_the_as_of_date_so_the_findings_do_not() -> None:
    """Run on any day, the demo shows the same sprinkling: every date is relative to as-of."""
    later = AS_OF + timedelta(days=137, hours=5)
    a, b = generate(Settings(), "demo", AS_OF), generate(Settings(), "demo", later)
    assert [x.id for x in a.accounts] == [x.id for x in b.accounts]
    for x, y in zip(a.accounts, b.accounts, strict=True):
        if x.password_last_set is not None:
            assert AS_OF - x.password_last_set == later - y.password_last_set
    assert a.planted.keys() == b.planted.keys()


def test_settings_reference_date_wins_over_as_of() -> None:
    s = Settings(reference_date=date(2026, 9, 1))
    a, b = generate(s, "demo", AS_OF), generate(s, "demo", None)
    assert a.reference == b.reference == datetime(2026, 9, 1, tzinfo=UTC)
    assert list(a.records()) == list(b.records())


def test_counts_near_targets(school: DemoSchool) -> None:
    c = school.counts()
    on_roll = [r for r in school.roster if r.on_roll]
    assert 400 <= len(on_roll) <= 440
    assert 55 <= c["accounts.staff"] <= 75
    assert c["accounts.volunteer"] >= 4 and c["accounts.service"] >= 4 and c["accounts.unknown"] >= 1
    assert 320 <= c["accounts.pupil"] <= 360
    assert c["devices"] == 250
    kinds = Counter((d.platform, d.form_factor) for d in school.devices)
    for pair in (
        (Platform.WINDOWS, FormFactor.LAPTOP),
        (Platform.WINDOWS, FormFactor.DESKTOP),
        (Platform.IOS, FormFactor.TABLET),
        (Platform.CHROMEOS, FormFactor.LAPTOP),
        (Platform.ANDROID, FormFactor.PHONE),
        (Platform.IOS, FormFactor.PHONE),
    ):
        assert kinds[pair] > 0, pair
    assert any(d.ownership is Ownership.PERSONAL for d in school.devices)
    years = Counter(r.year_group for r in on_roll if r.year_group is not None)
    assert set(years) == set(range(-1, 7))
    assert "250 devices" in school.describe() and "planted" in school.describe()


@pytest.mark.parametrize("name", sorted(VIOLATIONS))
def test_every_violation_is_planted_and_recognisable(school: DemoSchool, name: str) -> None:
    predicate = VIOLATIONS[name]
    by_id = {r.id: r for r in school.records()}
    ids = school.planted.get(name, ())
    assert ids, f"{name} was not planted"
    for rid in ids:
        assert predicate(school, by_id[rid]), f"{name} planted on {rid} but its fields do not show it"
    found = [r for r in school.records() if predicate(school, r)]
    assert len(found) <= max(6, len(ids) + 3), f"{name}: {len(found)} records, more than a sprinkling"


def test_planted_violations_are_a_sprinkling(school: DemoSchool) -> None:
    for name, ids in school.planted.items():
        if name.startswith("pupil_year_group"):
            continue
        assert len(ids) <= 8, name


def test_domain_policy_breaks_promises(school: DemoSchool) -> None:
    p = school.policy
    assert p.max_password_age_days == 180 and p.min_password_length == 7 and p.lockout_threshold == 0
    assert p.reversible_encryption is True and p.complexity_required is False
    pso = {s.name: s for s in p.fine_grained or ()}
    assert pso["Pupils PSO"].max_password_age_days == 0
    assert pso["Legacy Wi-Fi RADIUS"].reversible_encryption is True


def _pupil_year(acct: Account, entry: RosterEntry | None, today: date) -> int | None:
    if acct.year_group is not None:
        return acct.year_group
    if entry is None:
        return None
    if entry.year_group is not None:
        return entry.year_group
    return year_group_from_birth(entry.date_of_birth, today) if entry.date_of_birth else None


def test_roster_mismatches(school: DemoSchool) -> None:
    today = school.reference.date()
    roster = {r.pupil_id: r for r in school.roster}
    pupils = [a for a in school.accounts if a.role is Role.PUPIL]
    by_mis = {a.external_id: a for a in pupils if a.external_id}
    missing = [
        r for r in roster.values() if r.on_roll and (r.year_group or 0) >= 1 and r.pupil_id not in by_mis
    ]
    left_enabled = [
        a for a in pupils if a.enabled and a.external_id in roster and roster[a.external_id].on_roll is False
    ]
    below = [
        a
        for a in pupils
        if (y := _pupil_year(a, roster.get(a.external_id or ""), today)) is not None and y < 1
    ]
    no_consent = [
        a
        for a in pupils
        if a.enabled and a.external_id in roster and roster[a.external_id].internet_consent is False
    ]
    ghosts = [a for a in pupils if a.external_id and a.external_id not in roster]
    assert len(missing) >= 3 and len(left_enabled) >= 3 and len(below) >= 3
    assert len(no_consent) >= 2 and len(ghosts) >= 1
    assert any(r.internet_consent is None and r.pupil_id in by_mis for r in roster.values())
    assert any(a.external_id is None for a in pupils)
    assert any(
        r.on_roll is False and r.pupil_id in by_mis and by_mis[r.pupil_id].enabled is False
        for r in roster.values()
    ), "a leaver whose account was disabled (a pass)"


def test_year_groups_sometimes_only_from_the_roster_or_date_of_birth(school: DemoSchool) -> None:
    roster = {r.pupil_id: r for r in school.roster}
    pupils = [a for a in school.accounts if a.role is Role.PUPIL and a.external_id in roster]
    from_attr = [a for a in pupils if a.year_group is not None]
    dob_only = [a for a in pupils if a.year_group is None and roster[a.external_id].year_group is None]
    assert len(from_attr) > 0.9 * len(pupils)
    assert dob_only and all(roster[a.external_id].date_of_birth for a in dob_only)
    # The 31 August / 1 September boundary, decided by the date of birth alone.
    dobs = {
        (roster[a.external_id].date_of_birth.month, roster[a.external_id].date_of_birth.day) for a in dob_only
    }
    assert {(8, 31), (9, 1)} <= dobs
    today = school.reference.date()
    for a in dob_only:
        dob = roster[a.external_id].date_of_birth
        if (dob.month, dob.day) == (8, 31):
            assert year_group_from_birth(dob, today) == 1
        if (dob.month, dob.day) == (9, 1):
            assert year_group_from_birth(dob, today) == 0


def test_every_date_has_a_timezone_and_ids_are_unique(school: DemoSchool) -> None:
    ids = Counter((type(r).__name__, r.id) for r in school.records())
    assert max(ids.values()) == 1
    usernames = [a.username for a in school.accounts]
    assert len(usernames) == len(set(usernames))
    for r in school.records():
        for f in dataclasses.fields(r):
            v = getattr(r, f.name)
            if isinstance(v, datetime):
                assert v.tzinfo is not None, (r.id, f.name)


def test_only_synthetic_names(school: DemoSchool) -> None:
    assert not EXCLUDED & set(GIRLS + BOYS + ADULT_FIRST + SURNAMES)
    words = set()
    for a in school.accounts:
        words.update((a.display_name or "").split())
    for r in school.roster:
        words.update((r.given_name or "", r.family_name or ""))
    assert not words & EXCLUDED


def test_tiny_and_empty_schools_still_generate() -> None:
    empty = generate(Settings(pupils=0, staff=0, volunteers=0, service_accounts=0, devices=0), "demo", AS_OF)
    assert empty.accounts == () and empty.devices == () and empty.roster == ()
    tiny = generate(Settings(pupils=20, staff=5, volunteers=1, service_accounts=1, devices=12), "demo", AS_OF)
    assert tiny.counts()["devices"] == 12 and tiny.accounts


def test_settings_refuse_unknown_keys() -> None:
    with pytest.raises(ValidationError):
        Settings(pupil=3)  # type: ignore[call-arg]
