"""The history store: runs, findings over time, exceptions, notes and the audit log.

``open_store(config)`` returns a :class:`Store` on the configured database URL
(default: ``enforcer.db`` in the data directory). Opening migrates the schema.
Everything the CLI, the scheduler and ``run`` need goes through this object so
the SQL stays in this package.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from enforcer.store import records, retention, runs
from enforcer.store.connect import connect
from enforcer.store.db import Database
from enforcer.store.diff import RunDiff, compute_diff
from enforcer.store.lock import RunLock
from enforcer.store.paths import data_dir, ensure_private_dir

if TYPE_CHECKING:
    from enforcer.config import Config
    from enforcer.store.runlock import Lock

__all__ = [
    "Database",
    "RunDiff",
    "RunLock",
    "Store",
    "compute_diff",
    "data_dir",
    "default_url",
    "open_store",
    "records",
    "retention",
    "run_lock",
    "runs",
]


def default_url(home: Path | None = None) -> str:
    return f"sqlite:///{(home or data_dir()) / 'enforcer.db'}"


class Store:
    def __init__(self, db: Database, home: Path) -> None:
        self.db = db
        self.home = home

    @property
    def where(self) -> str:
        return self.db.where

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def purge(self, retention_days: int, now: datetime | None = None) -> dict[str, int]:
        return retention.purge(self.db, now or datetime.now(UTC), retention_days)


def open_store(
    config: Config | None = None,
    url: str | None = None,
    busy_timeout: float = 5.0,
    password: str | None = None,
) -> Store:
    """Open (creating and migrating if needed) the store named by ``url`` or the configuration.

    A PostgreSQL password comes from ``password`` or the configuration's ``store.password``
    secret reference (read only when the URL is PostgreSQL's), never from the URL."""
    home = ensure_private_dir(data_dir())
    base = config.base_dir if config is not None else Path.cwd()
    url = url or (config.model.store.url if config is not None else None) or default_url(home)
    if password is None:
        password = store_password(config, url)
    db = connect(url, base, busy_timeout, password)
    try:
        db.migrate()
    except BaseException:
        db.close()
        raise
    return Store(db, home)


def store_password(config: Config | None, url: str) -> str | None:
    """The configuration's ``store.password`` secret, read only for a PostgreSQL URL."""
    if config is None or config.model.store.password is None:
        return None
    if not url.startswith(("postgresql://", "postgres://")):
        return None
    from enforcer.secrets import read_secret

    return read_secret(config.model.store.password, "store.password")


def run_lock(config: Config | None = None) -> Lock:
    """The lock every run takes, whoever starts it (CLI, scheduler, cron, systemd): it lives
    with the store the configuration names (``store.runlock``), so two homes sharing one store
    still run one at a time."""
    from enforcer.store.runlock import store_lock

    return store_lock(config)
