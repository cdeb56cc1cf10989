"""Building blocks of the HTML report (tables, filters, summary, history).

Every function here receives already-escaped HTML or escapes through the ``esc`` it is
given; none of them puts a raw value into markup.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from enforcer.model.values import Finding, RunResult, Status
from enforcer.reports.common import (
    SEVERITIES_DESC,
    change_line,
    coverage_text,
    idle_warning,
    iso,
    source_counts_text,
    to_jsonable,
)
from enforcer.reports.interface import ReportExtras

Esc = Callable[[Any], str]


def json_text(value: Any) -> str:
    return json.dumps(to_jsonable(value), ensure_ascii=False, sort_keys=True)


def section(ident: str, title: str, body: str) -> str:
    return (
        f'<section id="{ident}" aria-labelledby="{ident}-h"><h2 id="{ident}-h">{title}</h2>{body}</section>'
    )


def table(ident: str, caption: str, head: Sequence[str], rows: Sequence[str], sortable: bool = True) -> str:
    """``head`` labels may end in ``|class`` to give the column a width class (``"Owner|w8"``)."""
    if not rows:
        return f'<p class="empty" id="{ident}">None.</p>'
    cells = []
    for h in head:
        label, _, cls = h.partition("|")
        attr = f' class="{cls}"' if cls else ""
        inner = f'<button type="button">{label}</button>' if sortable else label
        cells.append(f'<th scope="col"{attr}>{inner}</th>')
    cls = ' class="sortable"' if sortable else ""
    return (
        f'<table id="{ident}"{cls}><caption>{caption}</caption><thead><tr>{"".join(cells)}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def filter_form(table_id: str, with_status: bool) -> str:
    """Hidden until the script runs, so a reader without JavaScript sees no dead controls."""
    sev = "".join(f'<option value="{s.value}">{s.value}</option>' for s in SEVERITIES_DESC)
    statuses = "".join(
        f'<option value="{s.value}">{s.value}</option>' for s in Status if s is not Status.PASS
    )
    status = (
        (
            f'<label>Status<select data-attr="data-status"><option value="">any</option>{statuses}'
            "</select></label>"
        )
        if with_status
        else ""
    )
    return (
        f'<form class="filter toolbar" data-table="{table_id}" role="search" hidden>'
        f'<label>Filter<input type="search" placeholder="name, rule, message…"></label>'
        f'<label>Severity<select data-attr="data-severity"><option value="">any</option>{sev}</select></label>'
        f'{status}<output aria-live="polite"></output></form>'
    )


def severity_cell(f: Finding) -> str:
    s = f.severity.value
    return f'<td data-sort="{f.severity.rank}"><span class="badge s-{s}">{s}</span></td>'


def status_cell(f: Finding) -> str:
    s = f.status.value
    return f'<td><span class="st-{s}">{s}</span></td>'


def rule_details(
    first: Finding,
    items: list[Finding],
    name_html: Callable[[Finding], str],
    evidence_html: Callable[[Any], str],
    esc: Esc,
) -> str:
    """A collapsible list of one rule's non-passing findings (opened for printing by the script)."""
    if not items:
        return ""
    rows = [
        f'<tr data-status="{x.status.value}"><td>{name_html(x)}</td><td>{esc(x.subject.kind.value)}</td>'
        f"{status_cell(x)}<td>{esc(x.message)}{exception_note(x, esc)}</td><td>{evidence_html(x.evidence)}</td></tr>"
        for x in items
    ]
    ident = f"rule-{esc(first.rule)}"
    return (
        f'<details id="{ident}"><summary><span class="badge s-{first.severity.value}">'
        f"{first.severity.value}</span> {esc(first.rule)}: {esc(first.title)} ({len(items)})</summary>"
        f"<p><strong>Policy:</strong> {esc(first.clause)}<br><strong>Fix:</strong> "
        f"{esc(first.remediation.advice)}</p>"
        + table(
            f"{ident}-table",
            f"Findings for {esc(first.rule)}",
            ("Subject", "Kind", "Status", "Message", "Evidence"),
            rows,
        )
        + "</details>"
    )


def exception_note(f: Finding, esc: Esc) -> str:
    if f.status is not Status.EXCEPTED or not f.exception:
        return ""
    data = to_jsonable(dict(f.exception))
    text = "; ".join(f"{k}: {v if isinstance(v, str) else json_text(v)}" for k, v in data.items())
    return f'<br><span class="muted">Exception: {esc(text)}</span>'


