"""The exit-code contract of ``enforcer config check`` (enforcer/pipeline/check.py), as pure values."""

from __future__ import annotations

from enforcer.pipeline.check import Checked, verdict
from enforcer.sources.interface import CheckResult

READY = Checked("demo (demo)", (CheckResult("demo school", True, "422 accounts"),))
UNKNOWNS = Checked(
    "ad (ad)",
    (
        CheckResult("bind", True, "bound"),
        CheckResult("BitLocker", False, "none visible", "encryption unknown on every Windows computer"),
    ),
)
UNREACHABLE = Checked("email", error="cannot reach SMTP server")
MISCONFIGURED = Checked("store", error="store.password: environment variable X is not set", error_exit=2)


def test_all_usable_is_0() -> None:
    assert verdict([READY]) == 0


def test_a_capability_that_makes_findings_unknown_is_3_not_a_warning() -> None:
    assert verdict([READY, UNKNOWNS]) == 3


def test_unreachable_is_3() -> None:
    assert verdict([READY, UNREACHABLE]) == 3


def test_a_wrong_configuration_is_2_and_wins_over_3() -> None:
    assert verdict([UNKNOWNS, MISCONFIGURED, UNREACHABLE]) == 2
