"""A trust's or a contractor's estate: every school through the single-school pipeline.

Schools run concurrently (bounded by ``concurrency``), each exactly as a lone school
would, with its own pack, exceptions, history and reports in ``<reports>/<school id>/``.
Only per-school aggregates are kept, so memory grows with the number of schools running
at once, not with the estate. A school that fails (a source, or even its own pack) is
marked so in the combined report; the others are unaffected.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from enforcer.config import Config, SchoolConfig
from enforcer.logs import redact
from enforcer.model.errors import EnforcerError
from enforcer.model.values import PackInfo, RunResult, Status
from enforcer.pipeline.types import Interrupted, RunOptions, RunOutcome, SchoolSummary
from enforcer.reports.estate import render_html, render_json

log = logging.getLogger(__name__)
RunSchool = Callable[..., RunOutcome]
"""``run_school``, passed in so this module need not import the pipeline that imports it."""


def run_estate(config: Config, options: RunOptions, run_school: RunSchool) -> RunOutcome:
    """Every school, ``concurrency`` at a time, then the combined report.

    Ctrl-C or SIGTERM (a ``KeyboardInterrupt`` in the main thread, which is waiting here) stops
    the estate: no further school starts, the schools that are running stop at their next record
    and are recorded as interrupted (never complete), the estate report is still written with
    every school's state, and then the interrupt is raised again so the CLI exits as for a lone
    school (130 for Ctrl-C, 3 for SIGTERM)."""
    started = datetime.now(UTC)
    stop = threading.Event()
    options = replace(options, stop=stop)
    interrupted: KeyboardInterrupt | None = None
    lock = None
    if options.record:
        from enforcer.store import open_store, run_lock

        lock = run_lock(config).acquire()  # one lock for the whole estate; schools do not re-take it
    try:
        if options.record:
            open_store(config).close()  # create / migrate the store once, before schools share it
        pool = ThreadPoolExecutor(max_workers=config.model.concurrency, thread_name_prefix="school")
        futures: list[Future[SchoolSummary]] = []
        try:
            for school in config.schools:
                futures.append(pool.submit(_one, config, school, options, run_school))
            wait(futures)
        except KeyboardInterrupt as exc:
            interrupted = exc
            stop.set()  # before cancelling, so a school a worker has just taken sees it at once
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # running schools end at their next record
        summaries = _summaries(config.schools, futures)
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
    if interrupted is not None:
        stopped = sum(1 for s in summaries if s.stopped)
        interrupted.add_note(f"{stopped} of {len(summaries)} schools did not finish")
        for path in written:
            interrupted.add_note(f"estate report: {path}")
        raise interrupted
    return RunOutcome(result, tuple(written), schools=summaries)


def _summaries(
    schools: tuple[SchoolConfig, ...], futures: list[Future[SchoolSummary]]
) -> tuple[SchoolSummary, ...]:
    """One per school, in the configuration's order. A school whose turn never came (its future
    was cancelled, or the stop came before it was even queued) is ``not started``."""
    out: list[SchoolSummary] = []
    for i, school in enumerate(schools):
        f = futures[i] if i < len(futures) else None
        out.append(f.result() if f is not None and not f.cancelled() else _not_started(school))
    return tuple(out)


def _stopped(school: SchoolConfig, state: str, why: str) -> SchoolSummary:
    """Incomplete (exit 3) with nothing counted: a school the stop kept from finishing."""
    return SchoolSummary(
        id=school.id,
        name=school.name,
        complete=False,
        counts={},
        failing_by_rule={},
        failing_by_severity={},
        reports=(),
        exit_code=3,
        error=why,
        stopped=state,
    )


def _not_started(school: SchoolConfig) -> SchoolSummary:
    return _stopped(school, "not started", "not started: the estate run was stopped before its turn")


def _one(config: Config, school: SchoolConfig, options: RunOptions, run_school: RunSchool) -> SchoolSummary:
    one = config.for_school(school)
    opts = replace(
        options, reports_dir=Path(options.reports_dir) / school.id if options.reports_dir else None
    )
    try:
        if options.stop is not None and options.stop.is_set():
            return _not_started(school)  # taken from the queue just as the estate run was stopped
        if options.record:
            from enforcer.pipeline.history import RunHistory

            with RunHistory(one, take_lock=False) as history:
                outcome = run_school(one, opts, history)
        else:
            outcome = run_school(one, opts)
    except Interrupted as exc:
        log.warning("school %s: %s", school.id, exc)
        return _stopped(school, "interrupted", f"interrupted: {exc}")
    except EnforcerError as exc:
        log.warning("school %s failed: %s", school.id, exc)
        return SchoolSummary(school.id, school.name, False, {}, {}, {}, (), exc.exit_code, redact(str(exc)))
    except Exception as exc:
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
