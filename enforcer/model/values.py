"""Domain values shared by every part of enforcer.

Every field that a source may fail to report is ``X | None`` and ``None`` always
means "the source did not say". The engine turns an unknown value into an
``error`` finding, so a connector must never fill a security field with a
hopeful default: leave it ``None`` instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Never

if TYPE_CHECKING:
    from hashlib import _Hash

_NOTHING: Mapping[str, Never] = MappingProxyType({})


def _empty() -> Mapping[str, Never]:
    """One shared empty mapping for every mapping field's default, whatever its value type.

    Why ``Never``: a mapping with no values fits ``Mapping[str, str]`` notes and ``Mapping[str, int]``
    counts alike; typing it as one of them (it was ``Mapping[str, str]``) made the counts wrong.
    """
    return _NOTHING


class Role(StrEnum):
    STAFF = "staff"
    PUPIL = "pupil"
    VOLUNTEER = "volunteer"
    SERVICE = "service"
    UNKNOWN = "unknown"


class Platform(StrEnum):
    WINDOWS = "windows"
    MACOS = "macos"
    IOS = "ios"  # iOS and iPadOS: same management surface
    ANDROID = "android"
    CHROMEOS = "chromeos"
    LINUX = "linux"
    OTHER = "other"


class FormFactor(StrEnum):
    """Why it exists: the policies treat laptops/computers (encrypt) and
    mobile devices/hand-held computers (track, remote wipe) differently."""

    DESKTOP = "desktop"
    LAPTOP = "laptop"
    TABLET = "tablet"
    PHONE = "phone"
    OTHER = "other"


class Ownership(StrEnum):
    SCHOOL = "school"
    PERSONAL = "personal"


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"  # could not evaluate: unknown input, never a pass
    EXCEPTED = "excepted"  # failing, but covered by an unexpired exception


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class SubjectKind(StrEnum):
    ACCOUNT = "account"
    DEVICE = "device"
    DOMAIN = "domain"
    PUPIL = "pupil"  # a roster entry (from the MIS), which may have no account

    @property
    def plural(self) -> str:
        """How a source's counts name this kind: ``accounts``, ``devices``, ``domains``, ``pupils``."""
        return f"{self._value_}s"


@dataclass(frozen=True, slots=True)
class Account:
    """A directory account (AD user or Entra user)."""

    source: str
    id: str
    username: str | None = None
    upn: str | None = None
    display_name: str | None = None
    role: Role = Role.UNKNOWN
    year_group: int | None = None
    """English year group: -1 Nursery, 0 Reception, 1..6 Year 1..6 (7+ secondary)."""
    enabled: bool | None = None
    password_last_set: datetime | None = None
    must_change_password: bool | None = None
    """True when the source flags a change at next logon (AD pwdLastSet = 0)."""
    password_never_expires: bool | None = None
    reversible_encryption: bool | None = None
    password_not_required: bool | None = None
    password_max_age_days: int | None = None
    """Effective maximum password age for this account (domain policy or PSO); 0 = never expires."""
    password_min_length: int | None = None
    """Effective minimum password length for this account (domain policy or PSO)."""
    last_logon: datetime | None = None
    has_expiry: bool | None = None
    """Whether an account expiry date is set; separate from ``account_expires`` so that
    "never" (False) differs from "the source did not say" (None)."""
    account_expires: datetime | None = None
    groups: tuple[str, ...] | None = None
    mfa_registered: bool | None = None
    is_admin: bool | None = None
    external_id: str | None = None
    """The MIS id (e.g. employeeID / UPN) used to reconcile pupils against the roster."""
    container: str | None = None
    """Where the account lives (AD distinguished name, or the Entra department), for role rules."""
    attributes: Mapping[str, str] = field(default_factory=_empty)
    """Raw attributes named by the configuration, kept for role and year-group rules."""


@dataclass(frozen=True, slots=True)
class Device:
    """A school or personal device known to AD or Intune."""

    source: str
    id: str
    name: str | None = None
    platform: Platform | None = None
    form_factor: FormFactor | None = None
    os_version: str | None = None
    ownership: Ownership | None = None
    assigned_user: str | None = None
    encrypted: bool | None = None
    managed: bool | None = None
    """Remote lock and wipe are possible (MDM-enrolled)."""
    tracking: bool | None = None
    """Software that can locate the device is present (as named in the pack)."""
    antivirus_current: bool | None = None
    firewall_on: bool | None = None
    jailbroken: bool | None = None
    passcode_required: bool | None = None
    last_check_in: datetime | None = None
    last_os_update: datetime | None = None
    notes: Mapping[str, str] = field(default_factory=_empty)
    """Why a field is unknown, by field name (e.g. ``encrypted``: the bind account cannot read
    BitLocker recovery objects), so a finding can say so instead of a bare "unknown"."""


@dataclass(frozen=True, slots=True)
class PasswordSettings:
    """A fine-grained password policy (AD msDS-PasswordSettings / PSO)."""

    name: str
    precedence: int | None = None
    applies_to: tuple[str, ...] = ()
    max_password_age_days: int | None = None
    min_password_length: int | None = None
    complexity_required: bool | None = None
    reversible_encryption: bool | None = None
    lockout_threshold: int | None = None
    history_length: int | None = None


