"""Every AD remediation on the real DC: dry-run writes nothing, apply changes it, undo restores it.

Each test makes its own account in OU=Remediation (outside the school the read
tests look at), so the tests stay independent of each other and of the order.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

import ldap3
import pytest

from connectors.ad import mapping as m
from connectors.ad.source import ADSource
from enforcer.actions.catalog import ACTIONS
from enforcer.actions.interface import ActionPlan, Outcome
from enforcer.model.values import Subject, SubjectKind
from tests.connectors.adtools import DC, admin_connection
from tests.services.samba import BASE

pytestmark = pytest.mark.samba
OU = f"OU=Remediation,{BASE}"
_n = itertools.count()


@pytest.fixture(scope="module")
def admin(samba_dc: DC) -> Iterator[ldap3.Connection]:
    conn = admin_connection()
    conn.add(OU, "organizationalUnit")
    yield conn
    conn.unbind()


def make_user(conn: ldap3.Connection, uac: int) -> tuple[str, str]:
    """A user with a real password (so pwdLastSet is a date), then the given userAccountControl."""
    name = f"rem{next(_n)}"
    dn = f"CN={name},{OU}"
    conn.add(dn, "user", {"sAMAccountName": name})
    conn.modify(dn, {"unicodePwd": [(ldap3.MODIFY_REPLACE, ['"Rem-Pass!2026x"'.encode("utf-16-le")])]})
    conn.modify(dn, {"userAccountControl": [(ldap3.MODIFY_REPLACE, [uac])]})
    conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=["objectGUID"])
    guid = str(uuid.UUID(bytes_le=conn.response[0]["raw_attributes"]["objectGUID"][0]))
    return dn, guid


def read_back(conn: ldap3.Connection, dn: str) -> tuple[int, int]:
    conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=["userAccountControl", "pwdLastSet"])
    raw = conn.response[0]["raw_attributes"]
    return int(raw["userAccountControl"][0]), int(raw["pwdLastSet"][0])


def plan(action: str, guid: str, name: str, dry_run: bool) -> ActionPlan:
    return ActionPlan(
        action=action,
        subject=Subject(SubjectKind.ACCOUNT, guid, name, "ad"),
        rule="test-rule",
        finding="f" * 20,
        dry_run=dry_run,
    )


def test_supported_actions_are_catalogued(ad: ADSource) -> None:
    assert ad.supported_actions() == {
        "force-password-change",
        "disable-account",
        "clear-password-never-expires",
        "clear-reversible-encryption",
    }
    assert ad.supported_actions() <= set(ACTIONS)


@pytest.mark.parametrize(
    ("action", "start_uac", "bit", "after_set"),
    [
        ("disable-account", 512, m.ACCOUNTDISABLE, True),
        ("clear-password-never-expires", 512 | m.DONT_EXPIRE_PASSWORD, m.DONT_EXPIRE_PASSWORD, False),
        (
            "clear-reversible-encryption",
            512 | m.ENCRYPTED_TEXT_PWD_ALLOWED,
            m.ENCRYPTED_TEXT_PWD_ALLOWED,
            False,
        ),
    ],
)
def test_uac_actions_dry_run_apply_undo(
    ad: ADSource, admin: ldap3.Connection, action: str, start_uac: int, bit: int, after_set: bool
) -> None:
    dn, guid = make_user(admin, start_uac)
    before = read_back(admin, dn)
    assert before[0] == start_uac

    dry = ad.apply(plan(action, guid, dn, dry_run=True))
    assert dry.outcome is Outcome.PLANNED
    assert dry.previous == {"dn": dn, "userAccountControl": start_uac}
    assert read_back(admin, dn) == before  # nothing written

    done = ad.apply(plan(action, guid, dn, dry_run=False))
    assert done.outcome is Outcome.APPLIED, done.message
    assert done.previous == {"dn": dn, "userAccountControl": start_uac}
    uac = read_back(admin, dn)[0]
    assert bool(uac & bit) is after_set
    assert uac & ~bit == start_uac & ~bit  # no other bit touched
    assert done.new == {"userAccountControl": uac}

    undone = ad.undo(done)
    assert undone.outcome is Outcome.UNDONE, undone.message
    assert read_back(admin, dn) == before


def test_force_password_change_dry_run_apply_undo(ad: ADSource, admin: ldap3.Connection) -> None:
    dn, guid = make_user(admin, 512)
    uac, old_pwd_last_set = read_back(admin, dn)
    assert old_pwd_last_set > 0

    dry = ad.apply(plan("force-password-change", guid, dn, dry_run=True))
    assert dry.outcome is Outcome.PLANNED
    assert dry.previous == {"dn": dn, "pwdLastSet": old_pwd_last_set}
    assert read_back(admin, dn) == (uac, old_pwd_last_set)

    done = ad.apply(plan("force-password-change", guid, dn, dry_run=False))
    assert done.outcome is Outcome.APPLIED, done.message
    assert done.previous == {"dn": dn, "pwdLastSet": old_pwd_last_set}
    assert read_back(admin, dn) == (uac, 0)  # must change at next logon

    undone = ad.undo(done)
    assert undone.outcome is Outcome.UNDONE, undone.message
    assert "cannot be written back" in undone.message
    _, restored = read_back(admin, dn)
    assert restored >= old_pwd_last_set  # -1 means "now": no longer forced, original date not restorable
    assert restored != 0


def test_undo_keeps_changes_made_to_other_bits_meanwhile(ad: ADSource, admin: ldap3.Connection) -> None:
    dn, guid = make_user(admin, 512)
    done = ad.apply(plan("disable-account", guid, dn, dry_run=False))
    admin.modify(
        dn,
        {"userAccountControl": [(ldap3.MODIFY_REPLACE, [512 | m.ACCOUNTDISABLE | m.DONT_EXPIRE_PASSWORD])]},
    )
    assert ad.undo(done).outcome is Outcome.UNDONE
    assert read_back(admin, dn)[0] == 512 | m.DONT_EXPIRE_PASSWORD


def test_failures_are_results_not_exceptions(ad: ADSource, admin: ldap3.Connection) -> None:
    missing = ad.apply(plan("disable-account", str(uuid.uuid4()), "ghost", dry_run=False))
    assert missing.outcome is Outcome.FAILED and "not found" in missing.message
    hostile = ad.apply(plan("disable-account", "*)(objectClass=*", "x", dry_run=False))
    assert hostile.outcome is Outcome.FAILED and "objectGUID" in hostile.message
    other = ad.apply(plan("remote-lock", str(uuid.uuid4()), "x", dry_run=False))
    assert other.outcome is Outcome.SKIPPED
    dn, guid = make_user(admin, 512)
    assert ad.undo(ad.apply(plan("disable-account", guid, dn, dry_run=True))).outcome is Outcome.SKIPPED


def test_apply_as_an_ordinary_account_fails_cleanly(
    samba_dc: DC, admin: ldap3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.connectors.adtools import make_source

    dn, guid = make_user(admin, 512)
    reader = make_source(monkeypatch, admin=False)
    result = reader.apply(plan("disable-account", guid, dn, dry_run=False))
    assert result.outcome is Outcome.FAILED
    assert "insufficient" in result.message.lower() or "access" in result.message.lower()
    assert read_back(admin, dn)[0] == 512