def summary_section(result: RunResult, counts: dict[str, Any], esc: Esc) -> str:
    banner = (
        '<p class="banner complete">Run complete: every source was read.</p>'
        if result.complete
        else '<p class="banner incomplete" role="alert">Run INCOMPLETE: a source failed, so findings for '
        "its accounts and devices are missing. Do not treat this report as a clean bill of health.</p>"
    )
    cards = "".join(
        f'<li class="card {s}"><span class="n">{n}</span><span class="l">{s}</span></li>'
        for s, n in counts["by_status"].items()
    )
    sev = ", ".join(
        f'<span class="s-{s}">{n} {s}</span>' for s, n in counts["failing_by_severity"].items() if n
    )
    rows = [
        f"<tr><td>{esc(s.name)}</td><td>{esc(s.type)}</td>"
        f"<td>{'<span class=st-pass>ok</span>' if s.ok else '<span class=st-fail>failed</span>'}</td>"
        f"<td>{esc(source_counts_text(s.counts) if s.ok else (s.error or 'unknown error'))}</td></tr>"
        for s in result.sources
    ]
    warning = idle_warning(result)
    if warning is not None:
        banner += f'<p class="banner incomplete" role="alert">Warning: {esc(warning)}.</p>'
    banner += f"<p>Coverage: {esc(coverage_text(result))}.</p>"
    body = (
        banner + f'<ul class="cards" aria-label="Findings by status">{cards}</ul>'
        f"<p>{counts['total']} findings from {counts['rules']} rules; {counts['rules_failing']} rule(s) "
        f"failing. Failing by severity: {sev or 'none'}.</p>"
        + table(
            "sources-table",
            "Sources read in this run",
            ("Source", "Type", "State", "Records or error"),
            rows,
            sortable=False,
        )
    )
    return section("summary", "Summary", body)


def trend_svg(extras: ReportExtras, esc: Esc) -> str:
    """A small bar chart of failing findings per run (inline SVG: no script, no network)."""
    points = extras.trend[-30:]
    if not points:
        return '<p class="empty">No earlier runs recorded yet.</p>'
    width, height, pad = 720, 160, 24
    top = max(max(p.counts.get("fail", 0) for p in points), 1)
    step = (width - 2 * pad) / len(points)
    bars = []
    for i, p in enumerate(points):
        n = p.counts.get("fail", 0)
        h = (height - 2 * pad) * n / top
        x, y = pad + i * step, height - pad - h
        fill = "#b42318" if p.complete else "#98a2b3"
        bars.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}" height="{h:.1f}" '
            f'fill="{fill}"><title>{esc(iso(p.as_of))}: {n} failing'
            f"{'' if p.complete else ' (incomplete)'}</title></rect>"
        )
    labels = (
        f'<text x="{pad}" y="{height - 6}">{esc(iso(points[0].as_of))}</text>'
        f'<text x="{width - pad}" y="{height - 6}" text-anchor="end">{esc(iso(points[-1].as_of))}</text>'
        f'<text x="{pad}" y="14">max {top} failing</text>'
    )
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Failing findings over the last {len(points)} runs">{"".join(bars)}{labels}</svg>'
    )


def history_section(extras: ReportExtras, name_html: Callable[[Finding], str], esc: Esc) -> str:
    def listing(ident: str, caption: str, items: tuple[Finding, ...]) -> str:
        rows = [
            f"<tr {_attrs(f)}><td>{name_html(f)}</td>{severity_cell(f)}<td><span class=id>{esc(f.rule)}"
            f"</span><br>{esc(f.title)}</td><td>{esc(f.message)}</td></tr>"
            for f in sorted(items, key=lambda f: (-f.severity.rank, f.rule, f.subject.id))
        ]
        return table(ident, caption, ("Subject", "Severity", "Rule", "Message"), rows)

    prev = f" (compared with run {esc(extras.previous_run_id)})" if extras.previous_run_id else ""
    body = (
        f"<h3>Trend</h3>{trend_svg(extras, esc)}"
        f"<h3>New since the previous run{prev}: {len(extras.new)}</h3>"
        + listing("new-table", "Newly failing", extras.new)
        + f"<h3>Fixed since the previous run: {len(extras.fixed)}</h3>"
        + listing("fixed-table", "No longer failing", extras.fixed)
        + f"<h3>Changes enforcer made or planned in the directory: {len(extras.changes)}</h3>"
        + (
            "<ul>" + "".join(f"<li>{esc(change_line(r))}</li>" for r in extras.changes) + "</ul>"
            if extras.changes
            else "<p>None.</p>"
        )
    )
    return section("history", "Changes since the previous run", body)


def _attrs(f: Finding) -> str:
    return f'data-status="{f.status.value}" data-severity="{f.severity.value}"'