@dataclass(frozen=True, slots=True)
class DomainPolicy:
    """The default password policy of a domain or tenant.

    ``max_password_age_days`` 0 means passwords never expire; ``lockout_threshold`` 0
    means no lockout (both as AD stores them).
    """

    source: str
    id: str
    name: str | None = None
    max_password_age_days: int | None = None
    min_password_length: int | None = None
    complexity_required: bool | None = None
    reversible_encryption: bool | None = None
    lockout_threshold: int | None = None
    history_length: int | None = None
    fine_grained: tuple[PasswordSettings, ...] | None = None


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """A pupil on the school's MIS roll."""

    source: str
    pupil_id: str
    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: date | None = None
    year_group: int | None = None
    on_roll: bool | None = None
    internet_consent: bool | None = None
    username: str | None = None
    """The account name the MIS records for the pupil, when it records one."""

    @property
    def id(self) -> str:
        return self.pupil_id

    @property
    def name(self) -> str | None:
        parts = [p for p in (self.given_name, self.family_name) if p]
        return " ".join(parts) if parts else None


Record = Account | Device | DomainPolicy | RosterEntry

MODEL_OF: dict[SubjectKind, type[Record]] = {
    SubjectKind.ACCOUNT: Account,
    SubjectKind.DEVICE: Device,
    SubjectKind.DOMAIN: DomainPolicy,
    SubjectKind.PUPIL: RosterEntry,
}
"""The one table of record types: rule fields, snapshot kinds and source counts are derived from it."""
KIND_OF: dict[type[Record], SubjectKind] = {cls: kind for kind, cls in MODEL_OF.items()}


@dataclass(frozen=True, slots=True)
class Subject:
    """What a finding is about, with the least personal data that identifies it."""

    kind: SubjectKind
    id: str
    name: str | None
    source: str
    owner: str | None = None
    """Who to talk to about a device (its assigned user); None for other kinds or when not reported."""

    @classmethod
    def of(cls, record: Record) -> Subject:
        return cls(*subject_fields(record))


def subject_fields(record: Record) -> tuple[SubjectKind, str, str | None, str, str | None]:
    """``Subject.of(record)``'s fields, in field order: the one definition of how a record is named.

    Separate from ``Subject.of`` so the engine's fast constructor (``enforcer.fast.findings``)
    builds its subjects from exactly these values.
    """
    kind = KIND_OF[type(record)]
    if isinstance(record, Account):
        return kind, record.id, record.username or record.upn or record.display_name, record.source, None
    if isinstance(record, Device):
        return kind, record.id, record.name, record.source, record.assigned_user
    return kind, record.id, record.name, record.source, None


FINGERPRINT_CHARS = 20


def fingerprint(rule_id: str, subject: Subject) -> str:
    """Stable across runs so history can say new / fixed / still failing.

    The hashed text is rule id, kind, source and subject id joined by U+001F, hashed as the
    rule's part and then the subject's, so the engine's fast path can hash each rule's part
    once (``enforcer.fast.findings``); the two helpers below are the only definition of both.
    """
    digest = fingerprint_rule_hash(rule_id)
    digest.update(fingerprint_subject_part(subject))
    return digest.hexdigest()[:FINGERPRINT_CHARS]


def fingerprint_rule_hash(rule_id: str) -> _Hash:
    """The fingerprint's hash after the rule's part (rule id and a separator)."""
    # surrogatepass: a hostile id with an unpaired surrogate must still get a stable fingerprint.
    return hashlib.sha256((rule_id + "\x1f").encode("utf-8", "surrogatepass"))


def fingerprint_subject_part(subject: Subject) -> bytes:
    """The subject's part of the fingerprint: kind, source and id, encoded as the rule's part is."""
    return "\x1f".join((subject.kind._value_, subject.source, subject.id)).encode("utf-8", "surrogatepass")


@dataclass(frozen=True, slots=True)
class Remediation:
    advice: str
    action: str | None = None
    params: Mapping[str, Any] = field(default_factory=_empty)


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    title: str
    status: Status
    severity: Severity
    subject: Subject
    evidence: Mapping[str, Any]
    """JSON-safe values that justified the verdict (never a secret)."""
    message: str
    clause: str
    remediation: Remediation
    fingerprint: str
    exception: Mapping[str, Any] | None = None
    """The exception (reason, approver, expiry) when status is ``excepted``."""


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """How one source fared in a run; a failed source makes the run incomplete."""

    name: str
    type: str
    ok: bool
    error: str | None = None
    counts: Mapping[str, int] = field(default_factory=_empty)


@dataclass(frozen=True, slots=True)
class PackInfo:
    name: str
    version: str
    path: str


@dataclass(frozen=True, slots=True)
class RunResult:
    run_id: str
    started: datetime
    finished: datetime
    as_of: datetime
    school: str
    pack: PackInfo
    sources: tuple[SourceStatus, ...]
    findings: tuple[Finding, ...]
    rules: tuple[str, ...] = ()
    """The rules this run actually evaluated. A finding of any other rule (another pack, a
    ``--rule`` subset, a roster rule with no roster) cannot have been fixed by this run."""
    coverage: Mapping[str, int] = field(default_factory=dict)
    """What the run saw: accounts per role and devices per platform (``account:staff``,
    ``device:windows``, ``account:unknown`` for records the source could not classify)."""
    idle_rules: tuple[str, ...] = ()
    """Rules of the run that applied to nobody: a staff rule with no staff account found is a
    misconfigured identity matcher far more often than a school without staff, and a rule that
    checked nobody must never read as a clean bill."""

    @property
    def complete(self) -> bool:
        return all(s.ok for s in self.sources)

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Status}
        for f in self.findings:
            out[f.status.value] += 1
        return out
