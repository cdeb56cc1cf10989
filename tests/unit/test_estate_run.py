"""Issue 7's done-when: three schools from snapshots in one run; a broken one spoils only itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.demo.generator import generate
from connectors.demo.settings import Settings
from connectors.snapshot.source import write_snapshot
from enforcer.cli.main import main

AS_OF = datetime(2026, 11, 22, tzinfo=UTC)


def _snapshot(path: Path, seed: int, name: str) -> None:
    school = generate(Settings(seed=seed, school=name, pupils=60, staff=12, devices=30), "demo", AS_OF)
    write_snapshot(path, school.records(), school=name, source="demo")


def test_three_schools_one_broken(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i, name in enumerate(["Ash", "Birch", "Cedar"]):
        _snapshot(tmp_path / f"{name.lower()}.jsonl.gz", seed=i + 1, name=f"{name} Primary")
    broken = tmp_path / "cedar.jsonl.gz"
    broken.write_bytes(broken.read_bytes()[: len(broken.read_bytes()) // 2])  # truncated in transit
    cfg = tmp_path / "trust.yaml"
    cfg.write_text(
        "version: 1\nschools:\n"
        + "".join(
            f"  - {{id: {n}, name: {n.title()} Primary, sources: [{{name: {n}, type: snapshot, path: {n}.jsonl.gz}}]}}\n"
            for n in ("ash", "birch", "cedar")
        ),
        encoding="utf-8",
    )
    reports = tmp_path / "reports"
    code = main(["run", "--config", str(cfg), "--reports-dir", str(reports), "--as-of", "2026-11-22"])
    out = capsys.readouterr().out
    assert code == 3  # one school incomplete wins over failing findings elsewhere
    estate = json.loads((reports / "estate-report.json").read_text(encoding="utf-8"))
    state = {s["id"]: s["complete"] for s in estate["schools"]}
    assert state == {"ash": True, "birch": True, "cedar": False}
    cedar = next(s for s in estate["schools"] if s["id"] == "cedar")
    assert "cedar.jsonl.gz" in cedar["error"]
    assert estate["schools"][0]["id"] == "cedar"  # incomplete schools come first: worst first
    assert estate["rules"] and estate["rules"][0]["failing"] >= estate["rules"][-1]["failing"]
    for school in ("ash", "birch", "cedar"):
        assert (reports / school / "enforcer-report.json").is_file()
    ash = json.loads((reports / "ash" / "enforcer-report.json").read_text(encoding="utf-8"))
    assert ash["run"]["school"] == "Ash Primary" and ash["run"]["complete"] is True
    assert "INCOMPLETE" in out and "Rules failing most" in out
    assert (reports / "estate-report.html").is_file()
