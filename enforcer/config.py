"""The configuration file: one YAML document, validated before anything connects.

Every error carries file and line. A config with no file at all means the
built-in demo school, so a newcomer can run ``enforcer run`` straight away.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from enforcer.identity import Classifier, RoleMatcher, YearGroupRule
from enforcer.model.errors import ConfigError, InputError
from enforcer.model.values import Role
from enforcer.saferegex import problem as pattern_problem
from enforcer.sources import registry as source_types
from enforcer.yamlfile import Located, MultiInputError, load_file, load_text, validate

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
"""A mail relay on this machine: clear text never leaves it."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _one_line(value: str) -> str:
    """A school's name and the email addresses go into email headers (Subject, From, To): a CR
    or LF there would add a header of the sender's choosing (``Bcc:``), and Python's email
    package refuses it only when the digest is sent, after the run, as an internal error."""
    bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Zl", "Zp")), None)
    if bad is not None:
        raise ValueError(f"must be one line of text without control characters (found {bad!r})")
    return value


OneLine = Annotated[str, AfterValidator(_one_line)]
"""Text that ends up in an email header or a report's title."""


class SchoolModel(_Strict):
    name: OneLine = "Demo Primary School"
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


ReportFormat = Literal["html", "json", "csv"]
REPORT_FORMATS: tuple[ReportFormat, ...] = ("html", "json", "csv")


class ReportsModel(_Strict):
    dir: str = "reports"
    formats: list[ReportFormat] = Field(default_factory=lambda: list(REPORT_FORMATS))


class StoreModel(_Strict):
    url: str | None = None
    password: dict[str, str] | None = None
    """For a postgresql:// URL: ``{env: NAME}`` or ``{file: PATH}``; never written in the URL."""
    retention_days: int = Field(default=400, ge=1, le=36500)
    """At most a century: a larger number overflows the date arithmetic of the purge."""


class EmailModel(_Strict):
    enabled: bool = False
    host: str = "localhost"
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    allow_plaintext: bool = False
    """Must be true for ``starttls: false`` to a server that is not on this machine: the SMTP
    password and the findings would cross the network in clear (as ``allow_plaintext`` for AD)."""
    username: dict[str, str] | None = None
    password: dict[str, str] | None = None
    sender: OneLine = "enforcer@localhost"
    recipients: list[OneLine] = Field(default_factory=list)

    @model_validator(mode="after")
    def _plaintext_is_explicit(self) -> EmailModel:
        if not self.starttls and not self.allow_plaintext and self.host not in LOOPBACK:
            raise ValueError(
                "starttls: false sends the SMTP password and the findings in clear; "
                "set allow_plaintext: true as well if that is really wanted"
            )
        return self


class ScheduleModel(_Strict):
    cron: str = "0 2 * * *"
    timezone: str = "Europe/London"
    misfire_grace_seconds: int = Field(default=3600, ge=1, le=31 * 86400)
    """At most a month: a run later than that is not the night's run (and APScheduler's date
    arithmetic overflows on a huge number)."""


class RemediationModel(_Strict):
    max_changes: int = Field(default=20, ge=0)
    max_share: float = Field(default=0.05, ge=0, le=1)


class RosterModel(_Strict):
    max_drop: float = Field(default=0.25, ge=0, le=1)
    """A roll that shrinks by more than this share since the last complete run is treated as a
    cut-off export (CSV has no end marker): the source counts as failed, so nothing is "fixed",
    until someone confirms with ``enforcer run --accept-roster-drop``. 0.25 leaves room for a
    Year 6 leaving before the new Reception class is entered."""


class SchoolEntry(_Strict):
    """One school of a trust or a contractor's estate; unset fields inherit the top level."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    name: OneLine
    timezone: str | None = None
    policy: str | None = None
    exceptions: str | None = None
    identity: IdentityModel | None = None
    sources: list[SourceModel] = Field(min_length=1)
    recipients: list[OneLine] = Field(default_factory=list)
    """Who gets this school's digest (in addition to nobody: top-level recipients get the combined one)."""


