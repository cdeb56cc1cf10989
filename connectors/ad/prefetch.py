"""Read the next page while the caller works on this one.

Why: with a synchronous LDAP client the DC sits idle while enforcer maps and
evaluates a page, and enforcer sits idle while the DC builds the next. A
worker thread that keeps up to ``depth`` batches ready lets the two overlap
(the DC runs on another core; socket waits release the GIL). Errors raised in
the worker reach the caller unchanged, at the point where the data ran out.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")


def prefetched(items: Iterator[T], batch: int, depth: int = 2, join_timeout: float = 60.0) -> Iterator[T]:
    q: queue.Queue[list[T] | BaseException | None] = queue.Queue(maxsize=depth)  # None: the end
    stop = threading.Event()

    def put(obj: list[T] | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                q.put(obj, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        chunk: list[T] = []
        try:
            for item in items:
                chunk.append(item)
                if len(chunk) >= batch:
                    if not put(chunk):
                        return
                    chunk = []
            if chunk and not put(chunk):
                return
            put(None)
        except BaseException as exc:  # noqa: BLE001 - not swallowed: handed to the consumer, which raises it
            if chunk and not put(chunk):  # what arrived before the error still counts
                return
            put(exc)

    worker = threading.Thread(target=work, name="ad-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            got = q.get()
            if got is None:
                return
            if isinstance(got, BaseException):
                raise got
            yield from got
    finally:
        stop.set()
        worker.join(timeout=join_timeout)
