"""Fixtures for the store, exceptions, remediation, scheduler and digest tests.

The SMTP fixtures start a real aiosmtpd server on loopback (plain, and with
STARTTLS using a certificate generated here), so the digest is tested against a
real SMTP conversation, not a mock.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private data directory for this test (what $ENFORCER_HOME is for)."""
    d = tmp_path / "home"
    monkeypatch.setenv("ENFORCER_HOME", str(d))
    return d


@pytest.fixture()
def store(home: Path):
    from enforcer.store import open_store

    s = open_store()
    yield s
    s.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list = field(default_factory=list)
    logins: list = field(default_factory=list)
    cafile: str | None = None

    def client_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.cafile)
        return ctx


def _self_signed(dirpath: Path) -> tuple[Path, Path]:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = dirpath / "cert.pem", dirpath / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def _serve(
    tmp_path: Path, tls: bool, user: str | None = None, password: str | None = None
) -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    box = Mailbox("127.0.0.1", free_port())

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            box.messages.append(envelope)
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        if ok:
            box.logins.append(user)
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535 itself

    kwargs: dict = {}
    if tls:
        cert, key = _self_signed(tmp_path)
        box.cafile = str(cert)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        kwargs.update(tls_context=ctx, require_starttls=True)
    if user:
        kwargs.update(authenticator=authenticator, auth_require_tls=tls)
    controller = Controller(Handler(), hostname=box.host, port=box.port, **kwargs)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture()
def smtp_server(tmp_path: Path) -> Iterator[Mailbox]:
    """Plain SMTP on loopback, no TLS, no auth."""
    yield from _serve(tmp_path, tls=False)


@pytest.fixture()
def smtp_tls_server(tmp_path: Path) -> Iterator[Mailbox]:
    """STARTTLS required, AUTH LOGIN/PLAIN with user 'digest' / 's3cret-Pass'."""
    yield from _serve(tmp_path, tls=True, user="digest", password="s3cret-Pass")


# -- PostgreSQL: one real server for the session, a fresh schema per test ---------------------
@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL on loopback (tests/services/postgres.py). Skips with the reason when this
    machine cannot run one, except under CI (env ``CI`` set), where it fails: CI must run them."""
    import os

    from tests.services.postgres import PostgresServer, PostgresUnavailable

    server = PostgresServer()
    try:
        server.start()
    except BaseException as exc:
        server.stop()
        if not isinstance(exc, PostgresUnavailable):
            raise
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL store tests but no server could be started: {exc}")
        pytest.skip(f"no PostgreSQL server on this machine: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def pg_url(pg_server, request: pytest.FixtureRequest) -> str:
    """The server's URL with ``search_path`` set to a schema of this test's own (dropped after)."""
    import re

    schema = "t_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:50]
    pg_server.admin(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    pg_server.admin(f"CREATE SCHEMA {schema}")
    yield f"{pg_server.url}?options=-csearch_path%3D{schema}"
    pg_server.admin(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture()
def pg_store(home: Path, pg_url: str):
    from enforcer.store import open_store
    from tests.services.postgres import PASSWORD

    s = open_store(url=pg_url, password=PASSWORD)
    yield s
    s.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, home: Path):
    """The same test on both engines."""
    yield request.getfixturevalue("store" if request.param == "sqlite" else "pg_store")
