"""One self-contained HTML file: summary, devices to fix, by person, by rule.

Three layers keep directory data from ever running as code in the reader's browser:
every value goes through ``html.escape(quote=True)``; names sit in ``<bdi>`` with
control and bidi characters shown as escapes; and a Content-Security-Policy allows
only our own inline script and style, by hash, so markup that slipped through could
still not run a script or load anything from the network.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from enforcer.model.values import Finding, RunResult, Status, SubjectKind
from enforcer.reports import html_parts as parts
from enforcer.reports.common import iso, sorted_findings, summary, to_jsonable, visible
from enforcer.reports.interface import ReportExtras


def esc(value: Any) -> str:
    """Escape any value for text or a quoted attribute, making invisible controls visible."""
    return html.escape(visible("" if value is None else str(value)), quote=True)


@cache
def _asset(name: str) -> str:
    return (resources.files("enforcer.reports") / "templates" / name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def content_security_policy(script: str, style: str) -> str:
    return (
        "default-src 'none'; script-src "
        + _csp_hash(script)
        + "; style-src "
        + _csp_hash(style)
        + "; img-src data:; base-uri 'none'; form-action 'none'"
    )


def evidence_html(evidence: Mapping[str, Any]) -> str:
    data = to_jsonable(dict(evidence))
    if not data:
        return '<span class="muted">none</span>'
    items = []
    for key, value in data.items():
        shown = value if isinstance(value, str) else parts.json_text(value)
        items.append(f'<li><span class="k">{esc(key)}</span>: <bdi>{esc(shown)}</bdi></li>')
    return '<ul class="ev">' + "".join(items) + "</ul>"


def name_html(f: Finding) -> str:
    name = f.subject.name
    shown = f"<bdi>{esc(name)}</bdi>" if name else '<span class="muted">(no name)</span>'
    return f'{shown}<br><span class="id"><bdi>{esc(f.subject.id)}</bdi> · {esc(f.subject.source)}</span>'


def owner_of(f: Finding) -> str | None:
    return f.subject.owner or None


def _row_attrs(f: Finding) -> str:
    return f'data-status="{esc(f.status.value)}" data-severity="{esc(f.severity.value)}"'


def _devices(findings: list[Finding]) -> str:
    todo = [
        f
        for f in findings
        if f.subject.kind is SubjectKind.DEVICE and f.status in (Status.FAIL, Status.ERROR)
    ]
    todo.sort(key=lambda f: (-f.severity.rank, (f.subject.name or "").casefold(), f.subject.id, f.rule))
    rows = []
    for f in todo:
        owner = owner_of(f)
        rows.append(
            f"<tr {_row_attrs(f)}><td>{name_html(f)}</td>"
            f"<td>{f'<bdi>{esc(owner)}</bdi>' if owner else '<span class=muted>not reported</span>'}</td>"
            f"{parts.severity_cell(f)}{parts.status_cell(f)}"
            f"<td><strong>{esc(f.title)}</strong><br>{esc(f.message)}<br>"
            f'<span class="id">{esc(f.rule)}</span></td>'
            f"<td>{evidence_html(f.evidence)}</td><td>{esc(f.remediation.advice)}</td></tr>"
        )
    head = ("Device|w11", "Owner|w8", "Severity", "Status", "What is wrong|w16", "Evidence|w14", "Fix|w14")
    devices = len({(f.subject.source, f.subject.id) for f in todo})
    intro = (
        f"<p>{devices} device(s) with {len(todo)} problem(s) to fix or check, most severe first. "
        "“error” means the device did not report the setting, so it could not be checked.</p>"
    )
    return parts.section(
        "devices",
        "Devices to fix",
        intro
        + parts.filter_form("devices-table", True)
        + parts.table("devices-table", "Non-compliant devices", head, rows),
    )


def _people(findings: list[Finding]) -> str:
    people: dict[tuple[str, str, str], list[Finding]] = {}
    for f in findings:
        if f.subject.kind in (SubjectKind.ACCOUNT, SubjectKind.PUPIL) and f.status is not Status.PASS:
            people.setdefault((f.subject.kind.value, f.subject.source, f.subject.id), []).append(f)
    ordered = sorted(
        people.values(),
        key=lambda g: (
            -max(x.severity.rank for x in g),
            (g[0].subject.name or "").casefold(),
            g[0].subject.id,
        ),
    )
    rows = []
    for group in ordered:
        worst = max(group, key=lambda x: x.severity.rank)
        statuses = " ".join(sorted({x.status.value for x in group}))
        issues = "".join(
            f'<li><span class="st-{esc(x.status.value)}">{esc(x.status.value)}</span> '
            f"{esc(x.title)}: {esc(x.message)}</li>"
            for x in group
        )
        rows.append(
            f'<tr data-status="{esc(statuses)}" data-severity="{esc(worst.severity.value)}">'
            f"<td>{name_html(group[0])}</td><td>{esc(group[0].subject.kind.value)}</td>"
            f'<td class="num">{len(group)}</td>{parts.severity_cell(worst)}'
            f'<td><ul class="issues">{issues}</ul></td></tr>'
        )
    head = ("Person|w11", "Kind", "Issues", "Worst severity", "What is wrong|w20")
    intro = f"<p>{len(rows)} account(s) or pupil(s) with at least one finding that is not a pass.</p>"
    return parts.section(
        "people",
        "By person",
        intro
        + parts.filter_form("people-table", True)
        + parts.table("people-table", "Accounts and pupils with findings", head, rows),
    )


def _rules(findings: list[Finding]) -> str:
    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule, []).append(f)
    ordered = sorted(by_rule.values(), key=lambda g: (-g[0].severity.rank, g[0].rule))
    rows, details = [], []
    for group in ordered:
        first = group[0]
        n = {s: sum(1 for x in group if x.status is s) for s in Status}
        worst = "fail" if n[Status.FAIL] else "error" if n[Status.ERROR] else "pass"
        rows.append(
            f'<tr data-status="{worst}" data-severity="{esc(first.severity.value)}">'
            f'<td><a href="#rule-{esc(first.rule)}"><span class="id">{esc(first.rule)}</span></a><br>'
            f"{esc(first.title)}</td>{parts.severity_cell(first)}"
            + "".join(
                f'<td class="num">{n[s]}</td>'
                for s in (Status.FAIL, Status.ERROR, Status.EXCEPTED, Status.PASS)
            )
            + f"<td>{esc(first.clause)}</td></tr>"
        )
        details.append(
            parts.rule_details(
                first, [x for x in group if x.status is not Status.PASS], name_html, evidence_html, esc
            )
        )
    head = ("Rule|w16", "Severity", "Fail", "Error", "Excepted", "Pass", "Policy clause|w16")
    body = (
        parts.filter_form("rules-table", False)
        + parts.table("rules-table", "Every rule in the pack", head, rows)
        + "<h3>Findings by rule</h3>"
        + ("".join(details) or '<p class="empty">Nothing to show.</p>')
    )
    return parts.section("rules", "By rule", body)


class HtmlReporter:
    name = "html"
    extension = "html"

    def render(self, result: RunResult, *, color: bool = False, extras: ReportExtras | None = None) -> str:
        script, style = _asset("report.js"), _asset("report.css")
        findings = sorted_findings(result.findings)
        sections = [parts.summary_section(result, summary(result), esc)]
        if extras is not None:
            sections.append(parts.history_section(extras, name_html, esc))
        sections += [_devices(findings), _people(findings), _rules(findings)]
        nav = (
            [("summary", "Summary")]
            + ([("history", "Changes")] if extras is not None else [])
            + [("devices", "Devices to fix"), ("people", "By person"), ("rules", "By rule")]
        )
        meta = [
            ("As of", iso(result.as_of)),
            ("Policy pack", f"{result.pack.name} {result.pack.version}"),
            ("Run", result.run_id),
            ("Started", iso(result.started)),
            ("Finished", iso(result.finished)),
        ]
        return "".join(
            [
                '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n',
                f'<meta http-equiv="Content-Security-Policy" content="{esc(content_security_policy(script, style))}">\n',
                '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
                '<meta name="referrer" content="no-referrer">\n',
                f"<title>Compliance report: {esc(result.school)} ({esc(iso(result.as_of))})</title>\n",
                f"<style>{style}</style>\n</head>\n<body>\n<header>\n<h1>Security policy compliance report</h1>\n",
                f'<p class="school"><bdi>{esc(result.school)}</bdi></p>\n<dl class="meta">',
                "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in meta),
                '</dl>\n</header>\n<nav aria-label="Sections">',
                "".join(f'<a href="#{i}">{esc(t)}</a>' for i, t in nav),
                "</nav>\n<main>\n",
                "\n".join(sections),
                "\n</main>\n",
                "<footer>Generated by enforcer. Passing checks are counted here; the JSON and CSV reports "
                "list every finding.</footer>\n",
                f"<script>{script}</script>\n</body>\n</html>\n",
            ]
        )
