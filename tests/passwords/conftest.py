"""Fixtures for the password tests: the packs' real password policies and a school's words."""

from __future__ import annotations

import dataclasses

import pytest

from enforcer.passwords.policy import PasswordPolicy
from enforcer.rules.loader import load_pack


@pytest.fixture(scope="session")
def primary() -> PasswordPolicy:
    """The shipped primary-school pack's password section, as the CLI sees it."""
    policy = load_pack("primary-school").password
    assert policy is not None
    return policy


@pytest.fixture(scope="session")
def ncsc() -> PasswordPolicy:
    policy = load_pack("ncsc-baseline").password
    assert policy is not None
    return policy


@pytest.fixture(scope="session")
def school(primary: PasswordPolicy) -> PasswordPolicy:
    """The primary-school rules plus one school's own words."""
    return dataclasses.replace(primary, school_words=("St Aldhelm's C of E Primary", "Westbury", "Kestrels"))
