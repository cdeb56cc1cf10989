"""One row per finding, for spreadsheets (columns in docs/report-schema.md).

Spreadsheets execute cells that look like formulas, and a display name is attacker-
controlled data, so every cell that could start a formula is prefixed with ``'``
(OWASP's CSV-injection advice). The text starts with a UTF-8 byte order mark so that
Excel on Windows reads non-ASCII names correctly instead of guessing a code page.
Control characters and bidi overrides are written as visible escapes (``\x1b``,
``\u202e``) so that ``cat`` or a spreadsheet shows what is there; the JSON report keeps
the original text.
"""

from __future__ import annotations

import csv
import io

from enforcer.model.values import Finding, RunResult
from enforcer.reports.common import compact_json, iso, sorted_findings, visible
from enforcer.reports.interface import ReportExtras

BOM = "\ufeff"
COLUMNS = (
    "rule",
    "title",
    "status",
    "severity",
    "subject_kind",
    "subject_id",
    "subject_name",
    "subject_source",
    "subject_owner",
    "message",
    "evidence",
    "clause",
    "remediation_advice",
    "remediation_action",
    "fingerprint",
    "exception",
    "run_id",
    "as_of",
)
MAX_CELL = 32_000
"""Excel's cell limit is 32,767 characters; longer text is cut and marked, the JSON has it whole."""
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""Formula starters, including the full-width forms some spreadsheets normalise."""


def safe_cell(value: str | None) -> str:
    """Neutralise formula starters, also after leading whitespace, and cap the length."""
    if value is None:
        return ""
    text = visible(value, keep_cr=True)
    if len(text) > MAX_CELL:
        text = text[:MAX_CELL] + "…[truncated]"
    stripped = text.lstrip(" \t\r\n\v\f\u00a0")
    if text[:1] in _TRIGGERS or stripped[:1] in _TRIGGERS:
        text = "'" + text
    return text


def row(f: Finding, result: RunResult) -> list[str]:
    return [
        safe_cell(v)
        for v in (
            f.rule,
            f.title,
            f.status.value,
            f.severity.value,
            f.subject.kind.value,
            f.subject.id,
            f.subject.name,
            f.subject.source,
            f.subject.owner,
            f.message,
            compact_json(dict(f.evidence)),
            f.clause,
            f.remediation.advice,
            f.remediation.action,
            f.fingerprint,
            compact_json(dict(f.exception)) if f.exception is not None else None,
            result.run_id,
            iso(result.as_of),
        )
    ]


class CsvReporter:
    name = "csv"
    extension = "csv"

    def render(self, result: RunResult, *, color: bool = False, extras: ReportExtras | None = None) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for f in sorted_findings(result.findings):
            writer.writerow(row(f, result))
        return BOM + buf.getvalue()
