"""Ctrl-C and SIGTERM stop an estate run (fail-closed issue, item 8), through a real process.

The run is a real ``python -m enforcer run`` over a generated 20-school estate, stopped once
the first school's report has appeared. What is asserted is the state left behind, in the
store and in the estate report, never how fast it stopped: no school that did not finish is
recorded as complete, no school starts after the stop, the estate report is still written
and marks every school, and the exit code is 130 for Ctrl-C and 3 for SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from enforcer.cli.main import build_parser, main
from enforcer.store import open_store, runs

ROOT = Path(__file__).resolve().parents[2]
WAIT = 300.0
"""Bound on every wait below; generous for a loaded machine, and never asserted on."""


def _child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _default_sigint() -> None:
    """A shell's background job inherits SIGINT ignored, and Python then keeps ignoring it:
    give the child the default, as a terminal's Ctrl-C would find it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("estate")
    subprocess.run(
        [sys.executable, "-m", "enforcer", "demo", "generate", "--schools", "20", "--out", str(out)],
        env=_child_env(),
        check=True,
        capture_output=True,
        timeout=WAIT,
    )
    return out / "enforcer.yaml"


def _run_and_stop(config: Path, reports: Path, sig: signal.Signals, logs: Path) -> tuple[int, str]:
    with (logs / "out.txt").open("w") as out, (logs / "err.txt").open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "enforcer", "run", "--config", str(config), "--reports-dir", str(reports)],
            env=_child_env(),
            stdout=out,
            stderr=err,
            preexec_fn=_default_sigint,
        )
        try:
            deadline = time.monotonic() + WAIT
            while not list(reports.glob("*/enforcer-report.json")):
                assert proc.poll() is None, "the run ended before any school's report appeared"
                assert time.monotonic() < deadline, "no school's report appeared"
                time.sleep(0.02)
            proc.send_signal(sig)
            code = proc.wait(timeout=WAIT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return code, (logs / "err.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(("sig", "expected"), [(signal.SIGINT, 130), (signal.SIGTERM, 3)])
def test_a_signal_stops_the_estate_and_nothing_unfinished_is_complete(
    estate: Path, tmp_path: Path, sig: signal.Signals, expected: int
) -> None:
    reports = tmp_path / "reports"
    code, err = _run_and_stop(estate, reports, sig, tmp_path)
    assert code == expected, err
    assert "Traceback" not in err
    assert f"estate report: {reports / 'estate-report.json'}" in err

    report = json.loads((reports / "estate-report.json").read_text(encoding="utf-8"))
    assert report["run"]["interrupted"] is True and report["run"]["complete"] is False
    schools = {s["name"]: s for s in report["schools"]}
    assert len(schools) == 20
    states = {s["state"] for s in schools.values()}
    assert states <= {"complete", "interrupted", "not started"}
    assert "not started" in states  # no school started after the stop (the estate has 20)

    with open_store() as store:
        rows = runs.list_runs(store.db, limit=100)
        recorded = {r.school: r for r in rows}
        assert len(recorded) == len(rows)  # one run per school, at most
        for r in rows:
            if r.state != "complete":
                assert runs.run_findings(store.db, r.id) == []  # nothing counted, so nothing fixed
    assert "started" not in {r.state for r in rows}  # every unfinished run is closed, not left open
    for name, school in schools.items():
        row = recorded.get(name)
        own_report = reports / school["id"] / "enforcer-report.json"
        if school["state"] == "complete":
            assert row is not None and row.state == "complete" and own_report.is_file()
            assert school["complete"] is True
        elif school["state"] == "interrupted":
            assert row is not None and row.state == "incomplete", name
            assert row.reason and row.reason.startswith("interrupted"), row.reason
            assert school["complete"] is False and school["exit_code"] == 3
            assert not own_report.exists()
        else:
            assert row is None, f"{name} was not started but has a run in the store"
            assert school["complete"] is False and not own_report.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["--quiet", "run"],
        ["run", "--quiet"],
        ["-q", "run"],
        ["run", "-q"],
        ["--verbose", "run"],
        ["run", "--verbose"],
        ["password", "check", "-q"],
        ["-v", "password", "check", "-v"],
    ],
)
def test_global_flags_before_or_after_the_subcommand(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert args.quiet is ("-q" in argv or "--quiet" in argv)
    assert args.verbose is ("-v" in argv or "--verbose" in argv)


@pytest.mark.parametrize("where", ["before", "after"])
def test_run_quiet_as_the_readme_writes_it(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = ["run", "--reports-dir", str(tmp_path / "reports"), "--as-of", "2026-11-22"]
    argv = ["--quiet", *run] if where == "before" else [*run, "--quiet"]
    assert main(argv) == 1  # the demo school has failing findings
    out = capsys.readouterr().out
    assert out.startswith("Reports written:")  # no summary table: quiet
