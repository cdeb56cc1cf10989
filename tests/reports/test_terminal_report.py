"""The terminal summary: counts first, failures by rule, capped, coloured only on request."""

from __future__ import annotations

from enforcer.model.values import Severity, Status, SubjectKind
from enforcer.reports.terminal import MAX_SUBJECTS, TerminalReporter

from .conftest import make_finding, make_result


def test_summary_comes_first_then_failures_by_rule(ordinary) -> None:
    out = TerminalReporter().render(ordinary)
    lines = out.splitlines()
    assert lines[0] == "Enforcer report: Test Primary School"
    assert "as of 2025-01-15T02:00:00Z" in lines[1]
    assert "Run complete" in out
    assert "Findings: 6 (2 pass, 2 fail, 1 error, 1 excepted)" in out
    assert out.index("Findings:") < out.index("Failures, by rule")
    assert out.index("[CRITICAL] laptop-encrypted") < out.index("[HIGH] staff-password-max-age")
    assert "account carol (demo): password last set is unknown" in out
    assert "1 failing finding(s) are covered by an exception" in out


def test_no_colour_unless_asked(ordinary) -> None:
    assert "\x1b[" not in TerminalReporter().render(ordinary)
    assert "\x1b[31m" in TerminalReporter().render(ordinary, color=True)


def test_incomplete_run_is_loud() -> None:
    out = TerminalReporter().render(make_result([], complete=False))
    assert "source ad (ad): FAILED, LDAP server unreachable" in out
    assert "Run INCOMPLETE" in out


def test_a_thousand_findings_stay_readable() -> None:
    findings = [
        make_finding("many", Status.FAIL, Severity.HIGH, SubjectKind.ACCOUNT, f"u{i:04}", f"user{i:04}")
        for i in range(1000)
    ]
    out = TerminalReporter().render(make_result(findings))
    assert out.count("account user") == MAX_SUBJECTS
    assert f"... and {1000 - MAX_SUBJECTS} more" in out
    assert len(out.splitlines()) < 40


def test_hostile_names_cannot_drive_the_terminal(hostile) -> None:
    out = TerminalReporter().render(hostile, color=False)
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out and "\u202e" not in out
    assert "... and 24 more" in out
    forged = make_result(
        [
            make_finding(
                "r",
                Status.FAIL,
                Severity.LOW,
                SubjectKind.ACCOUNT,
                "a",
                "x\nRun complete: every source was read.",
            )
        ],
        complete=False,
    )
    assert "Run complete" not in TerminalReporter().render(forged).replace("x\\nRun complete", "")
    few = make_result(
        [make_finding("r", Status.FAIL, Severity.LOW, SubjectKind.DEVICE, "d", "esc\x1b[2Jx\u202eyz")]
    )
    assert "device esc\\x1b[2Jx\\u202eyz (demo)" in TerminalReporter().render(few)
    assert max(len(line) for line in out.splitlines()) < 260
