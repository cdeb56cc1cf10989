"""The run lock lives with the store, not with the home directory.

Two processes with different ``ENFORCER_HOME`` (two users, a cron job and a person, two
machines) can point at the same configured store; a lock in the home would let one mark the
other's live run "interrupted". So: a SQLite store is locked by a file beside the database
file (``flock``: released by the kernel when the holder dies), and a PostgreSQL store by a
session-level advisory lock on a connection held for the run (released by the server when the
connection goes, however the process ends).
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from enforcer.model.errors import StoreError
from enforcer.store.db import Database, sqlite_path
from enforcer.store.lock import RunLock
from enforcer.store.paths import ensure_private_dir

if TYPE_CHECKING:
    from enforcer.config import Config

RUN_LOCK_KEY = 0x656E6672  # distinct from the writer's transaction lock key in store.pg


class Lock(Protocol):
    def acquire(self) -> Lock: ...

    def release(self) -> None: ...

    def __enter__(self) -> Lock: ...

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class PgRunLock:
    """``pg_try_advisory_lock`` on a connection of its own, per store schema."""

    def __init__(self, url: str, password: str | None, what: str = "an enforcer run") -> None:
        self.url = url
        self.password = password
        self.what = what
        self._db: Database | None = None

    def acquire(self) -> PgRunLock:
        from enforcer.store.pg import connect_postgresql

        db = connect_postgresql(self.url, 5.0, self.password)
        try:
            row = db.one("SELECT pg_try_advisory_lock(?, hashtext(current_schema())) AS ok", (RUN_LOCK_KEY,))
        except BaseException:
            db.close()
            raise
        if not row or not row["ok"]:
            db.close()
            raise StoreError(
                f"{self.what} is already in progress on store {db.where}; refusing to start another"
            )
        self._db = db
        return self

    def release(self) -> None:
        if self._db is None:
            return
        try:
            self._db.one("SELECT pg_advisory_unlock(?, hashtext(current_schema())) AS ok", (RUN_LOCK_KEY,))
        finally:
            self._db.close()
            self._db = None

    def __enter__(self) -> PgRunLock:
        return self.acquire()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def lock_for(url: str, base_dir: Path, password: str | None) -> Lock:
    """The lock of the store ``url`` names."""
    if url.startswith(("postgresql://", "postgres://")):
        return PgRunLock(url, password)
    if url.startswith("sqlite:///"):
        path = sqlite_path(url, base_dir)
        ensure_private_dir(path.parent)
        return RunLock(path.with_name(path.name + ".run.lock"), "an enforcer run on this store")
    raise StoreError(f"unsupported store URL {url.split(':', 1)[0]!r}")


def store_lock(config: Config | None = None) -> Lock:
    """The lock every run takes on the configured store (or the default one)."""
    from enforcer.store import default_url, store_password
    from enforcer.store.paths import data_dir

    home = ensure_private_dir(data_dir())
    url = (config.model.store.url if config is not None else None) or default_url(home)
    base = config.base_dir if config is not None else Path.cwd()
    return lock_for(url, base, store_password(config, url))
