"""``map_user`` and ``map_computer`` on plain attribute dicts: whole records, no DC.

The samba tests check the same records as a real DC serves them; these pin the
joins (nested groups, admin groups, PSOs, BitLocker evidence) and, above all, that
an entry with nothing readable maps to unknowns rather than to safe-looking values.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from connectors.ad import mapping as m
from enforcer.identity import Classifier, RoleMatcher, YearGroupRule
from enforcer.model.values import Ownership, PasswordSettings, Platform, Role

BASE = "DC=school,DC=test"
STAFF = f"CN=Staff,OU=Groups,{BASE}"
TEACHERS = f"CN=Teachers,OU=Groups,{BASE}"
ADMINS = f"CN=Domain Admins,CN=Users,{BASE}"
GUID = uuid.UUID("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
JAN_2026 = 134116992000000000  # 2026-01-01T00:00:00Z as FILETIME
CLASSIFIER = Classifier(
    [RoleMatcher(Role.STAFF, group="Staff"), RoleMatcher(Role.PUPIL, ou=f"OU=Pupils,{BASE}")],
    YearGroupRule("description", r"Year (\d+)"),
)
POLICY = m.domain_policy(
    "ad", BASE, "school.test", {"maxpwdage": [b"-36288000000000"], "minpwdlength": [b"7"]}, ()
)


def raw(**values: object) -> m.Raw:
    """Attributes as ldap3 hands them over: lower-case names, lists of bytes."""
    out: dict[str, list[bytes]] = {}
    for name, value in values.items():
        items = value if isinstance(value, list) else [value]
        out[name.lower()] = [v if isinstance(v, bytes) else str(v).encode() for v in items]
    return out


def context(
    psos: tuple[m.Pso, ...] | None = (), admins_known: bool = True, kept: tuple[str, ...] = ()
) -> m.UserContext:
    membership = m.Membership(
        parents={TEACHERS.casefold(): (STAFF,), STAFF.casefold(): (STAFF,), ADMINS.casefold(): (ADMINS,)},
        admin=frozenset({ADMINS.casefold()}),
        admins_known=admins_known,
    )
    return m.UserContext("ad", CLASSIFIER, POLICY, psos, membership, kept)


def test_map_user_joins_nested_groups_and_reads_every_field() -> None:
    dn = f"CN=Ann Smith,OU=Staff,{BASE}"
    entry = raw(
        objectGUID=GUID.bytes_le,
        sAMAccountName="asmith",
        userPrincipalName="asmith@school.test",
        displayName="Ann Smith",
        userAccountControl=512 | m.DONT_EXPIRE_PASSWORD,
        pwdLastSet=JAN_2026,
        lastLogonTimestamp=JAN_2026,
        accountExpires=0,
        memberOf=[TEACHERS.lower()],
        employeeID="S123",
    )
    account = m.map_user(dn, entry, context())
    assert account.id == str(GUID) and account.source == "ad" and account.container == dn
    assert (account.username, account.upn, account.display_name) == (
        "asmith",
        "asmith@school.test",
        "Ann Smith",
    )
    assert account.groups == (STAFF, TEACHERS.lower())  # nested Staff joined, sorted case-insensitively
    assert account.role is Role.STAFF and account.year_group is None
    assert account.enabled is True and account.password_never_expires is True
    assert account.reversible_encryption is False and account.password_not_required is False
    assert account.password_last_set == datetime(2026, 1, 1, tzinfo=UTC)
    assert account.must_change_password is False
    assert account.last_logon == datetime(2026, 1, 1, tzinfo=UTC)
    assert (account.has_expiry, account.account_expires) == (False, None)
    assert (account.password_max_age_days, account.password_min_length) == (42, 7)
    assert account.is_admin is False and account.external_id == "S123"


def test_map_user_with_nothing_readable_is_unknown_not_safe() -> None:
    dn = f"CN=ghost,{BASE}"
    account = m.map_user(dn, {}, context(psos=None, admins_known=False))
    assert account.id == dn  # no readable objectGUID: the DN still identifies it
    assert account.role is Role.UNKNOWN
    for field in (
        "username",
        "enabled",
        "password_last_set",
        "must_change_password",
        "password_never_expires",
        "reversible_encryption",
        "password_not_required",
        "password_max_age_days",
        "password_min_length",
        "last_logon",
        "has_expiry",
        "is_admin",
        "external_id",
    ):
        assert getattr(account, field) is None, field


def test_map_user_admin_through_nesting_and_pwdlastset_zero() -> None:
    entry = raw(userAccountControl=512 | m.ACCOUNTDISABLE, pwdLastSet=0, memberOf=[ADMINS])
    account = m.map_user(f"CN=root,{BASE}", entry, context())
    assert account.is_admin is True and account.enabled is False
    assert (account.password_last_set, account.must_change_password) == (None, True)


def test_map_user_pupil_year_group_from_a_kept_attribute_and_its_pso() -> None:
    dn = f"CN=Pip,OU=Pupils,{BASE}"
    pso = m.Pso(
        PasswordSettings(name="pupils", precedence=1, applies_to=(dn,), max_password_age_days=0), dn, b""
    )
    entry = raw(description="Year 4", userAccountControl=512)
    account = m.map_user(dn, entry, context(psos=(pso,), kept=("description",)))
    assert account.role is Role.PUPIL and account.year_group == 4
    assert account.attributes == {"description": "Year 4"}
    assert account.password_max_age_days == 0 and account.password_min_length is None


WINDOWS = raw(
    objectGUID=GUID.bytes_le,
    name="LAB-01",
    operatingSystem="Windows 11 Education",
    operatingSystemVersion="10.0 (22631)",
    lastLogonTimestamp=JAN_2026,
)
DN = f"CN=LAB-01,OU=Computers,{BASE}"


@pytest.mark.parametrize(
    ("escrowed", "bitlocker", "encrypted", "note"),
    [
        ({DN.casefold()}, True, True, None),
        ({f"cn=other,{BASE}".casefold()}, True, False, None),
        (None, True, None, m.NO_BITLOCKER_RIGHTS),
        (None, False, None, m.NOT_COLLECTED),
    ],
)
def test_map_computer_bitlocker_evidence(
    escrowed: set[str] | None, bitlocker: bool, encrypted: bool | None, note: str | None
) -> None:
    device = m.map_computer("ad", DN, WINDOWS, escrowed, bitlocker=bitlocker)
    assert device.encrypted is encrypted
    assert device.notes.get("encrypted") == note
    assert device.id == str(GUID) and device.name == "LAB-01" and device.platform is Platform.WINDOWS
    assert device.os_version == "10.0.22631" and device.ownership is Ownership.SCHOOL
    assert device.last_check_in == datetime(2026, 1, 1, tzinfo=UTC)
    assert device.managed is None and device.notes["managed"] == m.NOT_IN_AD


@pytest.mark.parametrize("os_name", ["Mac OS X", "OneFS", None])
def test_map_computer_without_windows_has_no_encryption_evidence(os_name: str | None) -> None:
    entry = raw(operatingSystem=os_name) if os_name else {}
    device = m.map_computer("ad", DN, entry, {DN.casefold()})
    assert device.encrypted is None and device.notes["encrypted"] == m.NOT_WINDOWS
    assert device.id == DN and device.name is None and device.last_check_in is None


def test_is_disabled_only_when_the_bit_is_readable() -> None:
    assert m.is_disabled(raw(userAccountControl=4096 | m.ACCOUNTDISABLE)) is True
    assert m.is_disabled(raw(userAccountControl=4096)) is False
    assert m.is_disabled({}) is False


def test_dns_name_from_the_base_dn() -> None:
    assert m.dns_name(BASE) == "school.test"
    assert m.dns_name("OU=x,DC=a,DC=b,DC=uk") == "a.b.uk"
    assert m.dns_name("O=nothing") is None
