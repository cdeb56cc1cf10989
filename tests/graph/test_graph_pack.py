"""The primary-school pack over what the Graph source reads: the exact failing findings, and an
``error`` (never a pass) wherever Graph did not say."""

from __future__ import annotations

import pytest

from enforcer.engine import evaluate
from enforcer.model.values import Status
from enforcer.rules.loader import load_pack

pytestmark = pytest.mark.graph

FAILING = {
    ("account-role-known", "wifi.visitor"),
    ("computer-encrypted", "STU-LT-0142"),
    ("device-antivirus-current", "STU-LT-0142"),  # signatures overdue
    ("domain-password-max-age", "legacy.stexample.org.uk"),  # 2147483647 = never expires
    ("mobile-tracking", "Classroom-3B-iPad-07"),  # inventory read, no tracking app
    ("pupil-account-year-1-up", "amy.r"),  # Reception, from the SDS birth date
    ("staff-password-expiry-enabled", "tom.brown"),
    ("staff-password-max-age", "tom.brown"),
    ("staff-password-policy-max-age", "admin.head"),
    ("staff-password-policy-max-age", "tom.brown"),
}
ACCOUNTS = ("admin.head", "amy.r", "jane.smith", "leo.k", "mia.o", "odd.one", "tom.brown", "wifi.visitor")
DOMAINS = ("legacy.stexample.org.uk", "stexample.sch.uk", "stexampleprimary.onmicrosoft.com")
WINDOWS_MAC = ("HEAD-MBA", "OFFICE-PC-02", "STAFF-LT-0007", "STU-LT-0142")
ERRORS = {
    # not in Graph v1.0 at all: every subject the rule applies to is an error
    *{("password-required", a) for a in ACCOUNTS},
    *{("password-stored-non-reversibly", a) for a in ACCOUNTS},
    *{
        (r, d)
        for r in (
            "domain-password-min-length",
            "domain-password-complexity",
            "domain-reversible-encryption-off",
        )
        for d in DOMAINS
    },
    *{("device-firewall-on", d) for d in (*WINDOWS_MAC, "MYSTERY-01")},
    *{
        ("device-password-protected", d)
        for d in (
            *WINDOWS_MAC,
            "Classroom-3B-iPad-07",
            "Classroom-3B-iPad-08",
            "Nursery-Tab-01",
            "MYSTERY-01",
        )
    },
    # a user whose accountEnabled / passwordPolicies were not returned
    *{
        (r, "odd.one")
        for r in (
            "account-role-known",
            "staff-password-expiry-enabled",
            "staff-password-max-age",
            "staff-password-policy-max-age",
        )
    },
    # unknown enum values on MYSTERY-01 (platform, owner type, management agent, jailBroken)
    *{
        (r, "MYSTERY-01")
        for r in (
            "computer-encrypted",
            "device-antivirus-current",
            "device-os-up-to-date",
            "mobile-approved-app-stores",
            "mobile-remote-wipe",
            "mobile-tracking",
        )
    },
    ("device-antivirus-current", "HEAD-MBA"),  # macOS: no windowsProtectionState
    ("device-antivirus-current", "OFFICE-PC-02"),  # no protection state reported (404 in the batch)
    ("mobile-tracking", "Nursery-Tab-01"),  # app inventory never read for it
    ("mobile-approved-app-stores", "Nursery-Tab-01"),  # jailBroken "Unknown"
    ("pupil-account-year-1-up", "mia.o"),  # no birth date
    ("leaver-disabled", "wifi.visitor"),  # no department, so no container
}


def test_primary_school_pack_over_graph(make_source, as_of):
    records = list(make_source().collect())
    findings = [
        f for f in evaluate(load_pack("primary-school"), records, as_of) if f.subject.source == "entra"
    ]
    got = {s: {(f.rule, f.subject.name) for f in findings if f.status is s} for s in Status}
    assert got[Status.FAIL] == FAILING
    assert got[Status.ERROR] == ERRORS
    passes = got[Status.PASS]
    assert ("computer-encrypted", "STAFF-LT-0007") in passes and (
        "mobile-tracking",
        "Classroom-3B-iPad-08",
    ) in passes
