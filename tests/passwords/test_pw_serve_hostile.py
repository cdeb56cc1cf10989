"""Hostile and unlucky clients of the reset-portal endpoint, over real sockets on loopback.

Each case here was reproduced against the server before it was fixed: the request got no
answer, an HTML answer, a bare body with no status line, or a reset, and several printed a
traceback on stderr. Now every one gets a status line and a JSON error, and nothing on stderr.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import struct
import threading
import time
from typing import Any

import pytest

from enforcer.passwords.policy import PasswordPolicy
from enforcer.passwords.serve import CheckServer, ServeOptions

POST = b"POST /check HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: %d\r\n\r\n"


def exchange(addr: tuple[str, int], data: bytes) -> bytes:
    """Send ``data`` on a fresh connection and read until the server closes it (it closes after
    every error). A reset or a timeout fails the test with the exception."""
    with socket.create_connection(addr, timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, sep, body = raw.partition(b"\r\n\r\n")
    assert sep, f"no end of headers in {raw[:200]!r}"
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    version, code, _ = status_line.split(" ", 2)
    assert version == "HTTP/1.1", f"no status line: {raw[:200]!r}"
    headers = {k.lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)}
    return int(code), headers, body


def json_error(raw: bytes) -> tuple[int, str]:
    """Status and ``error`` text of a JSON error answer."""
    code, headers, body = parse(raw)
    assert headers["content-type"] == "application/json"
    assert len(body) == int(headers["content-length"])
    return code, json.loads(body)["error"]


def no_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception occurred" not in err, err


@pytest.mark.parametrize("depth", [5_000, 30_000])
def test_deeply_nested_json_is_a_400(serve: Any, capfd: pytest.CaptureFixture[str], depth: int) -> None:
    addr = serve(max_body=256 * 1024)
    for body in (b"[" * depth, b'{"password": ' + b'{"a": ' * depth):
        code, error = json_error(exchange(addr, POST % len(body) + body))
        assert code == 400 and "nested" in error
    no_traceback(capfd)


LONE_SURROGATES = [
    b'{"password": "abc\\ud800def"}',
    b'{"password": "\\udfffvivid-otter-pancake-39"}',
    b'{"password": "vivid-otter-pancake-39", "username": "j\\ud83dsmith"}',
    b'{"password": "vivid-otter-pancake-39", "extra": ["ok", "\\udc80"]}',
]


def test_lone_surrogates_are_a_400_and_pairs_are_text(serve: Any, capfd: pytest.CaptureFixture[str]) -> None:
    addr = serve()
    for doc in LONE_SURROGATES:
        code, error = json_error(exchange(addr, POST % len(doc) + doc))
        assert code == 400 and "surrogate" in error, doc
    doc = b'{"password": "vivid-otter-pancake-lantern-\\ud83d\\ude00"}'  # one emoji, spelt as a pair
    code, _, body = parse(exchange(addr, POST % len(doc) + doc))
    assert code == 200 and json.loads(body)["verdict"] in ("accept", "refuse")
    no_traceback(capfd)


@pytest.mark.parametrize(
    "line",
    [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n",  # a TLS ClientHello's first bytes
        bytes(range(256)) + b"\r\n",
        b"\x1c\x1d \x0b\x0c\x85\xa0\r\n",  # only characters str.split() counts as whitespace
        b"\x00\x00\x00\x00 / HTTP/1.1\r\n",
        b"GET /health\r\n",  # HTTP/0.9: the stdlib would answer without a status line
        b"GET / HTTP/9.9\r\n",
    ],
)
def test_binary_and_malformed_request_lines_get_a_json_answer(
    serve: Any, capfd: pytest.CaptureFixture[str], line: bytes
) -> None:
    code, error = json_error(exchange(serve(), line + b"\r\n"))
    assert code in (400, 501, 505) and error
    no_traceback(capfd)


def test_a_70_kilobyte_request_line_gets_414(serve: Any, capfd: pytest.CaptureFixture[str]) -> None:
    """The stdlib answers 414 itself, but its access-log call then asked for a path the request
    never got, and the AttributeError dropped the answer."""
    code, error = json_error(exchange(serve(), b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n"))
    assert code == 414 and "too long" in error
    no_traceback(capfd)


def test_head_gets_a_json_status_and_no_body(serve: Any) -> None:
    code, headers, body = parse(exchange(serve(), b"HEAD /health HTTP/1.1\r\n\r\n"))
    assert code == 501 and headers["content-type"] == "application/json"
    assert int(headers["content-length"]) > 0 and body == b""


def test_client_reset_is_one_debug_line_not_a_traceback(
    serve: Any, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="enforcer.passwords.serve")
    addr = serve()
    sock = socket.create_connection(addr, timeout=10)
    sock.sendall(POST % 100 + b'{"password": "Summ')  # promise 100 bytes, send 18, then reset
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    for _ in range(200):  # up to ~10 s for the handler thread to notice
        if any("went away" in r.getMessage() for r in caplog.records):
            break
        time.sleep(0.05)
    assert any("went away" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    conn = http.client.HTTPConnection(*addr, timeout=10)
    conn.request("GET", "/health")
    assert conn.getresponse().status == 200  # and the server carries on
    conn.close()
    no_traceback(capfd)


def test_escape_codes_in_paths_are_logged_escaped(serve: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="enforcer.passwords.serve")
    addr = serve()
    request = b"GET /\x1b[2J\x1b]0;owned\x07\xc2\x9b31m HTTP/1.1\r\nConnection: close\r\n\r\n"
    code, _ = json_error(exchange(addr, request))
    assert code == 404
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "\\x1b[2J\\x1b]0;owned\\x07" in logged and "\\x9b31m" in logged
    assert not any(ch in logged for ch in "\x1b\x07\x9b")


def test_sixteen_concurrent_clients_are_all_answered(serve: Any, capfd: pytest.CaptureFixture[str]) -> None:
    """16 threads x 10 requests, each round on 16 new connections opened together: the stdlib's
    listen backlog of 5 reset some of them. The per-address rate limit is opened up, since every
    client here is 127.0.0.1 and that limit is not what this test is about."""
    addr = serve(rate=1e6, burst=1_000_000)
    body = json.dumps({"password": "vivid-otter-pancake-lantern-39"}).encode()
    start = threading.Barrier(16)
    statuses: list[int] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        for _ in range(10):
            start.wait(timeout=60)  # all 16 connect at once, ten times over
            conn = http.client.HTTPConnection(*addr, timeout=30)
            try:
                conn.request("POST", "/check", body=body, headers={"Connection": "close"})
                resp = conn.getresponse()
                resp.read()
                with lock:
                    statuses.append(resp.status)
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    failures.append(f"{type(exc).__name__}: {exc}")
            finally:
                conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert failures == []
    assert statuses == [200] * 160
    no_traceback(capfd)


class _BrokenCheck(CheckServer):
    """A server whose check has a bug: stands in for any exception we did not foresee."""

    def answer(self, body: bytes) -> tuple[int, dict[str, Any]]:
        raise RuntimeError("a bug")


def test_a_bug_in_the_check_is_a_500_not_a_dropped_connection(
    primary: PasswordPolicy, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    server = _BrokenCheck(primary, ServeOptions(host="127.0.0.1", port=0))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        body = b'{"password": "x"}'
        code, error = json_error(exchange(server.server_address[:2], POST % len(body) + body))  # type: ignore[arg-type]
    finally:
        server.shutdown()
        server.server_close()
    assert code == 500 and "not checked" in error
    assert any("internal error (RuntimeError)" in r.getMessage() for r in caplog.records)
    no_traceback(capfd)
