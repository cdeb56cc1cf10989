"""A trust's or a contractor's estate: every school through the single-school pipeline.

Schools run concurrently (bounded by ``concurrency``), each exactly as a lone school
would, with its own pack, exceptions, history and reports in ``<reports>/<school id>/``.
Only per-school aggregates are kept, so memory grows with the number of schools running
at once, not with the estate. A school that fails (a source, or even its own pack) is
marked so in the combined report; the others are unaffected.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from enforcer.config import Config, SchoolConfig
from enforcer.logs import redact
from enforcer.model.errors import EnforcerError
from enforcer.model.values import PackInfo, RunResult, Status
from enforcer.pipeline.types import RunOptions, RunOutcome, SchoolSummary
from enforcer.reports.estate import render_html, render_json

log = logging.getLogger(__name__)
RunSchool = Callable[..., RunOutcome]
"""``run_school``, passed in so this module need not import the pipeline that imports it."""


def run_estate(config: Config, options: RunOptions, run_school: RunSchool) -> RunOutcome:
    started = datetime.now(UTC)
    lock = None
    if options.record:
        from enforcer.store import open_store, run_lock

        lock = run_lock(config).acquire()  # one lock for the whole estate; schools do not re-take it
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
