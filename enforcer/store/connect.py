"""Open the store a URL names: SQLite by default, PostgreSQL when configured.

The one place that knows both engines, so neither engine module imports the other.
"""

from __future__ import annotations

from pathlib import Path

from enforcer.model.errors import StoreError
from enforcer.store.db import Database, connect_sqlite, sqlite_path


def connect(url: str, base_dir: Path, busy_timeout: float = 5.0, password: str | None = None) -> Database:
    """``password`` is for PostgreSQL only and never part of the URL (which is shown in messages)."""
    if url.startswith("sqlite:///"):
        return connect_sqlite(sqlite_path(url, base_dir), busy_timeout)
    if url.startswith(("postgresql://", "postgres://")):
        from enforcer.store.pg import connect_postgresql  # psycopg is only needed for this URL

        return connect_postgresql(url, busy_timeout, password)
    raise StoreError(
        f"unsupported store URL {url.split(':', 1)[0]!r}: use sqlite:///PATH or postgresql://USER@HOST/DB"
    )
