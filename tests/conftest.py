"""Suite-wide settings. Area fixtures live in each area's own conftest."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_enforcer_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own data directory: no test reads another's history, and none
    touches the user's real store (or its run lock) in ~/.local/share/enforcer."""
    home = tmp_path_factory.mktemp("enforcer-home")
    monkeypatch.setenv("ENFORCER_HOME", str(home))
    return home


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses the real PostgreSQL server carries the ``postgres`` marker, so
    ``-m postgres`` (and ``-m "not postgres"``) select exactly the tests that need it."""
    for item in items:
        if "pg_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(autouse=True)
def _restore_root_logging() -> Iterator[None]:
    """``main()`` points the root logger at the ``sys.stderr`` of its moment, which under pytest is
    a capture stream closed after the test; a server thread logging later would then print a
    "Logging error" traceback that has nothing to do with the code under test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
