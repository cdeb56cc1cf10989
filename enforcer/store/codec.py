"""Findings to rows and back, and the timestamp format every table uses.

Timestamps are fixed-width ISO-8601 UTC text with microseconds
(``2026-11-22T02:00:00.000000Z``, so two runs in one second still order): they sort as text,
compare with ``<`` in SQL on every engine, and read well in a dump.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from enforcer.model.values import Finding, Remediation, Severity, Status, Subject, SubjectKind

FAILING = (Status.FAIL, Status.EXCEPTED)
"""States that count as "failing" for new / fixed / still failing: an exception covers a
failure, it does not fix it."""


def ts(when: datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(text: str) -> datetime:
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if "." in text else "%Y-%m-%dT%H:%M:%SZ"  # early rows had no fraction
    return datetime.strptime(text, fmt).replace(tzinfo=UTC)


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def owner_of(finding: Finding) -> str | None:
    """Who to talk to: a device's assigned user, else the account or pupil itself."""
    if finding.subject.owner:
        return finding.subject.owner
    if finding.subject.kind in (SubjectKind.ACCOUNT, SubjectKind.PUPIL):
        return finding.subject.name
    return None


def finding_row(run_id: str, f: Finding, change: str | None, owner: str | None) -> tuple[Any, ...]:
    rem = {
        "advice": f.remediation.advice,
        "action": f.remediation.action,
        "params": dict(f.remediation.params),
    }
    return (
        run_id,
        f.fingerprint,
        f.rule,
        f.status.value,
        f.severity.value,
        f.subject.kind.value,
        f.subject.id,
        f.subject.name,
        f.subject.source,
        owner,
        f.title,
        f.message,
        f.clause,
        dumps(dict(f.evidence)),
        dumps(rem),
        dumps(dict(f.exception)) if f.exception else None,
        change,
    )


FINDING_COLUMNS = (
    "run_id, fingerprint, rule, status, severity, kind, subject_id, subject_name, "
    "source, owner, title, message, clause, evidence, remediation, exception, change"
)


def row_finding(row: Mapping[str, Any]) -> Finding:
    rem = loads(row["remediation"]) or {}
    return Finding(
        rule=row["rule"],
        title=row["title"],
        status=Status(row["status"]),
        severity=Severity(row["severity"]),
        subject=Subject(
            SubjectKind(row["kind"]),
            row["subject_id"],
            row["subject_name"],
            row["source"],
            owner=row["owner"] if row["kind"] == SubjectKind.DEVICE.value else None,
        ),
        evidence=loads(row["evidence"]) or {},
        message=row["message"],
        clause=row["clause"],
        remediation=Remediation(rem.get("advice", ""), rem.get("action"), rem.get("params") or {}),
        fingerprint=row["fingerprint"],
        exception=loads(row["exception"]),
    )
