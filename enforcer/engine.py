"""Evaluates records against a pack, streaming: one record in, its findings out.

Unknown never passes: a ``None`` the source left becomes an ``error`` finding,
and so does a selector that cannot tell whether a rule applies. Rules that
need the school roster get it up front (it is small: one school's pupils),
so accounts can be reconciled as they stream past; rules about roster entries
themselves are answered in ``finish`` once every account has been seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from enforcer.identity import year_group_from_birth
from enforcer.models import (
    KIND_OF,
    Account,
    Finding,
    Record,
    RosterEntry,
    Status,
    Subject,
    SubjectKind,
    fingerprint,
)
from enforcer.rules.checks import CHECKS, CheckState
from enforcer.rules.conditions import Trace
from enforcer.rules.model import Pack, Rule
from enforcer.rules.operators import Ctx


class RosterIndex:
    """Pupils by MIS id and by username, for reconciling accounts."""

    def __init__(self, entries: Sequence[RosterEntry]) -> None:
        self.entries = tuple(entries)
        self.by_id = {e.pupil_id.casefold(): e for e in self.entries}
        self.by_username = {e.username.casefold(): e for e in self.entries if e.username}

    def match(self, account: Account) -> RosterEntry | None:
        if account.external_id:
            hit = self.by_id.get(account.external_id.casefold())
            if hit:
                return hit
        for name in (account.username, account.upn):
            if name:
                hit = self.by_username.get(name.casefold()) or \
                    self.by_username.get(name.casefold().split("@", 1)[0])
                if hit:
                    return hit
        return None


class Engine:
    def __init__(self, pack: Pack, as_of: datetime, roster: Sequence[RosterEntry] | None = None,
                 rule_ids: Iterable[str] | None = None) -> None:
        if as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=UTC)
        self.pack = pack
        self.now = as_of
        self.roster = RosterIndex(roster) if roster is not None else None
        wanted = set(rule_ids) if rule_ids is not None else None
        self.rules = [r for r in pack.rules if wanted is None or r.id in wanted]
        runnable = [r for r in self.rules if not ("roster" in r.needs and self.roster is None)]
        self.by_kind: dict[SubjectKind, list[Rule]] = {k: [] for k in SubjectKind}
        for rule in runnable:
            self.by_kind[rule.kind].append(rule)
        self.states: dict[str, CheckState] = {
            r.id: CHECKS[r.check].start(r.check_params) for r in runnable if r.check
        }

    # -- value lookup ---------------------------------------------------------------
    def get(self, record: Any, key: str) -> Any:
        if key.startswith("roster."):
            return self._roster_value(record, key[7:])
        if key == "year_group":
            return self._year_group(record)
        return getattr(record, key, None)

    def _roster_value(self, account: Account, field: str) -> Any:
        if self.roster is None:
            return None
        entry = self.roster.match(account)
        if field == "matched":
            return entry is not None
        if entry is None:
            return None
        if field == "year_group":
            return self._year_group(entry)
        return getattr(entry, field, None)

    def _year_group(self, record: Any) -> int | None:
        if record.year_group is not None:
            return int(record.year_group)
        if isinstance(record, Account):
            entry = self.roster.match(record) if self.roster else None
            return self._year_group(entry) if entry else None
        if isinstance(record, RosterEntry) and record.date_of_birth is not None:
            return year_group_from_birth(record.date_of_birth, self.now.date())
        return None

    # -- evaluation -------------------------------------------------------------------
    def evaluate(self, record: Record) -> list[Finding]:
        for state in self.states.values():
            state.observe(record)
        kind = KIND_OF[type(record)]
        if kind is SubjectKind.PUPIL:
            return []  # answered in finish(), after every account has been observed
        return self._evaluate(record, kind)

    def _evaluate(self, record: Any, kind: SubjectKind) -> list[Finding]:
        out: list[Finding] = []
        subject: Subject | None = None
        ctx = Ctx(self.now, record)
        for rule in self.by_kind[kind]:
            trace = Trace()
            if rule.where is not None:
                applies = rule.where.evaluate(record, self.get, ctx, trace)
                if applies is False:
                    continue
                if applies is None:
                    subject = subject or Subject.of(record)
                    out.append(self._finding(rule, subject, Status.ERROR, trace,
                                             "could not tell whether this rule applies: "))
                    continue
                trace = Trace()
            if rule.check:
                verdict = self.states[rule.id].verdict(record, trace)
            else:
                assert rule.expect is not None
                verdict = rule.expect.evaluate(record, self.get, ctx, trace)
            status = Status.PASS if verdict is True else Status.FAIL if verdict is False else Status.ERROR
            subject = subject or Subject.of(record)
            out.append(self._finding(rule, subject, status, trace))
        return out

    def finish(self) -> list[Finding]:
        out: list[Finding] = []
        if self.roster is not None:
            for entry in self.roster.entries:
                out.extend(self._evaluate(entry, SubjectKind.PUPIL))
        else:
            for rule in self.rules:
                if "roster" in rule.needs:
                    subject = Subject(SubjectKind.DOMAIN, "roster", "school roster", "configuration")
                    trace = Trace(unknown=["this rule needs a roster (MIS export) source and none was read"])
                    out.append(self._finding(rule, subject, Status.ERROR, trace))
        return out

    def _finding(self, rule: Rule, subject: Subject, status: Status, trace: Trace,
                 prefix: str = "") -> Finding:
        if status is Status.PASS:
            message = "ok"
        elif status is Status.FAIL:
            message = rule.message or "; ".join(dict.fromkeys(trace.failed)) or rule.title
        else:
            message = prefix or "could not evaluate: "
            message += "; ".join(dict.fromkeys(trace.unknown)) or "a value is unknown"
        return Finding(
            rule=rule.id, title=rule.title, status=status, severity=rule.severity, subject=subject,
            evidence=trace.evidence, message=message, clause=rule.clause,
            remediation=rule.remediation, fingerprint=fingerprint(rule.id, subject),
        )


def evaluate(pack: Pack, records: Iterable[Record], as_of: datetime,
             rule_ids: Iterable[str] | None = None) -> list[Finding]:
    """Convenience for tests and small inputs: roster entries are taken first."""
    items = list(records)
    roster = [r for r in items if isinstance(r, RosterEntry)]
    engine = Engine(pack, as_of, roster if roster else None, rule_ids)
    findings: list[Finding] = []
    for record in items:
        findings.extend(engine.evaluate(record))
    findings.extend(engine.finish())
    return findings
