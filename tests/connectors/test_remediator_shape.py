"""AD and Graph remediation share one shape: refusals without I/O, errors as FAILED results.

No server here: a DC that is down and a Graph client that cannot be opened are
enough to show that a failure comes back as a result, never as an exception, and
that a refused or dry-run Graph plan never opens a client at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.ad.remediate import ADRemediator
from connectors.graph.remediate import GraphRemediator
from connectors.remediation import BaseRemediator
from enforcer.actions.interface import ActionPlan, ActionResult, Outcome
from enforcer.model.errors import ConfigError, SourceError
from enforcer.model.values import Subject, SubjectKind
from enforcer.sources.interface import Remediator

GUID = str(uuid.UUID(int=7))


class DownDC:
    """An AD client whose every call fails as the real one does when the DC is gone."""

    def search(self, *args: Any, **kwargs: Any) -> Any:
        raise SourceError("AD dc.school.test: search failed: connection refused")

    def modify(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("nothing may be written after a failed read")


def unopenable(error: Exception) -> Callable[[], Any]:
    def open_client() -> Any:
        raise error

    return open_client


def ad() -> ADRemediator:
    return ADRemediator("ad", DownDC(), lambda: "DC=school,DC=test")  # type: ignore[arg-type]


def plan(
    action: str, source: str, kind: SubjectKind = SubjectKind.ACCOUNT, dry_run: bool = False
) -> ActionPlan:
    return ActionPlan(action, Subject(kind, GUID, "x", source), "rule", "f" * 20, dry_run=dry_run)


def applied(p: ActionPlan, previous: dict[str, Any], new: dict[str, Any]) -> ActionResult:
    return ActionResult(p, Outcome.APPLIED, datetime.now(UTC), "done", previous, new)


@pytest.mark.parametrize(
    "remediator", [ad(), GraphRemediator("entra", unopenable(AssertionError("no client")))]
)
def test_both_are_remediators_of_the_same_shape(remediator: BaseRemediator) -> None:
    assert isinstance(remediator, Remediator) and isinstance(remediator, BaseRemediator)
    assert remediator.supported_actions() == type(remediator).SUPPORTED


def test_ad_errors_become_failed_results() -> None:
    p = plan("disable-account", "ad")
    failed = ad().apply(p)
    assert failed.outcome is Outcome.FAILED and "connection refused" in failed.message
    undone = ad().undo(applied(p, {"dn": "CN=x", "userAccountControl": 512}, {"userAccountControl": 514}))
    assert undone.outcome is Outcome.FAILED and undone.message.startswith("undo failed: ")


def test_ad_refusals_touch_nothing() -> None:
    assert ad().apply(plan("remote-lock", "ad")).outcome is Outcome.SKIPPED
    assert ad().apply(plan("disable-account", "entra")).outcome is Outcome.SKIPPED
    never = ActionResult(plan("disable-account", "ad"), Outcome.PLANNED, datetime.now(UTC))
    assert ad().undo(never).outcome is Outcome.SKIPPED


def test_graph_errors_become_failed_results_with_what_the_undo_would_write() -> None:
    graph = GraphRemediator("entra", unopenable(ConfigError("graph certificate_path: no such file")))
    p = plan("disable-account", "entra")
    failed = graph.apply(p)
    assert failed.outcome is Outcome.FAILED and "certificate_path" in failed.message
    undone = graph.undo(applied(p, {"accountEnabled": True}, {"accountEnabled": False}))
    assert undone.outcome is Outcome.FAILED and undone.message.startswith("undo failed: ")
    assert undone.previous == {"accountEnabled": False} and undone.new == {"accountEnabled": True}


def test_graph_refusals_and_dry_runs_open_no_client() -> None:
    graph = GraphRemediator("entra", unopenable(AssertionError("a client was opened")))
    assert graph.apply(plan("clear-reversible-encryption", "entra")).outcome is Outcome.SKIPPED
    assert graph.apply(plan("sync-device", "entra")).outcome is Outcome.FAILED  # an account, not a device
    assert graph.apply(plan("disable-account", "ad")).outcome is Outcome.FAILED
    dry = graph.apply(plan("disable-account", "entra", dry_run=True))
    assert dry.outcome is Outcome.PLANNED and "would PATCH" in dry.message
    unrecorded = graph.undo(applied(plan("disable-account", "entra"), {}, {"accountEnabled": False}))
    assert unrecorded.outcome is Outcome.FAILED and "not recorded" in unrecorded.message
    revoked = graph.undo(applied(plan("revoke-sessions", "entra"), {}, {}))
    assert revoked.outcome is Outcome.SKIPPED
