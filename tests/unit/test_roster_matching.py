"""Pupil-to-account matching: one rule, asked account first (the engine) and pupil first (has-account)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from enforcer.engine import evaluate
from enforcer.model.values import Account, Role, RosterEntry, Status
from enforcer.rules.roster import AccountKeys, RosterIndex
from tests.unit.helpers import pack_from, rule_yaml

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
ROLL = [
    RosterEntry(source="mis", pupil_id="P-1", username="amy"),
    RosterEntry(source="mis", pupil_id="p-2", username="Ben.Smith"),
    RosterEntry(source="mis", pupil_id="p-3"),
    RosterEntry(source="mis", pupil_id="", username=""),  # hostile: nothing to match by
]


def _account(**fields: object) -> Account:
    return Account(source="ad", id=str(fields), role=Role.PUPIL, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("account", "pupil"),
    [
        (_account(external_id="p-1"), "P-1"),  # MIS id, any case
        (_account(username="AMY"), "P-1"),  # username, any case
        (_account(upn="amy@school.org"), "P-1"),  # the UPN's part before @
        (_account(upn="Ben.Smith@school.org"), "p-2"),
        (_account(username="ben.smith@school.org"), "p-2"),  # a username that is a UPN
        (_account(external_id="p-3", username="amy"), "p-3"),  # the MIS id is tried first
        (_account(external_id="nope", username="amy"), "P-1"),  # then the names
        (_account(username="zed", upn="amy@x"), "P-1"),  # username, then UPN
        (_account(username="zed"), None),
        (_account(upn="@school.org"), None),  # an empty local part matches nothing
        (_account(external_id="", username=""), None),
        (_account(), None),
    ],
)
def test_both_directions_give_the_same_match(account: Account, pupil: str | None) -> None:
    hit = RosterIndex(ROLL).match(account)
    assert (hit.pupil_id if hit else None) == pupil
    keys = AccountKeys([account])
    matched = {e.pupil_id for e in ROLL if keys.matches(e)}
    if pupil is None:
        assert matched == set()
    else:  # pupil first finds every pupil the account could be; account first picks one of them
        assert pupil in matched


def test_an_empty_username_on_the_roll_matches_no_account() -> None:
    """It used to match an account whose UPN begins with '@' (its empty local part)."""
    pack = pack_from(rule_yaml("pupil", "{check: has-account}"))
    findings = evaluate(pack, [_account(upn="@school.org"), RosterEntry("mis", "p-9", username="")], AS_OF)
    assert [(f.subject.id, f.status) for f in findings] == [("p-9", Status.FAIL)]


def test_roster_keys_and_has_account_agree_on_a_roll() -> None:
    """The engine's roster.matched and the has-account check answer alike for each pupil."""
    pack = pack_from(
        rule_yaml("pupil", "{check: has-account}", rid="has")
        + rule_yaml(
            "account",
            "{key: roster.matched, op: eq, value: true}",
            "{key: role, op: eq, value: pupil}",
            rid="matched",
        )
    )
    accounts = [_account(external_id="P-1"), _account(upn="BEN.SMITH@school.org"), _account(username="zed")]
    findings = evaluate(pack, [*accounts, *ROLL], AS_OF)
    matched = {f.subject.id: f.status for f in findings if f.rule == "matched"}
    has = {f.subject.id: f.status for f in findings if f.rule == "has"}
    assert list(matched.values()) == [Status.PASS, Status.PASS, Status.FAIL]
    assert has == {"P-1": Status.PASS, "p-2": Status.PASS, "p-3": Status.FAIL, "": Status.FAIL}
