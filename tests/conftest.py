"""Suite-wide settings. Area fixtures live in each area's own conftest."""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Reports and stores made by tests must never land in the user's home.
    os.environ.setdefault("ENFORCER_HOME", str(config.rootpath / ".pytest_cache" / "enforcer-home"))
