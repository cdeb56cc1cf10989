"""The primary-school pack's rules at their boundaries, on hand-built records."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from enforcer.engine import evaluate
from enforcer.model.values import (
    Account,
    Device,
    DomainPolicy,
    FormFactor,
    Ownership,
    Platform,
    Role,
    RosterEntry,
    Status,
)
from enforcer.rules.loader import load_pack

AS_OF = datetime(2026, 11, 22, tzinfo=UTC)
PACK = load_pack("primary-school")


def verdicts(records: list[object], rule: str) -> dict[str, Status]:
    return {f.subject.id: f.status for f in evaluate(PACK, records, AS_OF, [rule])}  # type: ignore[arg-type]


def staff(id_: str, **kw: object) -> Account:
    base: dict[str, object] = dict(role=Role.STAFF, enabled=True, username=id_)
    base.update(kw)
    return Account(source="t", id=id_, **base)  # type: ignore[arg-type]


def test_staff_password_exactly_90_days_passes_91_fails() -> None:
    got = verdicts(
        [
            staff("d90", password_last_set=AS_OF - timedelta(days=90)),
            staff("d91", password_last_set=AS_OF - timedelta(days=91), must_change_password=False),
            # Too old, but whether a change is already pending is unknown: cannot be decided.
            staff("d91-pending-unknown", password_last_set=AS_OF - timedelta(days=91)),
            staff("unknown"),
            staff("must-change", must_change_password=True),
            staff("left", enabled=False, password_last_set=AS_OF - timedelta(days=400)),
        ],
        "staff-password-max-age",
    )
    assert got == {
        "d90": Status.PASS,
        "d91": Status.FAIL,
        "d91-pending-unknown": Status.ERROR,
        "unknown": Status.ERROR,
        "must-change": Status.PASS,
    }


def test_pupils_are_not_held_to_staff_expiry() -> None:
    pupil = Account(source="t", id="p", role=Role.PUPIL, enabled=True, password_never_expires=True)
    assert verdicts([pupil], "staff-password-expiry-enabled") == {}


def _pupil_account(id_: str, **kw: object) -> Account:
    return Account(source="t", id=id_, username=id_, role=Role.PUPIL, enabled=True, external_id=id_, **kw)  # type: ignore[arg-type]


def _entry(id_: str, dob: date, **kw: object) -> RosterEntry:
    base: dict[str, object] = dict(on_roll=True, internet_consent=True)
    base.update(kw)
    return RosterEntry(source="mis", pupil_id=id_, given_name="A", family_name="B", date_of_birth=dob, **base)  # type: ignore[arg-type]


def test_child_turning_5_on_31_august_is_year_1_but_1_september_is_reception() -> None:
    # School year 2026/27 starts 1 Sep 2026: Year 1 children turned 5 by 31 Aug 2026.
    records = [
        _pupil_account("aug31"),
        _pupil_account("sep1"),
        _entry("aug31", date(2021, 8, 31)),
        _entry("sep1", date(2021, 9, 1)),
    ]
    assert verdicts(records, "pupil-account-year-1-up") == {"aug31": Status.PASS, "sep1": Status.FAIL}
    # And the roll: the Year 1 child without an account is missing; the Reception child is not required.
    roll = [_entry("aug31", date(2021, 8, 31)), _entry("sep1", date(2021, 9, 1))]
    assert verdicts(roll, "pupil-has-account") == {"aug31": Status.FAIL}


def test_roster_reconciliation_leavers_and_consent() -> None:
    records = [
        _pupil_account("onroll"),
        _entry("onroll", date(2018, 1, 1)),
        _pupil_account("left"),
        _entry("left", date(2018, 1, 1), on_roll=False),
        _pupil_account("ghost"),  # no roster entry at all
        _pupil_account("noconsent"),
        _entry("noconsent", date(2018, 1, 1), internet_consent=None),
    ]
    assert verdicts(records, "pupil-leaver-disabled") == {
        "onroll": Status.PASS,
        "left": Status.FAIL,
        "ghost": Status.FAIL,
        "noconsent": Status.PASS,
    }
    assert verdicts(records, "pupil-internet-consent") == {
        "onroll": Status.PASS,
        "left": Status.PASS,
        "ghost": Status.ERROR,
        "noconsent": Status.ERROR,
    }


def test_roster_rules_without_a_roster_are_one_clear_error_each() -> None:
    findings = evaluate(PACK, [_pupil_account("p")], AS_OF, ["pupil-leaver-disabled", "pupil-has-account"])
    assert {(f.rule, f.status, f.subject.id) for f in findings} == {
        ("pupil-leaver-disabled", Status.ERROR, "roster"),
        ("pupil-has-account", Status.ERROR, "roster"),
    }
    assert all("needs a roster" in f.message for f in findings)


@pytest.mark.parametrize(
    "field, rule",
    [
        ("encrypted", "computer-encrypted"),
        ("antivirus_current", "device-antivirus-current"),
        ("firewall_on", "device-firewall-on"),
        ("passcode_required", "device-password-protected"),
    ],
)
def test_school_computer_controls_pass_fail_and_unknown(field: str, rule: str) -> None:
    def laptop(id_: str, value: bool | None) -> Device:
        return Device(
            source="t",
            id=id_,
            platform=Platform.WINDOWS,
            form_factor=FormFactor.LAPTOP,
            ownership=Ownership.SCHOOL,
            **{field: value},  # type: ignore[arg-type]
        )

    assert verdicts([laptop("on", True), laptop("off", False), laptop("unknown", None)], rule) == {
        "on": Status.PASS,
        "off": Status.FAIL,
        "unknown": Status.ERROR,
    }


def test_mobile_devices_tracked_and_wipeable_and_unknown_platform_is_an_error() -> None:
    ipad = Device(
        source="t", id="ipad", platform=Platform.IOS, ownership=Ownership.SCHOOL, tracking=False, managed=True
    )
    mystery = Device(source="t", id="mystery", ownership=Ownership.SCHOOL, tracking=True)
    personal = Device(
        source="t", id="own", platform=Platform.IOS, ownership=Ownership.PERSONAL, tracking=False
    )
    assert verdicts([ipad, mystery, personal], "mobile-tracking") == {
        "ipad": Status.FAIL,
        "mystery": Status.ERROR,
    }
    assert verdicts([ipad], "mobile-remote-wipe") == {"ipad": Status.PASS}


def test_domain_policy_boundaries() -> None:
    def dom(id_: str, **kw: object) -> DomainPolicy:
        return DomainPolicy(source="t", id=id_, **kw)  # type: ignore[arg-type]

    got = verdicts(
        [
            dom("d90", max_password_age_days=90),
            dom("d91", max_password_age_days=91),
            dom("never", max_password_age_days=0),
            dom("unknown"),
        ],
        "domain-password-max-age",
    )
    assert got == {"d90": Status.PASS, "d91": Status.FAIL, "never": Status.FAIL, "unknown": Status.ERROR}
    got = verdicts(
        [dom("ok", reversible_encryption=False), dom("bad", reversible_encryption=True)],
        "domain-reversible-encryption-off",
    )
    assert got == {"ok": Status.PASS, "bad": Status.FAIL}


def test_findings_carry_clause_remediation_and_stable_fingerprint() -> None:
    rec = staff("s", password_last_set=AS_OF - timedelta(days=200))
    a = evaluate(PACK, [rec], AS_OF, ["staff-password-max-age"])[0]
    b = evaluate(PACK, [rec], AS_OF + timedelta(days=3), ["staff-password-max-age"])[0]
    assert a.clause.startswith("Network security")
    assert a.remediation.action == "force-password-change"
    assert a.evidence["password_last_set_age_days"] == 200
    assert a.fingerprint == b.fingerprint and len(a.fingerprint) == 20
