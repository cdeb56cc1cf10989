"""The store on PostgreSQL (psycopg 3), for a trust or a contractor with many schools.

Same :class:`~enforcer.store.db.Database` interface as SQLite; what differs is here:

- placeholders: the store's SQL says ``?``; psycopg wants ``%s`` (and a literal ``%``
  doubled). Rewritten per statement, outside quoted text.
- one writer at a time: SQLite's ``BEGIN IMMEDIATE`` takes the write lock at once;
  here ``BEGIN`` is followed by a transaction-scoped advisory lock keyed on the
  schema, so two runs (on two machines, which the run lock file cannot see) never
  interleave their writes. ``lock_timeout`` plays the part of SQLite's busy timeout.
- the catalogue: the store's tables are looked for in ``current_schema()``, so a
  trust can keep one store per schema (``?options=-csearch_path%3Dschool_a``).
- text: PostgreSQL refuses NUL characters as well as lone surrogates; both are
  refused by psycopg before anything is sent, so the statement is safely repeated
  with them replaced (as SQLite's path does for surrogates).
- secrets: a password written in the URL is refused (the URL is shown in every
  message); it comes from ``store.password: {env: NAME}`` / ``{file: PATH}``, or from
  libpq's own ``~/.pgpass`` / ``PGPASSWORD``. It is never part of ``where``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from enforcer.logs import redact
from enforcer.model.errors import StoreError
from enforcer.store.db import Database, text_safe

try:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict
except ImportError:  # pragma: no cover - depends on the installation
    psycopg = None  # type: ignore[assignment]

LOCK_KEY = 0x656E6663
"""First half of the advisory lock key ("enfc"); the second is a hash of the schema name."""
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%")
_NUL = "\x00"
LOCKED = ("55P03", "40001", "40P01")
"""lock_not_available (lock_timeout), serialization_failure, deadlock_detected"""
AUTH = ("28P01", "28000")


def pyformat(sql: str) -> str:
    """``?`` -> ``%s`` outside quoted text and identifiers; every ``%`` -> ``%%`` (psycopg reads
    ``%`` everywhere, quoted or not)."""

    def sub(m: re.Match[str]) -> str:
        tok = m.group(0)
        return "%s" if tok == "?" else tok.replace("%", "%%")

    return _TOKENS.sub(sub, sql)


def pg_safe(params: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(p.replace(_NUL, "\ufffd") if isinstance(p, str) else p for p in text_safe(params))


class PostgresDatabase(Database):
    dialect = "postgresql"

    def _exec(self, sql: str, params: tuple[Any, ...]) -> Any:
        # Without parameters psycopg sends the text as written, so it must not be rewritten.
        return self._conn.execute(pyformat(sql), params) if params else self._conn.execute(sql)

    def _execmany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._conn.cursor().executemany(pyformat(sql), rows)

    def _unbindable(self, exc: BaseException) -> bool:
        # Raised by psycopg while binding, before anything reaches the server: no sqlstate.
        return isinstance(exc, UnicodeEncodeError) or (
            isinstance(exc, psycopg.DataError) and exc.sqlstate is None and "NUL" in str(exc)
        )

    def _safe(self, params: Sequence[Any]) -> tuple[Any, ...]:
        return pg_safe(params)

    def _begin(self) -> None:
        self._exec("BEGIN", ())
        self._exec("SELECT pg_advisory_xact_lock(?, hashtext(current_schema()))", (LOCK_KEY,))

    def _rollback(self) -> None:
        if self._alive():
            with self._translate():
                self._exec("ROLLBACK", ())

    def _alive(self) -> bool:
        return not (self._conn.closed or self._conn.broken)

    def _catalogue(self) -> list[str]:
        rows = self._exec(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()", ()
        ).fetchall()
        return [r[0] for r in rows]

    @contextmanager
    def _translate(self) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            raise StoreError(describe(exc, self.where)) from None


def describe(exc: BaseException, where: str) -> str:
    """One line for the person at the terminal; the server's detail lines are dropped."""
    state = getattr(exc, "sqlstate", None)
    text = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
    low = text.lower()
    if state in LOCKED or "lock timeout" in low:
        return f"store {where} is locked by another process; try again when it has finished ({text})"
    if state in AUTH or "authentication failed" in low or "no password supplied" in low:
        return (
            f"store {where}: the server refused the login ({_server_part(text)}); check the user and "
            "store.password"
        )
    if state == "3F000" or "no schema has been selected" in low:
        return f"store {where}: the schema in search_path does not exist or this user may not use it ({text})"
    if state == "25006" or state == "42501":
        return f"store {where} is read-only or not writable by this user ({text})"
    if isinstance(exc, psycopg.OperationalError):
        if "refused" in low or "timeout expired" in low or "could not translate host" in low:
            return f"store {where} is unreachable: {_server_part(text)}"
        if "does not exist" in low:
            return f"store {where}: {_server_part(text)}"
        return f"store {where}: the connection failed: {_server_part(text)}"
    return f"store {where}: {text}"


def _server_part(text: str) -> str:
    """libpq says 'connection failed: connection to server at "h", port p failed: FATAL:  why'; keep 'why'."""
    tail = text.rsplit("failed: ", 1)[-1]
    return tail.replace("FATAL:", "").strip() or text


def connect_postgresql(url: str, busy_timeout: float = 5.0, password: str | None = None) -> Database:
    if psycopg is None:
        raise StoreError("a postgresql:// store needs the psycopg package (pip install 'psycopg[binary]')")
    try:
        info = conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise StoreError(
            f"store URL is not a valid PostgreSQL URL ({_url_problem(exc)}); use postgresql://USER@HOST:PORT/DB"
        ) from None
    if info.get("password"):
        raise StoreError(
            "store.url must not contain a password (it is shown in messages and kept in the "
            "config); give it as store.password: {env: NAME} or {file: PATH}"
        )
    where = display(info)
    extra: dict[str, Any] = {"autocommit": True}
    if password:
        extra["password"] = password
    if "connect_timeout" not in info:
        extra["connect_timeout"] = max(2, int(busy_timeout * 2))
    if "application_name" not in info:
        extra["application_name"] = "enforcer"
    try:
        conn = psycopg.connect(url, **extra)
    except psycopg.Error as exc:
        raise StoreError(describe(exc, where)) from None
    db = PostgresDatabase(conn, where)
    try:
        with db._translate():
            db._exec(f"SET lock_timeout = {max(1, int(busy_timeout * 1000))}", ())
    except BaseException:
        conn.close()
        raise
    return db


def _url_problem(exc: BaseException) -> str:
    """libpq's complaint about a URL it cannot parse, without the part of the URL it quotes.

    libpq quotes the offending piece (``invalid percent-encoded token: "p4ss%zz"``, ``unexpected
    spaces found in "pa ss"``), and that piece is often the password: it is the part of a URL most
    likely to hold a ``%`` or a space, and, being in the URL, it was never registered as a secret,
    so redaction alone cannot catch it. Everything from the first to the last double quote goes;
    what is left is libpq's own wording."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    first, last = text.find('"'), text.rfind('"')
    if first >= 0:
        text = text[:first] + '"..."' + (text[last + 1 :] if last > first else "")
    return redact(text.replace(" in URI", "").rstrip(": "))


def display(info: dict[str, Any]) -> str:
    """The URL as shown in messages: user, host, port, database; never a password or options."""
    user = f"{info['user']}@" if info.get("user") else ""
    host = info.get("host") or info.get("hostaddr") or "localhost"
    port = f":{info['port']}" if info.get("port") else ""
    return f"postgresql://{user}{host}{port}/{info.get('dbname') or ''}"
