"""A database reached through a URL, with every driver error translated.

``sqlite:///PATH`` (the default) is implemented here; ``postgresql://`` lives in
:mod:`enforcer.store.pg` as a subclass that changes only the driver-specific
parts (placeholders, ``BEGIN``, savepoints outside a transaction, the catalogue,
error translation). The SQL elsewhere in the store is portable; ``?`` is its
only placeholder.

Why translate errors here: "database is locked" and "file is not a database" are
what an E-Safety Officer sees at 7am; they must arrive as one clear line
(:class:`StoreError`, exit 2), never a traceback, and must change nothing.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from enforcer.model.errors import StoreError
from enforcer.store.paths import ensure_private_dir, ensure_private_file
from enforcer.store.schema import LATEST, MIGRATIONS, SERIAL

SQLITE_MAGIC = b"SQLite format 3\x00"
Row = dict[str, Any]
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def text_safe(params: Sequence[Any]) -> tuple[Any, ...]:
    """Parameters with lone surrogates replaced by U+FFFD, as the reports show them.

    Directory data may carry an unpaired surrogate (a broken UTF-16 name from AD or Graph);
    UTF-8 cannot encode one, so without this one hostile display name would make the whole
    run unrecordable. Only used after a bind has failed, so ordinary runs pay nothing.
    """
    return tuple(_LONE_SURROGATE.sub("\ufffd", p) if isinstance(p, str) else p for p in params)


class Database:
    """The store's one way to run SQL. Subclasses override the ``_``-hooks, nothing else."""

    dialect = "sqlite"

    def __init__(self, conn: Any, where: str) -> None:
        self._conn = conn
        self.where = where
        self._depth = 0

    # -- queries -------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._translate():
            cur = self._run(sql, params)
            cols = [d[0] for d in cur.description or ()]
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; returns the number of rows changed."""
        with self._translate():
            return int(self._run(sql, params).rowcount)

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """An INSERT ... RETURNING id (SQLite >= 3.35 and PostgreSQL both support it)."""
        with self._translate():
            row = self._run(sql + " RETURNING id", params).fetchone()
        return int(row[0])

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Rows before a row that cannot be bound are already written, so a savepoint takes
        them back before the whole batch is repeated with text made storable. The
        transaction around it is the caller's when there is one (PostgreSQL allows a
        savepoint only inside a transaction)."""
        with self.transaction(), self._translate():
            self._exec("SAVEPOINT text_safe", ())
            try:
                try:
                    self._execmany(sql, rows)
                except Exception as exc:
                    if not self._unbindable(exc):
                        raise
                    self._exec("ROLLBACK TO text_safe", ())
                    self._execmany(sql, [self._safe(r) for r in rows])
            except BaseException:
                if self._alive():
                    self._exec("ROLLBACK TO text_safe", ())
                    self._exec("RELEASE text_safe", ())
                raise
            self._exec("RELEASE text_safe", ())

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """All or nothing, and one writer at a time. Nested use joins the outer transaction."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        try:
            with self._translate():
                self._begin()
        except BaseException:
            self._rollback()  # PostgreSQL: BEGIN succeeded, the writer lock did not
            raise
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._depth = 0
            self._rollback()
            raise
        self._depth = 0
        with self._translate():
            self._exec("COMMIT", ())

    def close(self) -> None:
        self._conn.close()

    # -- driver hooks (SQLite here; enforcer.store.pg overrides them) --------------------
    def _run(self, sql: str, params: Sequence[Any]) -> Any:
        """One statement. A bind the driver refuses before sending anything (a lone
        surrogate) ran nothing, so it is safe to repeat with the text made storable."""
        try:
            return self._exec(sql, tuple(params))
        except Exception as exc:
            if not self._unbindable(exc):
                raise
            return self._exec(sql, self._safe(params))

    def _exec(self, sql: str, params: tuple[Any, ...]) -> Any:
        return self._conn.execute(sql, params)

    def _execmany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    def _unbindable(self, exc: BaseException) -> bool:
        return isinstance(exc, UnicodeEncodeError)

    def _safe(self, params: Sequence[Any]) -> tuple[Any, ...]:
        return text_safe(params)

    def _begin(self) -> None:
        self._exec("BEGIN IMMEDIATE", ())  # takes the write lock now: one writer at a time

    def _rollback(self) -> None:
        self._conn.rollback()

    def _alive(self) -> bool:
        return True

    def _catalogue(self) -> list[str]:
        """Names of everything in the database, to tell an empty one from someone else's."""
        return [r[0] for r in self._conn.execute("SELECT name FROM sqlite_master").fetchall()]

    @contextmanager
    def _translate(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                raise StoreError(
                    f"store {self.where} is locked by another process; try again when it has finished"
                ) from None
            if "readonly" in text or "read-only" in text:
                raise StoreError(f"store {self.where} is read-only") from None
            raise StoreError(f"store {self.where}: {text}") from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"store {self.where} is corrupt or not an enforcer store ({exc})") from None

    # -- schema --------------------------------------------------------------------------
    def version(self) -> int:
        with self._translate():
            names = self._catalogue()
            if "schema_version" not in names:
                if names:
                    raise StoreError(f"store {self.where} is a database but not an enforcer store")
                return 0
            row = self._exec("SELECT max(version) FROM schema_version", ()).fetchone()
        return int(row[0] or 0)

    def migrate(self) -> int:
        """Bring the schema up to date; each step is its own transaction. The version is read
        again inside each transaction, so two processes opening a new store at once apply
        each step once (the transaction admits one writer at a time)."""
        current = self.version()
        if current > LATEST:
            raise StoreError(
                f"store {self.where} has schema version {current}, newer than this "
                f"enforcer understands ({LATEST}); upgrade enforcer"
            )
        for number in range(current + 1, LATEST + 1):
            with self.transaction():
                if self.version() >= number:
                    continue
                if number == 1:
                    self.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
                for stmt in MIGRATIONS[number - 1]:
                    self.execute(stmt.replace("{serial}", SERIAL[self.dialect]))
                self.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
        return LATEST


def sqlite_path(url: str, base_dir: Path) -> Path:
    """``sqlite:///rel.db`` is relative to the config's folder, ``sqlite:////abs.db`` absolute."""
    rest = url[len("sqlite:///") :]
    if not rest:
        raise StoreError(f"store URL {url!r} names no file")
    path = Path(rest).expanduser()
    return path if path.is_absolute() else base_dir / path


def connect_sqlite(path: Path, busy_timeout: float) -> Database:
    where = str(path)
    if path.exists():
        _check_header(path)
    else:
        ensure_private_dir(path.parent)
        ensure_private_file(path)
    try:
        conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open store {where}: {exc}") from None
    db = Database(conn, where)
    with db._translate():
        conn.execute("PRAGMA foreign_keys = ON")
    if db.version() < LATEST:
        with db._translate():
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
    return db


def _check_header(path: Path) -> None:
    """Refuse a file that is not SQLite before SQLite touches it (it would not, but be sure)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise StoreError(f"cannot read store {path}: {exc.strerror}") from None
    if head and head != SQLITE_MAGIC:
        raise StoreError(
            f"store {path} is corrupt or not an SQLite database; "
            "move it aside (enforcer will start a new one) or restore a backup"
        )
