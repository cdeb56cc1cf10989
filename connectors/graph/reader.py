"""What the connector reads, overlapped where Graph allows it.

The collections are independent, so they are paged side by side (within the client's
concurrency and rate limits); each collection's own pages are sequential because the
next page's address is in the previous one. Windows devices' protection states are
batched as soon as the page that lists them arrives, so the batches overlap the rest
of the device paging.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.graph.batching import batch_get
from connectors.graph.client import GraphClient, GraphRequestError
from connectors.graph.mapping import DEVICE_SELECT, EDU_ATTRIBUTES, USER_SELECT
from enforcer.model.errors import SourceError

USERS_TOP, SIGN_IN_TOP = 999, 120


@dataclass(repr=False)
class Snapshot:
    """Raw Graph JSON, joined later by :mod:`connectors.graph.mapping`. None = not read.

    ``repr`` is counts only: asyncio and anyio format a finished task's result when it is
    cancelled or logged, and a generated repr of 70,000 dicts took half a second.
    """

    users: list[dict] = field(default_factory=list)
    education: dict[str, dict] | None = None
    mfa: dict[str, dict] | None = None
    domains: list[dict] | None = None
    devices: list[dict] = field(default_factory=list)
    protection: dict[str, Any] = field(default_factory=dict)
    tracked: frozenset[str] | None = None
    inventoried: frozenset[str] | None = None

    def __repr__(self) -> str:
        return f"Snapshot(users={len(self.users)}, devices={len(self.devices)})"


def user_select(attributes: Sequence[str], sign_in: bool) -> list[str]:
    fields = list(USER_SELECT)
    for name in attributes:
        top = name.split(".", 1)[0]
        if name not in EDU_ATTRIBUTES and top not in fields:
            fields.append(top)
    if sign_in:
        fields.append("signInActivity")
    return fields


Emit = Callable[[str, list[dict]], None]
"""``("devices", page)``: a page whose devices are complete (protection state read); ``("accounts", [])``:
users, MFA, education and domains are all read. Called on the event loop's thread."""


async def read_all(
    client: GraphClient, tracking_apps: Sequence[str], snap: Snapshot | None = None, emit: Emit | None = None
) -> Snapshot:
    """Read everything into ``snap``; with ``emit``, hand over parts as soon as they are complete
    so the caller can map and evaluate them while the rest is still being read."""
    s = client.settings
    snap = snap if snap is not None else Snapshot()
    account_jobs: list[Coroutine[Any, Any, None]] = []
    if s.read.users:
        account_jobs.append(_users(client, snap))
        if s.read.education:
            account_jobs.append(_education(client, snap))
        if s.read.mfa:
            account_jobs.append(_mfa(client, snap))
    if s.read.domains:
        account_jobs.append(_domains(client, snap))
    tracking = bool(s.read.devices and s.read.detected_apps and tracking_apps)
    try:
        async with asyncio.TaskGroup() as group:
            accounts = [group.create_task(job) for job in account_jobs]
            if s.read.devices:
                # Devices stream only when nothing read later (tracking) still has to be joined in.
                group.create_task(_devices(client, snap, emit if not tracking else None))
            if tracking:
                group.create_task(_detected_apps(client, snap, tracking_apps))
            if emit is not None and accounts:
                group.create_task(_when_done(accounts, lambda: emit("accounts", [])))
    except BaseExceptionGroup as eg:
        first = _first(eg)
        if first is not None:
            raise first from None
        shape = eg.subgroup((KeyError, TypeError, AttributeError, ValueError))
        if shape is not None:
            # A reply missing an expected key or of the wrong type is a source we could not read
            # (run incomplete, exit 3), not a crash; the exception is named so it can be traced.
            exc = _leaf(shape)
            raise SourceError(
                f"Graph sent a reply of an unexpected shape ({type(exc).__name__}: {str(exc)[:200]})"
            ) from None
        raise
    return snap


def _leaf(eg: BaseExceptionGroup) -> BaseException:
    exc: BaseException = eg
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return exc


async def _when_done(tasks: Sequence[asyncio.Task[None]], then: Callable[[], None]) -> None:
    await asyncio.gather(*tasks)
    then()


