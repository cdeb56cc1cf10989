"""Named checks: the few rules that need code rather than one of the generic operators.

A check sees every record as it streams past (``observe``) and gives its verdicts
for its own kind of subject after the last record (``verdict``), which is what
cross-record rules such as roster reconciliation need. Keep this table short:
a rule that only differs by a parameter belongs in a pack, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from enforcer.model.values import Account, Record, Role, RosterEntry, SubjectKind
from enforcer.rules.conditions import Trace
from enforcer.rules.roster import AccountKeys


class NamedCheck(Protocol):
    name: str
    kind: SubjectKind
    description: str

    def param_errors(self, params: Mapping[str, Any]) -> list[str]: ...

    def start(self, params: Mapping[str, Any]) -> CheckState: ...


class CheckState(Protocol):
    def observe(self, record: Record) -> None: ...

    def verdict(self, record: Any, trace: Trace) -> bool | None: ...


@dataclass(slots=True)
class _HasAccountState:
    accounts: AccountKeys = field(default_factory=AccountKeys)

    def observe(self, record: Record) -> None:
        if isinstance(record, Account) and record.role is Role.PUPIL:
            self.accounts.add(record)

    def verdict(self, record: Any, trace: Trace) -> bool | None:
        assert isinstance(record, RosterEntry)
        found = self.accounts.matches(record)
        trace.evidence["account_found"] = found
        if not found:
            trace.failed.append("no pupil account matches this pupil's MIS id or username")
        return found


class HasAccount:
    name = "has-account"
    kind = SubjectKind.PUPIL
    description = "The pupil on the roll has a directory account (matched by MIS id, else username)."

    def param_errors(self, params: Mapping[str, Any]) -> list[str]:
        return [f"unknown parameter {k!r}" for k in params]

    def start(self, params: Mapping[str, Any]) -> CheckState:
        return _HasAccountState()


CHECKS: dict[str, NamedCheck] = {c.name: c for c in (HasAccount(),)}
