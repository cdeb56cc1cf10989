"""Shared by the AD tests: the identity rules of the test school and a source factory."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from connectors.ad.settings import Settings
from connectors.ad.source import ADSource, build
from enforcer.identity import Classifier, RoleMatcher, YearGroupRule
from enforcer.model.values import Role
from enforcer.secrets import read_secret
from enforcer.sources.interface import BuildContext
from tests.connectors.school import READER_DN, READER_PASSWORD, SCHOOL_OU
from tests.services.samba import ADMIN_DN, ADMIN_PASSWORD, CA_FILE, HOST, SambaDC

if TYPE_CHECKING:
    import ldap3  # imported when a connection is made, not when the fixtures load

ROLES = [
    RoleMatcher(Role.STAFF, group="Staff"),
    RoleMatcher(Role.STAFF, group="Support (Temp) *"),
    RoleMatcher(Role.STAFF, attribute="employeeType", value="staff"),
    RoleMatcher(Role.PUPIL, ou=f"OU=Pupils,{SCHOOL_OU}"),
    RoleMatcher(Role.VOLUNTEER, ou=f"OU=Volunteers,{SCHOOL_OU}"),
    RoleMatcher(Role.SERVICE, ou=f"OU=Service,{SCHOOL_OU}"),
]
CLASSIFIER = Classifier(ROLES, YearGroupRule("description", r"Year (\d+)"))


def settings(**over: Any) -> Settings:
    raw: dict[str, Any] = {
        "host": HOST,
        "tls": "ldaps",
        "ca_file": str(CA_FILE),
        "bind_dn": {"env": "ENFORCER_TEST_AD_BIND_DN"},
        "bind_password": {"env": "ENFORCER_TEST_AD_PASSWORD"},
        "user_base": SCHOOL_OU,
        "computer_base": f"OU=Computers,{SCHOOL_OU}",
        "retries": 1,
        "retry_delay": 0.2,
        "connect_timeout": 5,
        "read_timeout": 20,
    }
    raw.update(over)
    return Settings.model_validate(raw)


def make_source(
    monkeypatch: pytest.MonkeyPatch, admin: bool = True, classifier: Classifier = CLASSIFIER, **over: Any
) -> ADSource:
    """Bind as Administrator (or the ordinary ``reader``), secrets through the environment."""
    monkeypatch.setenv("ENFORCER_TEST_AD_BIND_DN", ADMIN_DN if admin else READER_DN)
    monkeypatch.setenv("ENFORCER_TEST_AD_PASSWORD", ADMIN_PASSWORD if admin else READER_PASSWORD)
    ctx = BuildContext(secrets=read_secret, classifier=classifier, base_dir=Path.cwd())
    return build("ad", settings(**over), ctx)


class DC:
    """The running DC plus what the tests need to know about it."""

    def __init__(self, samba: SambaDC, loaded_at: datetime) -> None:
        self.samba = samba
        self.loaded_at = loaded_at


def admin_connection() -> ldap3.Connection:
    """A plain ldap3 connection as Administrator, independent of the connector, for reading back."""
    import ssl

    import ldap3

    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(CA_FILE))
    server = ldap3.Server(HOST, port=636, use_ssl=True, tls=tls, get_info=ldap3.NONE)
    return ldap3.Connection(
        server, ADMIN_DN, ADMIN_PASSWORD, auto_bind=True, raise_exceptions=True, auto_referrals=False
    )
