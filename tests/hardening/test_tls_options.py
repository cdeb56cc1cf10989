"""TLS cannot be turned off by accident. Every TLS-related option in connectors/ad, connectors/graph
and enforcer/digest.py is listed here; each one that weakens TLS needs a second, explicit option and
logs a warning, and nothing offers a "do not verify certificates" switch at all."""

from __future__ import annotations

import logging
import socket
import ssl
from pathlib import Path

import pytest
from pydantic import ValidationError

from connectors.ad.settings import Settings as AdSettings
from connectors.graph.settings import Settings as GraphSettings
from enforcer.config import EmailModel

DATA = Path(__file__).resolve().parents[1] / "data" / "ad"
VERIFY_OFF_NAMES = {
    "verify",
    "verify_tls",
    "tls_verify",
    "ssl_verify",
    "insecure",
    "validate",
    "check_hostname",
    "skip_verify",
    "no_verify",
    "verify_certificate",
}
AD_BASE = {"host": "dc.school.test", "bind_dn": {"env": "X"}, "bind_password": {"env": "Y"}}
GRAPH_BASE = {"access_token": {"env": "T"}}


@pytest.mark.parametrize("model", [AdSettings, GraphSettings, EmailModel], ids=["ad", "graph", "email"])
def test_no_option_turns_certificate_verification_off(model: type) -> None:
    assert not VERIFY_OFF_NAMES & set(model.model_fields)
    base = AD_BASE if model is AdSettings else GRAPH_BASE if model is GraphSettings else {}
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        model.model_validate({**base, "verify": False})


def test_ad_plain_ldap_needs_the_explicit_option() -> None:
    with pytest.raises(ValidationError, match="allow_plaintext"):
        AdSettings.model_validate({**AD_BASE, "tls": "none"})
    assert AdSettings.model_validate({**AD_BASE, "tls": "none", "allow_plaintext": True}).tls == "none"


def test_ad_plain_ldap_is_loudly_warned(caplog: pytest.LogCaptureFixture) -> None:
    from connectors.ad.client import Client

    settings = AdSettings.model_validate({**AD_BASE, "tls": "none", "allow_plaintext": True})
    with caplog.at_level(logging.WARNING):
        Client(settings, "cn=x", "pw", None)
    assert any(r.levelno == logging.WARNING and "in clear" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("tls", ["ldaps", "starttls"])
def test_ad_tls_modes_require_a_verified_certificate(tls: str) -> None:
    from connectors.ad.client import Client

    client = Client(AdSettings.model_validate({**AD_BASE, "tls": tls}), "cn=x", "pw", str(DATA / "ca.pem"))
    server = client._server()
    assert server.tls is not None and server.tls.validate == ssl.CERT_REQUIRED
    assert server.ssl is (tls == "ldaps")


def test_graph_plain_http_only_to_this_machine() -> None:
    with pytest.raises(ValidationError, match="plain http"):
        GraphSettings.model_validate({**GRAPH_BASE, "base_url": "http://graph.microsoft.com/v1.0"})
    assert GraphSettings.model_validate({**GRAPH_BASE, "base_url": "http://127.0.0.1:8080/v1.0"})


def test_graph_client_verifies_certificates() -> None:
    """httpx verifies by default; the client must not pass verify=False anywhere."""
    source = (Path(__file__).resolve().parents[2] / "connectors" / "graph").glob("*.py")
    text = "\n".join(p.read_text(encoding="utf-8") for p in source)
    assert "verify=False" not in text and "CERT_NONE" not in text and "check_hostname = False" not in text


def test_email_clear_text_needs_the_explicit_option() -> None:
    with pytest.raises(ValidationError, match="allow_plaintext"):
        EmailModel(host="smtp.school.example", starttls=False)
    assert EmailModel(host="smtp.school.example", starttls=False, allow_plaintext=True)
    assert EmailModel(host="localhost", starttls=False)  # a relay on this machine: nothing crosses a network


def test_email_clear_text_is_loudly_warned(caplog: pytest.LogCaptureFixture) -> None:
    from enforcer.reports.digest import DigestError, send

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    email = EmailModel(host="127.0.0.2", port=port, starttls=False, allow_plaintext=True, recipients=["a@b"])
    from email.message import EmailMessage

    with caplog.at_level(logging.WARNING), pytest.raises(DigestError):
        send(EmailMessage(), email, timeout=2)
    assert any("in clear" in r.getMessage() for r in caplog.records)


def test_email_starttls_verifies_the_server_certificate() -> None:
    """A server whose certificate the system does not trust is refused (no ssl_context given)."""
    from email.message import EmailMessage

    from aiosmtpd.controller import Controller

    from enforcer.reports.digest import DigestError, send

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(DATA / "dc.pem", DATA / "dc.key")

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(
        Handler(), hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=True
    )
    controller.start()
    try:
        msg = EmailMessage()
        msg["Subject"] = "x"
        msg.set_content("x")
        email = EmailModel(
            host="127.0.0.1", port=port, starttls=True, recipients=["a@b"], sender="enforcer@school.example"
        )
        with pytest.raises(DigestError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            send(msg, email, timeout=5)
    finally:
        controller.stop()
