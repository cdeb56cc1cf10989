"""Recording a run: a "started" row first, everything else in one transaction at the end.

Why two steps: a run that is killed half-way (OOM, ``kill -9``, a reboot) must
leave a visible trace, and must leave nothing half-written. The "started" row is
the trace; the findings, sources, tracker updates and the final state are one
transaction, so they are either all there or none. A "started" row that nobody
finalised is marked ``incomplete`` the next time a run begins (the run lock
guarantees it cannot belong to a live run).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from enforcer.model.values import Finding, RunResult, Status
from enforcer.store.codec import (
    FAILING,
    FINDING_COLUMNS,
    dumps,
    finding_row,
    loads,
    owner_of,
    parse_ts,
    row_finding,
    ts,
)
from enforcer.store.db import Database
from enforcer.store.diff import RunDiff, compute_diff

INTERRUPTED = "interrupted: the process stopped before the run was recorded"


@dataclass(frozen=True, slots=True)
class RunRow:
    id: str
    school: str
    started: datetime
    finished: datetime | None
    state: str
    """started | complete | incomplete"""
    reason: str | None
    counts: Mapping[str, int]
    changes: Mapping[str, int]
    against: str | None
    subjects: int | None = None
    """How many subjects the run saw: the base of the remediation cap's share."""


def mark_stale(db: Database, now: datetime) -> int:
    """Call only while holding the run lock: then no "started" run can still be alive."""
    return db.execute(
        "UPDATE runs SET state = 'incomplete', reason = ?, finished = ? WHERE state = 'started'",
        (INTERRUPTED, ts(now)),
    )


def source_counts(db: Database, run_id: str) -> dict[str, dict[str, int]]:
    """What each source of a recorded run yielded, by kind (accounts, devices, pupils, ...)."""
    rows = db.query("SELECT name, counts FROM run_sources WHERE run_id = ?", (run_id,))
    return {r["name"]: dict(loads(r["counts"]) or {}) for r in rows}


def changed(db: Database, run_id: str, change: str) -> list[dict[str, Any]]:
    """The run's findings with one change label (new, regressed, still_failing)."""
    return db.query(
        "SELECT rule, kind, subject_name, subject_id FROM run_findings WHERE run_id = ? "
        "AND change = ? ORDER BY rule, subject_id",
        (run_id, change),
    )


def schools(db: Database) -> list[str]:
    """Every school name the store has runs for."""
    return [r["school"] for r in db.query("SELECT DISTINCT school FROM runs ORDER BY school")]


def latest_id(db: Database, school: str | None = None) -> str | None:
    rows = list_runs(db, school, 1)
    return rows[0].id if rows else None


def abandon(db: Database, run_id: str, reason: str, now: datetime) -> None:
    """A run that ended before it was recorded (an error, Ctrl-C) is incomplete, with why."""
    db.execute(
        "UPDATE runs SET state = 'incomplete', reason = ?, finished = ? WHERE id = ? AND state = 'started'",
        (reason[:500], ts(now), run_id),
    )


def begin_run(db: Database, run_id: str, school: str, started: datetime) -> None:
    with db.transaction():
        mark_stale(db, started)
        db.execute(
            "INSERT INTO runs (id, school, started, state) VALUES (?, ?, ?, 'started')",
            (run_id, school, ts(started)),
        )


def record_run(
    db: Database,
    result: RunResult,
    subjects: int | None = None,
) -> RunDiff:
    """Write the whole run and its diff in one transaction; returns the diff.

    Each finding's owner (a device's assigned user) goes to the review queue."""
    owner = owner_of

    with db.transaction():
        prev = last_complete(db, result.school, before=result.run_id)
        previous = {f.fingerprint: f for f in run_findings(db, prev.id)} if prev else {}
        previous = {k: v for k, v in previous.items() if v.status in FAILING}
        fps = [
            f.fingerprint for f in result.findings if f.status in FAILING and f.fingerprint not in previous
        ]
        diff = compute_diff(
            result.run_id,
            result.findings,
            result.sources,
            previous,
            prev.id if prev else None,
            _failed_before(db, fps, ts(prev.started)) if prev else set(),
            evaluated=result.rules,
        )
        change = diff.change_of()
        if not db.one("SELECT id FROM runs WHERE id = ?", (result.run_id,)):
            db.execute(
                "INSERT INTO runs (id, school, started, state) VALUES (?, ?, ?, 'started')",
                (result.run_id, result.school, ts(result.started)),
            )
        db.executemany(
            "INSERT INTO run_sources (run_id, name, type, ok, error, counts) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (result.run_id, s.name, s.type, 1 if s.ok else 0, s.error, dumps(dict(s.counts)))
                for s in result.sources
            ],
        )
        stored = [f for f in result.findings if f.status != Status.PASS]
        marks = ", ".join("?" * 17)
        db.executemany(
            f"INSERT INTO run_findings ({FINDING_COLUMNS}) VALUES ({marks})",
            [finding_row(result.run_id, f, change.get(f.fingerprint), owner(f)) for f in stored],
        )
        _track(db, result, stored, owner)
        if subjects is None:
            subjects = len({(f.subject.kind, f.subject.source, f.subject.id) for f in result.findings})
        counts = result.counts()
        summ = diff.summary()
        failed = [s.name for s in result.sources if not s.ok]
        db.execute(
            "UPDATE runs SET finished = ?, as_of = ?, state = ?, reason = ?, pack_name = ?, "
            "pack_version = ?, subjects = ?, n_pass = ?, n_fail = ?, n_error = ?, n_excepted = ?, "
            "n_new = ?, n_fixed = ?, n_regressed = ?, n_unknown = ?, against = ? WHERE id = ?",
            (
                ts(result.finished),
                ts(result.as_of),
                "complete" if result.complete else "incomplete",
                f"source failed: {', '.join(failed)}" if failed else None,
                result.pack.name,
                result.pack.version,
                subjects,
                counts["pass"],
                counts["fail"],
                counts["error"],
                counts["excepted"],
                summ["new"],
                summ["fixed"],
                summ["regressed"],
                summ["unknown"],
                diff.against,
                result.run_id,
            ),
        )
    return diff


