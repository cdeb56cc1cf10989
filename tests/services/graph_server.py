"""A Graph-compatible HTTP server that the project owns, for the real msgraph-sdk client.

Serves the v1.0 endpoints the connector reads and the actions it takes, the way Graph
does: absolute ``@odata.nextLink``s, a page-size cap per endpoint (120 for users with
signInActivity), ``$select`` projection (users without it lack accountEnabled and
passwordPolicies), ``$batch`` with relative item URLs and per-item status, Graph's error
envelope, and injectable faults (429 with Retry-After, 5xx, truncated JSON, a dropped
connection, empty pages that still carry a nextLink). Stdlib only, on 127.0.0.1 with a
random port; Nagle is off or every request stalls about 40 ms.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

V = "/v1.0"
USER_DEFAULT = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)
PAGE_CAPS = {
    "/users": 999,
    "/education/users": 100,
    "/reports/authenticationMethods/userRegistrationDetails": 1000,
    "/domains": 1000,
    "/deviceManagement/managedDevices": 1000,
    "/deviceManagement/detectedApps": 50,
    "/deviceManagement/detectedApps/*/managedDevices": 200,
}
DEVICE_ACTIONS = ("syncDevice", "windowsDefenderUpdateSignatures", "remoteLock")
CODES = {
    400: "BadRequest",
    401: "InvalidAuthenticationToken",
    404: "Request_ResourceNotFound",
    429: "TooManyRequests",
    500: "InternalServerError",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


@dataclass
class Tenant:
    users: list[dict] = field(default_factory=list)
    education_users: list[dict] = field(default_factory=list)
    registrations: list[dict] = field(default_factory=list)
    domains: list[dict] = field(default_factory=list)
    devices: list[dict] = field(default_factory=list)
    protection: dict[str, dict] = field(default_factory=dict)
    detected_apps: list[dict] = field(default_factory=list)
    app_devices: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Tenant:
        return cls(**strip(json.loads(path.read_text(encoding="utf-8"))))


def strip(doc: Any) -> Any:
    """Drop annotation keys (``_note``, ``_source``) as the samples' README asks."""
    if isinstance(doc, dict):
        return {k: strip(v) for k, v in doc.items() if not k.startswith("_")}
    if isinstance(doc, list):
        return [strip(v) for v in doc]
    return doc


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


def envelope(status: int, message: str) -> dict:
    return {
        "error": {
            "code": CODES.get(status, "UnknownError"),
            "message": message,
            "innerError": {
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": str(uuid.uuid4()),
                "client-request-id": str(uuid.uuid4()),
            },
        }
    }


