"""The exit-code contract, through the real CLI entry point.

0 nothing failing, 1 failing findings, 2 usage / config / policy error, 3 incomplete
(wins over 1), 4 internal error.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from enforcer.cli.main import main
from enforcer.sources import registry as sources

AS_OF = ["--as-of", "2026-11-22"]


@pytest.fixture
def failing_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        sources.SOURCE_TYPES, "failing", ("tests.unit.failing_source", "tests.unit.failing_source")
    )


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_demo_audit_fails_with_exit_1_and_valid_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--format", "json", *AS_OF]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["run"]["complete"] is True
    statuses = {f["status"] for f in report["findings"]}
    assert {"pass", "fail", "error"} <= statuses


def test_nothing_failing_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack = write(
        tmp_path,
        "p.yaml",
        """
pack: {name: p, version: "1", title: P}
rules:
  - id: domain-known
    title: The domain policy says how long passwords must be
    applies_to: {kind: domain}
    expect: {key: min_password_length, op: ge, value: 1}
    severity: low
    clause: test
    remediation: {advice: none}
""",
    )
    assert main(["audit", "--policy", str(pack), *AS_OF]) == 0


def test_run_writes_every_format_owner_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "reports"
    assert main(["run", "--reports-dir", str(out), *AS_OF]) == 1
    printed = capsys.readouterr().out
    for ext in ("html", "json", "csv"):
        files = list(out.glob(f"*.{ext}"))
        assert files, ext
        for f in files:
            assert stat.S_IMODE(f.stat().st_mode) == 0o600
            assert str(f) in printed


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--format", "pdf"]) == 2
    assert main(["audit", "--rule", "no-such-rule"]) == 2
    assert main(["audit", "--as-of", "yesterday"]) == 2
    assert main(["audit", "--source", "nope"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_bad_config_exits_2_with_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write(tmp_path, "c.yaml", "version: 1\nschool:\n  name: X\n  colour: blue\n")
    assert main(["audit", "--config", str(cfg)]) == 2
    assert f"{cfg}:4: school.colour: unknown key" in capsys.readouterr().err
    cfg = write(tmp_path, "d.yaml", "sources:\n  - name: x\n    type: ldap\n")
    assert main(["audit", "--config", str(cfg)]) == 2
    assert f"{cfg}:3: unknown source type 'ldap'" in capsys.readouterr().err


def test_failed_source_is_incomplete_exit_3(
    tmp_path: Path, failing_type: None, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write(
        tmp_path, "c.yaml", "sources:\n  - {name: demo, type: demo}\n  - {name: flaky, type: failing}\n"
    )
    assert main(["audit", "--config", str(cfg), "--format", "json", *AS_OF]) == 3
    report = json.loads(capsys.readouterr().out)
    assert report["run"]["complete"] is False
    flaky = next(s for s in report["run"]["sources"] if s["name"] == "flaky")
    assert flaky["ok"] is False and "connection dropped" in flaky["error"]
    # Roster reconciliation is not run on partial data: it is reported as an error instead.
    has_account = [f for f in report["findings"] if f["rule"] == "pupil-has-account"]
    assert [f["status"] for f in has_account] == ["error"]


def test_incomplete_wins_over_failing_and_run_still_writes_reports(
    tmp_path: Path, failing_type: None, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write(tmp_path, "c.yaml", "sources:\n  - {name: flaky, type: failing}\n")
    assert main(["run", "--config", str(cfg), "--reports-dir", str(tmp_path / "r"), *AS_OF]) == 3
    assert list((tmp_path / "r").glob("*.json"))


def test_policy_error_exits_2(tmp_path: Path) -> None:
    pack = write(tmp_path, "p.yaml", "pack: {name: x, version: '1', title: X}\nrules: []\n")
    assert main(["policy", "validate", str(pack)]) == 2
    assert main(["audit", "--policy", str(pack)]) == 2


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
