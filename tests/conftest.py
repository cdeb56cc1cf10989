"""Suite-wide settings. Area fixtures live in each area's own conftest."""

from __future__ import annotations

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
