"""The scheduler: day-of-week translation, OS-scheduler output, and real scheduling in a subprocess
(real APScheduler, real job store, real ``enforcer run`` children, real signals)."""

from __future__ import annotations

import datetime as dt
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from enforcer.model.errors import ConfigError
from enforcer.scheduler.cron import cron_days, cron_trigger, on_calendar

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize(
    ("field", "names"),
    [
        ("1-5", "mon,tue,wed,thu,fri"),
        ("0", "sun"),
        ("7", "sun"),
        ("6,0", "sat,sun"),
        ("*/2", "tue,thu,sat,sun"),
        ("MON-WED", "mon,tue,wed"),
        ("sat-sun", "sat,sun"),
        ("*", "*"),
    ],
)
def test_cron_days_become_names(field: str, names: str) -> None:
    assert cron_days(field) == names


@pytest.mark.parametrize("field", ["8", "5-1", "mon-xyz", "1/0"])
def test_bad_day_fields_are_config_errors(field: str) -> None:
    with pytest.raises(ConfigError):
        cron_days(field)


def test_weekday_cron_fires_on_monday_london_time_across_dst() -> None:
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    trig = cron_trigger("0 2 * * 1-5", "Europe/London")
    saturday = dt.datetime(2026, 3, 28, 12, 0, tzinfo=london)  # clocks go forward on Sunday 29 March
    fire = trig.get_next_fire_time(None, saturday)
    assert fire.astimezone(london).strftime("%a %H:%M") == "Mon 02:00"
    assert fire.astimezone(dt.UTC).hour == 1  # 02:00 BST
    assert (
        cron_trigger("0 2 * * *", "Europe/London")
        .get_next_fire_time(None, dt.datetime(2026, 1, 10, 3, 0, tzinfo=london))
        .astimezone(dt.UTC)
        .hour
        == 2
    )  # GMT


def test_systemd_oncalendar_and_refusals() -> None:
    assert on_calendar("0 2 * * *", "Europe/London") == "*-*-* 02:00:00 Europe/London"
    assert on_calendar("30 6 * * 1-5", "Europe/London") == "Mon,Tue,Wed,Thu,Fri *-*-* 06:30:00 Europe/London"
    assert on_calendar("*/15 * 1 * *", "UTC") == "*-*-01 *:0/15:00 UTC"
    with pytest.raises(ConfigError, match="day OR weekday"):
        on_calendar("0 2 1 * 1", "UTC")


class Scheduler:
    """``enforcer schedule`` in a child process, its output read line by line."""

    def __init__(self, home: Path, cfg: Path, *args: str) -> None:
        env = {
            **os.environ,
            "ENFORCER_HOME": str(home),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "enforcer", "schedule", "--config", str(cfg), *args],
            cwd=cfg.parent,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[tuple[float, str]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append((time.monotonic(), line))
            if text in line:
                return line
        raise AssertionError(f"no {text!r} within {timeout}s; saw {[s for _, s in self.seen]}")

    def drain(self, seconds: float) -> list[str]:
        end = time.monotonic() + seconds
        out = []
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            out.append(line)
            self.seen.append((time.monotonic(), line))
        return out

    def stop(self) -> int:
        """SIGTERM; returns the exit code after checking the scheduler said it stopped."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=20)
        tail = self.drain(0.5)
        assert tail and tail[-1] == "enforcer schedule: stopped", tail
        return code


def _config(tmp_path: Path) -> Path:
    cfg = tmp_path / "enforcer.yaml"
    cfg.write_text("school: {name: Demo Primary School}\nreports: {dir: reports, formats: [json]}\n")
    return cfg


def _runs(home: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(home / "enforcer.db")
    try:
        return conn.execute("SELECT id, state FROM runs ORDER BY started").fetchall()
    finally:
        conn.close()


def test_interval_schedule_runs_survives_restart_coalesces_and_stops_on_sigterm(tmp_path: Path) -> None:
    home, cfg = tmp_path / "home", _config(tmp_path)
    a = Scheduler(home, cfg, "--interval", "5")
    first_next = a.wait_for("next run at", 20)
    a.wait_for("run finished, exit code 1", 30)
    assert _runs(home)[-1][1] == "complete"
    assert a.stop() == 0

    # restart at once: the stored next fire time is kept, no immediate extra run
    b = Scheduler(home, cfg, "--interval", "5")
    kept = b.wait_for("next run at", 20)
    assert kept != first_next  # advanced past the run that already happened
    second = Scheduler(home, cfg, "--interval", "5")  # only one scheduler per data directory
    assert second.proc.wait(timeout=20) == 2
    assert "already in progress" in second.drain(0.5)[-1]
    n_before = len(_runs(home))
    next_at = dt.datetime.fromisoformat(kept.rsplit(" ", 1)[1])
    early = (next_at - dt.datetime.now(next_at.tzinfo)).total_seconds() - 0.5
    if early > 0:
        assert not [x for x in b.drain(early) if "run starting" in x]
    assert len(_runs(home)) == n_before
    b.wait_for("run finished", 30)
    assert b.stop() == 0

    # stopped for more than two intervals: exactly one catch-up run (coalesced), not one per missed slot
    time.sleep(12)
    c = Scheduler(home, cfg, "--interval", "5")
    missed = dt.datetime.fromisoformat(c.wait_for("next run at", 20).rsplit(" ", 1)[1])
    c.wait_for("run finished", 30)
    c.drain(6)
    assert c.stop() == 0
    starts = [
        dt.datetime.fromisoformat(line.rsplit(" ", 1)[1]) for _, line in c.seen if "run starting at" in line
    ]
    assert missed + dt.timedelta(seconds=5) < starts[0]  # at least two slots were missed
    slots_since = (starts[0] - missed).total_seconds() // 5 + 1
    next_slot = missed + dt.timedelta(seconds=5 * slots_since)
    assert [t for t in starts if t < next_slot - dt.timedelta(seconds=0.3)] == starts[:1], (missed, c.seen)
    states = [s for _, s in _runs(home)]
    assert states.count("started") == 0 and states.count("complete") == len(states)


def test_sigterm_during_a_run_stops_cleanly_and_the_run_is_marked_incomplete(tmp_path: Path) -> None:
    home, cfg = tmp_path / "home", _config(tmp_path)
    s = Scheduler(home, cfg, "--interval", "2")
    s.wait_for("run starting", 20)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (home / "enforcer.db").exists():
        time.sleep(0.05)
    time.sleep(0.3)
    t0 = time.monotonic()
    assert s.stop() == 0
    assert time.monotonic() - t0 < 15
    from enforcer.store import open_store, runs

    os.environ["ENFORCER_HOME"] = str(home)
    try:
        store = open_store()
        runs.begin_run(store.db, "after", "Demo Primary School", dt.datetime.now(dt.UTC))
        states = {r.id: r.state for r in runs.list_runs(store.db)}
        store.close()
    finally:
        del os.environ["ENFORCER_HOME"]
    assert "started" not in [v for k, v in states.items() if k != "after"]


def test_one_minute_cron_really_runs(tmp_path: Path) -> None:
    """A real ``* * * * *`` cron: waits for the next minute boundary (at most ~60 s)."""
    home, cfg = tmp_path / "home", _config(tmp_path)
    s = Scheduler(home, cfg, "--cron", "* * * * *")
    line = s.wait_for("next run at", 20)
    assert line.endswith(":00+00:00") or line.endswith(":00+01:00")
    s.wait_for("run finished", 90)
    assert s.stop() == 0
    assert [state for _, state in _runs(home)] == ["complete"]
