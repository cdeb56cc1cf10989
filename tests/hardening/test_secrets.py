"""Canary secrets (Graph token and client secret, AD bind password, SMTP password) never appear
in logs (--verbose), reports, error lines, the store's bytes, the email, or the process's argv."""

from __future__ import annotations

import base64
import email
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.hardening.conftest import AS_OF, child_env, graph_source_yaml, run_child, write_config
from tests.services.graph_server import GraphServer, Tenant

pytestmark = pytest.mark.graph
CANARY_TOKEN = "CANARY-graph-token-5b1e9c"
CANARY_CLIENT_SECRET = "CANARY-client-secret-77aa0f"
CANARY_BIND = "CANARY-bind-password-3c4d2e"
CANARY_SMTP = "CANARY-smtp-password-9f8e7d"
CANARIES = (CANARY_TOKEN, CANARY_CLIENT_SECRET, CANARY_BIND, CANARY_SMTP)
DEVICES = r"/deviceManagement/managedDevices$"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[dict[str, Any]]:
    """Plain SMTP on loopback with AUTH that accepts only the canary password."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    box: dict[str, Any] = {"port": _free_port(), "messages": [], "logins": []}

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            box["messages"].append(envelope.original_content)
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == CANARY_SMTP
        if ok:
            box["logins"].append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        Handler(), hostname="127.0.0.1", port=box["port"], authenticator=authenticator, auth_require_tls=False
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def _assert_absent(where: str, data: str | bytes) -> None:
    blob = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    for canary in CANARIES:
        assert canary.encode() not in blob, f"{canary} leaked into {where}"


def test_canaries_stay_out_of_every_output(tmp_path: Path, mailbox: dict[str, Any]) -> None:
    tenant = Tenant.load(Path(__file__).resolve().parents[1] / "data" / "graph" / "tenant.json")
    (tmp_path / "bind.secret").write_text(CANARY_BIND + "\n")
    with GraphServer(tenant, token=CANARY_TOKEN) as server:
        server.inject(DEVICES, kind="slow", delay=1.0, times=1)  # time to read /proc while it runs
        dead = _free_port()
        sources = [
            graph_source_yaml(server, name="entra", timeout_seconds=10),
            json.dumps(
                {
                    "name": "entra-app",
                    "type": "graph",
                    "tenant_id": "school-tenant",
                    "client_id": "00000000-0000-0000-0000-000000000001",
                    "client_secret": {"env": "CANARY_CLIENT_SECRET"},
                    "authority": f"127.0.0.1:{dead}",
                    "base_url": server.base_url,
                    "max_retries": 0,
                    "timeout_seconds": 5,
                }
            ),
            json.dumps(
                {
                    "name": "dc",
                    "type": "ad",
                    "host": "127.0.0.1",
                    "port": dead,
                    "tls": "ldaps",
                    "bind_dn": {"env": "CANARY_BIND_DN"},
                    "bind_password": {"file": "bind.secret"},
                    "retries": 0,
                    "connect_timeout": 1,
                    "read_timeout": 1,
                }
            ),
        ]
        email = {
            "enabled": True,
            "host": "127.0.0.1",
            "port": mailbox["port"],
            "starttls": False,
            "username": {"env": "CANARY_SMTP_USER"},
            "password": {"env": "CANARY_SMTP_PASSWORD"},
            "sender": "enforcer@school.example",
            "recipients": ["eso@school.example"],
        }
        config = write_config(tmp_path, sources, email=email)
        env = child_env(
            ENFORCER_HARDENING_GRAPH_TOKEN=CANARY_TOKEN,
            CANARY_CLIENT_SECRET=CANARY_CLIENT_SECRET,
            CANARY_BIND_DN="CN=enforcer,CN=Users,DC=school,DC=test",
            CANARY_SMTP_USER="digest",
            CANARY_SMTP_PASSWORD=CANARY_SMTP,
            ENFORCER_HOME=str(tmp_path / "home"),
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "enforcer", "--verbose", "run", "--config", str(config), "--as-of", AS_OF],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        titles: list[bytes] = []
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                titles.append(Path(f"/proc/{proc.pid}/cmdline").read_bytes())
                titles.extend(p.read_bytes() for p in Path(f"/proc/{proc.pid}/task").glob("*/comm"))
            except OSError:
                break
            time.sleep(0.1)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err.decode()[-3000:]  # the AD and client-secret sources fail
    assert titles, "never saw the running process"
    assert mailbox["logins"] == ["digest"] and mailbox["messages"], err.decode()[-2000:]
    assert b"DEBUG" in err  # --verbose really logged
    _assert_absent("stdout", out)
    _assert_absent("stderr (--verbose log and error lines)", err)
    _assert_absent("process title / argv", b"".join(titles))
    _assert_absent("reports", _all_bytes(tmp_path / "reports"))
    _assert_absent("store files", _all_bytes(tmp_path / "home"))
    _assert_absent("email", b"".join(mailbox["messages"]))


def test_traceback_in_a_verbose_log_is_redacted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An internal error is logged with its traceback under --verbose; a secret in the exception
    text (a library echoing a connection string) must be redacted there too."""
    from enforcer.logs import setup_logging
    from enforcer.secrets import read_secret

    monkeypatch.setenv("CANARY_X", CANARY_BIND)
    read_secret({"env": "CANARY_X"}, "test")
    setup_logging(verbose=True)
    try:
        raise RuntimeError(f"bind failed for password={CANARY_BIND}")
    except RuntimeError:
        logging.getLogger("enforcer").debug("internal error", exc_info=True)
    err = capsys.readouterr().err
    assert "RuntimeError" in err and "password=***" in err
    _assert_absent("traceback", err)


