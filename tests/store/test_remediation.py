"""Remediation: modes, the cap, the audit log (intent before, outcome after) and undo."""

from __future__ import annotations

import dataclasses
import datetime as dt

from enforcer.actions.apply import execute, undo
from enforcer.actions.interface import ActionPlan, ActionResult, Outcome
from enforcer.actions.plan import Cap, plan
from enforcer.model.values import Status, SubjectKind
from enforcer.store.audit import StoreAuditLog

from .factory import T0, finding


class FakeDirectory:
    """A Remediator over an in-memory directory: what AD would do, without AD."""

    def __init__(self, fail_for: str | None = None) -> None:
        self.flags: dict[str, bool] = {}
        self.fail_for = fail_for
        self.calls: list[str] = []

    def supported_actions(self) -> frozenset[str]:
        return frozenset({"clear-password-never-expires", "force-password-change"})

    def apply(self, p: ActionPlan) -> ActionResult:
        self.calls.append(f"apply {p.subject.id}")
        if p.subject.id == self.fail_for:
            raise RuntimeError("LDAP error 50: insufficient access rights")
        before = self.flags.get(p.subject.id, True)
        self.flags[p.subject.id] = False
        return ActionResult(
            p,
            Outcome.APPLIED,
            T0,
            "cleared",
            {"password_never_expires": before},
            {"password_never_expires": False},
        )

    def undo(self, r: ActionResult) -> ActionResult:
        self.calls.append(f"undo {r.plan.subject.id}")
        self.flags[r.plan.subject.id] = bool(r.previous["password_never_expires"])
        return ActionResult(r.plan, Outcome.UNDONE, T0, "restored", r.new, r.previous)


def _pne(user: str, status: Status = Status.FAIL):
    f = finding("pne", user, status, kind=SubjectKind.ACCOUNT, action="clear-password-never-expires")
    return f


def test_modes_report_dry_run_enforce_and_marks() -> None:
    fs = [
        _pne("a"),
        _pne("b"),
        _pne("c", Status.EXCEPTED),
        _pne("d", Status.ERROR),
        finding("enc", "laptop", action="clear-password-never-expires"),
    ]  # wrong kind for the action
    assert plan(fs, {"pne": "report"}) == []
    dry = plan(fs, {"pne": "dry-run", "enc": "enforce"})
    assert [(p.plan.subject.id, p.mode, p.plan.dry_run) for p in dry] == [
        ("a", "dry-run", True),
        ("b", "dry-run", True),
    ]
    lifted = plan(fs, {"pne": "dry-run"}, marked={fs[1].fingerprint})
    assert [p.mode for p in lifted] == ["dry-run", "enforce"]


def test_enforce_logs_intent_then_outcome_and_undo_restores(store) -> None:
    d = FakeDirectory()
    planned = plan([_pne("a"), _pne("b")], {"pne": "enforce"})
    out = execute(StoreAuditLog(store.db), planned, {"demo": d}, run_id="r1", cap=Cap(20, 1.0), subjects=10)
    assert [r.outcome for r in out.results] == [Outcome.APPLIED, Outcome.APPLIED]
    entries = StoreAuditLog(store.db).entries(run_id="r1")
    assert [(e.outcome, e.previous) for e in entries] == [("applied", {"password_never_expires": True})] * 2
    assert d.flags == {"a": False, "b": False}
    one = undo(StoreAuditLog(store.db), {"demo": d}, action_id=entries[0].id)
    assert [r.outcome for r in one.results] == [Outcome.UNDONE] and d.flags["a"] is True
    rest = undo(
        StoreAuditLog(store.db), {"demo": d}, run_id="r1"
    )  # the already-undone action is not undone twice
    assert [r.plan.subject.id for r in rest.results] == ["b"] and "already undone" in rest.notes[0]
    assert d.flags == {"a": True, "b": True}
    undo_rows = [e for e in StoreAuditLog(store.db).recent() if e.undo_of]
    assert sorted(e.undo_of for e in undo_rows) == sorted(e.id for e in entries)


def test_cap_stops_all_enforcement_and_says_why(store) -> None:
    d = FakeDirectory()
    planned = plan([_pne(f"u{i}") for i in range(6)], {"pne": "enforce"})
    out = execute(StoreAuditLog(store.db), planned, {"demo": d}, run_id="r1", cap=Cap(20, 0.05), subjects=100)
    assert out.stopped and "6 changes planned, above this run's cap of 5" in out.stopped
    assert d.calls == [] and {r.outcome for r in out.results} == {Outcome.SKIPPED}
    assert {e.outcome for e in StoreAuditLog(store.db).entries(run_id="r1")} == {"skipped"}
    ok = execute(
        StoreAuditLog(store.db), planned[:5], {"demo": d}, run_id="r2", cap=Cap(20, 0.05), subjects=100
    )
    assert ok.stopped is None and ok.count(Outcome.APPLIED) == 5


def test_failures_are_recorded_not_raised(store) -> None:
    d = FakeDirectory(fail_for="b")
    planned = plan([_pne("a"), _pne("b"), dataclasses.replace(_pne("c"))], {"pne": "enforce"})
    planned.append(
        dataclasses.replace(
            planned[0],
            plan=dataclasses.replace(
                planned[0].plan, subject=dataclasses.replace(planned[0].plan.subject, source="intune")
            ),
        )
    )
    out = execute(StoreAuditLog(store.db), planned, {"demo": d}, run_id="r1", cap=Cap(20, 1.0), subjects=None)
    assert [r.outcome for r in out.results] == [
        Outcome.APPLIED,
        Outcome.FAILED,
        Outcome.APPLIED,
        Outcome.SKIPPED,
    ]
    assert "insufficient access" in out.results[1].message and out.failed
    assert "cannot make changes" in out.results[3].message


def test_dry_run_records_planned_and_changes_nothing(store) -> None:
    d = FakeDirectory()
    out = execute(
        StoreAuditLog(store.db),
        plan([_pne("a")], {"pne": "dry-run"}),
        {"demo": d},
        run_id="r1",
        cap=Cap(20, 1.0),
        subjects=1,
    )
    assert out.results[0].outcome == Outcome.PLANNED and d.calls == []
    assert StoreAuditLog(store.db).entries(run_id="r1")[0].outcome == "planned"


def test_intent_survives_a_crash_between_intent_and_outcome(store) -> None:
    """The intent row is committed before apply: a process that dies mid-change leaves 'pending'."""
    p = plan([_pne("a")], {"pne": "enforce"})[0]
    StoreAuditLog(store.db).log_intent(p.plan, "r1", "enforce", T0 + dt.timedelta(seconds=1))
    [e] = StoreAuditLog(store.db).entries(run_id="r1")
    assert e.outcome == "pending"
