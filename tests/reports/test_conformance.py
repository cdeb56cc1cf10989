"""Every registered reporter: renders, is deterministic, and never passes hostile text through raw."""

from __future__ import annotations

import dataclasses
import random

import pytest

from enforcer.model.errors import UsageError
from enforcer.reports.interface import Reporter, ReportExtras, TrendPoint
from enforcer.reports.registry import FILE_FORMATS, REPORTERS, get_reporter

from .conftest import AS_OF

ALL = sorted(REPORTERS)


def test_registry_holds_every_format_under_its_own_name() -> None:
    assert set(ALL) == {"table", "json", "csv", "html"}
    assert set(FILE_FORMATS) <= set(ALL)
    for name, reporter in REPORTERS.items():
        assert isinstance(reporter, Reporter)
        assert reporter.name == name
        assert reporter.extension.isalnum()


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown report format 'pdf'"):
        get_reporter("pdf")


@pytest.mark.parametrize("name", ALL)
def test_renders_and_is_deterministic(name: str, ordinary, hostile) -> None:
    reporter = REPORTERS[name]
    for result in (ordinary, hostile):
        first = reporter.render(result)
        assert first and first == reporter.render(result)
        first.encode("utf-8")  # lone surrogates must not survive into the output


@pytest.mark.parametrize("name", ALL)
def test_order_of_findings_does_not_matter(name: str, ordinary) -> None:
    shuffled = list(ordinary.findings)
    random.Random(7).shuffle(shuffled)
    other = dataclasses.replace(ordinary, findings=tuple(reversed(shuffled)))
    assert REPORTERS[name].render(other) == REPORTERS[name].render(ordinary)


@pytest.mark.parametrize("name", ALL)
def test_hostile_markup_and_escapes_never_appear_raw(name: str, hostile) -> None:
    out = REPORTERS[name].render(hostile, color=True)
    assert "\x1b[31mred" not in out  # a directory value cannot drive the terminal
    assert "\u202e" not in out or name == "json"  # JSON keeps the original text, escaped by consumers
    if name == "html":
        assert "<script>alert" not in out and "<img src=x" not in out


@pytest.mark.parametrize("name", ALL)
def test_extras_are_accepted(name: str, ordinary) -> None:
    extras = ReportExtras(
        trend=(TrendPoint("r0", AS_OF, {"fail": 3}),),
        new=ordinary.findings[:1],
        fixed=ordinary.findings[1:2],
        previous_run_id="r0",
    )
    assert REPORTERS[name].render(ordinary, extras=extras) == REPORTERS[name].render(ordinary, extras=extras)


@pytest.mark.parametrize("name", ALL)
def test_no_personal_data_beyond_the_finding(name: str, ordinary) -> None:
    """The pack path (a local file path) is not part of any report; subjects carry id/name/source only."""
    out = REPORTERS[name].render(ordinary)
    assert "/packs/primary-school.yaml" not in out
