"""The remediation audit log in the store: the store's side of :class:`AuditLog`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from enforcer.actions.interface import ActionPlan, ActionResult, AuditEntry, Outcome
from enforcer.model.values import Subject, SubjectKind
from enforcer.store.codec import dumps, loads, parse_ts, ts
from enforcer.store.db import Database


class StoreAuditLog:
    """Implements :class:`enforcer.actions.interface.AuditLog` over the ``actions`` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def log_intent(
        self, plan: ActionPlan, run_id: str | None, mode: str, now: datetime, undo_of: int | None = None
    ) -> int:
        s = plan.subject
        with self.db.transaction():
            return self.db.insert(
                "INSERT INTO actions (run_id, fingerprint, rule, action, kind, subject_id, subject_name, "
                "source, params, mode, intent_at, outcome, undo_of) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                (
                    run_id,
                    plan.finding,
                    plan.rule,
                    plan.action,
                    s.kind.value,
                    s.id,
                    s.name,
                    s.source,
                    dumps(dict(plan.params)),
                    mode,
                    ts(now),
                    undo_of,
                ),
            )

    def log_outcome(self, action_id: int, result: ActionResult) -> None:
        with self.db.transaction():
            self.db.execute(
                "UPDATE actions SET outcome = ?, outcome_at = ?, message = ?, previous = ?, new = ? "
                "WHERE id = ?",
                (
                    result.outcome.value,
                    ts(result.at),
                    result.message,
                    dumps(dict(result.previous)) if result.previous is not None else None,
                    dumps(dict(result.new)) if result.new is not None else None,
                    action_id,
                ),
            )

    def entries(self, *, run_id: str | None = None, action_id: int | None = None) -> list[AuditEntry]:
        if action_id is not None:
            rows = self.db.query("SELECT * FROM actions WHERE id = ?", (action_id,))
        elif run_id is not None:
            rows = self.db.query("SELECT * FROM actions WHERE run_id = ? ORDER BY id", (run_id,))
        else:
            return []
        return [_entry(r) for r in rows]

    def recent(self, limit: int = 200) -> list[AuditEntry]:
        """The newest entries first, for listings."""
        rows = self.db.query("SELECT * FROM actions ORDER BY id DESC LIMIT ?", (limit,))
        return [_entry(r) for r in rows]

    def undone_ids(self) -> set[int]:
        rows = self.db.query(
            "SELECT undo_of FROM actions WHERE undo_of IS NOT NULL AND outcome = ?", (Outcome.UNDONE.value,)
        )
        return {int(r["undo_of"]) for r in rows}

    def applied(self, run_id: str) -> list[AuditEntry]:
        rows = self.db.query(
            "SELECT * FROM actions WHERE run_id = ? AND undo_of IS NULL AND outcome = ? ORDER BY id",
            (run_id, Outcome.APPLIED.value),
        )
        return [_entry(r) for r in rows]


def _entry(r: Mapping[str, Any]) -> AuditEntry:
    plan = ActionPlan(
        action=r["action"],
        subject=Subject(SubjectKind(r["kind"]), r["subject_id"], r["subject_name"], r["source"]),
        rule=r["rule"] or "",
        finding=r["fingerprint"] or "",
        params=loads(r["params"]) or {},
        dry_run=r["mode"] != "enforce",
    )
    return AuditEntry(
        r["id"],
        r["run_id"],
        plan,
        r["mode"],
        parse_ts(r["intent_at"]),
        r["outcome"],
        parse_ts(r["outcome_at"]) if r["outcome_at"] else None,
        r["message"],
        loads(r["previous"]),
        loads(r["new"]),
        r["undo_of"],
    )
