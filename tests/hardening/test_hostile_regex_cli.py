"""Hostile regular expressions through the real CLI, each in a child process.

A child process, because the failure being guarded against is a hang (the stdlib engine on
``(a+)+$`` over 40 characters) or a traceback: the child's time-out turns a hang into a
failure, and the assertions are on exit codes, messages and findings, never on timing.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.hardening.conftest import AS_OF, child_env, run_child, write_config, write_snapshot

HOSTILE = "a" * 40 + "!"

PACK = """\
pack: {name: hostile-patterns, version: "1", title: Hostile patterns}
rules:
  - id: username-shape
    title: Usernames are all a
    applies_to: {kind: account}
    expect: {key: username, op: matches, value: "(a+)+$"}
    severity: high
    clause: "Test clause"
    remediation: {advice: Rename it}
"""


def account(ident: str, username: str) -> dict[str, object]:
    return {"kind": "account", "source": "x", "id": ident, "username": username, "role": "staff"}


def test_a_catastrophic_pack_pattern_over_hostile_directory_data_gives_findings(tmp_path: Path) -> None:
    write_snapshot(tmp_path / "dir.jsonl", [account("hostile", HOSTILE), account("plain", "aaaa")])
    (tmp_path / "pack.yaml").write_text(PACK, encoding="utf-8")
    config = write_config(
        tmp_path, ['{"name": "snap", "type": "snapshot", "path": "dir.jsonl"}'], policy="pack.yaml"
    )
    res = run_child(["run", "--config", str(config), "--as-of", AS_OF], child_env(), tmp_path, timeout=120)
    assert res.returncode == 1, res.stderr  # one failing finding
    assert "Traceback" not in res.stderr
    doc = json.loads((tmp_path / "reports" / "enforcer-report.json").read_bytes())
    found = {f["subject"]["id"]: f for f in doc["findings"] if f["rule"] == "username-shape"}
    assert found["plain"]["status"] == "pass"
    assert found["hostile"]["status"] == "fail"
    assert "expected to match (a+)+$" in found["hostile"]["message"]


BAD_IDENTITY = """\
school: {name: Test}
identity:
  roles:
    - {role: staff, attribute: employeeType, value: "(unclosed", pattern: true}
    - {role: service, attribute: employeeType, value: "svc{99999999}", pattern: true}
reports: {dir: out}
"""


def test_an_identity_pattern_that_does_not_compile_exits_2_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "enforcer.yaml").write_text(BAD_IDENTITY, encoding="utf-8")
    res = run_child(["audit", "--config", "enforcer.yaml"], child_env(), tmp_path)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    assert "enforcer.yaml:4: invalid regular expression: missing ): (unclosed" in res.stderr
    assert "enforcer.yaml:5: invalid regular expression: repeat count {99999999} is too large" in res.stderr
    assert not (tmp_path / "out").exists()  # refused before anything ran


def test_a_huge_repeat_count_in_a_pack_is_refused_by_policy_validate(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text(PACK.replace("(a+)+$", "a{99999999}"), encoding="utf-8")
    res = run_child(["policy", "validate", "pack.yaml"], child_env(), tmp_path)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    assert "pack.yaml:6: invalid regular expression: repeat count {99999999} is too large" in res.stderr
