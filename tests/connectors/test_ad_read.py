"""What the connector reads from a real Samba DC loaded with the test school, field by field."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from connectors.ad.source import ADSource
from enforcer.model.values import Account, Device, DomainPolicy, Ownership, Platform, Role
from tests.connectors.adtools import DC, make_source
from tests.services.samba import BASE

pytestmark = pytest.mark.samba
G = f"OU=Groups,OU=School,{BASE}"


def read(source: ADSource) -> tuple[DomainPolicy, dict[str, Account], dict[str, Device]]:
    records = list(source.collect())
    policies = [r for r in records if isinstance(r, DomainPolicy)]
    assert len(policies) == 1
    accounts = {r.username: r for r in records if isinstance(r, Account)}
    devices = {r.name: r for r in records if isinstance(r, Device)}
    assert len(accounts) + len(devices) + 1 == len(records)
    return policies[0], accounts, devices  # type: ignore[return-value]


@pytest.fixture(scope="module")
def admin_view(samba_dc: DC) -> tuple[DomainPolicy, dict[str, Account], dict[str, Device]]:
    with pytest.MonkeyPatch.context() as mp:
        return read(make_source(mp))


@pytest.fixture(scope="module")
def reader_view(samba_dc: DC) -> tuple[DomainPolicy, dict[str, Account], dict[str, Device]]:
    with pytest.MonkeyPatch.context() as mp:
        return read(make_source(mp, admin=False))


def days_ago(dc: DC, when: datetime | None) -> float:
    assert when is not None
    return (dc.loaded_at - when) / timedelta(days=1)


def test_every_school_account_and_no_other(admin_view) -> None:
    _, accounts, _ = admin_view
    assert sorted(accounts) == sorted(
        [
            "alice.teacher",
            "bob.head",
            "carol.office",
            "erin.new",
            "frank.ta",
            "gina.supply",
            "obrien",
            "harry.disabled",
            "dave.leaver",
            "liz.left",
            "vera.volunteer",
            "victor.volunteer",
            "walt.volunteer",
            "p.reception",
            "p.year3",
            "p.year6",
            "p.unknown",
            "svc.backup",
            "zed.unplaced",
        ]
    )


def test_passwords(admin_view, samba_dc: DC) -> None:
    _, a, _ = admin_view
    assert round(days_ago(samba_dc, a["alice.teacher"].password_last_set), 3) == 200
    assert a["alice.teacher"].must_change_password is False
    assert a["erin.new"].password_last_set is None  # pwdLastSet 0: no date, must change
    assert a["erin.new"].must_change_password is True
    assert round(days_ago(samba_dc, a["svc.backup"].password_last_set), 3) == 900
    assert a["bob.head"].password_never_expires is True
    assert a["alice.teacher"].password_never_expires is False


def test_account_flags(admin_view, samba_dc: DC) -> None:
    _, a, _ = admin_view
    assert (a["harry.disabled"].enabled, a["alice.teacher"].enabled) == (False, True)
    assert a["carol.office"].reversible_encryption is True
    assert a["alice.teacher"].reversible_encryption is False
    assert a["frank.ta"].password_not_required is True
    assert a["carol.office"].password_not_required is False
    assert a["frank.ta"].has_expiry is True
    assert round(-days_ago(samba_dc, a["frank.ta"].account_expires), 3) == 200
    for never in ("victor.volunteer", "walt.volunteer"):  # 0x7FFFFFFFFFFFFFFF and 0
        assert (a[never].has_expiry, a[never].account_expires) == (False, None)


def test_roles_groups_and_nesting(admin_view) -> None:
    _, a, _ = admin_view
    roles = {name: acc.role for name, acc in a.items()}
    assert roles["alice.teacher"] is Role.STAFF  # only via Teachers, nested in Staff (in-chain)
    assert roles["carol.office"] is Role.STAFF  # by attribute employeeType
    assert roles["obrien"] is Role.STAFF  # by the group whose name needs escaping
    assert roles["vera.volunteer"] is Role.VOLUNTEER
    assert roles["svc.backup"] is Role.SERVICE
    assert roles["zed.unplaced"] is Role.UNKNOWN
    assert roles["liz.left"] is Role.UNKNOWN
    assert a["alice.teacher"].groups == (f"CN=Staff,{G}", f"CN=Teachers,{G}")
    assert a["carol.office"].attributes == {"employeeType": "staff"}
    assert a["alice.teacher"].external_id == "S001"
    assert a["bob.head"].is_admin is True  # IT Admins is nested in Domain Admins
    assert a["alice.teacher"].is_admin is False
    assert a["obrien"].container == f"CN=O'Brien (Admin) *,OU=Staff,OU=School,{BASE}"
    assert a["obrien"].display_name == "Pat O'Brien"


def test_pupils_year_groups(admin_view) -> None:
    _, a, _ = admin_view
    assert {n: (a[n].role, a[n].year_group) for n in ("p.reception", "p.year3", "p.year6", "p.unknown")} == {
        "p.reception": (Role.PUPIL, 0),
        "p.year3": (Role.PUPIL, 3),
        "p.year6": (Role.PUPIL, 6),
        "p.unknown": (Role.PUPIL, None),
    }
    assert a["p.year3"].attributes == {"description": "Year 3"}


def test_domain_policy_and_psos(admin_view) -> None:
    policy, _, _ = admin_view
    assert (
        policy.id,
        policy.name,
        policy.max_password_age_days,
        policy.min_password_length,
        policy.complexity_required,
        policy.reversible_encryption,
        policy.lockout_threshold,
        policy.history_length,
    ) == (BASE, "school.test", 42, 7, True, False, 0, 24)
    assert policy.fine_grained is not None
    psos = {
        p.name: (
            p.precedence,
            p.applies_to,
            p.max_password_age_days,
            p.min_password_length,
            p.complexity_required,
            p.reversible_encryption,
            p.lockout_threshold,
            p.history_length,
        )
        for p in policy.fine_grained
    }
    assert psos == {
        "Staff PSO": (10, (f"CN=Staff,{G}",), 90, 12, True, False, 5, 24),
        "Admin PSO": (5, (f"CN=IT Admins,{G}",), 60, 15, True, False, 5, 24),
        "Gina PSO": (50, (f"CN=gina.supply,OU=Staff,OU=School,{BASE}",), 30, 14, True, False, 5, 24),
        "Support PSO": (20, (f"CN=Support (Temp) *,{G}",), 365, 8, True, False, 5, 24),
    }


def test_effective_password_policy_per_account(admin_view) -> None:
    _, a, _ = admin_view
    effective = {n: (acc.password_max_age_days, acc.password_min_length) for n, acc in a.items()}
    assert effective["alice.teacher"] == (90, 12)  # Staff PSO through nested Teachers
    assert effective["bob.head"] == (60, 15)  # Admin PSO (5) beats Staff PSO (10)
    assert effective["gina.supply"] == (30, 14)  # direct link beats group PSOs of lower precedence
    assert effective["obrien"] == (365, 8)
    assert effective["carol.office"] == (42, 7)  # no PSO: the domain policy
    assert effective["p.year3"] == (42, 7)


def test_computers_and_bitlocker(admin_view) -> None:
    _, _, d = admin_view
    assert sorted(d) == ["LNX-01", "MAC-01", "NOOS", "PC-ENC", "PC-PLAIN"]  # disabled PC-OLD left out
    got = {n: (dev.platform, dev.os_version, dev.encrypted, dev.ownership) for n, dev in d.items()}
    assert got == {
        "PC-ENC": (Platform.WINDOWS, "10.0.22631", True, Ownership.SCHOOL),
        "PC-PLAIN": (Platform.WINDOWS, "10.0.19045", False, Ownership.SCHOOL),
        "MAC-01": (Platform.MACOS, "14.5", None, Ownership.SCHOOL),
        "LNX-01": (Platform.LINUX, "22.04", None, Ownership.SCHOOL),
        "NOOS": (None, None, None, Ownership.SCHOOL),
    }
    for dev in d.values():
        assert (dev.managed, dev.tracking, dev.antivirus_current, dev.firewall_on, dev.passcode_required) == (
            None,
        ) * 5
    assert "only for Windows" in d["MAC-01"].notes["encrypted"]
    assert "encrypted" not in d["PC-ENC"].notes


def test_ordinary_bind_cannot_see_bitlocker_so_encryption_is_unknown(reader_view) -> None:
    _, _, d = reader_view
    assert {n: dev.encrypted for n, dev in d.items()} == dict.fromkeys(d, None)
    assert "msFVE-RecoveryInformation" in d["PC-PLAIN"].notes["encrypted"]
    assert "cannot be confirmed" in d["PC-ENC"].notes["encrypted"]


def test_ordinary_bind_cannot_see_psos_so_effective_ages_are_unknown(reader_view) -> None:
    policy, a, _ = reader_view
    assert policy.fine_grained is None
    assert policy.max_password_age_days == 42  # the domain root itself is readable
    assert (a["alice.teacher"].password_max_age_days, a["alice.teacher"].password_min_length) == (None, None)
    assert a["alice.teacher"].role is Role.STAFF


def test_extra_attributes_from_settings(samba_dc: DC, monkeypatch: pytest.MonkeyPatch) -> None:
    _, a, _ = read(make_source(monkeypatch, attributes=["displayName", "department"]))
    assert a["alice.teacher"].attributes == {"displayName": "alice.teacher"}  # absent ones left out
    assert a["p.year3"].attributes == {"description": "Year 3", "displayName": "p.year3"}
