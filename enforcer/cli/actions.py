"""Printing the remediation audit log: ``enforcer remediate log`` and ``enforcer history RUN``.

Every change enforcer made (or planned, or refused) is listed with the action number that
``enforcer undo`` takes, so nothing changes a directory without it showing somewhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from enforcer.actions.interface import AuditEntry
from enforcer.cli.output import say


def show_actions(entries: Sequence[AuditEntry], *, title: str = "Remediation") -> None:
    if not entries:
        say(f"{title}: none")
        return
    applied = sum(1 for e in entries if e.outcome == "applied" and e.undo_of is None)
    say(f"{title}: {len(entries)} action(s), {applied} applied")
    for e in entries:
        s = e.plan.subject
        what = f"undo of {e.undo_of}" if e.undo_of is not None else e.plan.action
        say(
            f"  #{e.id:<5} {e.outcome:8} {what:28} {s.kind.value} {s.name or s.id} ({e.plan.rule or '-'})"
            + (f": {e.message}" if e.message else "")
        )
