"""AD remediations: four small changes to a user, each recorded so it can be undone.

``apply`` reads the current value first (that is ``previous``), then writes;
a dry-run plan stops after the read and writes nothing. Every failure becomes a
FAILED result carrying the reason, never an exception, so one bad account does
not stop the other changes and the failure reaches the report.

Undo limits, stated plainly: over LDAP ``pwdLastSet`` accepts only 0 and -1,
so undoing "force password change" sets -1 (AD stores "now"): the account no
longer has to change its password, but the original date is not restored.
The userAccountControl actions restore only the bit they changed, so other
changes made to the account in between are kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import ldap3

from connectors.ad import mapping as m
from connectors.ad.client import Client, escape_bytes
from connectors.remediation import BaseRemediator, make_result
from enforcer.actions.interface import ActionPlan, ActionResult, Outcome
from enforcer.model.errors import SourceError
from enforcer.model.values import SubjectKind

UAC_ACTIONS: dict[str, tuple[int, bool]] = {
    # action: (bit, set it?)
    "disable-account": (m.ACCOUNTDISABLE, True),
    "clear-password-never-expires": (m.DONT_EXPIRE_PASSWORD, False),
    "clear-reversible-encryption": (m.ENCRYPTED_TEXT_PWD_ALLOWED, False),
}
FORCE_CHANGE = "force-password-change"
SUPPORTED = frozenset({FORCE_CHANGE, *UAC_ACTIONS})


class ADRemediator(BaseRemediator):
    SUPPORTED = SUPPORTED

    def __init__(self, source: str, client: Client, base_dn: Callable[[], str]) -> None:
        super().__init__(source)
        self.client = client
        self._base_dn = base_dn

    def _refusal(self, plan: ActionPlan) -> ActionResult | None:
        if plan.action not in self.SUPPORTED:
            return make_result(plan, Outcome.SKIPPED, f"AD cannot carry out {plan.action!r}")
        if plan.subject.kind is not SubjectKind.ACCOUNT or plan.subject.source != self.source:
            return make_result(
                plan, Outcome.SKIPPED, f"{plan.action} applies to accounts of source {self.source}"
            )
        return None

    def _undo_refusal(self, done: ActionResult) -> ActionResult | None:
        if done.outcome is not Outcome.APPLIED or not done.previous:
            return make_result(
                done.plan, Outcome.SKIPPED, f"nothing to undo (outcome was {done.outcome.value})"
            )
        return None

    def _apply(self, plan: ActionPlan) -> ActionResult:
        dn, uac, pwd_last_set = self._read(plan.subject.id)
        if plan.action == FORCE_CHANGE:
            previous: dict[str, Any] = {"dn": dn, "pwdLastSet": pwd_last_set}
            new: dict[str, Any] = {"pwdLastSet": 0}
            changes = {"pwdLastSet": [(ldap3.MODIFY_REPLACE, [0])]}
        else:
            if uac is None:
                raise SourceError(f"userAccountControl of {dn!r} is not readable")
            bit, turn_on = UAC_ACTIONS[plan.action]
            target = uac | bit if turn_on else uac & ~bit
            previous = {"dn": dn, "userAccountControl": uac}
            new = {"userAccountControl": target}
            changes = {"userAccountControl": [(ldap3.MODIFY_REPLACE, [target])]}
        if plan.dry_run:
            return make_result(plan, Outcome.PLANNED, f"would set {_describe(new)} on {dn}", previous, new)
        self.client.modify(dn, changes)
        return make_result(plan, Outcome.APPLIED, f"set {_describe(new)} on {dn}", previous, new)

    def _undo(self, done: ActionResult) -> ActionResult:
        plan, previous = done.plan, dict(done.previous or {})
        dn, uac, pwd_last_set = self._read(plan.subject.id)
        if plan.action == FORCE_CHANGE:
            # Only 0 and -1 are writable: -1 means "set now", the best restore LDAP allows.
            value = 0 if previous.get("pwdLastSet") == 0 else -1
            changes = {"pwdLastSet": [(ldap3.MODIFY_REPLACE, [value])]}
            new: dict[str, Any] = {"pwdLastSet": value}
            note = (
                " - PARTLY: the original password date cannot be written back over LDAP, so AD now "
                "records today and the password age rule will pass until the password really changes; "
                "check this account by hand"
                if value == -1
                else ""
            )
            before: dict[str, Any] = {"dn": dn, "pwdLastSet": pwd_last_set}
        else:
            if uac is None:
                raise SourceError(f"userAccountControl of {dn!r} is not readable")
            bit, _ = UAC_ACTIONS[plan.action]
            was_set = bool(int(previous["userAccountControl"]) & bit)
            target = uac | bit if was_set else uac & ~bit
            changes = {"userAccountControl": [(ldap3.MODIFY_REPLACE, [target])]}
            new = {"userAccountControl": target}
            note = ""
            before = {"dn": dn, "userAccountControl": uac}
        self.client.modify(dn, changes)
        undone = replace(plan, dry_run=False)
        return make_result(undone, Outcome.UNDONE, f"restored {_describe(new)} on {dn}{note}", before, new)

    def _read(self, object_guid: str) -> tuple[str, int | None, int | None]:
        flt = f"(objectGUID={escape_bytes(_guid_bytes(object_guid))})"
        found = list(self.client.search(self._base_dn(), flt, ["userAccountControl", "pwdLastSet"]))
        if len(found) != 1:
            raise SourceError(f"account {object_guid} not found (found {len(found)})")
        raw = found[0].raw
        return found[0].dn, m.integer(raw, "userAccountControl"), m.integer(raw, "pwdLastSet")


def _guid_bytes(value: str) -> bytes:
    try:
        return uuid.UUID(value).bytes_le
    except ValueError:
        raise SourceError(f"{value!r} is not an AD objectGUID") from None


def _describe(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())
