"""JSON ``$batch``: up to 20 GETs in one POST, built and read by us.

Why not msgraph-core's BatchRequestContent: with 1.5.2 it imports the undeclared
``Deprecated`` package, writes absolute item URLs (real Graph rejects those item by
item; batch URLs are relative to the version root), and its response parser drops the
JSON bodies we need. Each item has its own status: 429/503/504 items are sent again
(honouring the item's Retry-After) up to ``max_retries`` times, 404 means "no such
resource" (None), anything else fails the read.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Any

from connectors.graph.client import GraphClient, GraphRequestError

RETRYABLE = frozenset({429, 503, 504})


async def batch_get(client: GraphClient, paths: Sequence[str]) -> list[Any]:
    """GET every relative ``path`` (``/deviceManagement/...``); bodies in the same order, None for 404."""
    size = client.settings.batch_size
    chunks = [list(range(i, min(i + size, len(paths)))) for i in range(0, len(paths), size)]
    out: list[Any] = [None] * len(paths)

    async def run(chunk: list[int]) -> None:
        results = await _one_batch(client, [paths[i] for i in chunk])
        for i, body in zip(chunk, results, strict=True):
            out[i] = body

    await asyncio.gather(*(run(c) for c in chunks))
    return out


async def _one_batch(client: GraphClient, paths: list[str]) -> list[Any]:
    settings = client.settings
    results: list[Any] = [None] * len(paths)
    pending = list(range(len(paths)))
    for attempt in range(settings.max_retries + 1):
        body = {"requests": [{"id": str(i), "method": "GET", "url": paths[i]} for i in pending]}
        if len(pending) > 1:  # the HTTP request itself takes one place in the middleware
            await client.limiter.acquire(len(pending) - 1)
        reply = await client.request("POST", client.url("/$batch"), body)
        responses = reply.get("responses") if isinstance(reply, dict) else None
        if not isinstance(responses, list):
            raise GraphRequestError("Graph POST /$batch: the reply has no responses list")
        by_id = {str(r.get("id")): r for r in responses if isinstance(r, dict)}
        again: list[int] = []
        wait = 0.0
        for i in pending:
            item = by_id.get(str(i))
            if item is None:
                raise GraphRequestError(f"Graph POST /$batch: no response for {paths[i]}")
            status = item.get("status")
            if isinstance(status, int) and 200 <= status < 300:
                results[i] = item.get("body")
            elif status == 404:
                results[i] = None
            elif status in RETRYABLE:
                again.append(i)
                wait = max(wait, _retry_after(item, settings.backoff_seconds, attempt))
            else:
                raise GraphRequestError(
                    f"Graph GET {paths[i]} (in $batch): HTTP {status} {_code(item)}".rstrip(),
                    status,
                    _code(item),
                )
        if not again:
            return results
        if attempt == settings.max_retries or wait > settings.max_retry_after_seconds:
            break
        await asyncio.sleep(wait)
        pending = again
    raise GraphRequestError(
        f"Graph POST /$batch: {len(again)} item(s) still throttled after {settings.max_retries} retries",
        429,
        "TooManyRequests",
    )


def _retry_after(item: dict, base: float, attempt: int) -> float:
    headers = item.get("headers") or {}
    raw = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        return max(0.0, float(raw)) if raw is not None else base * 2.0**attempt + random.uniform(0, base / 2)
    except (TypeError, ValueError):
        return base * 2.0**attempt


def _code(item: dict) -> str:
    body = item.get("body")
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("code") or "")
    return ""
