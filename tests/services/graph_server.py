"""A Graph-compatible HTTP server that the project owns, for the real msgraph-sdk client.

Serves the v1.0 endpoints the connector reads and the actions it takes, the way Graph
does (the answers themselves are ``graph_routes.py``), plus what this module adds around
them: ``$batch`` with relative item URLs and per-item status, a log of every request, and
injectable faults (429 with Retry-After, 5xx, truncated JSON, a dropped connection, a
slow answer; empty pages that still carry a nextLink are set on the routes). Stdlib only,
on 127.0.0.1 with a random port; Nagle is off or every request stalls about 40 ms.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.services.graph_routes import (
    CODES,
    DEVICE_ACTIONS,
    PAGE_CAPS,
    USER_DEFAULT,
    GraphRoutes,
    Tenant,
    V,
    envelope,
    strip,
)

__all__ = [
    "CODES",
    "DEVICE_ACTIONS",
    "PAGE_CAPS",
    "USER_DEFAULT",
    "V",
    "Fault",
    "GraphRoutes",
    "GraphServer",
    "Seen",
    "Tenant",
    "envelope",
    "strip",
]


@dataclass
class Fault:
    path: str
    """Regex searched in the request path (e.g. ``/deviceManagement/managedDevices$``)."""
    status: int = 429
    retry_after: str | None = None
    kind: str = "status"  # status | truncate | drop | slow
    times: int = 1
    """How many requests it hits; -1 for every request."""
    method: str | None = None
    delay: float = 0.0
    """For ``slow``: seconds to wait before answering normally."""


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any = None
    in_batch: bool = False


class GraphServer(GraphRoutes):
    """The routes served over HTTP on 127.0.0.1, with a request log and injectable faults."""

    def __init__(self, tenant: Tenant, token: str = "test-token", caps: dict[str, int] | None = None) -> None:
        super().__init__(tenant, caps)
        self.token = token
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.actions: list[Seen] = []
        self.log_requests = True
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    # -- lifecycle ----------------------------------------------------------------
    def start(self) -> GraphServer:
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> GraphServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def root(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def base_url(self) -> str:
        return self.root + V

    def inject(
        self,
        path: str,
        status: int = 429,
        retry_after: str | None = None,
        kind: str = "status",
        times: int = 1,
        method: str | None = None,
        delay: float = 0.0,
    ) -> Fault:
        fault = Fault(path, status, retry_after, kind, times, method, delay)
        with self._lock:
            self.faults.append(fault)
        return fault

    def requests_to(self, pattern: str) -> list[Seen]:
        return [s for s in self.seen if re.search(pattern, s.path)]

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for f in self.faults:
                if f.times != 0 and re.search(f.path, path) and (f.method is None or f.method == method):
                    if f.times > 0:
                        f.times -= 1
                    return f
        return None


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (a test that timed out on purpose) is not a server error."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    owner: GraphServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def _handle(self, method: str) -> None:
        srv = self.owner
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        seen = Seen(method, parts.path, query, {k.lower(): v for k, v in self.headers.items()}, body)
        if srv.log_requests:
            with srv._lock:
                srv.seen.append(seen)
        if self.headers.get("Authorization") != f"Bearer {srv.token}":
            return self._send(401, {}, envelope(401, "Access token is empty or invalid."))
        fault = srv.take_fault(method, parts.path)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
        if fault is not None and fault.kind == "drop":
            self.close_connection = True
            return
        if fault is not None and fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return self._send(fault.status, headers, envelope(fault.status, "Injected fault."))
        if method == "POST" and parts.path == V + "/$batch":
            status, headers, out = self._batch(body)
        else:
            status, headers, out = srv.route(method, parts.path, query, body)
            if status < 300 and method != "GET":
                with srv._lock:
                    srv.actions.append(seen)
        self._send(status, headers, out, truncate=fault is not None and fault.kind == "truncate")

    def _batch(self, body: Any) -> tuple[int, dict, Any]:
        srv = self.owner
        items = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(items, list) or not 0 < len(items) <= 20:
            return 400, {}, envelope(400, "A batch holds between 1 and 20 requests.")
        out = []
        for item in items:
            url = str(item.get("url", ""))
            if not url.startswith("/"):
                out.append(
                    {
                        "id": item.get("id"),
                        "status": 400,
                        "body": envelope(400, "Invalid request URL: batch URLs are relative."),
                    }
                )
                continue
            parts = urlsplit(url)
            path = V + parts.path
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            seen = Seen(item.get("method", "GET"), path, query, {}, item.get("body"), in_batch=True)
            if srv.log_requests:
                with srv._lock:
                    srv.seen.append(seen)
            fault = srv.take_fault(seen.method, path)
            if fault is not None:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                out.append(
                    {
                        "id": item.get("id"),
                        "status": fault.status,
                        "headers": headers,
                        "body": envelope(fault.status, "Injected fault."),
                    }
                )
                continue
            status, headers, result = srv.route(seen.method, path, query, item.get("body"))
            entry: dict[str, Any] = {
                "id": item.get("id"),
                "status": status,
                "headers": {"Content-Type": "application/json", **headers},
            }
            if result is not None:
                entry["body"] = result
            out.append(entry)
        return 200, {}, {"responses": out}

    def _send(self, status: int, headers: dict, body: Any, truncate: bool = False) -> None:
        data = b"" if body is None else json.dumps(body).encode("utf-8")
        if truncate:
            data = data[: max(1, len(data) // 2)]
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)
