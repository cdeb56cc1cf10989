"""The summary a technician reads in a terminal: counts first, then what to fix, by rule.

Readable at a thousand findings: each rule lists at most ``MAX_SUBJECTS`` subjects and
then "... and N more" (the file reports have everything). Directory data is hostile,
so control and bidi characters are shown as escapes: a display name must not be able
to move the cursor, recolour the screen or reverse the text around it.
"""

from __future__ import annotations

from collections.abc import Callable

from enforcer.model.values import Finding, RunResult, Severity, Status
from enforcer.reports.common import (
    change_line,
    coverage_text,
    group_by_rule,
    idle_warning,
    iso,
    source_counts_text,
    summary,
    visible,
)
from enforcer.reports.interface import ReportExtras

MAX_SUBJECTS = 10
MAX_NAME = 48
MAX_MESSAGE = 120

_RESET = "\x1b[0m"
_STYLE = {
    "bold": "\x1b[1m",
    "dim": "\x1b[2m",
    "red": "\x1b[31m",
    "green": "\x1b[32m",
    "yellow": "\x1b[33m",
    "magenta": "\x1b[35m",
    "cyan": "\x1b[36m",
}
_SEVERITY_STYLE = {
    Severity.CRITICAL: "magenta",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
_STATUS_STYLE = {Status.PASS: "green", Status.FAIL: "red", Status.ERROR: "yellow", Status.EXCEPTED: "cyan"}


def _short(text: str | None, limit: int) -> str:
    if text is None:
        return "(no name)"
    shown = visible(text).replace("\n", "\\n").replace("\t", "\\t")  # one finding, one line
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


class TerminalReporter:
    name = "table"
    extension = "txt"

    def render(self, result: RunResult, *, color: bool = False, extras: ReportExtras | None = None) -> str:
        def paint(text: str, style: str) -> str:
            return f"{_STYLE[style]}{text}{_RESET}" if color else text

        counts = summary(result)
        out: list[str] = []
        out.append(paint(f"Enforcer report: {_short(result.school, 80)}", "bold"))
        out.append(
            f"Pack {_short(result.pack.name, 60)} {_short(result.pack.version, 20)}, "
            f"as of {iso(result.as_of)}, run {_short(result.run_id, 60)}"
        )
        for s in result.sources:
            state = paint("ok", "green") if s.ok else paint("FAILED", "red")
            detail = source_counts_text(s.counts) if s.ok else _short(s.error or "unknown error", 160)
            out.append(f"  source {_short(s.name, 40)} ({_short(s.type, 20)}): {state}, {detail}")
        if result.complete:
            out.append("Run complete: every source was read.")
        else:
            out.append(paint("Run INCOMPLETE: a source failed; results for it are missing.", "red"))
        parts = [
            paint(f"{n} {st}", _STATUS_STYLE[Status(st)]) if n else f"{n} {st}"
            for st, n in counts["by_status"].items()
        ]
        out.append(f"Findings: {counts['total']} ({', '.join(parts)})")
        out.append(visible(f"Coverage: {coverage_text(result)}"))
        if (warning := idle_warning(result)) is not None:
            out.append(paint(visible(f"Warning: {warning}"), "red"))
        sev = [f"{n} {s}" for s, n in counts["failing_by_severity"].items() if n]
        out.append(f"Failing by severity: {', '.join(sev) if sev else 'none'}")
        if extras is not None:
            out.append(f"Since the previous run: {len(extras.new)} new, {len(extras.fixed)} fixed")
            acted = [r for r in extras.changes if r.outcome.value != "planned"]
            planned = len(extras.changes) - len(acted)
            if extras.changes:
                out.append(
                    f"Directory changes: {len(acted)} made or attempted, {planned} only planned (dry run)"
                )
            for r in acted:
                out.append(visible("  " + change_line(r)))

        for heading, status in (("Failures", Status.FAIL), ("Could not evaluate (errors)", Status.ERROR)):
            groups = group_by_rule(result.findings, (status,))
            if not groups:
                continue
            out.append("")
            out.append(paint(f"{heading}, by rule ({sum(map(len, groups))}):", "bold"))
            for group in groups:
                out.extend(self._rule_block(group, paint))
        excepted = counts["by_status"].get(Status.EXCEPTED.value, 0)
        if excepted:
            wrong = counts["false_positive"]
            out.append("")
            out.append(
                f"{excepted} failing finding(s) are covered by an exception (see the file reports): "
                f"{excepted - wrong} accepted risk, {wrong} false positive"
                + (" (the rule misjudged these: fix the pack)" if wrong else "")
                + "."
            )
        return "\n".join(out) + "\n"

    @staticmethod
    def _rule_block(group: list[Finding], paint: Callable[[str, str], str]) -> list[str]:
        first = group[0]
        tag = paint(f"[{first.severity.value.upper()}]", _SEVERITY_STYLE[first.severity])
        lines = [f"{tag} {_short(first.rule, 60)}: {_short(first.title, 90)} ({len(group)})"]
        for f in group[:MAX_SUBJECTS]:
            who = _short(f.subject.name or f.subject.id, MAX_NAME)
            lines.append(
                f"    {f.subject.kind.value} {who} ({_short(f.subject.source, 40)}): "
                f"{_short(f.message, MAX_MESSAGE)}"
            )
        if len(group) > MAX_SUBJECTS:
            lines.append(paint(f"    ... and {len(group) - MAX_SUBJECTS} more", "dim"))
        return lines
