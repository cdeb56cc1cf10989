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

Every request gets an HTTP answer with a JSON body, including the ones the standard
library would answer in HTML, in a bare HTTP/0.9 body, or not at all (a blank or
binary request line, a 64 KiB request line, JSON nested too deeply for the parser,
lone surrogates that the strength estimator cannot encode). A client that resets
its connection costs one debug line, not a traceback on stderr; the listen backlog is
deep enough for a burst of clients; paths are escaped before they are logged.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from enforcer.passwords.check import UserDetails, check_password
from enforcer.passwords.denylist import ncsc_top100k
from enforcer.passwords.policy import PasswordPolicy
from enforcer.passwords.safe_text import one_line

log = logging.getLogger("enforcer.passwords.serve")
DRAIN_LIMIT = 1024 * 1024
LISTEN_BACKLOG = 128
"""Connections the kernel queues before ``accept``; the stdlib's 5 made a burst of 16 clients
see resets. Linux caps it at ``net.core.somaxconn``."""


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
    _answered = False
    """Whether a status line went out for the current request (see ``parse_request``)."""

    def setup(self) -> None:
        self.request.settimeout(self.server.options.timeout)  # what the stdlib's ``timeout`` would set
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        """Called by the stdlib for access and error lines; neither ever holds the body, but the
        error lines quote the request line, which is the client's text: escape it."""
        log.info("%s %s", self.address_string(), one_line(format % args))

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Method, path without the query, status. A request that failed to parse has no path."""
        command = getattr(self, "command", None) or "-"
        path = getattr(self, "path", None) or "-"
        log.info(
            "%s %s %s %s", self.address_string(), one_line(command, 16), one_line(path.split("?", 1)[0]), code
        )

    def send_response(self, code: int, message: str | None = None) -> None:
        self._answered = True
        super().send_response(code, message)

    def parse_request(self) -> bool:
        """The stdlib's parser, plus an answer where it has none: a request line of nothing but
        whitespace (binary junk often is, to ``str.split``) is dropped without a word, and an
        HTTP/0.9 request would get a body with no status line."""
        self._answered = False
        if super().parse_request():
            if self.request_version in ("HTTP/1.0", "HTTP/1.1"):
                return True
            self.send_error(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED)
        elif not self._answered:
            self.send_error(HTTPStatus.BAD_REQUEST)
        return False

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib answers errors in HTML and quotes the request line back; answer in JSON with
        only the status phrase, always with a status line, and close the connection. ``message``
        (which quotes the client) goes to the escaped log, not to the client."""
        status = HTTPStatus(code)
        self.log_error("code %d, message %s", status.value, message or status.phrase)
        if getattr(self, "request_version", "") not in ("HTTP/1.0", "HTTP/1.1"):
            self.request_version = "HTTP/1.1"  # "" or "HTTP/0.9" would suppress the status line
        self.close_connection = True
        self._send(status.value, {"error": status.phrase.lower()})

    def do_GET(self) -> None:
        if self.path == "/health":
            self._send(200, {"ok": True})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
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
        except Exception:  # noqa: BLE001 - a bug: logged by note_internal_error, answered 500, not swallowed
            self.server.note_internal_error(self.client_address)
            self.close_connection = True
            status, payload = 500, {"error": "internal error: the password was not checked"}
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
        if getattr(self, "command", None) != "HEAD":
            self.wfile.write(data)


class CheckServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, policy: PasswordPolicy, options: ServeOptions) -> None:
        self.policy = policy
        self.options = options
        self.limiter = RateLimiter(options.rate, options.burst)
        self.slots = threading.BoundedSemaphore(options.max_concurrent)
        if policy.deny_common:
            ncsc_top100k()  # load before the first request, not during it
        super().__init__((options.host, options.port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Called by socketserver with the exception still being handled. A client that resets
        or times out is routine for a public endpoint: one debug line. Anything else is a bug."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            log.debug("client %s went away: %s", client_address[0], type(exc).__name__)
        else:
            self.note_internal_error(client_address)

    def note_internal_error(self, client_address: Any) -> None:
        """One line at ERROR, the traceback at DEBUG (``--verbose``), like the CLI's last resort."""
        exc = sys.exc_info()[1]
        log.error(
            "internal error (%s) answering %s; run with --verbose for the traceback and please report it",
            type(exc).__name__,
            client_address[0],
        )
        log.debug("internal error", exc_info=True)

    def answer(self, body: bytes) -> tuple[int, dict[str, Any]]:
        """Status and JSON for one request body (no I/O: the tests call it directly too)."""
        try:
            doc = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return 400, {"error": "the body must be JSON"}
        except RecursionError:  # the C decoder's own depth guard; the Python stack is unharmed
            return 400, {"error": "the JSON is nested too deeply"}
        if not isinstance(doc, dict) or not isinstance(doc.get("password"), str):
            return 400, {"error": "send a JSON object with a string field 'password'"}
        fields = {k: doc.get(k) for k in ("username", "name", "school")}
        extra = doc.get("extra", [])
        if any(v is not None and not isinstance(v, str) for v in fields.values()) or not (
            isinstance(extra, list) and all(isinstance(e, str) for e in extra)
        ):
            return 400, {"error": "username, name and school are strings; extra is a list of strings"}
        texts = [doc["password"], *(v for v in fields.values() if v is not None), *extra]
        if any(_has_surrogate(t) for t in texts):
            # JSON may spell a lone surrogate (``"\\ud800"``); it is not text and cannot be encoded
            return 400, {
                "error": "strings must be valid Unicode: no lone surrogates (unpaired \\ud800-\\udfff escapes)"
            }
        user = UserDetails(fields["username"], fields["name"], fields["school"], tuple(extra))
        return 200, check_password(doc["password"], self.policy, user).to_dict()


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def make_server(policy: PasswordPolicy, options: ServeOptions) -> CheckServer:
    """Bind (port 0 picks a free port: see ``server.server_address``)."""
    return CheckServer(policy, options)
