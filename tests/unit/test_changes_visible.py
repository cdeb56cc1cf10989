"""Nothing changes a directory without saying so everywhere (fail-closed issue, item 6).

A nightly run that applies a fix lists it in its summary, its JSON and HTML reports, and
``history RUN``; ``remediate log`` shows every intent and outcome with the action number that
``undo`` takes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from enforcer.cli.main import main
from enforcer.sources import registry as sources
from tests.unit.failing_source import FailingSource
from tests.unit.test_remediation_incomplete import PACK


def test_applied_changes_show_in_summary_reports_history_and_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sources.SOURCE_TYPES, "failing", ("tests.unit.failing_source",) * 2)
    monkeypatch.setattr(FailingSource, "applied", [])
    (tmp_path / "p.yaml").write_text(PACK, encoding="utf-8")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "policy: p.yaml\nremediation: {max_changes: 10, max_share: 1.0}\n"
        "sources: [{name: flaky, type: failing, fail: false}]\n",
        encoding="utf-8",
    )
    reports = tmp_path / "r"
    assert main(["run", "--config", str(cfg), "--reports-dir", str(reports), "--as-of", "2026-11-22"]) == 1
    summary = capsys.readouterr().out
    assert "Directory changes: 2 made or attempted" in summary
    assert "applied: force-password-change on account u0" in summary
    doc = json.loads((reports / "enforcer-report.json").read_text(encoding="utf-8"))
    changes = doc["history"]["changes"]
    assert sorted((c["outcome"], c["subject"]["id"]) for c in changes) == [
        ("applied", "u0"),
        ("applied", "u1"),
    ]
    html = (reports / "enforcer-report.html").read_text(encoding="utf-8")
    assert "applied: force-password-change on account u1" in html
    assert main(["history", "--config", str(cfg), "latest"]) == 0
    shown = capsys.readouterr().out
    assert "Remediation: 2 action(s), 2 applied" in shown
    assert main(["remediate", "log", "--config", str(cfg), "--outcome", "applied"]) == 0
    log = capsys.readouterr().out
    assert log.count("applied  force-password-change") == 2 and "#1" in log
