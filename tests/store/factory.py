"""Building findings and run results for the store tests (no I/O)."""

from __future__ import annotations

import datetime as dt

from enforcer.model.values import (
    Finding,
    PackInfo,
    Remediation,
    RunResult,
    Severity,
    SourceStatus,
    Status,
    Subject,
    SubjectKind,
    fingerprint,
)

T0 = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)


def finding(
    rule: str,
    subject_id: str,
    status: Status = Status.FAIL,
    *,
    kind: SubjectKind = SubjectKind.DEVICE,
    source: str = "demo",
    name: str | None = None,
    severity: Severity = Severity.HIGH,
    action: str | None = None,
    evidence: dict | None = None,
) -> Finding:
    subj = Subject(kind, subject_id, name or subject_id.upper(), source)
    return Finding(
        rule=rule,
        title=f"{rule} title",
        status=status,
        severity=severity,
        subject=subj,
        evidence=evidence or {"value": False},
        message=f"{subject_id} breaks {rule}",
        clause="Devices: laptops are encrypted",
        remediation=Remediation("Fix it", action, {}),
        fingerprint=fingerprint(rule, subj),
    )


def result(
    run_id: str,
    findings: list[Finding],
    *,
    day: int = 0,
    failed: tuple[str, ...] = (),
    sources: tuple[str, ...] = ("demo",),
    school: str = "Demo Primary School",
) -> RunResult:
    start = T0 + dt.timedelta(days=day)
    srcs = tuple(
        SourceStatus(s, "demo", s not in failed, "unreachable" if s in failed else None) for s in sources
    )
    return RunResult(
        run_id=run_id,
        started=start,
        finished=start + dt.timedelta(minutes=1),
        as_of=start,
        school=school,
        pack=PackInfo("primary-school", "1", "policies/primary-school.yaml"),
        sources=srcs,
        findings=tuple(findings),
    )
