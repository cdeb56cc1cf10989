"""Every operator in the table, at its boundaries, and with unknown input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from enforcer.engine import evaluate
from enforcer.model.values import Account, Device, Platform, Role, Status
from enforcer.rules.operators import OPERATORS
from tests.unit.helpers import pack_from, rule_yaml

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def status(kind: str, expect: str, record: object, where: str | None = None) -> Status | None:
    findings = evaluate(pack_from(rule_yaml(kind, expect, where)), [record], NOW)
    return findings[0].status if findings else None


def acct(**kw: object) -> Account:
    return Account(source="t", id="a1", username="a", **kw)  # type: ignore[arg-type]


CASES = {
    "eq": [
        ("{key: enabled, op: eq, value: true}", acct(enabled=True), Status.PASS),
        ("{key: enabled, op: eq, value: true}", acct(enabled=False), Status.FAIL),
    ],
    "ne": [
        ("{key: role, op: ne, value: unknown}", acct(role=Role.STAFF), Status.PASS),
        ("{key: role, op: ne, value: unknown}", acct(role=Role.UNKNOWN), Status.FAIL),
    ],
    "in": [
        ("{key: role, op: in, value: [staff, pupil]}", acct(role=Role.PUPIL), Status.PASS),
        ("{key: role, op: in, value: [staff, pupil]}", acct(role=Role.SERVICE), Status.FAIL),
    ],
    "not_in": [
        ("{key: role, op: not_in, value: [service]}", acct(role=Role.STAFF), Status.PASS),
        ("{key: role, op: not_in, value: [service]}", acct(role=Role.SERVICE), Status.FAIL),
    ],
    "lt": [
        ("{key: year_group, op: lt, value: 7}", acct(year_group=6), Status.PASS),
        ("{key: year_group, op: lt, value: 7}", acct(year_group=7), Status.FAIL),
    ],
    "le": [
        ("{key: year_group, op: le, value: 6}", acct(year_group=6), Status.PASS),
        ("{key: year_group, op: le, value: 6}", acct(year_group=7), Status.FAIL),
    ],
    "gt": [
        ("{key: year_group, op: gt, value: 0}", acct(year_group=1), Status.PASS),
        ("{key: year_group, op: gt, value: 0}", acct(year_group=0), Status.FAIL),
    ],
    "ge": [
        ("{key: year_group, op: ge, value: 1}", acct(year_group=1), Status.PASS),
        ("{key: year_group, op: ge, value: 1}", acct(year_group=0), Status.FAIL),
    ],
    "age_at_most": [
        (
            "{key: password_last_set, op: age_at_most, days: 90}",
            acct(password_last_set=NOW - timedelta(days=90)),
            Status.PASS,
        ),
        (
            "{key: password_last_set, op: age_at_most, days: 90}",
            acct(password_last_set=NOW - timedelta(days=90, seconds=1)),
            Status.FAIL,
        ),
    ],
    "age_at_least": [
        (
            "{key: last_logon, op: age_at_least, days: 30}",
            acct(last_logon=NOW - timedelta(days=30)),
            Status.PASS,
        ),
        (
            "{key: last_logon, op: age_at_least, days: 30}",
            acct(last_logon=NOW - timedelta(days=29)),
            Status.FAIL,
        ),
    ],
    "in_future": [
        ("{key: account_expires, op: in_future}", acct(account_expires=NOW + timedelta(days=1)), Status.PASS),
        ("{key: account_expires, op: in_future}", acct(account_expires=NOW - timedelta(days=1)), Status.FAIL),
    ],
    "matches": [
        (
            "{key: container, op: matches, value: '(?i)ou=leavers'}",
            acct(container="CN=x,OU=Leavers"),
            Status.PASS,
        ),
        (
            "{key: container, op: matches, value: '(?i)ou=leavers'}",
            acct(container="CN=x,OU=Staff"),
            Status.FAIL,
        ),
    ],
    "not_matches": [
        ("{key: username, op: not_matches, value: '^admin'}", acct(), Status.PASS),
        ("{key: username, op: not_matches, value: '^a'}", acct(), Status.FAIL),
    ],
    "contains": [
        ("{key: groups, op: contains, value: Staff}", acct(groups=("staff", "x")), Status.PASS),
        ("{key: groups, op: contains, value: Staff}", acct(groups=("x",)), Status.FAIL),
    ],
    "not_contains": [
        ("{key: groups, op: not_contains, value: Admins}", acct(groups=("x",)), Status.PASS),
        ("{key: groups, op: not_contains, value: Admins}", acct(groups=("admins",)), Status.FAIL),
    ],
}


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_every_operator_passes_fails_and_errors_on_unknown(name: str) -> None:
    if name == "version_at_least":
        expect = "{key: os_version, op: version_at_least, value: {windows: '10.0.22631'}}"
        dev = lambda v: Device(source="t", id="d", platform=Platform.WINDOWS, os_version=v)  # noqa: E731
        assert status("device", expect, dev("10.0.22631.4317")) is Status.PASS
        assert status("device", expect, dev("10.0.22631")) is Status.PASS
        assert status("device", expect, dev("10.0.19045.5000")) is Status.FAIL
        assert status("device", expect, dev(None)) is Status.ERROR
        assert status("device", expect, dev("unknown build")) is Status.ERROR
        ios = Device(source="t", id="d", platform=Platform.IOS, os_version="17.1")
        assert status("device", expect, ios) is Status.ERROR  # no minimum for ios: cannot judge
        return
    cases = CASES[name]
    for expect, record, wanted in cases:
        assert status("account", expect, record) is wanted, (expect, record)
    # Unknown input is an error, never a pass.
    expect = cases[0][0]
    key = expect.split("key: ")[1].split(",")[0]
    blank = Account(source="t", id="a1", role=Role.UNKNOWN) if key != "role" else None
    if blank is not None:
        assert status("account", expect, blank) is Status.ERROR


def test_operator_table_is_fully_covered() -> None:
    assert set(CASES) | {"version_at_least"} == set(OPERATORS)


def test_kleene_logic_unknown_only_matters_when_it_could_change_the_answer() -> None:
    both = (
        "{any: [{key: mfa_registered, op: eq, value: true}, {key: password_min_length, op: ge, value: 12}]}"
    )
    assert status("account", both, acct(mfa_registered=True)) is Status.PASS
    assert status("account", both, acct(mfa_registered=False)) is Status.ERROR
    assert status("account", both, acct(mfa_registered=False, password_min_length=8)) is Status.FAIL
    every = "{all: [{key: enabled, op: eq, value: true}, {key: mfa_registered, op: eq, value: true}]}"
    assert status("account", every, acct(enabled=False)) is Status.FAIL
    assert status("account", every, acct(enabled=True)) is Status.ERROR
    negate = "{not: {key: is_admin, op: eq, value: true}}"
    assert status("account", negate, acct(is_admin=True)) is Status.FAIL
    assert status("account", negate, acct(is_admin=False)) is Status.PASS
    assert status("account", negate, acct()) is Status.ERROR


def test_selector_unknown_is_an_error_not_a_silent_skip() -> None:
    where = "{key: enabled, op: eq, value: true}"
    expect = "{key: mfa_registered, op: eq, value: true}"
    assert status("account", expect, acct(enabled=False), where) is None  # not applicable
    f = evaluate(pack_from(rule_yaml("account", expect, where)), [acct(mfa_registered=True)], NOW)[0]
    assert f.status is Status.ERROR
    assert "could not tell whether this rule applies" in f.message
    assert "enabled is unknown" in f.message
