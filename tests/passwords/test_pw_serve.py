"""The reset-portal endpoint over real HTTP on loopback."""

from __future__ import annotations

import http.client
import json
import logging
from typing import Any

import pytest

from enforcer.passwords.serve import RateLimiter

SECRET = "Summer2025!"


def post(
    addr: tuple[str, int], body: bytes, headers: dict[str, str] | None = None, path: str = "/check"
) -> tuple[int, dict[str, Any], dict[str, str]]:
    conn = http.client.HTTPConnection(*addr, timeout=10)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}"), dict(resp.getheaders())
    finally:
        conn.close()


def as_json(**doc: Any) -> bytes:
    return json.dumps(doc).encode()


def test_verdicts_and_reasons(serve: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    addr = serve()
    status, doc, headers = post(addr, as_json(password=SECRET, username="jsmith", name="John Smith"))
    assert status == 200 and doc["verdict"] == "refuse" and doc["accepted"] is False
    assert "common_password_variant" in {r["code"] for r in doc["reasons"]}
    assert headers["Cache-Control"] == "no-store"
    status, doc, _ = post(addr, as_json(password="vivid-otter-pancake-lantern-39", username="jsmith"))
    assert status == 200 and doc["accepted"] is True and doc["reasons"] == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "POST /check 200" in logged  # the access log is there...
    assert SECRET not in logged and "pancake" not in logged  # ...and never holds a candidate


def test_ten_kilobyte_candidate_is_answered(serve: Any) -> None:
    addr = serve(max_body=16 * 1024)
    status, doc, _ = post(addr, as_json(password="Pa55word!" * 1138))
    assert status == 200 and "too_long" in {r["code"] for r in doc["reasons"]}


def test_request_size_limit(serve: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    addr = serve(max_body=1024)
    status, doc, _ = post(addr, as_json(password=SECRET + "x" * 2000))
    assert status == 413 and "larger" in doc["error"]
    assert SECRET not in "\n".join(r.getMessage() for r in caplog.records)


def test_rate_limit_per_client(serve: Any) -> None:
    addr = serve(rate=0.01, burst=3)
    statuses = [post(addr, as_json(password="vivid-otter-pancake-39"))[0] for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    _, _, headers = post(addr, as_json(password="x"))
    assert int(headers["Retry-After"]) >= 1


@pytest.mark.parametrize(
    "body, status",
    [
        (b"not json", 400),
        (b'{"password": 5}', 400),
        (b"[]", 400),
        (b'{"password": "x", "extra": "no"}', 400),
        (b"\xff\xfe", 400),
    ],
)
def test_bad_requests(serve: Any, body: bytes, status: int) -> None:
    assert post(serve(), body)[0] == status


def test_other_paths_and_missing_length(serve: Any) -> None:
    addr = serve()
    assert post(addr, as_json(password="x"), path="/nope")[0] == 404
    conn = http.client.HTTPConnection(*addr, timeout=10)
    conn.putrequest("POST", "/check")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    conn.send(b"0\r\n\r\n")
    assert conn.getresponse().status == 411
    conn.close()
    conn = http.client.HTTPConnection(*addr, timeout=10)
    conn.request("GET", "/health")
    assert conn.getresponse().status == 200
    conn.close()


def test_keep_alive_serves_several_requests_on_one_connection(serve: Any) -> None:
    conn = http.client.HTTPConnection(*serve(), timeout=10)
    for _ in range(3):
        conn.request("POST", "/check", body=as_json(password=SECRET))
        resp = conn.getresponse()
        assert resp.status == 200 and json.loads(resp.read())["accepted"] is False
    conn.close()


def test_rate_limiter_refills() -> None:
    limiter = RateLimiter(rate=1.0, burst=2)
    assert [limiter.allow("a", now=0.0)[0] for _ in range(3)] == [True, True, False]
    assert limiter.allow("b", now=0.0)[0] is True  # per client
    assert limiter.allow("a", now=1.5)[0] is True
