"""Every report format by name: the one table the CLI, the writer and the tests loop over."""

from __future__ import annotations

from enforcer.model.errors import UsageError
from enforcer.reports.csv_report import CsvReporter
from enforcer.reports.html import HtmlReporter
from enforcer.reports.interface import Reporter
from enforcer.reports.json_report import JsonReporter
from enforcer.reports.terminal import TerminalReporter

REPORTERS: dict[str, Reporter] = {
    r.name: r for r in (TerminalReporter(), JsonReporter(), CsvReporter(), HtmlReporter())
}
FILE_FORMATS: tuple[str, ...] = ("html", "json", "csv")
"""What ``enforcer run`` writes by default (the terminal summary is printed, not filed)."""


def get_reporter(name: str) -> Reporter:
    try:
        return REPORTERS[name]
    except KeyError:
        known = ", ".join(sorted(REPORTERS))
        raise UsageError(f"unknown report format {name!r} (known: {known})") from None