class GraphServer:
    def __init__(self, tenant: Tenant, token: str = "test-token", caps: dict[str, int] | None = None) -> None:
        self.tenant = tenant
        self.token = token
        self.caps = {**PAGE_CAPS, **(caps or {})}
        self.faults: list[Fault] = []
        self.empty_pages: dict[str, set[int]] = {}
        """Collection path -> offsets where an empty page with a nextLink comes first."""
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

    # -- routing (also used for $batch items) -------------------------------------
    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, dict, Any]:
        if not path.startswith(V + "/"):
            return 404, {}, envelope(404, f"Resource '{path}' does not exist")
        p = path[len(V) :]
        t = self.tenant
        if method == "GET":
            collections = {
                "/users": t.users,
                "/education/users": t.education_users,
                "/reports/authenticationMethods/userRegistrationDetails": t.registrations,
                "/domains": t.domains,
                "/deviceManagement/managedDevices": t.devices,
                "/deviceManagement/detectedApps": t.detected_apps,
            }
            if p in collections:
                return self._page(p, p, collections[p], query)
            m = re.fullmatch(r"/deviceManagement/detectedApps/([^/]+)/managedDevices", p)
            if m:
                ids = set(t.app_devices.get(m.group(1), ()))
                rows = [d for d in t.devices if d["id"] in ids]
                return self._page(p, "/deviceManagement/detectedApps/*/managedDevices", rows, query)
            m = re.fullmatch(r"/deviceManagement/managedDevices/([^/]+)/windowsProtectionState", p)
            if m:
                state = t.protection.get(m.group(1))
                if state is None:
                    return 404, {}, envelope(404, "windowsProtectionState not found")
                return (
                    200,
                    {},
                    {"@odata.context": f"{self.base_url}/$metadata#windowsProtectionState/$entity", **state},
                )
            m = re.fullmatch(r"/users/([^/]+)", p)
            if m:
                user = self._user(m.group(1))
                if user is None:
                    return 404, {}, envelope(404, f"Resource '{m.group(1)}' does not exist")
                return 200, {}, _project(user, query.get("$select"), USER_DEFAULT)
        if method == "POST":
            m = re.fullmatch(r"/deviceManagement/managedDevices/([^/]+)/(\w+)", p)
            if m and m.group(2) in DEVICE_ACTIONS:
                if not any(d["id"] == m.group(1) for d in t.devices):
                    return 404, {}, envelope(404, f"managedDevice '{m.group(1)}' not found")
                return 204, {}, None
            m = re.fullmatch(r"/users/([^/]+)/revokeSignInSessions", p)
            if m:
                if self._user(m.group(1)) is None:
                    return 404, {}, envelope(404, f"Resource '{m.group(1)}' does not exist")
                return 200, {}, {"@odata.context": f"{self.base_url}/$metadata#Edm.Boolean", "value": True}
        if method == "PATCH":
            m = re.fullmatch(r"/users/([^/]+)", p)
            if m:
                user = self._user(m.group(1))
                if user is None:
                    return 404, {}, envelope(404, f"Resource '{m.group(1)}' does not exist")
                if not isinstance(body, dict):
                    return 400, {}, envelope(400, "a JSON object is required")
                for k, v in body.items():
                    if k == "passwordProfile" and isinstance(v, dict):
                        user.setdefault("passwordProfile", {}).update(
                            {kk: vv for kk, vv in v.items() if not kk.startswith("@")}
                        )
                    elif not k.startswith("@"):
                        user[k] = v
                return 204, {}, None
        return 404, {}, envelope(404, f"Resource '{p}' does not exist for {method}")

    def _user(self, key: str) -> dict | None:
        return next((u for u in self.tenant.users if key in (u.get("id"), u.get("userPrincipalName"))), None)

    def _page(
        self, path: str, cap_key: str, rows: list[dict], query: dict[str, str]
    ) -> tuple[int, dict, Any]:
        select = query.get("$select")
        cap = self.caps[cap_key]
        if path == "/users" and select and "signinactivity" in select.casefold():
            cap = min(cap, 120)
        try:
            top = int(query.get("$top", cap))
        except ValueError:
            return 400, {}, envelope(400, "Invalid $top")
        size = max(1, min(top, cap))
        token = query.get("$skiptoken", "o0")
        offset = int(token[1:])
        if token[0] == "o" and offset in self.empty_pages.get(path, ()):
            return (
                200,
                {},
                {
                    "@odata.context": self.base_url + "/$metadata",
                    "value": [],
                    "@odata.nextLink": self._link(path, query, f"e{offset}"),
                },
            )
        chunk = rows[offset : offset + size]
        doc: dict[str, Any] = {
            "@odata.context": f"{self.base_url}/$metadata#{path.lstrip('/')}",
            "value": [_project(r, select, USER_DEFAULT if path == "/users" else None) for r in chunk],
        }
        if offset + size < len(rows):
            doc["@odata.nextLink"] = self._link(path, query, f"o{offset + size}")
        return 200, {}, doc

    def _link(self, path: str, query: dict[str, str], token: str) -> str:
        keep = {k: v for k, v in query.items() if k in ("$select", "$top")}
        keep["$skiptoken"] = token
        return f"{self.base_url}{path}?" + "&".join(f"{k}={v}" for k, v in keep.items())


def _project(row: dict, select: str | None, default: tuple[str, ...] | None) -> dict:
    if select:
        wanted = {s.strip() for s in select.split(",")} | {"id"}
    elif default is not None:
        wanted = set(default)
    else:
        return dict(row)
    return {k: v for k, v in row.items() if k in wanted or k.startswith("@odata.type")}


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
