"""Fixtures for the password tests: the packs' real password policies, a school's words, and
the reset-portal endpoint running for real on loopback."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from enforcer.passwords.policy import PasswordPolicy
from enforcer.passwords.serve import CheckServer, ServeOptions, make_server
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


@pytest.fixture
def serve(primary: PasswordPolicy) -> Iterator[Any]:
    """``serve(**options) -> (host, port)``: a real server on 127.0.0.1, stopped after the test."""
    servers: list[CheckServer] = []

    def start(**kw: Any) -> tuple[str, int]:
        server = make_server(primary, ServeOptions(host="127.0.0.1", port=0, **kw))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[:2]

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()
