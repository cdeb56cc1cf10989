"""Settings for the ``demo`` source (importable without generating anything).

The defaults are the demo school every newcomer sees; the counts can be changed
to make bigger or smaller schools (the estate generator uses other seeds).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = 2024
    """Same seed and same reference date give the same school, record for record."""
    school: str = "Demo Primary School"
    domain: str = Field(default="demo-primary.example", pattern=r"^[a-z0-9][a-z0-9.-]*$")
    pupils: int = Field(default=420, ge=0, le=100_000)
    staff: int = Field(default=60, ge=0, le=100_000)
    volunteers: int = Field(default=8, ge=0, le=10_000)
    service_accounts: int = Field(default=6, ge=0, le=1_000)
    devices: int = Field(default=250, ge=0, le=1_000_000)
    reference_date: date | None = None
    """Dates are generated relative to this day; default: the run's as-of date (or today).

    Generating relative to the as-of date is what keeps the same sprinkling of
    violations (a password exactly 90 days old, another 91) on whatever day the
    demo runs."""
