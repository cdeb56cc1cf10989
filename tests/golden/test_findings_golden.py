"""Findings pinned byte for byte: the demo school and a generated 20-school estate.

Refactoring (moving modules, fencing fast paths, typing) must not change a single finding. The
golden file holds, per school, the counts and a SHA-256 of every finding's canonical form
(rule, status, severity, subject, evidence, message, fingerprint), so it stays small while any
change to any finding shows. Both runs go through the command line, the most stable seam.
Regenerate on purpose only: ``ENFORCER_UPDATE_GOLDEN=1 python -m pytest tests/golden``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).parent / "findings.json"
AS_OF = "2026-03-01"
FIELDS = ("rule", "status", "severity", "subject", "evidence", "message", "fingerprint")


def _cli(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENFORCER_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "enforcer", "-q", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def _digest(findings: list[dict[str, Any]]) -> dict[str, Any]:
    canon = sorted(json.dumps({k: f.get(k) for k in FIELDS}, sort_keys=True) for f in findings)
    sha = hashlib.sha256("\n".join(canon).encode("utf-8")).hexdigest()
    return {
        "findings": len(canon),
        "status": dict(sorted(Counter(f["status"] for f in findings).items())),
        "sha256": sha,
    }


def _check(name: str, actual: dict[str, Any]) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.exists() else {}
    if os.environ.get("ENFORCER_UPDATE_GOLDEN"):
        golden[name] = actual
        GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert name in golden, f"no golden entry {name!r}: regenerate with ENFORCER_UPDATE_GOLDEN=1"
    assert actual == golden[name]


def test_demo_school_findings_unchanged(tmp_path: Path) -> None:
    out = tmp_path / "demo.json"
    done = _cli(
        "audit",
        "--as-of",
        AS_OF,
        "--format",
        "json",
        "--output",
        str(out),
        cwd=tmp_path,
        home=tmp_path / "home",
    )
    assert done.returncode == 1, done.stderr
    _check("demo", _digest(json.loads(out.read_text(encoding="utf-8"))["findings"]))


def test_twenty_school_estate_findings_unchanged(tmp_path: Path) -> None:
    estate = tmp_path / "estate"
    made = _cli(
        "demo",
        "generate",
        "--schools",
        "20",
        "--out",
        str(estate),
        "--as-of",
        AS_OF,
        cwd=tmp_path,
        home=tmp_path / "home",
    )
    assert made.returncode == 0, made.stderr
    reports = tmp_path / "reports"
    done = _cli(
        "run",
        "--config",
        str(estate / "enforcer.yaml"),
        "--as-of",
        AS_OF,
        "--reports-dir",
        str(reports),
        cwd=tmp_path,
        home=tmp_path / "home",
    )
    assert done.returncode == 1, done.stderr
    schools = sorted(p.name for p in reports.iterdir() if p.is_dir())
    assert len(schools) == 20
    actual = {
        s: _digest(json.loads((reports / s / "enforcer-report.json").read_text("utf-8"))["findings"])
        for s in schools
    }
    _check("estate-20", actual)
