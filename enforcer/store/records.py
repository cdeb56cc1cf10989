"""Exceptions, notes and review-queue rows in the store (the audit log is ``store.audit``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from enforcer.model.errors import UsageError
from enforcer.model.parse import ascii_int
from enforcer.store.codec import dumps, loads, parse_ts, ts
from enforcer.store.db import Database
from enforcer.waivers import PolicyException

# -- exceptions ----------------------------------------------------------------------------


def add_exception(db: Database, e: PolicyException, now: datetime) -> PolicyException:
    row: dict[str, Any] = {
        "rule": e.rule,
        "fingerprint": e.fingerprint,
        "subject": e.subject,
        "selector": dumps(dict(e.selector)) if e.selector else None,
        "reason": e.reason,
        "approver": e.approver,
        "expires": e.expires.isoformat(),
        "school": e.school,
        "source": e.source,
        "kind": e.kind,
    }
    with db.transaction():
        new_id = db.insert(
            f"INSERT INTO exceptions ({', '.join(row)}, created) VALUES ({', '.join('?' * (len(row) + 1))})",
            (*row.values(), ts(now)),
        )
    return _exc({**row, "id": new_id})


def list_exceptions(
    db: Database, include_expired: bool = True, on: date | None = None
) -> list[PolicyException]:
    rows = db.query("SELECT * FROM exceptions WHERE removed IS NULL ORDER BY id")
    out = [_exc(r) for r in rows]
    if not include_expired and on is not None:
        out = [e for e in out if e.active(on)]
    return out


def remove_exception(db: Database, exc_id: int, now: datetime) -> None:
    with db.transaction():
        if not db.execute(
            "UPDATE exceptions SET removed = ? WHERE id = ? AND removed IS NULL", (ts(now), exc_id)
        ):
            raise UsageError(f"no exception {exc_id} in the store")


def _exc(r: Mapping[str, Any]) -> PolicyException:
    return PolicyException(
        rule=r["rule"],
        reason=r["reason"],
        approver=r["approver"],
        expires=date.fromisoformat(r["expires"]),
        fingerprint=r["fingerprint"],
        subject=r["subject"],
        selector=loads(r["selector"]),
        id=f"store:{r['id']}",
        school=r["school"],
        source=r["source"],
        kind=r["kind"],
    )


def tracked(db: Database, fingerprints: Iterable[str]) -> dict[str, QueueItem]:
    """The tracker's row for each fingerprint it knows (for naming an exception's subject)."""
    wanted = sorted(set(fingerprints))
    if not wanted:
        return {}
    rows = db.query(f"{_ITEM_SELECT} WHERE f.fingerprint IN ({', '.join('?' * len(wanted))})", wanted)
    return {r["fingerprint"]: _item(r) for r in rows}


# -- review queue --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: int
    fingerprint: str
    school: str
    rule: str
    kind: str
    subject_id: str
    subject_name: str | None
    source: str
    owner: str | None
    opened: datetime
    first_seen: datetime
    last_seen: datetime
    status: str
    marked_at: datetime | None
    marked_by: str | None
    severity: str = ""
    title: str = ""
    message: str = ""
    advice: str = ""
    evidence: Mapping[str, Any] | None = None

    def age_days(self, now: datetime) -> int:
        return max(0, (now - self.opened).days)


def queue(
    db: Database,
    now: datetime,
    school: str | None = None,
    rule: str | None = None,
    kind: str | None = None,
    min_age_days: int = 0,
    statuses: tuple[str, ...] = ("fail", "error"),
) -> list[QueueItem]:
    cond = ["f.resolved IS NULL", f"f.last_status IN ({', '.join('?' * len(statuses))})"]
    params: list[Any] = list(statuses)
    for col, val in (("school", school), ("rule", rule), ("kind", kind)):
        if val:
            cond.append(f"f.{col} = ?")
            params.append(val)
    if min_age_days:
        cond.append("f.opened <= ?")
        params.append(ts(now - timedelta(days=min_age_days)))
    rows = db.query(
        f"{_ITEM_SELECT} WHERE {' AND '.join(cond)} ORDER BY f.opened, f.rule, f.subject_id", params
    )
    return [_item(r) for r in rows]


def rules_seen(db: Database) -> set[str]:
    """Every rule id the tracker has a finding for (rules of older pack versions included)."""
    return {r["rule"] for r in db.query("SELECT DISTINCT rule FROM findings")}


def find_item(db: Database, ref: str) -> QueueItem:
    """By the short number the queue prints, or by fingerprint (or a unique prefix of it)."""
    number = ascii_int(ref)  # str.isdigit() is true for '²', which int() refuses
    if number is not None:
        row = db.one(f"{_ITEM_SELECT} WHERE f.id = ?", (number,))
    else:
        rows = db.query(f"{_ITEM_SELECT} WHERE f.fingerprint LIKE ?", (ref.lower() + "%",))
        if len(rows) > 1:
            raise UsageError(f"{ref!r} matches {len(rows)} findings; give more characters")
        row = rows[0] if rows else None
    if row is None:
        raise UsageError(f"no finding {ref!r} in the store")
    return _item(row)


_ITEM_SELECT = (
    "SELECT f.*, r.severity, r.title, r.message, r.remediation, r.evidence FROM findings f "
    "LEFT JOIN run_findings r ON r.run_id = f.last_run AND r.fingerprint = f.fingerprint"
)


def _item(r: Mapping[str, Any]) -> QueueItem:
    rem = loads(r.get("remediation")) or {}
    return QueueItem(
        r["id"],
        r["fingerprint"],
        r["school"],
        r["rule"],
        r["kind"],
        r["subject_id"],
        r["subject_name"],
        r["source"],
        r["owner"],
        parse_ts(r["opened"]),
        parse_ts(r["first_seen"]),
        parse_ts(r["last_seen"]),
        r["last_status"],
        parse_ts(r["marked_at"]) if r["marked_at"] else None,
        r["marked_by"],
        r.get("severity") or "",
        r.get("title") or "",
        r.get("message") or "",
        rem.get("advice", ""),
        loads(r.get("evidence")),
    )


def latest_finding_row(db: Database, fingerprint: str) -> dict[str, Any] | None:
    return db.one(
        "SELECT f.* FROM run_findings f JOIN runs r ON r.id = f.run_id WHERE f.fingerprint = ? "
        "ORDER BY r.started DESC LIMIT 1",
        (fingerprint,),
    )


def add_note(db: Database, fingerprint: str, author: str, text: str, now: datetime) -> int:
    with db.transaction():
        return db.insert(
            "INSERT INTO notes (fingerprint, author, text, created) VALUES (?, ?, ?, ?)",
            (fingerprint, author, text, ts(now)),
        )


def notes(db: Database, fingerprint: str) -> list[dict[str, Any]]:
    return db.query("SELECT * FROM notes WHERE fingerprint = ? ORDER BY id", (fingerprint,))


def mark_for_remediation(db: Database, fingerprint: str, by: str, now: datetime, on: bool = True) -> None:
    with db.transaction():
        db.execute(
            "UPDATE findings SET marked_at = ?, marked_by = ? WHERE fingerprint = ?",
            (ts(now) if on else None, by if on else None, fingerprint),
        )


def marked(db: Database) -> set[str]:
    return {
        r["fingerprint"]
        for r in db.query("SELECT fingerprint FROM findings WHERE marked_at IS NOT NULL AND resolved IS NULL")
    }
