"""Evaluates records against a pack, streaming: one record in, its findings out.

Unknown never passes: a ``None`` the source left becomes an ``error`` finding,
and so does a selector that cannot tell whether a rule applies. Rules that
need the school roster get it up front (it is small: one school's pupils),
so accounts can be reconciled as they stream past; rules about roster entries
themselves are answered in ``finish`` once every account has been seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from enforcer.fast.conditions import Passing, Selector, passing, selector
from enforcer.fast.findings import new_ctx, new_finding, rule_hash, subject_of, subject_part
from enforcer.identity import year_group_from_birth
from enforcer.model.values import (
    FINGERPRINT_CHARS,
    KIND_OF,
    Account,
    Finding,
    Record,
    Role,
    RosterEntry,
    Status,
    Subject,
    SubjectKind,
    fingerprint,
)
from enforcer.rules.checks import CHECKS, CheckState
from enforcer.rules.conditions import Condition, Getter, Trace
from enforcer.rules.model import Pack, Rule
from enforcer.rules.operators import Ctx
from enforcer.rules.roster import RosterIndex

if TYPE_CHECKING:
    from hashlib import _Hash

_UNSET = object()
Judge = Callable[[Any, Getter, Ctx, Trace], bool | None]


@dataclass(frozen=True, slots=True)
class Step:
    """One rule as ``Engine._evaluate`` runs it, worked out once per engine, not per record."""

    rule: Rule
    slot: int
    """Where the rule's selector's answer is kept for the record being evaluated (rules often
    share a selector: three staff rules, three pupil rules); -1 when the rule has none."""
    passes: Passing | None
    """The expectation's trace-free pass (``enforcer.fast.conditions``); None: always judge."""
    judge: Judge
    """The plain path: the expectation's ``evaluate``, or the named check's verdict, with a Trace."""
    fingerprint_head: _Hash
    """The fingerprint's hash after the rule's part (``enforcer.fast.findings.rule_hash``)."""


@dataclass(frozen=True, slots=True)
class Plan:
    """Per kind of record, the rules to run and their distinct selectors."""

    steps: tuple[Step, ...]
    """Every rule of the kind, in pack order."""
    without_roster: tuple[Step, ...]
    """The same, less the rules that need the roster (for records answered before it is known)."""
    wheres: tuple[Condition, ...]
    """The distinct selectors (``rule.where``), by slot, for the plain path's messages."""
    selectors: tuple[Selector, ...]
    """The same by slot, trace-free (``enforcer.fast.conditions.selector``)."""


