"""The configuration file: one YAML document, validated before anything connects.

Every error carries file and line. A config with no file at all means the
built-in demo school, so a newcomer can run ``enforcer run`` straight away.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from enforcer import sources as source_types
from enforcer.errors import ConfigError, InputError
from enforcer.identity import Classifier, RoleMatcher, YearGroupRule
from enforcer.models import Role
from enforcer.yamlfile import Located, MultiInputError, load_file, load_text, validate


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SchoolModel(_Strict):
    name: str = "Demo Primary School"
    timezone: str = "Europe/London"


class RoleModel(_Strict):
    role: Role
    ou: str | None = None
    group: str | None = None
    attribute: str | None = None
    value: str | None = None
    pattern: bool = False


class YearGroupModel(_Strict):
    attribute: str
    pattern: str = r"(-?\d+)"


class IdentityModel(_Strict):
    roles: list[RoleModel] = Field(default_factory=list)
    year_group: YearGroupModel | None = None


class SourceModel(BaseModel):
    """``name`` and ``type``; every other key belongs to the connector's own Settings."""

    model_config = ConfigDict(extra="allow", frozen=True)
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    type: str


class ReportsModel(_Strict):
    dir: str = "reports"
    formats: list[Literal["html", "json", "csv"]] = Field(default_factory=lambda: ["html", "json", "csv"])


class StoreModel(_Strict):
    url: str | None = None
    retention_days: int = Field(default=400, ge=1)


class EmailModel(_Strict):
    enabled: bool = False
    host: str = "localhost"
    port: int = 587
    starttls: bool = True
    username: dict[str, str] | None = None
    password: dict[str, str] | None = None
    sender: str = "enforcer@localhost"
    recipients: list[str] = Field(default_factory=list)


class ScheduleModel(_Strict):
    cron: str = "0 2 * * *"
    timezone: str = "Europe/London"
    misfire_grace_seconds: int = Field(default=3600, ge=1)


class RemediationModel(_Strict):
    max_changes: int = Field(default=20, ge=0)
    max_share: float = Field(default=0.05, ge=0, le=1)


class ConfigModel(_Strict):
    version: Literal[1] = 1
    school: SchoolModel = SchoolModel()
    policy: str = "primary-school"
    exceptions: str | None = None
    identity: IdentityModel = IdentityModel()
    sources: list[SourceModel] = Field(default_factory=lambda: [SourceModel(name="demo", type="demo")])
    reports: ReportsModel = ReportsModel()
    store: StoreModel = StoreModel()
    email: EmailModel = EmailModel()
    schedule: ScheduleModel = ScheduleModel()
    remediation: RemediationModel = RemediationModel()


@dataclass(frozen=True)
class SourceConfig:
    name: str
    type: str
    settings: Any
    """The connector's validated Settings instance."""


@dataclass(frozen=True)
class Config:
    model: ConfigModel
    sources: tuple[SourceConfig, ...]
    path: str | None
    base_dir: Path

    @property
    def school(self) -> SchoolModel:
        return self.model.school

    def classifier(self) -> Classifier:
        ident = self.model.identity
        matchers = [RoleMatcher(**r.model_dump()) for r in ident.roles]
        yg = YearGroupRule(**ident.year_group.model_dump()) if ident.year_group else None
        return Classifier(matchers, yg)

    def resolve(self, p: str) -> Path:
        """Relative paths in a config are relative to the config file, not the cwd."""
        path = Path(p).expanduser()
        return path if path.is_absolute() else self.base_dir / path


def load_config(path: str | Path | None) -> Config:
    if path is None:
        return _build(load_text("{}", "<built-in demo configuration>"), None, Path.cwd())
    doc = load_file(path)
    return _build(doc, str(path), Path(path).resolve().parent)


def _build(doc: Located, path: str | None, base_dir: Path) -> Config:
    if not isinstance(doc.data, dict):
        raise InputError("a configuration is a mapping of keys to values", doc.path, 1)
    model = validate(ConfigModel, doc)
    problems: list[InputError] = []
    built: list[SourceConfig] = []
    seen: set[str] = set()
    for i, src in enumerate(model.sources):
        if src.name in seen:
            problems.append(doc.error(("sources", i, "name"), f"duplicate source name {src.name!r}"))
        seen.add(src.name)
        try:
            settings_cls = source_types.settings_model(src.type)
        except ConfigError as exc:
            problems.append(doc.error(("sources", i, "type"), exc.message))
            continue
        raw = {k: v for k, v in (doc.data.get("sources") or [{}])[i].items() if k not in ("name", "type")} \
            if "sources" in doc.data else {}
        try:
            settings = validate(settings_cls, doc, raw, prefix=("sources", i))
        except MultiInputError as exc:
            problems.extend(exc.problems)
            continue
        built.append(SourceConfig(src.name, src.type, settings))
    if problems:
        raise MultiInputError(problems)
    return Config(model, tuple(built), path, base_dir)
