"""A source type for orchestration tests: yields a few records, then fails like a dropped link.

Registered into ``enforcer.sources.registry.SOURCE_TYPES`` by the tests that use it; the real
connectors' failure paths are tested against real servers in their own suites.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from enforcer.actions.interface import ActionPlan, ActionResult, Outcome
from enforcer.model.errors import ConfigError, SourceError
from enforcer.model.values import Account, Record, Role
from enforcer.sources.interface import BuildContext


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fail_after: int = 2
    fail: bool = True
    refuse_rebuild: bool = False
    """Fail every build after the first, as when a secret file disappears during a run."""


class FailingSource:
    type = "failing"

    def __init__(self, name: str, settings: Settings) -> None:
        self.name, self.settings = name, settings

    def collect(self) -> Iterator[Record]:
        for i in range(self.settings.fail_after):
            yield Account(
                source=self.name,
                id=f"u{i}",
                username=f"u{i}",
                role=Role.STAFF,
                enabled=True,
                password_last_set=datetime(2020, 1, 1, tzinfo=UTC),
                must_change_password=False,
            )
        if self.settings.fail:
            raise SourceError(f"{self.name}: connection dropped after {self.settings.fail_after} objects")

    def check(self) -> str:
        raise SourceError("unreachable")

    # A remediator that only records what it was asked to do.
    applied: list[str] = []

    def supported_actions(self) -> frozenset[str]:
        return frozenset({"force-password-change"})

    def apply(self, plan: ActionPlan) -> ActionResult:
        FailingSource.applied.append(plan.subject.id)
        return ActionResult(plan, Outcome.APPLIED, datetime.now(UTC), previous={"pwdLastSet": 1})

    def undo(self, result: ActionResult) -> ActionResult:
        return ActionResult(result.plan, Outcome.UNDONE, datetime.now(UTC))


BUILDS: dict[str, int] = {}


def build(name: str, settings: Settings, ctx: BuildContext) -> FailingSource:
    BUILDS[name] = BUILDS.get(name, 0) + 1
    if settings.refuse_rebuild and BUILDS[name] > 1:
        raise ConfigError(f"{name}: secret file is gone")
    return FailingSource(name, settings)