def _first(eg: BaseExceptionGroup) -> SourceError | None:
    for exc in eg.exceptions:
        if isinstance(exc, SourceError):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            found = _first(exc)
            if found is not None:
                return found
    return None


async def _users(client: GraphClient, snap: Snapshot) -> None:
    s = client.settings
    sign_in = s.read.sign_in_activity
    params = {
        "$select": ",".join(user_select(s.attributes, sign_in)),
        "$top": SIGN_IN_TOP if sign_in else USERS_TOP,
    }
    snap.users = await client.collect("/users", params)


async def _education(client: GraphClient, snap: Snapshot) -> None:
    rows = await client.collect("/education/users", {"$select": "id,primaryRole,student"})
    snap.education = {str(r["id"]): r for r in rows if isinstance(r, dict) and "id" in r}


async def _mfa(client: GraphClient, snap: Snapshot) -> None:
    rows = await client.collect(
        "/reports/authenticationMethods/userRegistrationDetails",
        {"$select": "id,userPrincipalName,isMfaRegistered,isAdmin"},
    )
    snap.mfa = {str(r["id"]): r for r in rows if isinstance(r, dict) and "id" in r}


async def _domains(client: GraphClient, snap: Snapshot) -> None:
    snap.domains = await client.collect("/domains", {"$select": "id,isVerified,passwordValidityPeriodInDays"})


async def _devices(client: GraphClient, snap: Snapshot, emit: Emit | None) -> None:
    s = client.settings
    batches: list[asyncio.Task[None]] = []

    async def protect(ids: list[str], page: list[dict]) -> None:
        paths = [f"/deviceManagement/managedDevices/{i}/windowsProtectionState" for i in ids]
        for did, body in zip(ids, await batch_get(client, paths), strict=True):
            snap.protection[did] = body
        if emit is not None:
            emit("devices", page)

    try:
        async for page in client.pages(
            "/deviceManagement/managedDevices", {"$select": ",".join(DEVICE_SELECT)}
        ):
            ids = (
                [
                    str(d["id"])
                    for d in page
                    if isinstance(d, dict) and str(d.get("operatingSystem", "")).casefold() == "windows"
                ]
                if s.read.protection_state
                else []
            )
            if emit is None:
                snap.devices.extend(page)
            if ids:
                batches.append(asyncio.create_task(protect(ids, page)))
            elif emit is not None:
                emit("devices", page)
        await asyncio.gather(*batches)
    finally:
        for task in batches:
            task.cancel()


def _device_count(app: dict) -> int:
    """Graph's count of devices with the app; a missing or odd value sorts it last, not first."""
    count = app.get("deviceCount")
    return count if isinstance(count, int) else 0


async def _detected_apps(client: GraphClient, snap: Snapshot, names: Sequence[str]) -> None:
    wanted = [n.casefold() for n in names if n]
    apps = await client.collect(
        "/deviceManagement/detectedApps", {"$select": "id,displayName,deviceCount,platform"}
    )
    tracking = [a for a in apps if any(w in str(a.get("displayName") or "").casefold() for w in wanted)]
    probes: list[dict] = []
    by_platform: dict[str, list[dict]] = {}
    for app in apps:
        by_platform.setdefault(str(app.get("platform")), []).append(app)
    for group in by_platform.values():
        group.sort(key=_device_count, reverse=True)
        probes.extend(group[: client.settings.inventory_probe_apps])

    async def devices_of(app: dict) -> set[str]:
        if not isinstance(app.get("id"), str):
            raise GraphRequestError("Graph GET /deviceManagement/detectedApps: an app has no id")
        rows = await client.collect(
            f"/deviceManagement/detectedApps/{app['id']}/managedDevices", {"$select": "id"}
        )
        return {str(r["id"]) for r in rows if isinstance(r, dict) and "id" in r}

    tracked_sets = await asyncio.gather(*(devices_of(a) for a in tracking))
    probe_ids = {a.get("id") for a in tracking}
    probe_sets = await asyncio.gather(*(devices_of(a) for a in probes if a.get("id") not in probe_ids))
    tracked = frozenset().union(*tracked_sets) if tracked_sets else frozenset()
    snap.tracked = tracked
    snap.inventoried = tracked.union(*probe_sets) if probe_sets else tracked
