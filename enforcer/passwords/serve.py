"""A password-check endpoint for a school's reset portal.

``POST /check`` with ``{"password": "...", "username": ..., "name": ..., "school": ...,
"extra": [...]}`` answers ``{"verdict", "accepted", "reasons", "score", "suggestions"}``.

Built on the standard library so a school needs nothing else to run it. It listens
on 127.0.0.1 unless told otherwise (the portal sits in front of it), and defends
itself: bodies over ``max_body`` bytes get 413 before they are read, each client
address gets a token bucket (429 with Retry-After when empty), a slow client is
cut off by a socket timeout, and at most ``max_concurrent`` checks run at once
(503 past that). The access log records method, path, status and size, never the
body, so a candidate cannot end up in a log.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from enforcer.passwords.check import UserDetails, check_password
from enforcer.passwords.denylist import ncsc_top100k
from enforcer.passwords.policy import PasswordPolicy

log = logging.getLogger("enforcer.passwords.serve")
DRAIN_LIMIT = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8765
    max_body: int = 16 * 1024
    rate: float = 5.0
    """Requests per second per client address, refilled continuously."""
    burst: int = 20
    """Requests a client may make at once before the rate applies."""
    max_concurrent: int = 16
    timeout: float = 10.0
    """Seconds a client may take to send its request."""


class RateLimiter:
    """One token bucket per client address; old buckets are dropped so memory stays bounded."""

    def __init__(self, rate: float, burst: int, max_clients: int = 10_000) -> None:
        self.rate, self.burst, self.max_clients = rate, burst, max_clients
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str, now: float | None = None) -> tuple[bool, float]:
        """(allowed, seconds until the next token) for one request from ``client``."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._store(client, (tokens - 1.0, now))
                return True, 0.0
            self._store(client, (tokens, now))
            return False, (1.0 - tokens) / self.rate if self.rate > 0 else 60.0

    def _store(self, client: str, value: tuple[float, float]) -> None:
        if client not in self._buckets and len(self._buckets) >= self.max_clients:
            self._buckets.pop(next(iter(self._buckets)))
        self._buckets[client] = value


class _Handler(BaseHTTPRequestHandler):
    server: CheckServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # header and body go out as separate writes: avoid a 40 ms stall
    server_version = "enforcer-password-check"
    sys_version = ""

    def setup(self) -> None:
        self.timeout = self.server.options.timeout
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Called by the stdlib for access and error lines; neither ever holds the body."""
        log.info("%s %s", self.address_string(), format % args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.info("%s %s %s %s", self.address_string(), self.command, self.path.split("?", 1)[0], code)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        if self.path == "/health":
            self._send(200, {"ok": True})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        if self.path not in ("/check", "/"):
            self.close_connection = True
            self._send(404, {"error": "not found"})
            return
        length = self._content_length()
        if length is None:
            return
        allowed, wait = self.server.limiter.allow(self.client_address[0])
        if not allowed:
            self._discard_and_send(
                length,
                429,
                {"error": "too many requests, try again shortly"},
                {"Retry-After": str(max(1, round(wait + 0.5)))},
            )
            return
        if length > self.server.options.max_body:
            self._discard_and_send(
                length, 413, {"error": f"request larger than {self.server.options.max_body} bytes"}
            )
            return
        body = self.rfile.read(length)
        if not self.server.slots.acquire(blocking=False):
            self._send(503, {"error": "busy, try again shortly"})
            return
        try:
            status, payload = self.server.answer(body)
        finally:
            self.server.slots.release()
        self._send(status, payload)

    def _content_length(self) -> int | None:
        raw = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding") or raw is None:
            self.close_connection = True
            self._send(411, {"error": "send a Content-Length"})
            return None
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._send(400, {"error": "bad Content-Length"})
            return None
        return length

    def _discard_and_send(
        self, length: int, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        """Answer without looking at the body. A body up to ``DRAIN_LIMIT`` is read and thrown away
        so the client sees the answer instead of a reset; then the connection is closed."""
        self.close_connection = True
        if length <= DRAIN_LIMIT:
            try:
                self.rfile.read(length)
            except OSError:
                return  # the client went away or was too slow: nobody to answer
        self._send(status, payload, headers)

    def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        if self.close_connection:
            self.send_header("Connection", "close")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


class CheckServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, policy: PasswordPolicy, options: ServeOptions) -> None:
        self.policy = policy
        self.options = options
        self.limiter = RateLimiter(options.rate, options.burst)
        self.slots = threading.BoundedSemaphore(options.max_concurrent)
        if policy.deny_common:
            ncsc_top100k()  # load before the first request, not during it
        super().__init__((options.host, options.port), _Handler)

    def answer(self, body: bytes) -> tuple[int, dict[str, Any]]:
        """Status and JSON for one request body (no I/O: the tests call it directly too)."""
        try:
            doc = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return 400, {"error": "the body must be JSON"}
        if not isinstance(doc, dict) or not isinstance(doc.get("password"), str):
            return 400, {"error": "send a JSON object with a string field 'password'"}
        fields = {k: doc.get(k) for k in ("username", "name", "school")}
        extra = doc.get("extra", [])
        if any(v is not None and not isinstance(v, str) for v in fields.values()) or not (
            isinstance(extra, list) and all(isinstance(e, str) for e in extra)
        ):
            return 400, {"error": "username, name and school are strings; extra is a list of strings"}
        user = UserDetails(fields["username"], fields["name"], fields["school"], tuple(extra))
        return 200, check_password(doc["password"], self.policy, user).to_dict()


def make_server(policy: PasswordPolicy, options: ServeOptions) -> CheckServer:
    """Bind (port 0 picks a free port: see ``server.server_address``)."""
    return CheckServer(policy, options)
