"""Authentication providers for the SDK's request adapter.

Three ways, one per school set-up: an app registration with a client secret, one with a
certificate (both through azure-identity's async credentials, so token refresh does not
block the event loop), or a bearer token issued elsewhere and handed over through the
environment or a file. A token is only ever sent to the configured Graph host: a
nextLink or redirect that points elsewhere goes out without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    AuthenticationProvider,
    BaseBearerTokenAuthenticationProvider,
)

from connectors.graph.settings import LOCAL_HOSTS, Settings
from enforcer.model.errors import ConfigError
from enforcer.sources.interface import SecretReader


class StaticTokenProvider(AccessTokenProvider):
    """Hands out one pre-issued token, for the configured host only, over https (or loopback)."""

    def __init__(self, token: str, host: str) -> None:
        self._token = token
        self._hosts = AllowedHostsValidator([host])

    async def get_authorization_token(
        self, uri: str, additional_authentication_context: dict[str, Any] | None = None
    ) -> str:
        parts = urlsplit(uri)
        if not self._hosts.is_url_host_valid(uri):
            return ""
        if parts.scheme != "https" and parts.hostname not in LOCAL_HOSTS:
            return ""
        return self._token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self._hosts


def build_auth(
    settings: Settings, secrets: SecretReader, base_dir: Path
) -> tuple[AuthenticationProvider, Any]:
    """Returns the provider and the credential to close afterwards (None for a static token)."""
    host = urlsplit(settings.base_url).hostname or ""
    if settings.access_token is not None:
        token = secrets(settings.access_token, "graph access_token")
        return BaseBearerTokenAuthenticationProvider(StaticTokenProvider(token, host)), None

    from azure.identity.aio import CertificateCredential, ClientSecretCredential
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )

    assert settings.tenant_id and settings.client_id  # checked by Settings
    if settings.client_secret is not None:
        secret = secrets(settings.client_secret, "graph client_secret")
        credential: Any = ClientSecretCredential(
            settings.tenant_id, settings.client_id, secret, authority=settings.authority
        )
    else:
        assert settings.certificate_path is not None
        path = Path(settings.certificate_path).expanduser()
        path = path if path.is_absolute() else base_dir / path
        if not path.is_file():
            raise ConfigError("graph certificate_path: no such file", str(path))
        password = (
            secrets(settings.certificate_password, "graph certificate_password").encode()
            if settings.certificate_password is not None
            else None
        )
        try:
            credential = CertificateCredential(
                settings.tenant_id,
                settings.client_id,
                certificate_path=str(path),
                password=password,
                authority=settings.authority,
            )
        except ValueError as exc:
            raise ConfigError(
                f"graph certificate_path: cannot load the certificate: {exc}", str(path)
            ) from None
    scopes = settings.scopes or [f"{settings.graph_root}/.default"]
    provider = AzureIdentityAuthenticationProvider(credential, scopes=scopes, allowed_hosts=[host])
    return provider, credential
