"""Forgetting on purpose: history older than the configured number of days is deleted.

Why: the store holds personal data (account names, device owners); keeping it
longer than needed breaks the storage-limitation principle of UK GDPR. Open
findings are never purged, whatever their age: they are still true today.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from enforcer.store.codec import ts
from enforcer.store.db import Database


def purge(db: Database, now: datetime, retention_days: int) -> dict[str, int]:
    cutoff = ts(now - timedelta(days=retention_days))
    out: dict[str, int] = {}
    with db.transaction():
        old = "SELECT id FROM runs WHERE started < ? AND state <> 'started'"
        out["run_findings"] = db.execute(f"DELETE FROM run_findings WHERE run_id IN ({old})", (cutoff,))
        out["run_sources"] = db.execute(f"DELETE FROM run_sources WHERE run_id IN ({old})", (cutoff,))
        out["actions"] = db.execute("DELETE FROM actions WHERE intent_at < ?", (cutoff,))
        out["runs"] = db.execute("DELETE FROM runs WHERE started < ? AND state <> 'started'", (cutoff,))
        out["notes"] = db.execute(
            "DELETE FROM notes WHERE fingerprint IN (SELECT fingerprint FROM findings "
            "WHERE resolved IS NOT NULL AND resolved < ?)",
            (cutoff,),
        )
        out["findings"] = db.execute(
            "DELETE FROM findings WHERE resolved IS NOT NULL AND resolved < ?", (cutoff,)
        )
        out["exceptions"] = db.execute(
            "DELETE FROM exceptions WHERE (removed IS NOT NULL AND removed < ?) OR expires < ?",
            (cutoff, cutoff[:10]),
        )
    return out
