"""Every remediation action, dry-run and applied, against the server's recording action endpoints."""

from __future__ import annotations

import pytest

from enforcer.actions.catalog import ACTIONS
from enforcer.actions.interface import ActionPlan, Outcome
from enforcer.model.values import Subject, SubjectKind
from tests.services.graph_server import GraphServer

pytestmark = pytest.mark.graph

LAPTOP = "5f1c2a9e-7d3b-4c8e-9a41-2b6d0e8f1a73"
TOM = "22222222-2222-4222-8222-222222222222"
DEVICE_ACTIONS = {
    "sync-device": "syncDevice",
    "update-defender-signatures": "windowsDefenderUpdateSignatures",
    "remote-lock": "remoteLock",
}


def plan(action: str, subject_id: str, dry_run: bool, **params) -> ActionPlan:
    kind = SubjectKind.DEVICE if action in DEVICE_ACTIONS else SubjectKind.ACCOUNT
    return ActionPlan(
        action=action,
        subject=Subject(kind, subject_id, None, "entra"),
        rule="test-rule",
        finding="f" * 20,
        params=params,
        dry_run=dry_run,
    )


def user(server: GraphServer, uid: str) -> dict:
    return next(u for u in server.tenant.users if u["id"] == uid)


def test_every_catalog_action_the_source_claims_exists():
    from connectors.graph.remediate import SUPPORTED

    assert SUPPORTED <= set(ACTIONS)
    assert {
        "sync-device",
        "update-defender-signatures",
        "remote-lock",
        "force-password-change",
        "disable-account",
        "revoke-sessions",
    } <= SUPPORTED


@pytest.mark.parametrize(
    "action",
    [
        "sync-device",
        "update-defender-signatures",
        "remote-lock",
        "force-password-change",
        "disable-account",
        "revoke-sessions",
        "clear-password-never-expires",
    ],
)
def test_dry_run_writes_nothing(make_source, server: GraphServer, action: str):
    target = LAPTOP if action in DEVICE_ACTIONS else TOM
    result = make_source().apply(plan(action, target, dry_run=True, opt_in=True))
    assert result.outcome is Outcome.PLANNED and "would" in result.message
    assert server.seen == [] and server.actions == []


@pytest.mark.parametrize("action", ["sync-device", "update-defender-signatures"])
def test_device_actions_applied(make_source, server: GraphServer, action: str):
    result = make_source().apply(plan(action, LAPTOP, dry_run=False))
    assert result.outcome is Outcome.APPLIED, result.message
    assert [(a.method, a.path) for a in server.actions] == [
        ("POST", f"/v1.0/deviceManagement/managedDevices/{LAPTOP}/{DEVICE_ACTIONS[action]}")
    ]
    assert server.actions[0].headers["authorization"].startswith("Bearer ")


def test_remote_lock_needs_an_explicit_opt_in(make_source, server: GraphServer):
    source = make_source()
    refused = source.apply(plan("remote-lock", LAPTOP, dry_run=False))
    assert refused.outcome is Outcome.SKIPPED and "opt_in" in refused.message and server.seen == []
    done = source.apply(plan("remote-lock", LAPTOP, dry_run=False, opt_in=True))
    assert done.outcome is Outcome.APPLIED
    assert [a.path for a in server.actions] == [f"/v1.0/deviceManagement/managedDevices/{LAPTOP}/remoteLock"]


def test_disable_account_records_the_previous_value_and_undo_re_enables(make_source, server: GraphServer):
    source = make_source()
    result = source.apply(plan("disable-account", TOM, dry_run=False))
    assert result.outcome is Outcome.APPLIED
    assert result.previous == {"accountEnabled": True} and result.new == {"accountEnabled": False}
    assert (
        server.actions[-1].body == {"accountEnabled": False} and user(server, TOM)["accountEnabled"] is False
    )
    undone = source.undo(result)
    assert undone.outcome is Outcome.UNDONE and user(server, TOM)["accountEnabled"] is True
    assert server.actions[-1].method == "PATCH" and server.actions[-1].body == {"accountEnabled": True}


def test_force_password_change(make_source, server: GraphServer):
    source = make_source()
    result = source.apply(plan("force-password-change", TOM, dry_run=False))
    assert result.outcome is Outcome.APPLIED and result.previous == {"forceChangePasswordNextSignIn": False}
    assert server.actions[-1].body == {"passwordProfile": {"forceChangePasswordNextSignIn": True}}
    assert user(server, TOM)["passwordProfile"]["forceChangePasswordNextSignIn"] is True
    assert source.undo(result).outcome is Outcome.UNDONE
    assert user(server, TOM)["passwordProfile"]["forceChangePasswordNextSignIn"] is False


def test_clear_password_never_expires(make_source, server: GraphServer):
    result = make_source().apply(plan("clear-password-never-expires", TOM, dry_run=False))
    assert result.outcome is Outcome.APPLIED and result.previous == {
        "passwordPolicies": "DisablePasswordExpiration"
    }
    assert user(server, TOM)["passwordPolicies"] == "None"


def test_revoke_sessions(make_source, server: GraphServer):
    source = make_source()
    result = source.apply(plan("revoke-sessions", TOM, dry_run=False))
    assert result.outcome is Outcome.APPLIED
    assert [(a.method, a.path) for a in server.actions] == [
        ("POST", f"/v1.0/users/{TOM}/revokeSignInSessions")
    ]
    assert source.undo(result).outcome is Outcome.SKIPPED  # cannot be undone


def test_errors_become_failed_results(make_source, server: GraphServer):
    source = make_source()
    missing = source.apply(plan("sync-device", "no-such-device", dry_run=False))
    assert missing.outcome is Outcome.FAILED and "404" in missing.message
    server.inject(r"/users/", status=429, retry_after="0", times=-1)
    throttled = source.apply(plan("disable-account", TOM, dry_run=False))
    assert throttled.outcome is Outcome.FAILED and "429" in throttled.message
    assert user(server, TOM)["accountEnabled"] is True


def test_plans_the_source_cannot_carry_out(make_source, server: GraphServer):
    source = make_source()
    wrong_kind = ActionPlan(
        "sync-device", Subject(SubjectKind.ACCOUNT, TOM, None, "entra"), "r", "f", dry_run=False
    )
    assert source.apply(wrong_kind).outcome is Outcome.FAILED
    other = ActionPlan(
        "disable-account", Subject(SubjectKind.ACCOUNT, TOM, None, "ad"), "r", "f", dry_run=False
    )
    assert source.apply(other).outcome is Outcome.FAILED
    unsupported = plan("clear-reversible-encryption", TOM, dry_run=False)
    assert source.apply(unsupported).outcome is Outcome.SKIPPED
    assert server.seen == []
