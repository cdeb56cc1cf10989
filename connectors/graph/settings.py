"""Configuration of a ``type: graph`` source (Entra ID and Intune through Microsoft Graph).

Importable without msgraph, kiota or azure-identity: ``enforcer config check`` and
``enforcer --help`` validate this model and must stay fast, so nothing here touches
the SDK. Secrets are references (``{env: NAME}`` / ``{file: PATH}``), read only when
the source is built.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SecretRef = dict[str, str]
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})

YearGroupFrom = Literal["birth_date", "grade", "attribute"]


class ReadModel(BaseModel):
    """Which features to read; each needs its own application permission (docs/graph.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    users: bool = True
    sign_in_activity: bool = False
    """Needs Entra ID P1 and AuditLog.Read.All; pages of users shrink to 120."""
    education: bool = False
    """Read /education/users for primaryRole and the pupil's grade / birth date (School Data Sync)."""
    mfa: bool = True
    domains: bool = True
    devices: bool = True
    protection_state: bool = True
    detected_apps: bool = True


class Settings(BaseModel):
    """The ``sources[]`` entry for ``type: graph`` (every key but ``name`` and ``type``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: SecretRef | None = None
    certificate_path: str | None = None
    """PEM or PKCS12 file with the private key (relative to the config file)."""
    certificate_password: SecretRef | None = None
    access_token: SecretRef | None = None
    """A pre-issued bearer token (e.g. from a managed identity elsewhere); no refresh."""
    base_url: str = "https://graph.microsoft.com/v1.0"
    authority: str = "login.microsoftonline.com"
    """Entra authority host; national clouds: login.microsoftonline.us, login.chinacloudapi.cn."""
    scopes: list[str] | None = None
    """Defaults to ``<scheme>://<graph host>/.default``."""

    read: ReadModel = ReadModel()
    attributes: list[str] = Field(default_factory=lambda: ["department", "jobTitle", "employeeType"])
    """User properties passed to the role classifier (``primaryRole`` comes from education users)."""
    year_group_from: list[YearGroupFrom] = Field(default_factory=lambda: list[YearGroupFrom](["attribute"]))
    """Where a pupil's year group comes from, first known wins."""
    grade_offset: int = 0
    """Added to ``student.grade`` when it is numeric (SDS grades are not English year groups)."""

    timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    max_retries: int = Field(default=5, ge=0, le=10)
    backoff_seconds: float = Field(default=1.0, ge=0, le=60)
    """First wait before retrying a 503/504 without Retry-After; doubles each retry."""
    max_retry_after_seconds: float = Field(default=120.0, ge=0, le=600)
    """A Retry-After longer than this is not waited for: the read fails instead."""
    concurrency: int = Field(default=4, ge=1, le=16)
    requests_per_20s: int = Field(default=1800, ge=1, le=2000)
    """Intune allows 2,000 requests per 20 s per app per tenant; stay under it."""
    batch_size: int = Field(default=20, ge=1, le=20)
    inventory_probe_apps: int = Field(default=3, ge=0, le=50)
    """Per platform, how many of the most widely detected apps to read device lists for, so that a
    device whose app inventory was read but lacks the tracking app can be told from one never read."""

    @field_validator("base_url")
    @classmethod
    def _https_or_local(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("base_url must be an http(s) URL, e.g. https://graph.microsoft.com/v1.0")
        if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
            raise ValueError("plain http is accepted only for localhost / 127.0.0.1")
        return v.rstrip("/")

    @model_validator(mode="after")
    def _one_way_to_authenticate(self) -> Settings:
        ways = [
            self.access_token is not None,
            self.client_secret is not None,
            self.certificate_path is not None,
        ]
        if sum(ways) != 1:
            raise ValueError("give exactly one of access_token, client_secret or certificate_path")
        if (self.client_secret or self.certificate_path) and not (self.tenant_id and self.client_id):
            raise ValueError("client_secret and certificate_path need tenant_id and client_id")
        return self

    @property
    def graph_root(self) -> str:
        """``scheme://host`` of the Graph endpoint (for scopes and batch URLs)."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def version_path(self) -> str:
        """The path part of ``base_url`` (``/v1.0``); batch item URLs are relative to it."""
        return urlsplit(self.base_url).path
