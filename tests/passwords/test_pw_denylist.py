"""Every entry of the NCSC top-100k list is refused, and so are its obvious variants."""

from __future__ import annotations

import random

import pytest

from enforcer.passwords.check import check_password
from enforcer.passwords.denylist import Match, ncsc_top100k, read_entries, stem, unleet
from enforcer.passwords.policy import PasswordPolicy


def test_the_packaged_list_is_the_shared_one() -> None:
    entries = read_entries()
    assert len(entries) == 100_000
    assert entries[:4] == ["123456", "123456789", "qwerty", "password"]


def test_every_entry_is_on_the_deny_list() -> None:
    deny = ncsc_top100k()
    missing = [e for e in read_entries() if deny.lookup(e) is None]
    assert missing == []


@pytest.mark.parametrize("policy_name", ["primary", "ncsc"])
def test_a_sample_of_entries_is_refused_by_the_full_check(
    request: pytest.FixtureRequest, policy_name: str
) -> None:
    policy: PasswordPolicy = request.getfixturevalue(policy_name)
    entries = read_entries()
    sample = entries[:500] + random.Random(6).sample(entries, 4_000)
    accepted = [e for e in sample if check_password(e, policy).accepted]
    assert accepted == []


def test_long_entries_are_refused_by_the_list_not_only_by_length() -> None:
    policy = PasswordPolicy(min_length=1, max_length=1024, min_score=0)
    longest = sorted(read_entries(), key=len)[-50:]
    refused = [e for e in longest if "common_password" in {r.code for r in check_password(e, policy).reasons}]
    assert refused == longest


@pytest.mark.parametrize(
    "candidate",
    [
        "PASSWORD",
        "P@ssw0rd",
        "p4ssword!",
        "Summer2025!",
        "2025summer",
        "Password1!",
        "!!monkey!!",
        "M0nk3y#1",
        "ILoveYou2",
    ],
)
def test_variants_are_caught(candidate: str) -> None:
    hit = ncsc_top100k().lookup(candidate)
    assert hit is not None
    assert hit.kind in (Match.EXACT, Match.VARIANT)


@pytest.mark.parametrize(
    "candidate", ["vivid-otter-pancake-lantern", "Kestrel-Drizzle-Oboe-41", "xK9#mQ2$vLp8"]
)
def test_unrelated_passwords_are_not_caught(candidate: str) -> None:
    assert ncsc_top100k().lookup(candidate) is None


def test_helpers() -> None:
    assert stem("!!summer2025!") == "summer"
    assert stem("1234") == ""
    assert "password" in unleet("p@55w0rd")
    assert set(unleet("111")) == {"iii", "lll"}  # the ambiguous "1" is read both ways
