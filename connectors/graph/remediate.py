"""Remediation through Graph: device actions through the SDK's typed request builders,
user changes as PATCHes through the same adapter, each with the value it replaces.

A dry run contacts nothing and returns PLANNED. Every failure (HTTP error, throttling
past the retries, a bad plan) comes back as a FAILED result with the reason; nothing
here raises to the caller. Remote lock is disruptive, so it needs ``opt_in: true`` in
the plan's params as well as a rule that names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.graph.client import GraphClient
from enforcer.actions.interface import ActionPlan, ActionResult, Outcome
from enforcer.model.errors import EnforcerError
from enforcer.model.values import SubjectKind

DEVICE_ACTIONS = {
    "sync-device": "syncDevice",
    "update-defender-signatures": "windowsDefenderUpdateSignatures",
    "remote-lock": "remoteLock",
}
USER_ACTIONS = frozenset(
    {"force-password-change", "disable-account", "revoke-sessions", "clear-password-never-expires"}
)
SUPPORTED = frozenset(DEVICE_ACTIONS) | USER_ACTIONS


def result(
    plan: ActionPlan,
    outcome: Outcome,
    message: str,
    previous: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
) -> ActionResult:
    return ActionResult(
        plan=plan, outcome=outcome, at=datetime.now(UTC), message=message, previous=previous, new=new
    )


def refusal(plan: ActionPlan, source: str) -> ActionResult | None:
    """Why a plan cannot be carried out here, as a result; None when it can."""
    if plan.action not in SUPPORTED:
        return result(plan, Outcome.SKIPPED, f"{plan.action} is not supported by the graph source")
    if plan.subject.source != source:
        return result(
            plan, Outcome.FAILED, f"subject belongs to source {plan.subject.source!r}, not {source!r}"
        )
    want = SubjectKind.DEVICE if plan.action in DEVICE_ACTIONS else SubjectKind.ACCOUNT
    if plan.subject.kind is not want:
        return result(
            plan, Outcome.FAILED, f"{plan.action} applies to a {want.value}, not a {plan.subject.kind.value}"
        )
    if plan.action == "remote-lock" and plan.params.get("opt_in") is not True:
        return result(
            plan, Outcome.SKIPPED, "remote-lock needs opt_in: true in the rule's remediation params"
        )
    return None


def describe(plan: ActionPlan) -> str:
    sid = plan.subject.id
    if plan.action in DEVICE_ACTIONS:
        return f"POST /deviceManagement/managedDevices/{sid}/{DEVICE_ACTIONS[plan.action]}"
    return {
        "force-password-change": f"PATCH /users/{sid} passwordProfile.forceChangePasswordNextSignIn=true",
        "disable-account": f"PATCH /users/{sid} accountEnabled=false",
        "revoke-sessions": f"POST /users/{sid}/revokeSignInSessions",
        "clear-password-never-expires": f"PATCH /users/{sid} passwordPolicies without DisablePasswordExpiration",
    }[plan.action]


async def apply(client: GraphClient, plan: ActionPlan) -> ActionResult:
    try:
        return await _apply(client, plan)
    except EnforcerError as exc:
        return result(plan, Outcome.FAILED, str(exc))


async def _apply(client: GraphClient, plan: ActionPlan) -> ActionResult:
    from msgraph import GraphServiceClient  # the typed builders: only when something is changed

    sdk = GraphServiceClient(request_adapter=client.adapter)
    sid = plan.subject.id
    if plan.action in DEVICE_ACTIONS:
        device = sdk.device_management.managed_devices.by_managed_device_id(sid)
        builder = {
            "sync-device": device.sync_device,
            "update-defender-signatures": device.windows_defender_update_signatures,
            "remote-lock": device.remote_lock,
        }[plan.action]
        await client.call(builder.post())
        return result(plan, Outcome.APPLIED, describe(plan))
    if plan.action == "revoke-sessions":
        await client.call(sdk.users.by_user_id(sid).revoke_sign_in_sessions.post())
        return result(plan, Outcome.APPLIED, describe(plan))
    current = await client.get(
        f"/users/{sid}", {"$select": "id,accountEnabled,passwordPolicies,passwordProfile"}
    )
    current = current if isinstance(current, dict) else {}
    if plan.action == "disable-account":
        previous = {"accountEnabled": current.get("accountEnabled")}
        change: dict[str, Any] = {"accountEnabled": False}
    elif plan.action == "force-password-change":
        profile = current.get("passwordProfile")
        was = profile.get("forceChangePasswordNextSignIn") if isinstance(profile, dict) else None
        previous = {"forceChangePasswordNextSignIn": was}
        change = {"passwordProfile": {"forceChangePasswordNextSignIn": True}}
    else:
        policies = current.get("passwordPolicies")
        previous = {"passwordPolicies": policies}
        kept = [
            p.strip()
            for p in str(policies or "").split(",")
            if p.strip() and p.strip().casefold() != "disablepasswordexpiration"
        ]
        change = {"passwordPolicies": ", ".join(kept) if kept else "None"}
    await client.request("PATCH", client.url(f"/users/{sid}"), change)
    return result(plan, Outcome.APPLIED, describe(plan), previous=previous, new=change)


async def undo(client: GraphClient, done: ActionResult) -> ActionResult:
    plan = done.plan
    prev = done.previous or {}
    if plan.action == "disable-account" and isinstance(prev.get("accountEnabled"), bool):
        body: dict[str, Any] = {"accountEnabled": prev["accountEnabled"]}
    elif plan.action == "force-password-change" and isinstance(
        prev.get("forceChangePasswordNextSignIn"), bool
    ):
        body = {"passwordProfile": {"forceChangePasswordNextSignIn": prev["forceChangePasswordNextSignIn"]}}
    elif plan.action == "clear-password-never-expires" and "passwordPolicies" in prev:
        body = {"passwordPolicies": prev["passwordPolicies"] or "None"}
    elif plan.action in USER_ACTIONS - {"revoke-sessions"}:
        return result(plan, Outcome.FAILED, "cannot undo: the previous value was not recorded", previous=prev)
    else:
        return result(plan, Outcome.SKIPPED, f"{plan.action} cannot be undone")
    try:
        await client.request("PATCH", client.url(f"/users/{plan.subject.id}"), body)
    except EnforcerError as exc:
        return result(plan, Outcome.FAILED, f"undo failed: {exc}", previous=done.new, new=body)
    return result(
        plan, Outcome.UNDONE, f"PATCH /users/{plan.subject.id} restored", previous=done.new, new=body
    )
