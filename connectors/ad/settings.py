"""Configuration of an ``ad`` source, validated before anything connects.

Importable without ldap3 so that ``enforcer config check`` and ``--help`` stay
fast. Secure by default: TLS with certificate verification; plain LDAP needs
``allow_plaintext: true`` on top of ``tls: none``, so a typo cannot send a bind
password in the clear.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SecretRef = dict[str, str]
"""``{env: NAME}`` or ``{file: PATH}``; read through ``BuildContext.secrets``."""


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(min_length=1)
    """Domain controller name or address; must match a name in its certificate."""
    port: int | None = Field(default=None, ge=1, le=65535)
    """Defaults to 636 for ``ldaps`` and 389 otherwise."""
    tls: Literal["ldaps", "starttls", "none"] = "ldaps"
    ca_file: str | None = None
    """PEM file of the CA that signed the DC's certificate; the system store when unset."""
    allow_plaintext: bool = False
    """Must be true for ``tls: none``: the bind password then crosses the network in clear."""
    bind_dn: SecretRef
    bind_password: SecretRef
    base_dn: str | None = None
    """The domain root; read from the rootDSE (defaultNamingContext) when unset."""
    user_base: str | None = None
    computer_base: str | None = None
    attributes: list[str] = Field(default_factory=list)
    """Extra user attributes to keep on each account (besides those the identity rules name)."""
    page_size: int = Field(default=1000, ge=1, le=5000)
    connect_timeout: int = Field(default=10, ge=1)
    read_timeout: int = Field(default=60, ge=1)
    """Seconds to wait for each response (ldap3 needs whole seconds)."""
    retries: int = Field(default=3, ge=0, le=10)
    """How many times a dropped connection is reopened before the source fails."""
    retry_delay: float = Field(default=2.0, ge=0)
    bitlocker: bool = True
    """Read msFVE-RecoveryInformation objects under computers as evidence of encryption."""
    include_disabled_computers: bool = False

    @model_validator(mode="after")
    def _plaintext_is_explicit(self) -> Settings:
        if self.tls == "none" and not self.allow_plaintext:
            raise ValueError(
                "tls: none sends the bind password in clear; "
                "set allow_plaintext: true as well if that is really wanted"
            )
        if self.tls != "none" and self.allow_plaintext:
            raise ValueError("allow_plaintext only makes sense with tls: none")
        return self

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return 636 if self.tls == "ldaps" else 389