class Engine:
    """Feed every record to ``evaluate`` (any order, any source), then call ``finish`` once.

    Roster entries may come from any source (an MIS export, a snapshot, the demo), so
    pupil accounts are held back until ``finish``, when the whole roster is known; that is
    one school's pupils, which is small. Every other record is answered at once.
    """

    def __init__(self, pack: Pack, as_of: datetime, rule_ids: Iterable[str] | None = None) -> None:
        if as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=UTC)
        self.pack = pack
        self.now = as_of
        self.roster: RosterIndex | None = None
        self._entries: list[RosterEntry] = []
        self._deferred: list[Account] = []
        self._roster_failed = False
        wanted = set(rule_ids) if rule_ids is not None else None
        self.rules = [r for r in pack.rules if wanted is None or r.id in wanted]
        self.by_kind: dict[SubjectKind, list[Rule]] = {k: [] for k in SubjectKind}
        for rule in self.rules:
            self.by_kind[rule.kind].append(rule)
        self._matched_for: Account | None = None
        self._matched: RosterEntry | None = None
        self.states: dict[str, CheckState] = {
            r.id: CHECKS[r.check].start(r.check_params) for r in self.rules if r.check
        }
        self._observers = [state.observe for state in self.states.values()]
        self._plan = {kind: self._plan_for(rules) for kind, rules in self.by_kind.items()}

    def _plan_for(self, rules: list[Rule]) -> Plan:
        """What each rule needs at evaluation time, looked up once here rather than per record."""
        wheres: list[Condition] = []
        steps = []
        for r in rules:
            if r.check is None and r.expect is None:
                raise ValueError(f"rule {r.id} has neither a check nor an expectation")
            slot = -1
            if r.where is not None:
                slot = next((i for i, w in enumerate(wheres) if w == r.where), len(wheres))
                if slot == len(wheres):
                    wheres.append(r.where)
            state = self.states.get(r.id)
            if state is not None:
                passes, judge = None, _check_judge(state)
            else:
                assert r.expect is not None  # refused above: a rule has a check or an expectation
                passes, judge = passing(r.expect), r.expect.evaluate
            steps.append(Step(r, slot, passes, judge, rule_hash(r.id)))
        return Plan(
            tuple(steps),
            tuple(s for s in steps if "roster" not in s.rule.needs),
            tuple(wheres),
            tuple(selector(w) for w in wheres),
        )

    def evaluated_rules(self) -> tuple[str, ...]:
        """After ``finish``: the rules that really ran (roster rules need a complete roster)."""
        return tuple(r.id for r in self.rules if "roster" not in r.needs or self.roster is not None)

    def input_incomplete(self) -> None:
        """A source failed: reconciling the roll against partial data would invent findings."""
        self._roster_failed = True

    # -- value lookup ---------------------------------------------------------------
    def get(self, record: Any, key: str) -> Any:
        if key == "year_group":
            return self._year_group(record)
        if key[:7] == "roster.":
            return self._roster_value(record, key[7:])
        return getattr(record, key, None)

    def _match(self, account: Account) -> RosterEntry | None:
        """The roster entry for ``account``, remembered for the record being evaluated.

        Why: a pupil account's rules ask several ``roster.*`` keys and its year group, and each
        used to look the pupil up again (casefolding every name each time).
        """
        if account is not self._matched_for:
            self._matched_for = account
            self._matched = self.roster.match(account) if self.roster is not None else None
        return self._matched

    def _roster_value(self, account: Account, field: str) -> Any:
        if self.roster is None:
            return None
        entry = self._match(account)
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
            entry = self._match(record) if self.roster else None
            return self._year_group(entry) if entry else None
        if isinstance(record, RosterEntry) and record.date_of_birth is not None:
            return year_group_from_birth(record.date_of_birth, self.now.date())
        return None

    # -- evaluation -------------------------------------------------------------------
    def evaluate(self, record: Record) -> list[Finding]:
        for observe in self._observers:
            observe(record)
        if isinstance(record, RosterEntry):
            self._entries.append(record)
            return []  # answered in finish(), after every account has been observed
        if isinstance(record, Account) and record.role is Role.PUPIL:
            self._deferred.append(record)
            return []
        return self._evaluate(record, KIND_OF[type(record)], with_roster=False)

    def _evaluate(self, record: Any, kind: SubjectKind, with_roster: bool) -> list[Finding]:
        """Every applicable rule's finding for one record: the hot path at a million records.

        The fast paths it takes are in ``enforcer.fast``: trace-free selectors and passes first,
        ``Condition.evaluate`` with a Trace only for a finding whose messages will be shown;
        passing findings (almost all of them) built positionally, their fingerprints finished
        from the rule's pre-hashed part and the subject's bytes, made once per record.
        """
        out: list[Finding] = []
        subject: Subject | None = None
        tail = b""
        ctx = new_ctx(self.now, record)
        get = self.get
        plan = self._plan[kind]
        selectors = plan.selectors
        answers: list[Any] = [_UNSET] * len(selectors)
        for step in plan.steps if with_roster else plan.without_roster:
            slot = step.slot
            if slot >= 0:
                applies = answers[slot]
                if applies is _UNSET:
                    applies = answers[slot] = selectors[slot](record, get, ctx)
                if applies is False:
                    continue
                if applies is None:
                    rule = step.rule
                    trace = Trace()
                    plan.wheres[slot].evaluate(record, get, ctx, trace)
                    if subject is None:
                        subject = subject_of(record)
                        tail = subject_part(subject)
                    out.append(
                        self._finding(
                            rule, subject, Status.ERROR, trace, "could not tell whether this rule applies: "
                        )
                    )
                    continue
            # A passing expectation hands over its evidence without a Trace; anything else is
            # evaluated again with one (its messages are shown): that is about 2% of findings.
            rule = step.rule
            passes = step.passes
            evidence = passes(record, get, ctx) if passes is not None else None
            if evidence is None:
                trace = Trace()
                verdict = step.judge(record, get, ctx, trace)
                evidence = trace.evidence
            else:
                verdict = True
            if subject is None:
                subject = subject_of(record)
                tail = subject_part(subject)
            if verdict is True:
                # fingerprint(rule.id, subject), finished from the rule's hash (enforcer.fast.findings).
                digest = step.fingerprint_head.copy()
                digest.update(tail)
                # Positional, in Finding's field order (tests/scale checks every field's place).
                out.append(
                    new_finding(
                        rule.id,
                        rule.title,
                        Status.PASS,
                        rule.severity,
                        subject,
                        evidence,
                        "ok",
                        rule.clause,
                        rule.remediation,
                        digest.hexdigest()[:FINGERPRINT_CHARS],
                        None,
                    )
                )
            else:
                out.append(
                    self._finding(rule, subject, Status.FAIL if verdict is False else Status.ERROR, trace)
                )
        return out

    def finish(self) -> list[Finding]:
        out: list[Finding] = []
        have_roster = bool(self._entries) and not self._roster_failed
        self.roster = RosterIndex(self._entries) if have_roster else None
        self._matched_for = None
        for account in self._deferred:
            out.extend(self._evaluate(account, SubjectKind.ACCOUNT, with_roster=have_roster))
        self._deferred.clear()
        if have_roster:
            for entry in self._entries:
                out.extend(self._evaluate(entry, SubjectKind.PUPIL, with_roster=True))
        else:
            for rule in self.rules:
                if "roster" in rule.needs:
                    subject = Subject(SubjectKind.DOMAIN, "roster", "school roster", "configuration")
                    why = (
                        "a source failed, so the roll cannot be reconciled"
                        if self._roster_failed
                        else "this rule needs a roster (MIS export) source and none was read"
                    )
                    trace = Trace(unknown=[why])
                    out.append(self._finding(rule, subject, Status.ERROR, trace))
        return out

    def _finding(
        self, rule: Rule, subject: Subject, status: Status, trace: Trace, prefix: str = ""
    ) -> Finding:
        if status is Status.PASS:
            message = "ok"
        elif status is Status.FAIL:
            message = rule.message or "; ".join(dict.fromkeys(trace.failed)) or rule.title
        else:
            message = prefix or "could not evaluate: "
            message += "; ".join(dict.fromkeys(trace.unknown)) or "a value is unknown"
        return new_finding(
            rule.id,
            rule.title,
            status,
            rule.severity,
            subject,
            trace.evidence,
            message,
            rule.clause,
            rule.remediation,
            fingerprint(rule.id, subject),
            None,
        )


def _check_judge(state: CheckState) -> Judge:
    """A named check's verdict in the shape of ``Condition.evaluate``."""

    def judge(record: Any, get: Getter, ctx: Ctx, trace: Trace) -> bool | None:
        return state.verdict(record, trace)

    return judge


def evaluate(
    pack: Pack, records: Iterable[Record], as_of: datetime, rule_ids: Iterable[str] | None = None
) -> list[Finding]:
    """Every finding for ``records``, in one call."""
    engine = Engine(pack, as_of, rule_ids)
    findings: list[Finding] = []
    for record in records:
        findings.extend(engine.evaluate(record))
    findings.extend(engine.finish())
    return findings
