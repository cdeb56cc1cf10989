"""A throwaway PostgreSQL server on 127.0.0.1, for the store tests.

``python -m tests.services.postgres`` starts one and prints its URL until Ctrl-C.

Steps: install Debian's ``postgresql`` when no server binaries are found (with
``policy-rc.d`` keeping the distro's own cluster from starting), ``initdb`` into a
temporary directory with password (SCRAM) authentication, start ``postgres`` on
a free loopback port with durability switched off (a test server: nothing to
lose, and several times faster), create a database, and remove it all after.
PostgreSQL refuses to run as root, so as root every server command runs as the
``postgres`` user (``runuser``), which owns the temporary directory.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"
USER = "enforcer"
PASSWORD = "Pg-Test-Pass!2026"  # a throwaway server on loopback only
DATABASE = "enforcer"
FAST = [
    "-c",
    "fsync=off",
    "-c",
    "synchronous_commit=off",
    "-c",
    "full_page_writes=off",
    "-c",
    "max_connections=40",
    "-c",
    "shared_buffers=16MB",
    "-c",
    "listen_addresses=" + HOST,
]


class PostgresUnavailable(RuntimeError):
    """This machine cannot run PostgreSQL (no binaries and no root or apt): a reason to skip outside CI."""


def bindir() -> Path | None:
    """The newest installed server's bin directory (Debian keeps them out of PATH)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).resolve().parent if on_path and shutil.which("pg_ctl") else None


def ensure_packages() -> Path:
    if (found := bindir()) is not None:
        return found
    from tests.services.apt import AptUnavailable, install

    try:
        install(["postgresql"], purpose="PostgreSQL")
    except AptUnavailable as exc:
        raise PostgresUnavailable(str(exc)) from None
    if (found := bindir()) is None:
        raise PostgresUnavailable("postgresql was installed but no initdb was found")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        self.port = 0
        self.dir: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self._as: list[str] = []

    @property
    def url(self) -> str:
        """Without the password, as enforcer's configuration names it (the password comes separately)."""
        return f"postgresql://{USER}@{HOST}:{self.port}/{DATABASE}"

    def start(self) -> PostgresServer:
        if importlib.util.find_spec("psycopg") is None:
            raise PostgresUnavailable("the psycopg package is not installed (pip install 'psycopg[binary]')")
        bin_ = ensure_packages()
        self.dir = Path(tempfile.mkdtemp(prefix="enforcer-pg-"))
        self.dir.chmod(0o700)
        if os.geteuid() == 0:
            if not shutil.which("runuser"):
                raise PostgresUnavailable("running as root without runuser to drop to the postgres user")
            try:
                shutil.chown(self.dir, "postgres", "postgres")
            except LookupError as exc:
                raise PostgresUnavailable(f"no postgres user to run the server as: {exc}") from None
            self._as = ["runuser", "-u", "postgres", "--"]
        pwfile = self.dir / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self._as:
            shutil.chown(pwfile, "postgres", "postgres")
        data = self.dir / "data"
        self._run(
            [
                str(bin_ / "initdb"),
                "-D",
                str(data),
                "-U",
                USER,
                "--pwfile",
                str(pwfile),
                "--auth",
                "scram-sha-256",
                "-E",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
            ]
        )
        pwfile.unlink()
        self.port = free_port()
        log = (self.dir / "server.log").open("wb")
        # Its own session, so a Ctrl-C in the terminal reaches pytest and not the server first.
        self.proc = subprocess.Popen(
            [
                *self._as,
                str(bin_ / "postgres"),
                "-D",
                str(data),
                "-p",
                str(self.port),
                "-k",
                str(self.dir),
                *FAST,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._wait_ready()
        self.admin(f"CREATE DATABASE {DATABASE}", database="postgres")
        return self

    def admin(self, sql: str, database: str = DATABASE) -> None:
        """One statement as the superuser, outside a transaction (CREATE DATABASE needs that)."""
        import psycopg

        with psycopg.connect(
            host=HOST, port=self.port, user=USER, password=PASSWORD, dbname=database, autocommit=True
        ) as conn:
            conn.execute(sql)

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise PostgresUnavailable(f"postgres exited ({self.proc.returncode}): {self._log_tail()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    pass
            except OSError:
                time.sleep(0.05)
                continue
            try:
                self.admin("SELECT 1", database="postgres")
                return
            except Exception:  # noqa: BLE001 - "starting up" is expected for a moment; retried, then reported
                time.sleep(0.05)
        raise PostgresUnavailable(
            f"postgres did not accept connections within {timeout:.0f}s: {self._log_tail()}"
        )

    def _run(self, cmd: list[str]) -> None:
        proc = subprocess.run(
            [*self._as, *cmd], capture_output=True, text=True, timeout=120, cwd=str(self.dir)
        )
        if proc.returncode != 0:
            raise PostgresUnavailable(
                f"{Path(cmd[0]).name} failed: {(proc.stderr or proc.stdout).strip()[-500:]}"
            )

    def _log_tail(self) -> str:
        try:
            return (self.dir / "server.log").read_text(errors="replace").strip()[-500:] if self.dir else ""
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGQUIT)  # "immediate shutdown": a test server keeps nothing
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


if __name__ == "__main__":
    server = PostgresServer().start()
    print(f"{server.url}  (password: {PASSWORD})", flush=True)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
