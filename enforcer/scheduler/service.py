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
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from enforcer.scheduler.cron import cron_trigger, run_argv

log = logging.getLogger(__name__)
JOB_ID = "enforcer-nightly-run"
_children: set[subprocess.Popen[bytes]] = set()
_children_lock = threading.Lock()


def _state_dir() -> Path:
    from enforcer.store.paths import data_dir, ensure_private_dir

    return ensure_private_dir(data_dir())


def scheduled_run(argv: Sequence[str]) -> int:
    """The job: one ``enforcer run`` in a child process. Module-level so the job store can name it."""
    started = datetime.now(UTC).isoformat(timespec="milliseconds")
    print(f"enforcer schedule: run starting at {started}", flush=True)
    child = subprocess.Popen(list(argv))
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
