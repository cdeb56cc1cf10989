"""``enforcer schedule``: the nightly run under APScheduler 3, or as a systemd timer / cron line.

Design points, each a lesson from how schedulers fail:
- The job runs ``enforcer run`` in a child process. A crash or memory leak in a run
  cannot take the scheduler down, and the child takes the same run lock as a manual
  ``enforcer run``, so only one run happens at a time across every process.
- The job store is SQLite in the data directory, so the next fire time survives a
  restart; ``coalesce`` folds any runs missed while stopped into one, and
  ``misfire_grace_time`` drops a run that is too late to be useful. On start, an
  existing job with the same trigger is kept (not replaced), which is what stops a
  restart from losing or repeating a run.
- APScheduler 3 cannot share a job store between schedulers, so a second
  ``enforcer schedule`` on the same data directory refuses to start (a lock file).
- Cron numbers days of the week from Sunday = 0; APScheduler 3 from Monday = 0.
  We translate the cron field into day *names* before APScheduler sees it.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from enforcer.model.errors import ConfigError

log = logging.getLogger(__name__)
JOB_ID = "enforcer-nightly-run"
DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_CRON_DAY = {name: i for i, name in enumerate(DAY_NAMES)}
_children: set[subprocess.Popen[bytes]] = set()
_children_lock = threading.Lock()


def _expand(field: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    """Values of one cron field (``*``, ``a``, ``a-b``, ``*/n``, ``a-b/n``, lists)."""
    out: set[int] = set()
    for part in field.lower().split(","):
        rng, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() else (1 if not step_text else -1)
        if step < 1:
            raise ValueError(part)

        def val(x: str) -> int:
            if names and x in names:
                return names[x]
            if not x.isdigit():
                raise ValueError(x)
            return int(x)

        if rng == "*":
            a, b = low, high
        elif "-" in rng:
            a_text, b_text = rng.split("-", 1)
            a, b = val(a_text), val(b_text)
            if names is _CRON_DAY and b == 0 and a > 0:
                b = 7  # "sat-sun": Sunday closes the week
        else:
            a = b = val(rng)
            if step_text:
                b = high
        if not (low <= a <= high and low <= b <= high) or a > b:
            raise ValueError(part)
        out.update(range(a, b + 1, step))
    return out


def cron_days(field: str) -> str:
    """A cron day-of-week field as APScheduler day names: ``1-5`` -> ``mon,tue,wed,thu,fri``."""
    if field == "*":
        return "*"
    try:
        days = {d % 7 for d in _expand(field, 0, 7, _CRON_DAY)}
    except ValueError:
        raise ConfigError(f"schedule.cron: day-of-week {field!r} is not a cron day field") from None
    order = [1, 2, 3, 4, 5, 6, 0]  # Monday first, as a person reads a week
    return ",".join(DAY_NAMES[d] for d in order if d in days)


def _fields(cron: str) -> list[str]:
    parts = cron.split()
    if len(parts) != 5:
        raise ConfigError(f"schedule.cron: {cron!r} must have 5 fields: minute hour day month day-of-week")
    return parts


def cron_trigger(cron: str, timezone: str) -> Any:
    from apscheduler.triggers.cron import CronTrigger

    minute, hour, day, month, dow = _fields(cron)
    try:
        return CronTrigger(
            minute=minute, hour=hour, day=day, month=month, day_of_week=cron_days(dow), timezone=timezone
        )
    except (ValueError, LookupError) as exc:
        raise ConfigError(f"schedule.cron: {cron!r}: {exc}") from None


def _state_dir() -> Path:
    from enforcer.store.paths import data_dir, ensure_private_dir

    return ensure_private_dir(data_dir())


def run_argv(config_path: str | None) -> list[str]:
    argv = [sys.executable, "-m", "enforcer", "-q", "run"]
    if config_path:
        argv += ["--config", str(Path(config_path).resolve())]
    return argv


def scheduled_run(argv: Sequence[str]) -> int:
    """The job: one ``enforcer run`` in a child process. Module-level so the job store can name it."""
    started = datetime.now(UTC).isoformat(timespec="milliseconds")
    print(f"enforcer schedule: run starting at {started}", flush=True)
    child = subprocess.Popen(list(argv))  # noqa: S603 - our own interpreter and arguments
    with _children_lock:
        _children.add(child)
    try:
        code = child.wait()
    finally:
        with _children_lock:
            _children.discard(child)
    print(f"enforcer schedule: run finished, exit code {code}", flush=True)
    return code


def serve(
    config: Any, config_path: str | None, *, cron: str | None = None, interval: float | None = None
) -> int:
    """Run the scheduler in the foreground until SIGTERM or SIGINT; returns the exit code."""
    from apscheduler.events import EVENT_SCHEDULER_STARTED
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    from enforcer.store.jobstore import SQLiteJobStore
    from enforcer.store.lock import RunLock

    sched_cfg = config.model.schedule
    if interval is not None:
        trigger = IntervalTrigger(seconds=interval, timezone=sched_cfg.timezone)
    else:
        trigger = cron_trigger(cron or sched_cfg.cron, sched_cfg.timezone)
    home = _state_dir()
    lock = RunLock(home / "scheduler.lock", "an enforcer scheduler for this data directory").acquire()
    scheduler = BlockingScheduler(
        jobstores={"default": SQLiteJobStore(home / "schedule.db")},
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": sched_cfg.misfire_grace_seconds,
        },
        timezone=sched_cfg.timezone,
    )
    args = [run_argv(config_path)]

    def reconcile(_event: object) -> None:
        job = scheduler.get_job(JOB_ID)
        if job is not None and _same(job.trigger, trigger) and list(job.args) == args:
            log.info("keeping the stored job; next run %s", job.next_run_time)
        else:
            job = scheduler.add_job(
                scheduled_run, trigger, args=args, id=JOB_ID, replace_existing=True, name="enforcer run"
            )
        print(f"enforcer schedule: next run at {job.next_run_time.isoformat()}", flush=True)

    scheduler.add_listener(reconcile, EVENT_SCHEDULER_STARTED)

    stopping: list[threading.Thread] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        print(f"enforcer schedule: {signal.Signals(signum).name} received, stopping", flush=True)
        with _children_lock:
            for child in _children:
                child.terminate()  # the run records itself incomplete at the next start
        if not stopping:
            stopping.append(threading.Thread(target=_shutdown, args=(scheduler,), daemon=True))
            stopping[0].start()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.start()
        for t in stopping:  # the main loop ends first; wait until the running job has ended too
            t.join()
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        lock.release()
    print("enforcer schedule: stopped", flush=True)
    return 0


def _shutdown(scheduler: Any) -> None:
    """Off the signal handler's stack: shutdown waits for a running job to end."""
    from apscheduler.schedulers import SchedulerNotRunningError

    try:
        scheduler.shutdown(wait=True)
    except SchedulerNotRunningError:
        pass  # a second signal while already stopping


