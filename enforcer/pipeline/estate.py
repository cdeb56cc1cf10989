"""A trust's or a contractor's estate: every school through the single-school pipeline.

Schools run concurrently (bounded by ``concurrency``), each exactly as a lone school
would, with its own pack, exceptions, history and reports in ``<reports>/<school id>/``.
Only per-school aggregates are kept, so memory grows with the number of schools running
at once, not with the estate. A school that fails (a source, or even its own pack) is
marked so in the combined report; the others are unaffected.
"""

from __future__ import annotations

import html
import json
import logging
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from enforcer.config import Config, SchoolConfig
from enforcer.model.errors import EnforcerError
from enforcer.logs import redact
from enforcer.model.values import PackInfo, RunResult, Status
from enforcer.reports.common import scrub, visible
from enforcer.pipeline.run import RunOptions, RunOutcome, SchoolSummary

log = logging.getLogger(__name__)
SCHEMA = "enforcer.pipeline.estate/1"
RunSchool = Callable[..., RunOutcome]


def run_estate(config: Config, options: RunOptions, run_school: RunSchool) -> RunOutcome:
    started = datetime.now(UTC)
    lock = None
    if options.record:
        from enforcer.store import open_store, run_lock

        lock = run_lock().acquire()  # one lock for the whole estate; schools do not re-take it
    try:
        if options.record:
            open_store(config).close()  # create / migrate the store once, before schools share it
        with ThreadPoolExecutor(max_workers=config.model.concurrency, thread_name_prefix="school") as pool:
            futures = [pool.submit(_one, config, school, options, run_school) for school in config.schools]
            summaries = tuple(f.result() for f in futures)
    finally:
        if lock is not None:
            lock.release()
    result = RunResult(
        run_id=started.strftime("%Y%m%dT%H%M%SZ") + "-estate",
        started=started,
        finished=datetime.now(UTC),
        as_of=options.as_of or started,
        school=f"{len(summaries)} schools",
        pack=PackInfo("estate", "-", ""),
        sources=(),
        findings=(),
    )
    written: list[Path] = []
    if options.reports_dir is not None:
        from enforcer.reports.writer import write_file

        written.append(
            write_file(
                Path(options.reports_dir) / "estate-report.json",
                render_json(summaries, result).encode("utf-8"),
            )
        )
        written.append(
            write_file(
                Path(options.reports_dir) / "estate-report.html",
                render_html(summaries, result).encode("utf-8"),
            )
        )
    return RunOutcome(result, tuple(written), schools=summaries)


def _one(config: Config, school: SchoolConfig, options: RunOptions, run_school: RunSchool) -> SchoolSummary:
    one = config.for_school(school)
    opts = replace(
        options, reports_dir=Path(options.reports_dir) / school.id if options.reports_dir else None
    )
    try:
        if options.record:
            from enforcer.pipeline.history import RunHistory

            with RunHistory(one, take_lock=False) as history:
                outcome = run_school(one, opts, history)
        else:
            outcome = run_school(one, opts)
    except EnforcerError as exc:
        log.warning("school %s failed: %s", school.id, exc)
        return SchoolSummary(school.id, school.name, False, {}, {}, {}, (), exc.exit_code, redact(str(exc)))
    except Exception as exc:  # noqa: BLE001 - a bug in one school is recorded for it (exit 4), not lost
        log.exception("school %s: internal error", school.id)
        return SchoolSummary(
            school.id,
            school.name,
            False,
            {},
            {},
            {},
            (),
            4,
            redact(f"internal error ({type(exc).__name__}): {exc}"),
        )
    return summarise(school, outcome)


def summarise(school: SchoolConfig, outcome: RunOutcome) -> SchoolSummary:
    r = outcome.result
    failing = [f for f in r.findings if f.status in (Status.FAIL, Status.ERROR)]
    error = "; ".join(f"{s.name}: {s.error}" for s in r.sources if not s.ok) or None
    return SchoolSummary(
        id=school.id,
        name=school.name,
        complete=r.complete,
        counts=r.counts(),
        failing_by_rule=dict(Counter(f.rule for f in failing)),
        failing_by_severity=dict(Counter(f.severity.value for f in failing if f.status is Status.FAIL)),
        reports=outcome.reports,
        exit_code=outcome.exit_code,
        error=error,
    )


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
        },
        "schools": [
            {
                "id": s.id,
                "name": s.name,
                "complete": s.complete,
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
        state = "complete" if s.complete else "INCOMPLETE"
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
        f"<tr><td>{e(s.name)}</td><td>{'complete' if s.complete else '<strong>incomplete</strong>'}</td>"
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
