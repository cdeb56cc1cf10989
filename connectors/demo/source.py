"""The ``demo`` source: the built-in school, used when there is no configuration.

It sets roles and year groups itself (it is its own directory), so it ignores
``ctx.classifier``. Dates are relative to ``ctx.as_of`` (the run's as-of date)
unless the settings fix a reference date; the run should always pass its
as-of instant so "exactly 90 days old" is exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from connectors.demo.generator import DemoSchool, generate
from connectors.demo.settings import Settings
from enforcer.model.values import Record
from enforcer.sources.interface import BuildContext, CheckResult


class DemoSource:
    type = "demo"

    def __init__(self, name: str, settings: Settings, as_of: datetime | None = None) -> None:
        self.name = name
        self.settings = settings
        self.as_of = as_of

    def school(self) -> DemoSchool:
        return generate(self.settings, self.name, self.as_of)

    def collect(self) -> Iterator[Record]:
        yield from self.school().records()

    def check(self) -> list[CheckResult]:
        c = self.school().counts()
        detail = (
            f"built-in demo school {self.settings.school!r} (seed {self.settings.seed}): "
            f"{c['accounts']} accounts, {c['devices']} devices, {c['roster']} pupils on the roster"
        )
        return [CheckResult("demo school", True, detail)]


def build(name: str, settings: Settings, ctx: BuildContext) -> DemoSource:
    return DemoSource(name, settings, ctx.as_of)
