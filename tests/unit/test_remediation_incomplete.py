"""An incomplete run saw only part of the school: it records its plans but changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from enforcer.cli.main import main
from enforcer.sources import registry as sources
from tests.unit.failing_source import FailingSource

PACK = """
pack: {name: p, version: "1", title: P}
rules:
  - id: staff-password-max-age
    title: Staff passwords are changed at least every 90 days
    applies_to: {kind: account, where: {key: role, op: eq, value: staff}}
    expect: {key: password_last_set, op: age_at_most, days: 90}
    severity: high
    clause: test
    remediation: {advice: change it, action: force-password-change, mode: enforce}
"""


@pytest.mark.parametrize("fail, applied", [(True, []), (False, ["u0", "u1"])])
def test_enforcement_only_on_a_complete_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail: bool, applied: list[str]
) -> None:
    monkeypatch.setitem(sources.SOURCE_TYPES, "failing", ("tests.unit.failing_source",) * 2)
    monkeypatch.setattr(FailingSource, "applied", [])
    (tmp_path / "p.yaml").write_text(PACK, encoding="utf-8")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"policy: p.yaml\nremediation: {{max_changes: 10, max_share: 1.0}}\n"
        f"sources: [{{name: flaky, type: failing, fail: {str(fail).lower()}}}]\n",
        encoding="utf-8",
    )
    code = main(["run", "--config", str(cfg), "--reports-dir", str(tmp_path / "r"), "--as-of", "2026-11-22"])
    assert code == (3 if fail else 1)
    assert sorted(FailingSource.applied) == applied


def test_a_remediation_source_that_cannot_be_built_still_leaves_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.unit import failing_source

    monkeypatch.setitem(sources.SOURCE_TYPES, "failing", ("tests.unit.failing_source",) * 2)
    monkeypatch.setattr(FailingSource, "applied", [])
    monkeypatch.setattr(failing_source, "BUILDS", {})
    (tmp_path / "p.yaml").write_text(PACK, encoding="utf-8")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "policy: p.yaml\nremediation: {max_changes: 10, max_share: 1.0}\n"
        "sources: [{name: flaky, type: failing, fail: false, refuse_rebuild: true}]\n",
        encoding="utf-8",
    )
    code = main(["run", "--config", str(cfg), "--reports-dir", str(tmp_path / "r"), "--as-of", "2026-11-22"])
    assert code == 1
    assert list((tmp_path / "r").glob("enforcer-report.*"))
    assert "remediation skipped: flaky: secret file is gone" in capsys.readouterr().err
    assert FailingSource.applied == []
