"""Faults during ``enforcer run`` with history, after an earlier complete run.

"The previous report intact" means, honestly: a failed-source run still writes reports (marked
INCOMPLETE, so nobody mistakes them for a clean bill of health) under the latest names, but
never a partial file, never a temp file left behind, and the earlier run's own copies
(``enforcer-<run id>.*``) stay byte-for-byte as they were. When the reports cannot be written at
all (a full disk, a path under a file), every earlier file is untouched. In the store the earlier
run's failing findings stay open: a fault never makes anything "fixed".
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.hardening.conftest import AS_OF, GRAPH_TOKEN, child_env, graph_source_yaml, write_config
from tests.hardening.safety import check_report_folder
from tests.services.graph_server import GraphServer

pytestmark = pytest.mark.graph
IDENTITY = {"roles": [{"role": "staff", "attribute": "employeeType", "value": "Staff"}]}
DEVICES = r"/deviceManagement/managedDevices$"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _db() -> Path:
    return Path(os.environ["ENFORCER_HOME"]) / "enforcer.db"


def _query(sql: str, *params: Any) -> list[tuple]:
    with sqlite3.connect(_db()) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture
def first_run(cli, tmp_path: Path, graph: GraphServer, graph_env: str) -> dict[str, Any]:
    config = write_config(tmp_path, [graph_source_yaml(graph, timeout_seconds=1)], identity=IDENTITY)
    res = cli("run", "--config", str(config), "--as-of", AS_OF)
    assert res.code == 1, res.err
    reports = tmp_path / "reports"
    doc = json.loads((reports / "enforcer-report.json").read_bytes())
    open_before = _query("SELECT fingerprint FROM findings WHERE resolved IS NULL")
    assert open_before, "the tenant has failing findings to lose"
    return {
        "config": config,
        "reports": reports,
        "run_id": doc["run"]["id"],
        "files": _files(reports),
        "open": sorted(open_before),
    }


def _assert_nothing_lost(first: dict[str, Any], *, reports_rewritten: bool) -> None:
    folder: Path = first["reports"]
    now = _files(folder)
    assert not [n for n in now if n.startswith(".")], f"temporary files left: {sorted(now)}"
    for name, data in first["files"].items():
        if name.startswith(f"enforcer-{first['run_id']}.") or not reports_rewritten:
            assert now[name] == data, f"{name} changed"
    open_now = sorted(_query("SELECT fingerprint FROM findings WHERE resolved IS NULL"))
    assert open_now == first["open"], "a fault made an earlier finding look fixed"
    assert _query("SELECT count(*) FROM findings WHERE resolved IS NOT NULL") == [(0,)]


FAULTS = {
    "429-storm": {"path": DEVICES, "status": 429, "retry_after": "0", "times": -1},
    "503-storm": {"path": DEVICES, "status": 503, "times": -1},
    "500": {"path": DEVICES, "status": 500, "times": -1},
    "500-on-users": {"path": r"/users$", "status": 500, "times": -1},
    "timeout": {"path": DEVICES, "kind": "slow", "delay": 1.6, "times": -1},
    "truncated-json": {"path": DEVICES, "kind": "truncate", "status": 200, "times": -1},
    "dropped-connection": {"path": DEVICES, "kind": "drop", "times": -1},
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_graph_fault_leaves_run_incomplete_and_nothing_fixed(
    cli, first_run: dict[str, Any], graph: GraphServer, fault: str
) -> None:
    graph.inject(**FAULTS[fault])
    res = cli("run", "--config", str(first_run["config"]), "--as-of", AS_OF)
    assert res.code == 3, (res.code, res.err)
    assert "Traceback" not in res.err and "Run INCOMPLETE" in res.out
    doc = check_report_folder(first_run["reports"])
    assert doc["run"]["complete"] is False and doc["run"]["id"] != first_run["run_id"]
    assert "Run INCOMPLETE" in (first_run["reports"] / "enforcer-report.html").read_text(encoding="utf-8")
    _assert_nothing_lost(first_run, reports_rewritten=True)
    second = doc["run"]["id"]
    assert _query("SELECT state FROM runs WHERE id = ?", second) == [("incomplete",)]
    assert _query("SELECT state FROM runs WHERE id = ?", first_run["run_id"]) == [("complete",)]
    shown = cli("history", "--config", str(first_run["config"]), second)
    assert shown.code == 0 and "Fixed: 0" in shown.out


def test_reports_path_under_a_regular_file(cli, first_run: dict[str, Any], tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    res = cli(
        "run",
        "--config",
        str(first_run["config"]),
        "--as-of",
        AS_OF,
        "--reports-dir",
        str(blocker / "reports"),
    )
    assert res.code == 2 and "Traceback" not in res.err
    assert res.err.strip().splitlines()[-1].startswith("enforcer: cannot create reports folder")
    assert blocker.read_text() == "x"
    _assert_nothing_lost(first_run, reports_rewritten=False)


def _child_run(first: dict[str, Any], preexec: Any = None) -> subprocess.CompletedProcess:
    env = child_env(ENFORCER_HARDENING_GRAPH_TOKEN=GRAPH_TOKEN)
    return subprocess.run(
        [sys.executable, "-m", "enforcer", "run", "--config", str(first["config"]), "--as-of", AS_OF],
        env=env,
        cwd=first["config"].parent,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=preexec,
    )


def test_full_disk_file_size_limit_keeps_everything(first_run: dict[str, Any]) -> None:
    """RLIMIT_FSIZE in the child: no file may grow past a few KiB, as on a full disk (the
    store's file is bigger already, so the store cannot grow either)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    done = _child_run(first_run, limit)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and done.stderr.strip().startswith("enforcer: ")
    _assert_nothing_lost(first_run, reports_rewritten=False)


def test_full_reports_filesystem_keeps_previous_reports(
    cli, tmp_path: Path, graph: GraphServer, graph_env: str
) -> None:
    """A real full filesystem (a 512 KiB tmpfs) for the reports folder only; the store is fine."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mnt)], capture_output=True
        ).returncode
        != 0
    ):
        if os.environ.get("CI"):
            pytest.fail("cannot mount a tmpfs in CI; the RLIMIT test covers the writer, this one must run")
        pytest.skip("mounting a tmpfs needs root")
    try:
        config = write_config(tmp_path, [graph_source_yaml(graph)], identity=IDENTITY)
        assert cli("run", "--config", str(config), "--as-of", AS_OF, "--reports-dir", str(mnt)).code == 1
        before = _files(mnt)
        with open(mnt / "filler", "wb") as fh:  # use up every remaining block
            try:
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
            except OSError:
                pass
        before["filler"] = (mnt / "filler").read_bytes()
        res = cli("run", "--config", str(config), "--as-of", AS_OF, "--reports-dir", str(mnt))
        assert res.code == 2 and "No space left on device" in res.err and "Traceback" not in res.err
        assert _files(mnt) == before
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_sigterm_during_a_slow_read_marks_the_run_incomplete(
    first_run: dict[str, Any], graph: GraphServer
) -> None:
    graph.inject(DEVICES, kind="slow", delay=0.9, times=-1)  # under the 1 s timeout: slow, not failing
    env = child_env(ENFORCER_HARDENING_GRAPH_TOKEN=GRAPH_TOKEN)
    before = len(graph.requests_to(DEVICES))
    proc = subprocess.Popen(
        [sys.executable, "-m", "enforcer", "run", "--config", str(first_run["config"]), "--as-of", AS_OF],
        env=env,
        cwd=first_run["config"].parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(graph.requests_to(DEVICES)) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(graph.requests_to(DEVICES)) > before, "the run never reached the devices"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 3, (proc.returncode, err)
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    _assert_nothing_lost(first_run, reports_rewritten=False)
    states = dict(_query("SELECT id, state FROM runs"))
    assert states.pop(first_run["run_id"]) == "complete"
    assert list(states.values()) == ["incomplete"], states  # marked now, not at the next start
