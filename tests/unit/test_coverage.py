"""A rule that applied to nobody is never a silent clean bill (fail-closed issue, item 2).

On an Entra source whose staff matcher never matched, every staff rule applied to nobody while
the run said "complete". Every run now reports what it saw (accounts per role, devices per
platform) and names the rules that checked no one, in every format.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from enforcer.cli.main import main

AS_OF = "2026-03-01"
PACK = """
pack: {name: p, version: "1", title: P}
rules:
  - id: staff-password-max-age
    title: Staff passwords are changed at least every 90 days
    applies_to: {kind: account, where: {key: role, op: eq, value: staff}}
    expect: {key: password_last_set, op: age_at_most, days: 90}
    severity: high
    clause: test
    remediation: {advice: change it}
  - id: volunteer-account-expires
    title: Volunteers' accounts expire
    applies_to: {kind: account, where: {key: role, op: eq, value: volunteer}}
    expect: {key: has_expiry, op: eq, value: true}
    severity: medium
    clause: test
    remediation: {advice: set an expiry}
"""


@pytest.fixture()
def no_volunteers(tmp_path: Path) -> Path:
    snap = tmp_path / "all.jsonl"
    assert main(["snapshot", "export", "--output", str(snap), "--as-of", AS_OF]) == 0
    lines = snap.read_text(encoding="utf-8").splitlines()
    body = [line for line in lines[1:-1] if '"role":"volunteer"' not in line.replace(" ", "")]
    kept = tmp_path / "school.jsonl"
    kept.write_text("\n".join([lines[0], *body, json.dumps({"kind": "end", "records": len(body)})]) + "\n")
    (tmp_path / "p.yaml").write_text(PACK, encoding="utf-8")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "policy: p.yaml\nsources: [{name: dir, type: snapshot, path: school.jsonl}]\n", encoding="utf-8"
    )
    return cfg


def test_rules_that_applied_to_nobody_are_named_in_every_format(
    no_volunteers: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = no_volunteers.parent / "a.json"
    assert main(["audit", "--config", str(no_volunteers), "--as-of", AS_OF]) == 1
    table = capsys.readouterr().out
    assert "Warning: 1 rule(s) applied to nobody this run (volunteer-account-expires)" in table
    assert "Coverage: accounts:" in table and " staff" in table
    assert (
        main(
            [
                "audit",
                "--config",
                str(no_volunteers),
                "--as-of",
                AS_OF,
                "--format",
                "json",
                "--output",
                str(out),
            ]
        )
        == 1
    )
    summary = json.loads(out.read_text(encoding="utf-8"))["summary"]
    assert summary["idle_rules"] == ["volunteer-account-expires"]
    assert summary["coverage"]["account:staff"] > 0 and "account:volunteer" not in summary["coverage"]
    html = no_volunteers.parent / "a.html"
    assert (
        main(
            [
                "audit",
                "--config",
                str(no_volunteers),
                "--as-of",
                AS_OF,
                "--format",
                "html",
                "--output",
                str(html),
            ]
        )
        == 1
    )
    assert "applied to nobody this run (volunteer-account-expires)" in html.read_text(encoding="utf-8")