def _same(a: Any, b: Any) -> bool:
    """Same schedule? ``str`` leaves out an interval's start date, which is "now" on every start."""
    return (type(a), str(a), str(getattr(a, "timezone", ""))) == (
        type(b),
        str(b),
        str(getattr(b, "timezone", "")),
    )


# -- for people who prefer the operating system's scheduler -----------------------------------


def _systemd_field(field: str, low: int, high: int) -> str:
    if field == "*":
        return "*"
    if field.startswith("*/") and field[2:].isdigit():
        return f"{low}/{field[2:]}"
    try:
        values = sorted(_expand(field, low, high))
    except ValueError:
        raise ConfigError(
            f"schedule.cron: cannot translate {field!r} to systemd OnCalendar; write the timer by hand"
        ) from None
    return ",".join(f"{v:02d}" if high > 12 else str(v) for v in values)


def on_calendar(cron: str, timezone: str) -> str:
    minute, hour, day, month, dow = _fields(cron)
    if day != "*" and dow != "*":
        raise ConfigError(
            "schedule.cron: cron runs when day OR weekday matches, systemd when both do; "
            "give one of them as '*' or write the timer by hand"
        )
    days = "" if dow == "*" else ",".join(d.capitalize() for d in cron_days(dow).split(",")) + " "
    return (
        f"{days}*-{_systemd_field(month, 1, 12)}-{_systemd_field(day, 1, 31)} "
        f"{_systemd_field(hour, 0, 23)}:{_systemd_field(minute, 0, 59)}:00 {timezone}"
    )


def systemd_units(config: Any, config_path: str | None) -> str:
    sched = config.model.schedule
    from enforcer.store.paths import data_dir

    exec_start = " ".join(run_argv(config_path))
    return f"""# /etc/systemd/system/enforcer.service
[Unit]
Description=enforcer: nightly password and device security check
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart={exec_start}
Environment=ENFORCER_HOME={data_dir()}
UMask=0077
NoNewPrivileges=yes
PrivateTmp=yes
# Put SMTP and directory credentials in an EnvironmentFile readable only by root:
# EnvironmentFile=/etc/enforcer/secrets.env

# /etc/systemd/system/enforcer.timer
[Unit]
Description=Run enforcer on schedule ({sched.cron}, {sched.timezone})

[Timer]
OnCalendar={on_calendar(sched.cron, sched.timezone)}
Persistent=true

[Install]
WantedBy=timers.target
"""


def cron_line(config: Any, config_path: str | None) -> str:
    sched = config.model.schedule
    command = " ".join(run_argv(config_path))
    return (
        f"# crontab -e  (CRON_TZ is honoured by cronie; elsewhere the cron daemon's zone is used)\n"
        f"CRON_TZ={sched.timezone}\n"
        f"{sched.cron} {command} >/dev/null 2>&1\n"
    )
