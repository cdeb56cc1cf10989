"""The estate's combined report: every school worst first, and the rules failing most widely.

Rendered from per-school summaries only, so memory does not grow with the estate's findings.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from typing import Any

from enforcer.model.values import RunResult
from enforcer.pipeline.types import RunOutcome, SchoolSummary
from enforcer.reports.common import scrub, visible

SCHEMA = "enforcer.estate/1"


def _worst_first(summaries: tuple[SchoolSummary, ...]) -> list[SchoolSummary]:
    def key(s: SchoolSummary) -> tuple[int, ...]:
        sev = s.failing_by_severity
        return (
            -int(not s.complete),
            -sev.get("critical", 0),
            -sev.get("high", 0),
            -s.counts.get("fail", 0),
            -s.counts.get("error", 0),
        )

    return sorted(summaries, key=key)


def _rules(summaries: tuple[SchoolSummary, ...]) -> list[dict[str, Any]]:
    total: Counter[str] = Counter()
    schools: Counter[str] = Counter()
    for s in summaries:
        total.update(s.failing_by_rule)
        schools.update(s.failing_by_rule.keys())
    return [{"rule": rule, "failing": n, "schools": schools[rule]} for rule, n in total.most_common()]


def render_json(summaries: tuple[SchoolSummary, ...], result: RunResult) -> str:
    doc = {
        "schema": SCHEMA,
        "run": {
            "id": result.run_id,
            "as_of": result.as_of.isoformat(),
            "schools": len(summaries),
            "complete": all(s.complete for s in summaries),
            "interrupted": any(s.stopped for s in summaries),
        },
        "schools": [
            {
                "id": s.id,
                "name": s.name,
                "complete": s.complete,
                "state": s.state,
                "error": s.error,
                "counts": s.counts,
                "failing_by_severity": s.failing_by_severity,
                "exit_code": s.exit_code,
                "reports": [str(p) for p in s.reports],
            }
            for s in _worst_first(summaries)
        ],
        "rules": _rules(summaries),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render_table(outcome: RunOutcome) -> str:
    lines = [f"Estate run: {len(outcome.schools)} schools", ""]
    lines.append(f"{'school':<28} {'state':<11} {'fail':>6} {'error':>6} {'crit':>5} {'high':>5}")
    for s in _worst_first(outcome.schools):
        state = s.state if s.complete else s.state.upper()
        lines.append(
            f"{visible(scrub(s.name))[:28]:<28} {state:<11} {s.counts.get('fail', 0):>6} {s.counts.get('error', 0):>6} "
            f"{s.failing_by_severity.get('critical', 0):>5} {s.failing_by_severity.get('high', 0):>5}"
        )
        if s.error:
            lines.append(f"    {visible(scrub(s.error))[:200]}")
    lines += ["", "Rules failing most:"]
    for r in _rules(outcome.schools)[:10]:
        lines.append(f"  {r['rule']:<40} {r['failing']:>6} in {r['schools']} school(s)")
    return "\n".join(lines) + "\n"


def render_html(summaries: tuple[SchoolSummary, ...], result: RunResult) -> str:
    def e(text: str) -> str:
        return html.escape(visible(scrub(text)), quote=True)

    rows = "".join(
        f"<tr><td>{e(s.name)}</td><td>{'complete' if s.complete else f'<strong>{e(s.state)}</strong>'}</td>"
        f"<td>{s.counts.get('fail', 0)}</td><td>{s.counts.get('error', 0)}</td>"
        f"<td>{s.failing_by_severity.get('critical', 0)}</td><td>{s.failing_by_severity.get('high', 0)}</td>"
        f"<td>{e(s.error or '')}</td><td>{e(s.id)}/</td></tr>"
        for s in _worst_first(summaries)
    )
    rules = "".join(
        f"<tr><td>{e(r['rule'])}</td><td>{r['failing']}</td><td>{r['schools']}</td></tr>"
        for r in _rules(summaries)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Estate compliance: {len(summaries)} schools</title>
<style>body{{font:14px system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}th{{background:#eee}}</style></head><body>
<h1>Estate compliance: {len(summaries)} schools</h1><p>As of {e(result.as_of.isoformat())}.
Each school's full report is in its own folder.</p>
<h2>Schools, worst first</h2><table><thead><tr><th>School</th><th>State</th><th>Failing</th><th>Errors</th>
<th>Critical</th><th>High</th><th>Problem</th><th>Reports</th></tr></thead><tbody>{rows}</tbody></table>
<h2>Rules failing most</h2><table><thead><tr><th>Rule</th><th>Failing</th><th>Schools</th></tr></thead>
<tbody>{rules}</tbody></table></body></html>
"""
