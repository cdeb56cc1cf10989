"""Helpers every format shares: one ordering, one clock format, one text cleaner.

Keeping these in one place is what makes the formats agree with each other (the
same findings in the same order, the same counts) and stay byte-stable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from enforcer.actions.interface import ActionResult
from enforcer.model.values import Finding, RunResult, Severity, Status
from enforcer.waivers import FALSE_POSITIVE

SCHEMA = "enforcer.report/1"
"""Bumped when a field is removed or changes meaning; new optional fields keep the number."""

SEVERITIES_DESC = tuple(sorted(Severity, key=lambda s: s.rank, reverse=True))

# C0/C1 controls except tab and newline, DEL, lone surrogates, and the bidi controls
# that can make "gpj.exe" look like "exe.jpg" (Trojan Source, CVE-2021-42574).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_NO_CR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
"""Embeddings, overrides and isolates; the plain marks (LRM, RLM) cannot hide text and stay."""


def finding_key(f: Finding) -> tuple[str, str, str, str]:
    """The one order for findings in every format: rule, subject kind, subject id (then source)."""
    return (f.rule, f.subject.kind.value, f.subject.id, f.subject.source)


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=finding_key)


def iso(value: datetime | date | None) -> str | None:
    """ISO 8601; datetimes in UTC with a ``Z``. A naive datetime is taken as already UTC."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    return value.isoformat()


def to_jsonable(value: Any) -> Any:
    """Evidence is meant to be JSON-safe already; be tolerant of dates, enums, sets and tuples."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, datetime | date):
        return iso(value)
    if isinstance(value, Mapping):
        return {scrub(str(k)): to_jsonable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, set | frozenset):
        return sorted((to_jsonable(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return scrub(str(value))


def scrub(text: str) -> str:
    """Replace lone surrogates (which cannot be written as UTF-8) and NUL with U+FFFD."""
    return re.sub("[\x00\ud800-\udfff]", "\ufffd", text)


def visible(text: str, *, keep_cr: bool = False) -> str:
    """For display: control and bidi characters become visible escapes (``\\x1b``, ``\\u202e``).

    Tab and newline stay; carriage return stays only where the format quotes it (CSV).
    """
    pattern = _CONTROL_NO_CR if keep_cr else _CONTROL
    text = pattern.sub(lambda m: _escape_char(m.group()), text)
    return _BIDI.sub(lambda m: _escape_char(m.group()), text)


def _escape_char(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def evidence_text(evidence: Mapping[str, Any]) -> str:
    """Compact, sorted ``key=value`` text for one-line displays."""
    parts = []
    for key, value in to_jsonable(dict(evidence)).items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
        parts.append(f"{key}={shown}")
    return "; ".join(parts)


def compact_json(value: Any) -> str:
    return json.dumps(to_jsonable(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def failing_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    out = {s.value: 0 for s in SEVERITIES_DESC}
    for f in findings:
        if f.status is Status.FAIL:
            out[f.severity.value] += 1
    return out


def group_by_rule(findings: Iterable[Finding], statuses: tuple[Status, ...]) -> list[list[Finding]]:
    """Findings with the given statuses, one list per rule, most severe rule first."""
    groups: dict[str, list[Finding]] = {}
    for f in sorted_findings(findings):
        if f.status in statuses:
            groups.setdefault(f.rule, []).append(f)
    for group in groups.values():
        group.sort(key=lambda f: (f.subject.kind.value, (f.subject.name or "").casefold(), f.subject.id))
    return sorted(groups.values(), key=lambda g: (-g[0].severity.rank, g[0].rule))


def source_counts_text(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "no records"


def false_positives(findings: Iterable[Finding]) -> int:
    """Excepted findings whose exception says the rule was wrong (``kind: false-positive``):
    counted apart from accepted risk so the pack gets fixed, while ``excepted`` keeps both."""
    return sum(
        1
        for f in findings
        if f.status is Status.EXCEPTED and (f.exception or {}).get("kind") == FALSE_POSITIVE
    )


def summary(result: RunResult) -> dict[str, Any]:
    """Counts shared by every format."""
    return {
        "total": len(result.findings),
        "by_status": result.counts(),
        "false_positive": false_positives(result.findings),
        "failing_by_severity": failing_by_severity(result.findings),
        "rules": len({f.rule for f in result.findings}),
        "rules_failing": len({f.rule for f in result.findings if f.status is Status.FAIL}),
        "coverage": dict(result.coverage),
        "idle_rules": list(result.idle_rules),
    }


def coverage_text(result: RunResult) -> str:
    """``accounts: 30 staff, 400 pupil; devices: 40 windows`` for summaries and the digest."""
    groups: dict[str, list[str]] = {}
    for key, n in result.coverage.items():
        kind, _, what = key.partition(":")
        groups.setdefault(f"{kind}s", []).append(f"{n} {what}")
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in groups.items()) or "nothing read"


def idle_warning(result: RunResult) -> str | None:
    """The sentence every format shows when rules applied to nobody, or None."""
    if not result.idle_rules:
        return None
    return (
        f"{len(result.idle_rules)} rule(s) applied to nobody this run ({', '.join(result.idle_rules)}): "
        "if the school has such accounts or devices, the identity configuration (roles, OUs, groups) "
        "or the source does not recognise them, and these promises were not checked"
    )


def change_line(r: ActionResult) -> str:
    """One plain line per change, shared by every format and the digest."""
    s = r.plan.subject
    text = f"{r.outcome.value}: {r.plan.action} on {s.kind.value} {s.name or s.id} ({r.plan.rule})"
    return scrub(text + (f": {r.message}" if r.message and r.outcome.value != "planned" else ""))
