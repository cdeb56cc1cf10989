"""Authentication: a static token only goes to the configured host; app credentials are built
from secrets read through the configuration's references (no network here)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from connectors.graph.auth import StaticTokenProvider, build_auth
from connectors.graph.settings import Settings
from enforcer.model.errors import ConfigError
from enforcer.secrets import read_secret

pytestmark = pytest.mark.graph


def token_for(provider: StaticTokenProvider, url: str) -> str:
    return asyncio.run(provider.get_authorization_token(url))


def test_static_token_goes_to_the_graph_host_only():
    p = StaticTokenProvider("tok", "graph.microsoft.com")
    assert token_for(p, "https://graph.microsoft.com/v1.0/users") == "tok"
    assert token_for(p, "https://evil.example/v1.0/users") == ""  # a nextLink elsewhere: no token
    assert token_for(p, "http://graph.microsoft.com/v1.0/users") == ""  # never over plain http
    assert token_for(StaticTokenProvider("tok", "127.0.0.1"), "http://127.0.0.1:9/v1.0/users") == "tok"


def test_client_secret_credential(monkeypatch, tmp_path: Path):
    from azure.identity.aio import ClientSecretCredential

    monkeypatch.setenv("GRAPH_SECRET", "s3cret")
    s = Settings.model_validate(
        {
            "tenant_id": "t",
            "client_id": "c",
            "client_secret": {"env": "GRAPH_SECRET"},
            "authority": "login.microsoftonline.us",
            "base_url": "https://graph.microsoft.us/v1.0",
        }
    )
    provider, credential = build_auth(s, read_secret, tmp_path)
    assert isinstance(credential, ClientSecretCredential)
    assert provider.access_token_provider._scopes == ["https://graph.microsoft.us/.default"]
    asyncio.run(credential.close())


def test_certificate_credential(tmp_path: Path):
    from azure.identity.aio import CertificateCredential
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "enforcer-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ) + cert.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "app.pem").write_bytes(pem)
    s = Settings.model_validate({"tenant_id": "t", "client_id": "c", "certificate_path": "app.pem"})
    provider, credential = build_auth(s, read_secret, tmp_path)  # relative to the config's folder
    assert isinstance(credential, CertificateCredential)
    asyncio.run(credential.close())
    missing = Settings.model_validate({"tenant_id": "t", "client_id": "c", "certificate_path": "nope.pem"})
    with pytest.raises(ConfigError, match="no such file"):
        build_auth(missing, read_secret, tmp_path)


def test_a_missing_token_is_a_config_error(monkeypatch, tmp_path: Path):
    monkeypatch.delenv("NO_SUCH_GRAPH_TOKEN", raising=False)
    s = Settings.model_validate({"access_token": {"env": "NO_SUCH_GRAPH_TOKEN"}})
    with pytest.raises(ConfigError, match="NO_SUCH_GRAPH_TOKEN"):
        build_auth(s, read_secret, tmp_path)
