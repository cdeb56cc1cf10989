"""Fixtures for the estate generator and streaming-evaluation tests (no services, no timing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.demo.estate import EstateSpec, SchoolEntry, write_estate


@pytest.fixture(scope="module")
def trio(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[SchoolEntry]]:
    """A three-school estate, small schools so the module stays fast."""
    out = tmp_path_factory.mktemp("estate")
    spec = EstateSpec(schools=3, seed=11, accounts_per_school=120, devices_per_school=60)
    return out, write_estate(spec, out)
