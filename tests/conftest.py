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
