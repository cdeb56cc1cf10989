"""One run at a time, also across processes: an ``fcntl`` lock on a file.

Why a lock file and not a row in the database: the lock must disappear by itself
when the process that holds it dies (``kill -9``, power cut), which the kernel
guarantees for ``flock`` and no database row can. The holder's pid and start
time are written into the file only to make the refusal message useful.
"""

from __future__ import annotations

import fcntl
import os
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from enforcer.model.errors import StoreError


class RunLock:
    def __init__(self, path: Path, what: str = "an enforcer run") -> None:
        self.path = path
        self.what = what
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StoreError(f"cannot open lock file {self.path}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise StoreError(
                f"{self.what} is already in progress{holder}; refusing to start another (lock {self.path})"
            ) from None
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()} {stamp}\n".encode())
        except OSError as exc:  # a full disk: nothing of the run could be recorded either
            os.close(fd)  # releases the flock too
            raise StoreError(f"cannot write lock file {self.path}: {exc.strerror}") from None
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
    except OSError:
        return ""
    if len(text) >= 2:
        return f" (pid {text[0]}, since {text[1]})"
    return ""
