"""Remediation through Graph: device actions through the SDK's typed request builders,
user changes as PATCHes through the same adapter, each with the value it replaces.

A dry run contacts nothing and returns PLANNED. Every failure (HTTP error, throttling
past the retries, a bad plan) comes back as a FAILED result with the reason; nothing
here raises to the caller. Remote lock is disruptive, so it needs ``opt_in: true`` in
the plan's params as well as a rule that names it. The client (and so the SDK) is
only imported when something is really changed, as for reading.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from connectors.graph.loop import run_async
from connectors.remediation import BaseRemediator, make_result
from enforcer.actions.interface import ActionPlan, ActionResult, Outcome
from enforcer.model.errors import EnforcerError
from enforcer.model.values import SubjectKind

if TYPE_CHECKING:
    from connectors.graph.client import GraphClient

DEVICE_ACTIONS = {
    "sync-device": "syncDevice",
    "update-defender-signatures": "windowsDefenderUpdateSignatures",
    "remote-lock": "remoteLock",
}
USER_ACTIONS = frozenset(
    {"force-password-change", "disable-account", "revoke-sessions", "clear-password-never-expires"}
)
SUPPORTED = frozenset(DEVICE_ACTIONS) | USER_ACTIONS
T = TypeVar("T")


class GraphRemediator(BaseRemediator):
    SUPPORTED = SUPPORTED

    def __init__(self, source: str, open_client: Callable[[], GraphClient]) -> None:
        super().__init__(source)
        self._open_client = open_client

    def _refusal(self, plan: ActionPlan) -> ActionResult | None:
        if plan.action not in SUPPORTED:
            return make_result(plan, Outcome.SKIPPED, f"{plan.action} is not supported by the graph source")
        if plan.subject.source != self.source:
            return make_result(
                plan,
                Outcome.FAILED,
                f"subject belongs to source {plan.subject.source!r}, not {self.source!r}",
            )
        want = SubjectKind.DEVICE if plan.action in DEVICE_ACTIONS else SubjectKind.ACCOUNT
        if plan.subject.kind is not want:
            return make_result(
                plan,
                Outcome.FAILED,
                f"{plan.action} applies to a {want.value}, not a {plan.subject.kind.value}",
            )
        if plan.action == "remote-lock" and plan.params.get("opt_in") is not True:
            return make_result(
                plan, Outcome.SKIPPED, "remote-lock needs opt_in: true in the rule's remediation params"
            )
        return None

    def _apply(self, plan: ActionPlan) -> ActionResult:
        if plan.dry_run:
            return make_result(plan, Outcome.PLANNED, f"dry run: would {describe(plan)}")
        return self._with_client(lambda client: _change(client, plan))

    def _undo_refusal(self, done: ActionResult) -> ActionResult | None:
        if done.outcome is not Outcome.APPLIED:
            return make_result(done.plan, Outcome.SKIPPED, "nothing to undo: the action was not applied")
        return None

    def _undo(self, done: ActionResult) -> ActionResult:
        plan = done.plan
        body = restore_body(done)
        if body is None and plan.action in USER_ACTIONS - {"revoke-sessions"}:
            return make_result(
                plan,
                Outcome.FAILED,
                "cannot undo: the previous value was not recorded",
                previous=done.previous or {},
            )
        if body is None:
            return make_result(plan, Outcome.SKIPPED, f"{plan.action} cannot be undone")
        uid = plan.subject.id
        self._with_client(lambda client: client.request("PATCH", client.url(f"/users/{uid}"), body))
        return make_result(plan, Outcome.UNDONE, f"PATCH /users/{uid} restored", previous=done.new, new=body)

    def _undo_failed(self, done: ActionResult, exc: EnforcerError) -> ActionResult:
        return make_result(
            done.plan, Outcome.FAILED, f"undo failed: {exc}", previous=done.new, new=restore_body(done)
        )

    def _with_client(self, work: Callable[[GraphClient], Awaitable[T]]) -> T:
        """Open a client for one change and close it (sockets, credential) before returning."""

        async def go() -> T:
            async with self._open_client() as client:
                return await work(client)

        return run_async(go())


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


def restore_body(done: ActionResult) -> dict[str, Any] | None:
    """The PATCH that writes the recorded previous value back; None when there is none."""
    plan = done.plan
    prev = done.previous or {}
    if plan.action == "disable-account" and isinstance(prev.get("accountEnabled"), bool):
        return {"accountEnabled": prev["accountEnabled"]}
    if plan.action == "force-password-change" and isinstance(prev.get("forceChangePasswordNextSignIn"), bool):
        return {"passwordProfile": {"forceChangePasswordNextSignIn": prev["forceChangePasswordNextSignIn"]}}
    if plan.action == "clear-password-never-expires" and "passwordPolicies" in prev:
        return {"passwordPolicies": prev["passwordPolicies"] or "None"}
    return None


async def _change(client: GraphClient, plan: ActionPlan) -> ActionResult:
    from msgraph import GraphServiceClient  # the typed builders: only when something is changed

    sdk = GraphServiceClient(request_adapter=client.adapter)
    sid = plan.subject.id
    if plan.action in DEVICE_ACTIONS:
        device = sdk.device_management.managed_devices.by_managed_device_id(sid)
        post = {  # each builder is its own class, so choose the call, not the builder
            "sync-device": lambda: device.sync_device.post(),
            "update-defender-signatures": lambda: device.windows_defender_update_signatures.post(),
            "remote-lock": lambda: device.remote_lock.post(),
        }[plan.action]
        await client.call(post())
        return make_result(plan, Outcome.APPLIED, describe(plan))
    if plan.action == "revoke-sessions":
        await client.call(sdk.users.by_user_id(sid).revoke_sign_in_sessions.post())
        return make_result(plan, Outcome.APPLIED, describe(plan))
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
    return make_result(plan, Outcome.APPLIED, describe(plan), previous=previous, new=change)
