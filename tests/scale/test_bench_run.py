"""bench/run's table and BENCHMARKS.md writing (no benchmark is run here, and nothing is timed)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

BENCH_RUN = Path(__file__).resolve().parents[2] / "bench" / "run"


@pytest.fixture(scope="module")
def bench_run() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("bench_run", str(BENCH_RUN))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("bench_run", loader))
    loader.exec_module(module)
    return module


def test_table_shows_ratio_target_and_skipped_rows(bench_run: ModuleType) -> None:
    rows = [
        {
            "figure": "evaluation throughput, 1.0M objects",
            "value": 20000.0,
            "unit": "objects/s",
            "baseline": 100000.0,
            "baseline_name": "gunzip + json.loads",
            "ratio": 0.2,
            "target": "< 60 s for 1M",
            "ok": False,
            "note": "61.0 s wall",
        },
        {"figure": "AD read + evaluate vs ldapsearch", "skipped": "no Samba DC: samba-tool not found"},
    ]
    text = bench_run.table(rows)
    assert (
        "| 20,000 objects/s | 100,000 objects/s gunzip + json.loads | 0.20x | < 60 s for 1M | MISSED |"
        in text
    )
    assert "| AD read + evaluate vs ldapsearch | skipped: no Samba DC: samba-tool not found |" in text


def test_write_replaces_only_the_table(bench_run: ModuleType, tmp_path: Path) -> None:
    doc = tmp_path / "BENCHMARKS.md"
    doc.write_text(f"# B\n\nintro\n\n{bench_run.BEGIN}\nold table\n{bench_run.END}\n\n## Profile\nkept\n")
    bench_run.write_benchmarks(doc, "new table")
    text = doc.read_text()
    assert "old table" not in text and "new table" in text
    assert text.startswith("# B\n\nintro") and text.endswith("## Profile\nkept\n")


def test_unknown_flags_are_left_out_for_scripts_that_lack_them(bench_run: ModuleType) -> None:
    source = 'ap.add_argument("--users")'
    assert bench_run._known_flags(["--users", "20", "--rounds", "1", "--quick"], source) == ["--users", "20"]
