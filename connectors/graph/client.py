"""The connector's door to Graph: the SDK's request adapter and pipeline, raw JSON out.

Why raw JSON: building msgraph-sdk model objects costs milliseconds per object
(msgraph-sdk-python #584), minutes for a large trust's Intune estate, and turns unknown
enum values into a silent None. We keep the SDK's adapter (authentication, redirect,
telemetry headers) and our retry / rate-limit middleware, ask it for the response
bytes, and parse them with ``json``. Every failure leaves this module as a
:class:`GraphRequestError` (a :class:`SourceError`), never as a kiota, httpx or azure
exception.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from azure.core.exceptions import AzureError
from kiota_abstractions.api_client_builder import register_default_deserializer, register_default_serializer
from kiota_abstractions.api_error import APIError
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from kiota_http.middleware import RedirectHandler
from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
from kiota_serialization_json.json_serialization_writer_factory import JsonSerializationWriterFactory
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph_core import GraphClientFactory
from msgraph_core.middleware import GraphTelemetryHandler

from connectors.graph.auth import build_auth
from connectors.graph.pipeline import GraphRetryHandler, RateLimiter, RateLimitHandler
from connectors.graph.settings import Settings
from enforcer.model.errors import SourceError
from enforcer.sources.interface import SecretReader

ERROR_MAP = {"XXX": ODataError}
_METHODS = {"GET": Method.GET, "POST": Method.POST, "PATCH": Method.PATCH}


class GraphRequestError(SourceError):
    """A Graph request that failed for good (after the retries the pipeline allows)."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def query(params: Mapping[str, Any]) -> str:
    """OData query string; ``$`` and ``,`` stay readable as Graph's documentation writes them."""
    return "&".join(f"{k}={quote(str(v), safe='$,()=:/')}" for k, v in params.items())


class GraphClient:
    """One tenant connection; an async context manager so the sockets and credential close."""

    def __init__(
        self,
        settings: Settings,
        secrets: SecretReader,
        base_dir: Path,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.base_url = settings.base_url
        self.auth, self._credential = build_auth(settings, secrets, base_dir)
        self.retry = GraphRetryHandler(settings)
        self.limiter = RateLimiter(settings.requests_per_20s)
        limits = httpx.Limits(
            max_connections=settings.concurrency * 2, max_keepalive_connections=settings.concurrency * 2
        )
        http = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.timeout_seconds),
            limits=limits,
            transport=transport,
            base_url=settings.base_url,
        )
        middleware = [RedirectHandler(), self.retry, RateLimitHandler(self.limiter), GraphTelemetryHandler()]
        http = GraphClientFactory.create_with_custom_middleware(middleware=middleware, client=http)
        # What GraphServiceClient would register: without it Graph's error envelope cannot be read.
        register_default_serializer(JsonSerializationWriterFactory)
        register_default_deserializer(JsonParseNodeFactory)
        self.adapter = GraphRequestAdapter(self.auth, client=http)
        self.adapter.base_url = settings.base_url
        self._http = http
        self._slots = asyncio.Semaphore(settings.concurrency)

    async def __aenter__(self) -> GraphClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()
        if self._credential is not None:
            await self._credential.close()

    def url(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> str:
        url = path_or_url if "://" in path_or_url else f"{self.base_url}{path_or_url}"
        return f"{url}?{query(params)}" if params else url

    async def request(self, method: str, url: str, body: Mapping[str, Any] | None = None) -> Any:
        """Send one request through the SDK pipeline; the decoded JSON body, or None for 204."""
        info = RequestInformation()
        info.http_method = _METHODS[method]
        info.url = url
        info.headers.try_add("Accept", "application/json")
        if body is not None:
            info.set_stream_content(json.dumps(body).encode("utf-8"), "application/json")
        raw = await self.call(
            self.adapter.send_primitive_async(info, "bytes", ERROR_MAP), f"Graph {method} {_short(url)}"
        )
        if not raw:
            return None
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise GraphRequestError(
                f"Graph {method} {_short(url)}: the response is not complete JSON ({type(exc).__name__})"
            ) from None

    async def call(self, awaitable: Awaitable[Any], what: str = "Graph request") -> Any:
        """Await an SDK call inside the concurrency limit, translating every failure."""
        try:
            async with self._slots:
                return await awaitable
        except asyncio.CancelledError:
            if inspect.iscoroutine(awaitable):
                awaitable.close()  # cancelled while waiting for a slot: never started
            raise
        except ODataError as exc:
            err = exc.error
            code = err.code if err else None
            msg = err.message if err else None
            raise GraphRequestError(
                f"{what}: HTTP {exc.response_status_code} {code or ''}: {msg or ''}".rstrip(": "),
                exc.response_status_code,
                code,
            ) from None
        except APIError as exc:
            raise GraphRequestError(
                f"{what}: HTTP {exc.response_status_code}", exc.response_status_code
            ) from None
        except httpx.TimeoutException:
            raise GraphRequestError(f"{what}: timed out after {self.settings.timeout_seconds:g} s") from None
        except httpx.HTTPError as exc:
            raise GraphRequestError(f"{what}: connection failed ({type(exc).__name__}: {exc})") from None
        except AzureError as exc:
            raise GraphRequestError(f"{what}: authentication failed ({type(exc).__name__})") from None

    async def get(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> Any:
        return await self.request("GET", self.url(path_or_url, params))

    async def pages(self, path: str, params: Mapping[str, Any] | None = None) -> AsyncIterator[list[dict]]:
        """Every page of a collection: follow ``@odata.nextLink`` until it is absent.

        An empty page that still carries a nextLink is not the end (the SDK's PageIterator
        stops there); a nextLink seen twice is a server loop and fails the read.
        """
        url: str | None = self.url(path, params)
        seen: set[str] = set()
        while url:
            doc = await self.request("GET", url)
            if not isinstance(doc, dict) or not isinstance(doc.get("value"), list):
                raise GraphRequestError(f"Graph GET {_short(url)}: not a collection page")
            yield doc["value"]
            nxt = doc.get("@odata.nextLink")
            if nxt is not None and (not isinstance(nxt, str) or nxt in seen):
                raise GraphRequestError(f"Graph GET {_short(url)}: nextLink repeats or is invalid")
            if nxt:
                seen.add(nxt)
            url = nxt

    async def collect(self, path: str, params: Mapping[str, Any] | None = None) -> list[dict]:
        out: list[dict] = []
        async for page in self.pages(path, params):
            out.extend(page)
        return out


def _short(url: str) -> str:
    """The path without the query: enough to say what failed, no skiptokens in logs."""
    return url.split("?", 1)[0]