def _failed_before(db: Database, fingerprints: list[str], before: str) -> set[str]:
    """Fingerprints that failed in a run older than the one we compare against: "regressed"."""
    out: set[str] = set()
    for i in range(0, len(fingerprints), 500):
        chunk = fingerprints[i : i + 500]
        marks = ", ".join("?" * len(chunk))
        rows = db.query(
            "SELECT DISTINCT f.fingerprint FROM run_findings f JOIN runs r ON r.id = f.run_id "
            "WHERE r.started < ? AND f.status IN ('fail', 'excepted') "
            f"AND f.fingerprint IN ({marks})",
            (before, *chunk),
        )
        out.update(r["fingerprint"] for r in rows)
    return out


def _track(
    db: Database, result: RunResult, stored: list[Finding], owner_fn: Callable[[Finding], str | None]
) -> None:
    """The tracker: one row per fingerprint with first seen / opened / last seen / resolved."""
    now = ts(result.started)
    seen = set()
    for f in stored:
        seen.add(f.fingerprint)
        row = db.one("SELECT resolved FROM findings WHERE fingerprint = ?", (f.fingerprint,))
        owner = owner_fn(f)
        if row is None:
            db.execute(
                "INSERT INTO findings (fingerprint, school, rule, kind, subject_id, subject_name, "
                "source, owner, first_seen, opened, last_seen, resolved, last_status, last_run) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
                (
                    f.fingerprint,
                    result.school,
                    f.rule,
                    f.subject.kind.value,
                    f.subject.id,
                    f.subject.name,
                    f.subject.source,
                    owner,
                    now,
                    now,
                    now,
                    f.status.value,
                    result.run_id,
                ),
            )
        else:
            reopened = row["resolved"] is not None
            db.execute(
                "UPDATE findings SET subject_name = ?, owner = ?, last_seen = ?, last_status = ?, "
                "last_run = ?, resolved = NULL"
                + (", opened = ?" if reopened else "")
                + " WHERE fingerprint = ?",
                (
                    f.subject.name,
                    owner,
                    now,
                    f.status.value,
                    result.run_id,
                    *((now,) if reopened else ()),
                    f.fingerprint,
                ),
            )
    ok = [s.name for s in result.sources if s.ok]
    if not ok:
        return
    marks = ", ".join("?" * len(ok))
    open_rows = db.query(
        f"SELECT fingerprint, rule FROM findings WHERE school = ? AND resolved IS NULL "
        f"AND source IN ({marks})",
        (result.school, *ok),
    )
    ran = set(result.rules)
    gone = [
        (now, r["fingerprint"])
        for r in open_rows
        if r["fingerprint"] not in seen and (not ran or r["rule"] in ran)
    ]
    db.executemany(
        "UPDATE findings SET resolved = ?, marked_at = NULL, marked_by = NULL WHERE fingerprint = ?", gone
    )


def last_complete(db: Database, school: str, before: str | None = None) -> RunRow | None:
    cond, params = "", [school]
    if before:
        cond = " AND id <> ? AND started <= COALESCE((SELECT started FROM runs WHERE id = ?), started)"
        params += [before, before]
    row = db.one(
        f"SELECT * FROM runs WHERE school = ? AND state = 'complete'{cond} "
        "ORDER BY started DESC, id DESC LIMIT 1",
        params,
    )
    return _run(row) if row else None


def run_findings(db: Database, run_id: str) -> list[Finding]:
    return [
        row_finding(r)
        for r in db.query("SELECT * FROM run_findings WHERE run_id = ? ORDER BY rule, subject_id", (run_id,))
    ]


def list_runs(db: Database, school: str | None = None, limit: int = 20) -> list[RunRow]:
    where, params = ("WHERE school = ?", [school]) if school else ("", [])
    rows = db.query(f"SELECT * FROM runs {where} ORDER BY started DESC, id DESC LIMIT ?", (*params, limit))
    return [_run(r) for r in rows]


def get_run(db: Database, run_id: str) -> RunRow | None:
    row = db.one("SELECT * FROM runs WHERE id = ?", (run_id,))
    return _run(row) if row else None


def _run(r: Mapping[str, Any]) -> RunRow:
    counts = {k: r[f"n_{k}"] or 0 for k in ("pass", "fail", "error", "excepted")}
    changes = {k: r[f"n_{k}"] or 0 for k in ("new", "fixed", "regressed", "unknown")}
    return RunRow(
        r["id"],
        r["school"],
        parse_ts(r["started"]),
        parse_ts(r["finished"]) if r["finished"] else None,
        r["state"],
        r["reason"],
        counts,
        changes,
        r["against"],
        r["subjects"],
    )