def test_secret_echoed_in_a_source_error_is_redacted_in_reports_and_store(
    tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connector whose error message repeats a secret (as some LDAP servers and SDKs do) must not
    carry it into the report, the terminal or the store: the run redacts every source error."""
    from enforcer.sources import registry as source_types

    monkeypatch.setitem(
        source_types.SOURCE_TYPES, "echo", ("tests.hardening.echo_source", "tests.hardening.echo_source")
    )
    monkeypatch.setenv("CANARY_ECHO", CANARY_BIND)
    config = write_config(tmp_path, ['{"name": "echo", "type": "echo", "password": {"env": "CANARY_ECHO"}}'])
    res = cli("run", "--config", str(config), "--as-of", AS_OF)
    assert res.code == 3
    assert "***" in (tmp_path / "reports" / "enforcer-report.json").read_text()
    _assert_absent("terminal", res.out + res.err)
    _assert_absent("reports", _all_bytes(tmp_path / "reports"))
    _assert_absent("store", _all_bytes(Path(os.environ["ENFORCER_HOME"])))


def _tlv(tag: int, content: bytes) -> bytes:
    """One BER element, with a long-form length when needed (the echo runs past 127 bytes)."""
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _ber_read(conn: socket.socket) -> tuple[bytes, int]:
    """One whole LDAPMessage from the client, and where its content starts (after tag and length)."""
    buf = b""
    while True:
        if len(buf) >= 2:
            first = buf[1]
            head = 2 + (first & 0x7F if first & 0x80 else 0)
            if len(buf) >= head:
                body = int.from_bytes(buf[2:head], "big") if first & 0x80 else first
                if len(buf) >= head + body:
                    return buf[: head + body], head
        chunk = conn.recv(4096)
        if not chunk:
            return buf, len(buf)
        buf += chunk


@pytest.fixture
def echoing_dc() -> Iterator[int]:
    """A loopback 'domain controller' that refuses every bind with a diagnostic message quoting
    the whole bind request in base64, from each of its first three bytes: a chatty server
    echoing what it was sent, with the password at each of the three base64 alignments."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def answer(conn: socket.socket) -> None:
        conn.settimeout(5)
        request, head = _ber_read(conn)
        if request[head : head + 1] != b"\x02":  # not an LDAPMessage: no messageID to answer
            return
        message_id = request[head : head + 2 + request[head + 1]]
        echoed = " ".join(base64.b64encode(request[k:]).decode() for k in range(3))
        result = _tlv(0x0A, b"\x35") + _tlv(0x04, b"") + _tlv(0x04, f"bind echo: {echoed}".encode())
        conn.sendall(_tlv(0x30, message_id + _tlv(0x61, result)))  # BindResponse, unwillingToPerform

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                try:
                    answer(conn)
                except OSError:  # the client gave up; the test's assertions will say so
                    continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def _decoded_parts(raw: bytes) -> bytes:
    """The email as its reader sees it: every MIME part decoded (the HTML report is base64 there)."""
    msg = email.message_from_bytes(raw)
    return b"".join(p.get_payload(decode=True) or b"" for p in msg.walk() if not p.is_multipart())


def test_bind_password_echoed_in_base64_stays_out_of_every_output(
    tmp_path: Path, mailbox: dict[str, Any], echoing_dc: int
) -> None:
    """The real AD connector binds to a server that echoes the bind request back in base64; that
    error reaches stderr, the reports, the store and the emailed digest in no encoded form of
    the password (checked by decoding every base64 run there), while its result code survives."""
    from tests.hardening.test_redact_encodings import FORMS, b64_leaks

    ad = {
        "name": "dc",
        "type": "ad",
        "host": "127.0.0.1",
        "port": echoing_dc,
        "tls": "none",
        "allow_plaintext": True,
        "bind_dn": {"env": "CANARY_BIND_DN"},
        "bind_password": {"env": "CANARY_BIND_PASSWORD"},
        "retries": 0,
        "connect_timeout": 2,
        "read_timeout": 2,
    }
    mail = {
        "enabled": True,
        "host": "127.0.0.1",
        "port": mailbox["port"],
        "starttls": False,
        "username": {"env": "CANARY_SMTP_USER"},
        "password": {"env": "CANARY_SMTP_PASSWORD"},
        "sender": "enforcer@school.example",
        "recipients": ["eso@school.example"],
    }
    config = write_config(tmp_path, [json.dumps(ad)], email=mail)
    env = child_env(
        CANARY_BIND_DN="CN=enforcer,CN=Users,DC=school,DC=test",
        CANARY_BIND_PASSWORD=CANARY_BIND,
        CANARY_SMTP_USER="digest",
        CANARY_SMTP_PASSWORD=CANARY_SMTP,
        ENFORCER_HOME=str(tmp_path / "home"),
    )
    res = run_child(["--verbose", "run", "--config", str(config), "--as-of", AS_OF], env, tmp_path)
    assert res.returncode == 3, res.stderr[-3000:]
    report = (tmp_path / "reports" / "enforcer-report.json").read_text()
    assert "unwillingToPerform (53): bind echo: " in report and "***" in report  # echo came, code kept
    assert mailbox["messages"], res.stderr[-2000:]
    outputs = {
        "stdout": res.stdout.encode(),
        "stderr": res.stderr.encode(),
        "reports": _all_bytes(tmp_path / "reports"),
        "store": _all_bytes(tmp_path / "home"),
        "email": b"".join(_decoded_parts(m) for m in mailbox["messages"]),
    }
    for where, blob in outputs.items():
        _assert_absent(where, blob)
        for name, form in FORMS.items():
            assert form(CANARY_BIND).encode() not in blob, f"{name} form of the bind password in {where}"
        assert not b64_leaks(blob, CANARY_BIND.encode()), f"base64 of the bind password in {where}"
