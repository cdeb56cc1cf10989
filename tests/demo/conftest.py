"""Fixtures for the demo school, snapshot and roster tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.demo.generator import DemoSchool, generate
from connectors.demo.settings import Settings

AS_OF = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
ROSTER_DATA = Path(__file__).resolve().parent.parent / "data" / "roster"


@pytest.fixture(scope="session")
def school() -> DemoSchool:
    return generate(Settings(), "demo", AS_OF)
