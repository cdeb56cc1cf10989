"""Middleware added to the SDK's httpx pipeline: a retry policy we can trust and a rate limit.

Why not the SDK's ``RetryHandler`` as it is: it treats ``Retry-After: 0`` as absent and
then waits its own backoff (seconds, per retry), and it waits for any Retry-After up to
three minutes. Graph throttling is honoured exactly here (``0`` means retry now), the
wait is capped by the configuration (longer => give up, the source fails), and 503/504
without the header back off exponentially. The rate limiter sits below the retry
handler so every attempt, retries included, counts against Intune's 2,000 requests per
20 seconds.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque

import httpx
from kiota_http.middleware import RetryHandler
from kiota_http.middleware.middleware import BaseMiddleware
from kiota_http.middleware.options import RetryHandlerOption

from connectors.graph.settings import Settings

GIVE_UP = float("inf")


class GraphRetryHandler(RetryHandler):
    """429 / 503 / 504 retried up to ``max_retries`` times; 500 is never retried."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            RetryHandlerOption(
                delay=0, max_retries=settings.max_retries, should_retry=settings.max_retries > 0
            )
        )
        self._base = settings.backoff_seconds
        self._cap = settings.max_retry_after_seconds
        self.retries = 0
        """How many retries this handler made (for tests and the run log)."""

    def get_delay_time(
        self, retry_count: int, response: httpx.Response | None = None, delay: float = 0
    ) -> float:
        header = response.headers.get("retry-after") if response is not None else None
        wait = self._parse_retry_after(header) if header else None
        if wait is None:
            wait = self._base * (2**retry_count) + random.uniform(0, self._base / 2)
        if wait > self._cap:
            return GIVE_UP
        return float(wait)

    def should_retry(
        self, request: httpx.Request, options: RetryHandlerOption, response: httpx.Response
    ) -> bool:
        ok = super().should_retry(request, options, response)
        if ok:
            self.retries += 1
        return ok


class RateLimiter:
    """A sliding window: at most ``limit`` request starts in any ``window`` seconds."""

    def __init__(self, limit: int, window: float = 20.0) -> None:
        self.limit = limit
        self.window = window
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()
        self.count = 0

    async def acquire(self, n: int = 1) -> None:
        """Take ``n`` places (a ``$batch`` of 20 counts as 20 requests against the limit)."""
        async with self._lock:
            for _ in range(n):
                while True:
                    now = time.monotonic()
                    while self._starts and now - self._starts[0] >= self.window:
                        self._starts.popleft()
                    if len(self._starts) < self.limit:
                        self._starts.append(now)
                        self.count += 1
                        break
                    await asyncio.sleep(self.window - (now - self._starts[0]))


class RateLimitHandler(BaseMiddleware):
    def __init__(self, limiter: RateLimiter) -> None:
        super().__init__()
        self.limiter = limiter

    async def send(self, request: httpx.Request, transport: httpx.AsyncBaseTransport) -> httpx.Response:
        await self.limiter.acquire()
        return await super().send(request, transport)
