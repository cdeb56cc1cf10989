"""A finding is "fixed" only when this run evaluated its rule again: never because a rule did
not run (another pack, a roster that was not read)."""

from __future__ import annotations

from pathlib import Path

import pytest

from enforcer.cli.main import main
from enforcer.config import load_config
from enforcer.store import open_store, runs

AS_OF = ["--as-of", "2026-11-22"]


def _last_two(tmp_path: Path) -> tuple[runs.RunRow, runs.RunRow]:
    with open_store(load_config(None)) as store:
        rows = runs.list_runs(store.db, "Demo Primary School", 2)
    return rows[0], rows[1]


def test_switching_pack_fixes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--reports-dir", str(tmp_path / "a"), *AS_OF]) == 1
    assert main(["run", "--reports-dir", str(tmp_path / "b"), "--policy", "ncsc-baseline", *AS_OF]) == 1
    latest, _ = _last_two(tmp_path)
    assert latest.changes["fixed"] == 0
    assert latest.changes["unknown"] > 0  # the primary-only failures: not evaluated, so not known


def test_a_missing_roster_fixes_no_roster_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("sources: [{name: demo, type: demo}]\n", encoding="utf-8")
    assert main(["run", "--config", str(cfg), "--reports-dir", str(tmp_path / "a"), *AS_OF]) == 1
    # Same school, same accounts, but the roster rules cannot run: the snapshot below has no pupils.
    from connectors.demo.generator import generate
    from connectors.demo.settings import Settings
    from connectors.snapshot.source import write_snapshot
    from enforcer.model.values import RosterEntry
    from enforcer.pipeline.run import parse_as_of

    school = generate(Settings(), "demo", parse_as_of("2026-11-22"))
    snap = tmp_path / "demo.jsonl"
    write_snapshot(
        snap,
        (r for r in school.records() if not isinstance(r, RosterEntry)),
        school="Demo Primary School",
        source="demo",
    )
    cfg.write_text(f"sources: [{{name: demo, type: snapshot, path: {snap}}}]\n", encoding="utf-8")
    # The source that gave 424 pupils now gives none: a cut-off roll until someone confirms it.
    assert main(["run", "--config", str(cfg), "--reports-dir", str(tmp_path / "b"), *AS_OF]) == 3
    latest, _ = _last_two(tmp_path)
    assert latest.changes["fixed"] == 0
    # Confirmed, the run is complete, but the roster rules did not run: still nothing fixed.
    argv = ["run", "--config", str(cfg), "--reports-dir", str(tmp_path / "c"), "--accept-roster-drop", *AS_OF]
    assert main(argv) == 1
    latest, _ = _last_two(tmp_path)
    assert latest.changes["fixed"] == 0


def test_remediate_apply_refuses_an_incomplete_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from enforcer.sources import registry as sources

    monkeypatch.setitem(sources.SOURCE_TYPES, "failing", ("tests.unit.failing_source",) * 2)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("sources: [{name: flaky, type: failing}]\n", encoding="utf-8")
    assert main(["run", "--config", str(cfg), "--reports-dir", str(tmp_path / "r"), *AS_OF]) == 3
    with open_store(load_config(cfg)) as store:
        run_id = runs.list_runs(store.db, "Demo Primary School", 1)[0].id
    capsys.readouterr()
    assert main(["remediate", "--config", str(cfg), "--run", run_id, "--apply"]) == 2
    assert "saw only part of the school" in capsys.readouterr().err