class ConfigModel(_Strict):
    version: Literal[1] = 1
    school: SchoolModel = SchoolModel()
    policy: str = "primary-school"
    exceptions: str | None = None
    identity: IdentityModel = IdentityModel()
    sources: list[SourceModel] = Field(default_factory=lambda: [SourceModel(name="demo", type="demo")])
    schools: list[SchoolEntry] | None = None
    """A trust or estate: several schools in one run (instead of ``school`` + ``sources``)."""
    concurrency: int = Field(default=2, ge=1, le=32)
    """How many schools are read at once."""
    reports: ReportsModel = ReportsModel()
    store: StoreModel = StoreModel()
    email: EmailModel = EmailModel()
    schedule: ScheduleModel = ScheduleModel()
    remediation: RemediationModel = RemediationModel()
    roster: RosterModel = RosterModel()


@dataclass(frozen=True)
class SourceConfig:
    name: str
    type: str
    settings: Any
    """The connector's validated Settings instance."""


def _classifier(ident: IdentityModel) -> Classifier:
    matchers = [RoleMatcher(**r.model_dump()) for r in ident.roles]
    yg = YearGroupRule(**ident.year_group.model_dump()) if ident.year_group else None
    return Classifier(matchers, yg)


@dataclass(frozen=True)
class SchoolConfig:
    """Everything one school's run needs, with the top level's defaults filled in."""

    id: str
    name: str
    timezone: str
    policy: str
    exceptions: str | None
    identity: IdentityModel
    sources: tuple[SourceConfig, ...]
    recipients: tuple[str, ...] = ()

    def classifier(self) -> Classifier:
        return _classifier(self.identity)


@dataclass(frozen=True)
class Config:
    model: ConfigModel
    schools: tuple[SchoolConfig, ...]
    path: str | None
    base_dir: Path

    @property
    def multi_school(self) -> bool:
        return self.model.schools is not None

    @property
    def sources(self) -> tuple[SourceConfig, ...]:
        """Every source of every school (names are unique across the configuration)."""
        return tuple(s for school in self.schools for s in school.sources)

    @property
    def school(self) -> SchoolModel:
        return self.model.school

    def school_of(self, source_name: str) -> SchoolConfig:
        return next(sc for sc in self.schools if any(s.name == source_name for s in sc.sources))

    def for_school(self, school: SchoolConfig) -> Config:
        """One school of an estate as a single-school configuration, so every school runs
        through exactly the same pipeline as a lone school does."""
        email = self.model.email.model_copy(
            update={
                "recipients": list(school.recipients),
                "enabled": self.model.email.enabled and bool(school.recipients),
            }
        )
        model = self.model.model_copy(
            update={
                "school": SchoolModel(name=school.name, timezone=school.timezone),
                "policy": school.policy,
                "exceptions": school.exceptions,
                "identity": school.identity,
                "schools": None,
                "email": email,
            }
        )
        return Config(model, (school,), self.path, self.base_dir)

    def resolve(self, p: str) -> Path:
        """Relative paths in a config are relative to the config file, not the cwd."""
        path = Path(p).expanduser()
        return path if path.is_absolute() else self.base_dir / path


def load_config(path: str | Path | None) -> Config:
    if path is None:
        return _build(load_text("{}", "<built-in demo configuration>"), None, Path.cwd())
    doc = load_file(path)
    if doc.data == {} or doc.data is None:
        # Every setting has a default, and the default source is the demo school: an empty file
        # (truncated, or not yet filled in) would audit made-up data and record it as this school.
        raise ConfigError(
            "the configuration file is empty; `enforcer init` writes an example to fill in "
            "(to try the demo school, give no --config at all)",
            str(path),
        )
    return _build(doc, str(path), Path(path).resolve().parent)


