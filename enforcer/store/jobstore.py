"""An APScheduler 3 job store on the standard library's sqlite3.

Why not APScheduler's own ``SQLAlchemyJobStore``: it needs SQLAlchemy, a large
dependency for one table. This is the same table shape (id, next_run_time,
pickled job state) with sqlite3. The job state holds only a textual reference
to ``enforcer.scheduler.service:scheduled_run`` and its plain arguments, never code.
The file lives in the private data directory (0700), so nobody else can plant a
pickle there.
"""

from __future__ import annotations

import pickle
import sqlite3
import threading
from pathlib import Path
from typing import Any

from apscheduler.job import Job
from apscheduler.jobstores.base import BaseJobStore, ConflictingIdError, JobLookupError
from apscheduler.util import datetime_to_utc_timestamp, utc_timestamp_to_datetime

from enforcer.store.paths import ensure_private_file


class SQLiteJobStore(BaseJobStore):
    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    def start(self, scheduler: Any, alias: str) -> None:
        super().start(scheduler, alias)
        ensure_private_file(self.path)
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=5)
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS apscheduler_jobs (id VARCHAR(191) PRIMARY KEY, "
            "next_run_time REAL, job_state BLOB NOT NULL)"
        )
        self._conn.execute("CREATE INDEX IF NOT EXISTS apscheduler_next ON apscheduler_jobs (next_run_time)")

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("job store used before start()")
        return self._conn

    def lookup_job(self, job_id: str) -> Job | None:
        with self._lock:
            row = (
                self._db()
                .execute("SELECT job_state FROM apscheduler_jobs WHERE id = ?", (job_id,))
                .fetchone()
            )
        return self._job(row[0]) if row else None

    def get_due_jobs(self, now: Any) -> list[Job]:
        return self._jobs("WHERE next_run_time <= ?", (datetime_to_utc_timestamp(now),))

    def get_next_run_time(self) -> Any:
        with self._lock:
            row = (
                self._db()
                .execute(
                    "SELECT next_run_time FROM apscheduler_jobs WHERE next_run_time IS NOT NULL "
                    "ORDER BY next_run_time LIMIT 1"
                )
                .fetchone()
            )
        return utc_timestamp_to_datetime(row[0]) if row else None

    def get_all_jobs(self) -> list[Job]:
        jobs = self._jobs("", ())
        self._fix_paused_jobs_sorting(jobs)
        return jobs

    def add_job(self, job: Job) -> None:
        with self._lock:
            try:
                self._db().execute(
                    "INSERT INTO apscheduler_jobs (id, next_run_time, job_state) VALUES (?, ?, ?)",
                    (job.id, datetime_to_utc_timestamp(job.next_run_time), self._state(job)),
                )
            except sqlite3.IntegrityError:
                raise ConflictingIdError(job.id) from None

    def update_job(self, job: Job) -> None:
        with self._lock:
            cur = self._db().execute(
                "UPDATE apscheduler_jobs SET next_run_time = ?, job_state = ? WHERE id = ?",
                (datetime_to_utc_timestamp(job.next_run_time), self._state(job), job.id),
            )
        if cur.rowcount == 0:
            raise JobLookupError(job.id)

    def remove_job(self, job_id: str) -> None:
        with self._lock:
            cur = self._db().execute("DELETE FROM apscheduler_jobs WHERE id = ?", (job_id,))
        if cur.rowcount == 0:
            raise JobLookupError(job_id)

    def remove_all_jobs(self) -> None:
        with self._lock:
            self._db().execute("DELETE FROM apscheduler_jobs")

    def shutdown(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @staticmethod
    def _state(job: Job) -> bytes:
        return pickle.dumps(job.__getstate__(), pickle.HIGHEST_PROTOCOL)

    def _job(self, blob: bytes) -> Job:
        state = pickle.loads(blob)
        state["jobstore"] = self
        job = Job.__new__(Job)
        job.__setstate__(state)
        job._scheduler = self._scheduler
        job._jobstore_alias = self._alias
        return job

    def _jobs(self, where: str, params: tuple[Any, ...]) -> list[Job]:
        with self._lock:
            rows = (
                self._db()
                .execute(f"SELECT id, job_state FROM apscheduler_jobs {where} ORDER BY next_run_time", params)
                .fetchall()
            )
        jobs, broken = [], []
        for job_id, blob in rows:
            try:
                jobs.append(self._job(blob))
            except (pickle.UnpicklingError, LookupError, AttributeError, ImportError, TypeError, ValueError):
                self._logger.exception("Unable to restore job %r: removing it", job_id)
                broken.append(job_id)
        if broken:
            with self._lock:
                self._db().executemany("DELETE FROM apscheduler_jobs WHERE id = ?", [(b,) for b in broken])
        return jobs
