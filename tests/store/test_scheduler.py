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
from collections.abc import Callable, Iterator
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
    """``enforcer schedule`` in a child process, its output read line by line.

    Every wait here is an "eventually" with a generous timeout: CI runs loaded on two cores,
    so the tests never assert that something happened *fast*, only that it happened, in order.
    """

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
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self.ended = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)  # end of output: the scheduler and its runs have exited

    def _take(self, until: float) -> str | None:
        """The next line, or None at the end of the output or at ``until``."""
        while not self.ended and time.monotonic() < until:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                self.ended = True
                return None
            self.seen.append(line)
            return line
        return None

    def wait_for(self, text: str, timeout: float = 120) -> str:
        end = time.monotonic() + timeout
        while (line := self._take(end)) is not None:
            if text in line:
                return line
        raise AssertionError(f"no {text!r} within {timeout}s (output ended: {self.ended}); saw {self.seen}")

    def exited(self, timeout: float = 120) -> int:
        """Wait for the process to exit and read its output to the end; returns the exit code."""
        code = self.proc.wait(timeout=timeout)
        end = time.monotonic() + timeout
        while self._take(end) is not None:
            pass
        assert self.ended, f"output not closed {timeout}s after exit; saw {self.seen}"
        return code

    def stop(self) -> int:
        """SIGTERM; returns the exit code after checking the scheduler said it stopped."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.exited()
        assert self.seen and self.seen[-1] == "enforcer schedule: stopped", self.seen
        return code

    def starts(self) -> list[str]:
        return [line for line in self.seen if "run starting at" in line]


@pytest.fixture()
def spawn() -> Iterator[Callable[..., Scheduler]]:
    """Starts schedulers; kills any still running at the end, so a failed test leaves no process."""
    started: list[Scheduler] = []

    def start(home: Path, cfg: Path, *args: str) -> Scheduler:
        started.append(Scheduler(home, cfg, *args))
        return started[-1]

    yield start
    for s in started:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()


def _config(tmp_path: Path, extra: str = "") -> Path:
    cfg = tmp_path / "enforcer.yaml"
    cfg.write_text("school: {name: Demo Primary School}\nreports: {dir: reports, formats: [json]}\n" + extra)
    return cfg


def _runs(home: Path) -> list[tuple[str, str]]:
    """(id, state) of every run, oldest first; none before the first run created the store."""
    if not (home / "enforcer.db").exists():
        return []
    conn = sqlite3.connect(home / "enforcer.db", timeout=30)
    try:
        return conn.execute("SELECT id, state FROM runs ORDER BY started").fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []  # the run has created the file but not yet its tables
        raise
    finally:
        conn.close()


def _next_at(line: str) -> dt.datetime:
    return dt.datetime.fromisoformat(line.rsplit(" ", 1)[1])


def _stored_next_run(home: Path, move_by: dt.timedelta | None = None) -> dt.datetime:
    """The stored job's next fire time, optionally moved by ``move_by`` first (no scheduler may be
    running). Goes through the project's job store, whose ``update_job`` rewrites the
    next_run_time column and the pickled job state (which holds the time too) together;
    checks that the two agree."""
    from enforcer.scheduler.service import JOB_ID
    from enforcer.store.jobstore import SQLiteJobStore

    store = SQLiteJobStore(home / "schedule.db")
    store.start(None, "default")
    try:
        job = store.lookup_job(JOB_ID)
        assert job is not None and job.next_run_time is not None
        if move_by is not None:
            zone = job.next_run_time.tzinfo
            job.next_run_time = (job.next_run_time.astimezone(dt.UTC) + move_by).astimezone(zone)
            store.update_job(job)
        stored = store.lookup_job(JOB_ID)
        assert stored is not None
        column = store.get_next_run_time()
        assert column == stored.next_run_time, (column, stored.next_run_time)
        return stored.next_run_time
    finally:
        store.shutdown()


HOUR = dt.timedelta(hours=1)


def test_interval_schedule_runs_survives_restart_coalesces_and_stops_on_sigterm(
    tmp_path: Path, spawn: Callable[..., Scheduler]
) -> None:
    """An hourly interval, so nothing fires by itself while the test runs: every run and every
    "no run" below follows from the stored fire time, never from how fast a loaded machine is.
    The misfire grace is a day, so without coalescing all three missed slots would run."""
    home, cfg = tmp_path / "home", _config(tmp_path, "schedule: {misfire_grace_seconds: 86400}\n")
    a = spawn(home, cfg, "--interval", "3600")
    first_next = _next_at(a.wait_for("next run at"))
    assert a.stop() == 0
    assert _stored_next_run(home) == first_next

    # restart: the stored job (and its fire time) is kept, not replaced by a new one an hour from now
    b = spawn(home, cfg, "--interval", "3600")
    assert _next_at(b.wait_for("next run at")) == first_next
    second = spawn(home, cfg, "--interval", "3600")  # only one scheduler per data directory
    assert second.exited() == 2
    assert "already in progress" in second.seen[-1], second.seen
    assert b.stop() == 0
    assert b.starts() == [] and _runs(home) == []  # a restart alone runs nothing

    # stopped across three slots: exactly one catch-up run (coalesced), then the next slot on the grid
    moved = _stored_next_run(home, move_by=-3 * HOUR)
    assert moved == first_next - 3 * HOUR
    c = spawn(home, cfg, "--interval", "3600")
    assert _next_at(c.wait_for("next run at")) == moved  # the edited job is the one scheduled
    c.wait_for("run finished")
    assert c.stop() == 0  # waits for any run still pending in this submission
    assert len(c.starts()) == 1, c.seen
    assert [state for _, state in _runs(home)] == ["complete"]

    d = spawn(home, cfg, "--interval", "3600")
    after = _next_at(d.wait_for("next run at"))
    assert d.stop() == 0
    assert d.starts() == [] and len(_runs(home)) == 1
    now = dt.datetime.now(dt.UTC)
    assert after == first_next and now < after <= now + HOUR  # in the future, at most one interval ahead


def test_sigterm_during_a_run_stops_cleanly_and_the_run_is_marked_incomplete(
    tmp_path: Path, spawn: Callable[..., Scheduler]
) -> None:
    home, cfg = tmp_path / "home", _config(tmp_path)
    s = spawn(home, cfg, "--interval", "2")
    s.wait_for("run starting")
    deadline = time.monotonic() + 120
    while not [r for r in _runs(home) if r[1] == "started"]:  # a run is under way (runs repeat every 2 s)
        assert time.monotonic() < deadline, f"no run seen in progress; runs {_runs(home)}, output {s.seen}"
        time.sleep(0.02)
    assert s.stop() == 0  # the stop itself has a generous timeout; how fast it was is not asserted
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


def test_one_minute_cron_really_runs(tmp_path: Path, spawn: Callable[..., Scheduler]) -> None:
    """A real ``* * * * *`` cron: waits for the next minute boundary (at most ~60 s)."""
    home, cfg = tmp_path / "home", _config(tmp_path)
    s = spawn(home, cfg, "--cron", "* * * * *")
    line = s.wait_for("next run at")
    assert line.endswith(":00+00:00") or line.endswith(":00+01:00")
    s.wait_for("run finished", 180)
    assert s.stop() == 0
    assert [state for _, state in _runs(home)][:1] == ["complete"]  # the first fire; a later one is not timed
