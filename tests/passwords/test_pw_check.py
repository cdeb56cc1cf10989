"""The change-time check: school-flavoured weak passwords refused, passphrases accepted."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enforcer.passwords.check import UserDetails, check_password
from enforcer.passwords.policy import PasswordPolicy

PUPIL = UserDetails(username="ajones23", name="Amelia Jones", school="St Aldhelm's C of E Primary")


@pytest.mark.parametrize(
    "candidate, expected",
    [
        ("Summer2025!", "common_password_variant"),  # season + year
        ("Autumn2024?", "common_password_variant"),
        ("Winter#2026", "too_guessable"),
        ("Aldhelms2024!", "school_word"),  # school name + digits
        ("Westbury#1", "school_word"),  # town
        ("K3strels!99", "school_word"),  # team name, leetspeak
        ("Amelia2016!", "contains_name"),  # pupil's own name
        ("J0nes#2016x", "contains_name"),
        ("ajones23!!", "contains_username"),
        ("P@ssw0rd1!", "common_password_variant"),  # leetspeak of common words
        ("L3tm31n!", "common_password_variant"),
        ("Footb@ll1!", "common_password_variant"),
        ("password", "common_password"),
        ("Qwerty123!", "common_password_variant"),
    ],
)
def test_school_flavoured_weak_passwords_are_refused(
    school: PasswordPolicy, candidate: str, expected: str
) -> None:
    verdict = check_password(candidate, school, PUPIL)
    assert not verdict.accepted
    assert expected in {r.code for r in verdict.reasons}


@pytest.mark.parametrize(
    "candidate",
    [
        "vivid-otter-pancake-lantern-39",
        "correct horse battery staple 7!",
        "Marmalade+Telescope+Drizzle+42",
        "xK9#mQ2$vLp8",
    ],
)
def test_strong_passphrases_pass(school: PasswordPolicy, candidate: str) -> None:
    verdict = check_password(candidate, school, PUPIL)
    assert verdict.accepted, verdict.reasons
    assert verdict.score is not None and verdict.score >= school.min_score


def test_length_and_classes(primary: PasswordPolicy) -> None:
    codes = {r.code for r in check_password("ab1!", primary).reasons}
    assert "too_short" in codes
    codes = {r.code for r in check_password("marmalade telescope drizzle", primary).reasons}
    assert {"missing_digit"} <= codes and "missing_symbol" not in codes  # a space counts as a symbol
    upper = dataclasses.replace(primary, required_classes=frozenset({"upper", "lower"}), min_classes=4)
    codes = {r.code for r in check_password("marmalade-telescope-9", upper).reasons}
    assert {"missing_upper", "too_few_kinds"} <= codes
    assert check_password("", primary).reasons[0].code == "empty"
    assert "unprintable" in {r.code for r in check_password("tab\there-Marmalade-9", primary).reasons}


def test_max_length_is_enforced_beyond_zxcvbn_window(primary: PasswordPolicy) -> None:
    """zxcvbn-rs reads 100 characters; the pack's maximum is still ours to enforce."""
    long_ok = "marmalade-telescope-9-" * 3
    assert check_password(long_ok[:64], primary).accepted
    verdict = check_password(long_ok + "x" * 200, primary)
    assert not verdict.accepted and "too_long" in {r.code for r in verdict.reasons}


def test_ten_kilobyte_inputs_are_answered(primary: PasswordPolicy) -> None:
    for candidate in ("a" * 10_240, "P@ssw0rd1!" * 1024, "é🙂" * 5120, "Summer2025!" + "\x00" * 10_000):
        verdict = check_password(candidate, primary, PUPIL)
        assert not verdict.accepted
        assert "too_long" in {r.code for r in verdict.reasons}


def test_min_score_zero_and_deny_off_accept_a_long_common_word() -> None:
    """The NCSC 12-character option: no deny list and no estimate means length alone decides."""
    policy = PasswordPolicy(min_length=12, max_length=64, deny_common=False, min_score=0)
    verdict = check_password("passwordpassword", policy)
    assert verdict.accepted and verdict.score is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=150), st.text(max_size=150))
def test_reasons_never_quote_the_candidate(head: str, tail: str) -> None:
    """A marker inside the candidate must never reach a message (messages are fixed wording)."""
    candidate = head + "\u2603Q" + tail
    policy = PasswordPolicy(school_words=("Westbury",))
    verdict = check_password(candidate, policy, UserDetails(username="bob", name="Bob Smith"))
    text = " ".join(r.message for r in verdict.reasons) + " ".join(verdict.suggestions)
    assert "\u2603" not in text
    assert verdict.accepted == (not verdict.reasons)
