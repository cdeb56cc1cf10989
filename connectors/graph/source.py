"""The ``graph`` source: Entra ID accounts and domains, Intune devices, and remediation.

``build`` is the only thing the core imports (by name, from ``enforcer.sources.registry``) and it
imports nothing of the SDK: the client modules (msgraph, kiota, azure-identity) load
on the first ``collect``, ``check`` or ``apply``, so ``enforcer --help`` and runs without
a Graph source never pay for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from connectors.graph.loop import close_loop, run_async
from connectors.graph.remediate import GraphRemediator
from connectors.graph.settings import Settings
from enforcer.actions.interface import ActionPlan, ActionResult
from enforcer.model.values import Record
from enforcer.sources.interface import BuildContext, CheckResult

if TYPE_CHECKING:
    from connectors.graph.client import GraphClient
    from connectors.graph.reader import Emit, Snapshot


class GraphSource:
    type = "graph"

    def __init__(self, name: str, settings: Settings, ctx: BuildContext) -> None:
        self.name = name
        self.settings = settings
        self.ctx = ctx
        self._remediator = GraphRemediator(name, self._client)

    def _client(self) -> GraphClient:
        from connectors.graph.client import GraphClient

        return GraphClient(self.settings, self.ctx.secrets, self.ctx.base_dir)

    # -- reading -------------------------------------------------------------------
    async def _read(self, snap: Snapshot, emit: Emit | None = None) -> Snapshot:
        from connectors.graph.reader import read_all

        async with self._client() as client:
            return await read_all(client, self.ctx.tracking_apps, snap, emit)

    def collect(self) -> Iterator[Record]:
        """Records as their parts complete. The event loop is stepped from this generator: it
        runs until the next part is ready, then pauses while that part is mapped (and the run
        evaluates it), when the server goes on filling the socket buffers. No worker thread,
        so no GIL hand-offs on every socket read."""
        from connectors.graph.mapping import map_device
        from connectors.graph.reader import Snapshot

        snap = Snapshot()
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            parts: Iterator[tuple[str, list[dict]]] = self._stepped(snap)
        else:  # called from async code: read everything on a loop of its own, then map
            run_async(self._read(snap))
            parts = iter([("done", [])])
        accounts_done = False
        for kind, page in parts:
            if kind == "devices":
                for raw in page:
                    if isinstance(raw, dict) and "id" in raw:
                        yield map_device(self.name, raw, snap.protection.get(str(raw["id"])), None, None)
            elif kind == "accounts":
                accounts_done = True
                yield from self._accounts(snap)
        if not accounts_done:
            yield from self._accounts(snap)
        for raw in snap.devices:  # devices held back to join the detected-app inventory
            if isinstance(raw, dict) and "id" in raw:
                did = str(raw["id"])
                yield map_device(self.name, raw, snap.protection.get(did), snap.tracked, snap.inventoried)

    def _stepped(self, snap: Snapshot) -> Iterator[tuple[str, list[dict]]]:
        loop = asyncio.new_event_loop()
        ready: asyncio.Queue[tuple[str, list[dict]]] = asyncio.Queue()
        task = loop.create_task(self._read(snap, lambda kind, page: ready.put_nowait((kind, page))))
        task.add_done_callback(lambda _: ready.put_nowait(("done", [])))
        try:
            while True:
                kind, page = loop.run_until_complete(ready.get())
                if kind == "done":
                    task.result()  # a SourceError surfaces here
                    return
                yield kind, page
        finally:
            close_loop(loop)

    def _accounts(self, snap: Snapshot) -> Iterator[Record]:
        from connectors.graph.mapping import UserContext, domain_max_age, map_domain, map_user

        s = self.settings
        domains = None
        if snap.domains is not None:
            domains = {str(d["id"]).casefold(): domain_max_age(d) for d in snap.domains if "id" in d}
            for raw in snap.domains:
                if "id" in raw:
                    yield map_domain(self.name, raw)
        today = (self.ctx.as_of or datetime.now(UTC)).date()
        uctx = UserContext(
            source=self.name,
            classifier=self.ctx.classifier,
            today=today,
            domains=domains,
            mfa=snap.mfa,
            education=snap.education,
            attributes=tuple(s.attributes),
            year_group_from=tuple(s.year_group_from),
            grade_offset=s.grade_offset,
            sign_in=s.read.sign_in_activity,
        )
        for raw in snap.users:
            if isinstance(raw, dict) and "id" in raw:
                yield map_user(raw, uctx)

    def check(self) -> list[CheckResult]:
        from connectors.graph.check import check

        async def probe() -> list[CheckResult]:
            async with self._client() as client:
                return await check(client, self.ctx.tracking_apps)

        return run_async(probe())

    # -- remediation ---------------------------------------------------------------
    def supported_actions(self) -> frozenset[str]:
        return self._remediator.supported_actions()

    def apply(self, plan: ActionPlan) -> ActionResult:
        return self._remediator.apply(plan)

    def undo(self, result: ActionResult) -> ActionResult:
        return self._remediator.undo(result)


def build(name: str, settings: Settings, ctx: BuildContext) -> GraphSource:
    return GraphSource(name, settings, ctx)
