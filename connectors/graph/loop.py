"""Running the async Graph client from the synchronous pipeline.

Shared by reading (``source.py``) and remediation (``remediate.py``), which both
call Graph from sync code and must leave no task behind on a loop they close.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
CLOSE_TIMEOUT = 5.0


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even when a loop is already running here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel every task still on the loop (ours and the HTTP stack's own, such as connection
    closers), let them finish, then close: a task left pending would fail later with "Event loop
    is closed" and print a traceback after a clean SIGTERM or Ctrl-C (as ``asyncio.run`` does)."""
    try:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in pending:
            t.cancel()
        if pending:  # bounded: a task that ignores cancellation must not hold a stopping run
            loop.run_until_complete(asyncio.wait(pending, timeout=CLOSE_TIMEOUT))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()
