"""Golden files: every format rendered from the built-in demo school at a fixed date.

Regenerate after an intended change with ``ENFORCER_UPDATE_GOLDEN=1 pytest tests/reports``
and review the diff. The run id and wall-clock times are fixed here so the files are
byte-stable; everything else comes from the real demo source, pack and engine.
"""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from enforcer.config import load_config
from enforcer.model.values import RunResult
from enforcer.pipeline.run import RunOptions, parse_as_of, run
from enforcer.reports.registry import REPORTERS

GOLDEN = Path(__file__).parent / "golden"
AS_OF = "2025-01-15"
UPDATE = os.environ.get("ENFORCER_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def demo_result() -> RunResult:
    result = run(load_config(None), RunOptions(as_of=parse_as_of(AS_OF))).result
    return dataclasses.replace(
        result,
        run_id="golden-demo",
        started=datetime(2025, 1, 15, 2, 0, 0, tzinfo=UTC),
        finished=datetime(2025, 1, 15, 2, 0, 5, tzinfo=UTC),
    )


@pytest.mark.parametrize("name", sorted(REPORTERS))
def test_demo_school_matches_golden(name: str, demo_result: RunResult) -> None:
    reporter = REPORTERS[name]
    path = GOLDEN / f"demo.{reporter.extension}"
    rendered = reporter.render(demo_result).encode("utf-8")
    if UPDATE:
        path.write_bytes(rendered)
    assert path.exists(), f"{path} missing: run with ENFORCER_UPDATE_GOLDEN=1 to create it"
    assert rendered == path.read_bytes(), (
        f"{path.name} differs: review, then regenerate with ENFORCER_UPDATE_GOLDEN=1"
    )


def test_demo_run_is_deterministic(demo_result: RunResult) -> None:
    again = run(load_config(None), RunOptions(as_of=parse_as_of(AS_OF))).result
    again = dataclasses.replace(
        again, run_id=demo_result.run_id, started=demo_result.started, finished=demo_result.finished
    )
    assert REPORTERS["json"].render(again) == REPORTERS["json"].render(demo_result)
