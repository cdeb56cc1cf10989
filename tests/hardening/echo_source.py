"""A source type for the secrets tests: reads its secret, then fails with a message that repeats
it, as a careless SDK or a chatty LDAP server might. Registered by the test that uses it."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict

from enforcer.model.errors import SourceError
from enforcer.model.values import Record
from enforcer.sources.interface import BuildContext, CheckResult


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: dict[str, str]


class EchoSource:
    type = "echo"

    def __init__(self, name: str, secret: str) -> None:
        self.name, self._secret = name, secret

    def collect(self) -> Iterator[Record]:
        raise SourceError(f"{self.name}: server said: invalid credentials for password {self._secret!r}")
        yield  # pragma: no cover - a generator that fails on its first step

    def check(self) -> list[CheckResult]:
        raise SourceError(f"{self.name}: bind refused for password {self._secret!r}")


def build(name: str, settings: Settings, ctx: BuildContext) -> EchoSource:
    return EchoSource(name, ctx.secrets(settings.password, "echo password"))
