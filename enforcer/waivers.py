"""Exceptions: a failure the school has knowingly accepted, for a while.

An exception names a rule and either one subject (its fingerprint, or its id /
name) or a selector (kind, source, id or name glob). It must say why, who approved
it and when it ends: there are no permanent exceptions, because "temporarily"
turns into "forever" in a school office. An excepted finding is never hidden: its
status becomes ``excepted`` with the exception attached, and the day after the
expiry date it is ``fail`` again.

An exception belongs to one school (the name runs record), and optionally to one of its
sources, unless it was granted estate-wide on purpose: the same account name (``svc-wifi``)
exists in every school of an estate, and accepting one school's risk must not accept
nineteen others. Exceptions in a file beside the pack have no school: they apply to every
school that uses that pack (a per-school ``exceptions:`` file in the configuration applies
to that school only, because only that school reads it).

The ``kind`` says why a failure is accepted: ``accepted-risk`` (the finding is right and the
school lives with it) or ``false-positive`` (the rule is wrong about this subject). The two
are counted apart so false positives reach whoever maintains the pack instead of hiding as
accepted risk.

Exceptions live in the store (``enforcer exceptions add``) and/or in a YAML file
beside the pack, validated with file and line like every other file we read.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from enforcer.model.errors import InputError, UsageError
from enforcer.model.values import Finding, Status, SubjectKind
from enforcer.yamlfile import load_file, validate

SELECTOR_KEYS = ("kind", "source", "id", "name")
ACCEPTED_RISK = "accepted-risk"
FALSE_POSITIVE = "false-positive"
KINDS = (ACCEPTED_RISK, FALSE_POSITIVE)
ExceptionKind = Literal["accepted-risk", "false-positive"]
CANNOT_VOUCH = (
    "an exception accepts a known failure; it cannot vouch for something enforcer could not "
    "check: fix the data or the permissions"
)
"""Why an ``error`` finding (could not evaluate) is refused an exception: apply_exceptions
never excepts one, so granting it would promise an ``excepted`` that never comes."""


@dataclass(frozen=True, slots=True)
class PolicyException:
    rule: str
    reason: str
    approver: str
    expires: date
    """Last day on which the exception applies (inclusive, school's local date)."""
    fingerprint: str | None = None
    subject: str | None = None
    """A subject id or name (case-insensitive), for exceptions written by hand."""
    selector: Mapping[str, str] | None = None
    """Globs over kind / source / id / name, e.g. ``{kind: device, name: "KIOSK-*"}``."""
    id: str = ""
    """``store:7`` or ``path/to/file.yaml:12``: where to go to change it."""
    school: str | None = None
    """The school's name as runs record it; None only for estate-wide ones and files."""
    source: str | None = None
    """Only findings from this source (by its configured name), when given."""
    kind: str = ACCEPTED_RISK
    """``accepted-risk`` or ``false-positive`` (the pack is wrong: counted apart)."""

    def __post_init__(self) -> None:
        given = sum(x is not None for x in (self.fingerprint, self.subject, self.selector))
        if given != 1:
            raise UsageError("an exception names exactly one of: fingerprint, subject, selector")
        if self.selector is not None:
            bad = set(self.selector) - set(SELECTOR_KEYS)
            if bad or not self.selector:
                raise UsageError(f"selector keys are {', '.join(SELECTOR_KEYS)}")
        if not self.reason.strip() or not self.approver.strip():
            raise UsageError("an exception needs a reason and an approver")
        if self.kind not in KINDS:
            raise UsageError(f"exception kind {self.kind!r} is not one of {', '.join(KINDS)}")

    def active(self, on: date) -> bool:
        return on <= self.expires

    def covers_school(self, school: str) -> bool:
        """True for the run of ``school``: its own exceptions and the estate-wide ones."""
        return self.school is None or self.school.casefold() == school.casefold()

    def matches(self, f: Finding) -> bool:
        if f.rule != self.rule:
            return False
        if self.source is not None and f.subject.source != self.source:
            return False
        s = f.subject
        if self.fingerprint is not None:
            return f.fingerprint == self.fingerprint
        if self.subject is not None:
            want = self.subject.casefold()
            return s.id.casefold() == want or (s.name or "").casefold() == want
        assert self.selector is not None
        values = {"kind": s.kind.value, "source": s.source, "id": s.id, "name": s.name or ""}
        return all(
            fnmatch.fnmatchcase(values[k].casefold(), str(v).casefold()) for k, v in self.selector.items()
        )

    def describe(self) -> dict[str, Any]:
        """What a finding carries (and the report shows) while excepted."""
        return {
            "id": self.id,
            "kind": self.kind,
            "reason": self.reason,
            "approver": self.approver,
            "expires": self.expires.isoformat(),
        }

    def target(self) -> str:
        if self.fingerprint:
            return f"fingerprint {self.fingerprint}"
        if self.subject:
            return f"subject {self.subject}"
        return "selector " + ", ".join(f"{k}={v}" for k, v in (self.selector or {}).items())


def apply_exceptions(
    findings: Iterable[Finding], exceptions: Iterable[PolicyException], as_of: datetime | date
) -> list[Finding]:
    """FAIL -> EXCEPTED when an unexpired exception matches. ERROR is never excepted: an
    exception accepts a known failure, it cannot vouch for something we could not check."""
    on = as_of.date() if isinstance(as_of, datetime) else as_of
    live = [e for e in exceptions if e.active(on)]
    out = []
    for f in findings:
        if f.status == Status.FAIL:
            match = next((e for e in live if e.matches(f)), None)
            if match is not None:
                f = dataclasses.replace(f, status=Status.EXCEPTED, exception=match.describe())
        out.append(f)
    return out


class _ExceptionModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rule: str = Field(min_length=1)
    fingerprint: str | None = None
    subject: str | None = None
    selector: dict[str, str] | None = None
    source: str | None = None
    kind: ExceptionKind = "accepted-risk"
    reason: str = Field(min_length=1)
    approver: str = Field(min_length=1)
    expires: date

    @model_validator(mode="after")
    def _one_target(self) -> _ExceptionModel:
        if sum(x is not None for x in (self.fingerprint, self.subject, self.selector)) != 1:
            raise ValueError("give exactly one of fingerprint, subject, selector")
        if self.selector is not None:
            bad = sorted(set(self.selector) - set(SELECTOR_KEYS))
            if bad:
                raise ValueError(
                    f"unknown selector key(s) {', '.join(bad)} (known: {', '.join(SELECTOR_KEYS)})"
                )
            kind = self.selector.get("kind")
            if kind and "*" not in kind and kind not in {k.value for k in SubjectKind}:
                raise ValueError(f"selector kind {kind!r} is not one of account, device, domain, pupil")
        return self


class _FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    exceptions: list[_ExceptionModel] = Field(default_factory=list)


def load_exceptions_file(path: str | Path, known_rules: Iterable[str] | None = None) -> list[PolicyException]:
    """Read ``exceptions:`` from YAML; every problem is reported with file and line.

    An entry past its expiry is loaded, not refused: it is simply inactive (``active()``), and
    ``enforcer exceptions list`` says so, so an old file never stops the nightly run."""
    doc = load_file(path)
    if not isinstance(doc.data, dict):
        raise InputError("an exceptions file is a mapping with an 'exceptions:' list", doc.path, 1)
    model = validate(_FileModel, doc)
    rules = set(known_rules) if known_rules is not None else None
    out = []
    for i, e in enumerate(model.exceptions):
        if rules is not None and e.rule not in rules:
            raise doc.error(("exceptions", i, "rule"), f"exceptions.{i}.rule: no rule {e.rule!r} in the pack")
        out.append(
            PolicyException(
                rule=e.rule,
                reason=e.reason,
                approver=e.approver,
                expires=e.expires,
                fingerprint=e.fingerprint,
                subject=e.subject,
                selector=e.selector,
                source=e.source,
                kind=e.kind,
                id=f"{doc.path}:{doc.line(('exceptions', i))}",
            )
        )
    return out


def beside_pack(pack_path: str | Path) -> Path:
    """``policies/primary-school.yaml`` -> ``policies/primary-school.exceptions.yaml``."""
    p = Path(pack_path)
    return p.with_name(p.stem + ".exceptions.yaml")