def _build(doc: Located, path: str | None, base_dir: Path) -> Config:
    if not isinstance(doc.data, dict):
        raise InputError("a configuration is a mapping of keys to values", doc.path, 1)
    model = validate(ConfigModel, doc)
    problems: list[InputError] = []
    seen: set[str] = set()
    schools: list[SchoolConfig] = []
    _patterns(doc, model.identity, ("identity",), problems)
    if model.schools is not None:
        for key in ("sources", "school"):
            if key in doc.data:
                problems.append(
                    doc.error((key,), f"'{key}' cannot be used with 'schools': give each school its own")
                )
        ids: set[str] = set()
        for j, entry in enumerate(model.schools):
            if entry.id in ids:
                problems.append(doc.error(("schools", j, "id"), f"duplicate school id {entry.id!r}"))
            ids.add(entry.id)
            _patterns(doc, entry.identity, ("schools", j, "identity"), problems)
            raw = doc.data["schools"][j]["sources"]
            built = _sources(doc, entry.sources, raw, ("schools", j, "sources"), seen, problems)
            schools.append(
                SchoolConfig(
                    id=entry.id,
                    name=entry.name,
                    timezone=entry.timezone or model.school.timezone,
                    policy=entry.policy or model.policy,
                    exceptions=entry.exceptions or model.exceptions,
                    identity=entry.identity or model.identity,
                    sources=built,
                    recipients=tuple(entry.recipients),
                )
            )
    else:
        raw = doc.data.get("sources") or []
        built = _sources(doc, model.sources, raw, ("sources",), seen, problems)
        schools.append(
            SchoolConfig(
                id=_slug(model.school.name),
                name=model.school.name,
                timezone=model.school.timezone,
                policy=model.policy,
                exceptions=model.exceptions,
                identity=model.identity,
                sources=built,
            )
        )
    if problems:
        raise MultiInputError(problems)
    return Config(model, tuple(schools), path, base_dir)


def _patterns(
    doc: Located, ident: IdentityModel | None, prefix: tuple[str | int, ...], problems: list[InputError]
) -> None:
    """Identity patterns compile on the engine that will run them (enforcer.saferegex), checked
    here so that a bad one is an error with its line before anything connects, not a failure
    on the first account read."""
    if ident is None:
        return
    for i, role in enumerate(ident.roles):
        if role.pattern and role.value is not None:
            why = pattern_problem(role.value, ignore_case=True)
            if why:
                loc = (*prefix, "roles", i, "value")
                problems.append(doc.error(loc, f"invalid regular expression: {why}"))
    if ident.year_group is not None:
        why = pattern_problem(ident.year_group.pattern, ignore_case=True)
        if why:
            loc = (*prefix, "year_group", "pattern")
            problems.append(doc.error(loc, f"invalid regular expression: {why}"))


def _slug(name: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in name.casefold()).strip("-")
    return "-".join(p for p in slug.split("-") if p)[:40] or "school"


def _sources(
    doc: Located,
    models: list[SourceModel],
    raw: list[Any],
    prefix: tuple[str | int, ...],
    seen: set[str],
    problems: list[InputError],
) -> tuple[SourceConfig, ...]:
    built: list[SourceConfig] = []
    for i, src in enumerate(models):
        loc = (*prefix, i)
        if src.name in seen:
            problems.append(doc.error((*loc, "name"), f"duplicate source name {src.name!r}"))
        seen.add(src.name)
        try:
            settings_cls = source_types.settings_model(src.type)
        except ConfigError as exc:
            problems.append(doc.error((*loc, "type"), exc.message))
            continue
        fields = raw[i] if i < len(raw) and isinstance(raw[i], dict) else {}
        try:
            settings: BaseModel = validate(
                settings_cls, doc, {k: v for k, v in fields.items() if k not in ("name", "type")}, prefix=loc
            )
        except MultiInputError as exc:
            problems.extend(exc.problems)
            continue
        built.append(SourceConfig(src.name, src.type, settings))
    return tuple(built)
