"""The estate generator: deterministic bytes, one snapshot per school, memory of one school."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

import pytest

from connectors.demo.estate import (
    CONFIG,
    MANIFEST,
    EstateSpec,
    SchoolEntry,
    read_manifest,
    school_name,
    school_settings,
    schools_for,
    snapshot_paths,
    write_estate,
)
from connectors.snapshot.source import read_header, read_records
from enforcer.cli.main import main
from enforcer.model.errors import InputError, UsageError
from enforcer.model.values import Account, Device, DomainPolicy, RosterEntry


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_same_bytes(tmp_path: Path, trio: tuple[Path, list[SchoolEntry]]) -> None:
    again = tmp_path / "again"
    write_estate(EstateSpec(schools=3, seed=11, accounts_per_school=120, devices_per_school=60), again)
    assert _bytes(again) == _bytes(trio[0])


def test_another_seed_another_estate(tmp_path: Path, trio: tuple[Path, list[SchoolEntry]]) -> None:
    other = tmp_path / "other"
    write_estate(EstateSpec(schools=3, seed=12, accounts_per_school=120, devices_per_school=60), other)
    ours, theirs = _bytes(trio[0]), _bytes(other)
    assert ours.keys() == theirs.keys()
    assert all(ours[name] != theirs[name] for name in ours)


def test_a_school_does_not_depend_on_the_estate_size(
    tmp_path: Path, trio: tuple[Path, list[SchoolEntry]]
) -> None:
    """The trust of 20 is the first 20 schools of the contractor's estate with the same seed."""
    one = tmp_path / "one"
    write_estate(EstateSpec(schools=1, seed=11, accounts_per_school=120, devices_per_school=60), one)
    first = trio[1][0].file
    assert (one / first).read_bytes() == (trio[0] / first).read_bytes()


def test_snapshots_are_gzip_in_the_documented_format(trio: tuple[Path, list[SchoolEntry]]) -> None:
    folder, entries = trio
    for entry, (source, path) in zip(entries, snapshot_paths(folder), strict=True):
        assert source == entry.source and path.name == entry.file
        assert path.read_bytes()[:2] == b"\x1f\x8b"
        header = read_header(path)
        assert (header.school, header.source) == (entry.school, entry.source)
        records = list(read_records(path))
        kinds = [type(r) for r in records]
        assert kinds.count(Account) == entry.accounts and kinds.count(Device) == entry.devices
        assert kinds.count(RosterEntry) == entry.pupils and kinds.count(DomainPolicy) == 1
        # Roster first, as the format asks of writers, so a reader can index it before accounts.
        assert kinds[: entry.pupils] == [RosterEntry] * entry.pupils
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            *_, last = fh
        assert json.loads(last) == {"kind": "end", "records": entry.records}


def test_schools_have_their_own_names_domains_and_sources(trio: tuple[Path, list[SchoolEntry]]) -> None:
    folder, entries = trio
    doc = read_manifest(folder)
    assert [s["source"] for s in doc["schools"]] == [e.source for e in entries]
    assert len({e.school for e in entries}) == len({e.source for e in entries}) == 3
    assert len({e.seed for e in entries}) == 3
    assert doc["totals"]["accounts"] == sum(e.accounts for e in entries)
    domains = {school_settings(EstateSpec(schools=3, seed=11), i).domain for i in range(3)}
    assert len(domains) == 3
    assert len({school_name(11, i) for i in range(6000)}) == 6000


def test_default_school_is_about_500_accounts_and_300_devices(tmp_path: Path) -> None:
    (entry,) = write_estate(EstateSpec(schools=1, seed=3), tmp_path)
    assert 475 <= entry.accounts <= 525 and entry.devices == 300


def test_contractor_estate_size() -> None:
    assert schools_for(1_000_000) == 1250
    assert schools_for(16_000) == 20
    assert schools_for(1) == 1


def test_memory_stays_at_one_school(tmp_path: Path) -> None:
    """Peak Python allocations for six schools are about those for two: nothing accumulates."""
    spec = dict(seed=5, accounts_per_school=150, devices_per_school=80)

    def peak(n: int, folder: Path) -> int:
        tracemalloc.start()
        try:
            write_estate(EstateSpec(schools=n, **spec), folder)  # type: ignore[arg-type]
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak(1, tmp_path / "warm")  # module-level caches, imports
    two, six = peak(2, tmp_path / "two"), peak(6, tmp_path / "six")
    assert six < two * 1.3, (two, six)


def test_bad_specs_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        EstateSpec(schools=0, seed=1)
    with pytest.raises(UsageError):
        EstateSpec(schools=1, seed=1, accounts_per_school=5)


def test_manifest_missing_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no estate manifest"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST).write_text("{}")
    with pytest.raises(InputError, match="not an enforcer estate"):
        read_manifest(tmp_path)


def test_cli_generates_and_is_deterministic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["demo", "generate", "--seed", "4", "--accounts-per-school", "100", "--devices-per-school", "50"]
    assert main([*args, "--schools", "2", "--out", str(tmp_path / "a")]) == 0
    assert "wrote 2 school snapshots" in capsys.readouterr().out
    assert main(["-q", *args, "--objects", "300", "--out", str(tmp_path / "b")]) == 0
    assert capsys.readouterr().out == ""
    assert _bytes(tmp_path / "a") == _bytes(tmp_path / "b")


def test_the_written_configuration_runs_the_whole_estate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``enforcer.yaml`` beside the snapshots: one ``enforcer run`` covers every school."""
    out = tmp_path / "estate"
    entries = write_estate(EstateSpec(schools=2, seed=8, accounts_per_school=60, devices_per_school=20), out)
    reports = tmp_path / "reports"
    code = main(
        ["-q", "run", "--config", str(out / CONFIG), "--reports-dir", str(reports), "--as-of", "2026-03-01"]
    )
    assert code == 1  # the demo schools carry planted violations
    estate = json.loads((reports / "estate-report.json").read_text(encoding="utf-8"))
    assert {s["id"]: s["complete"] for s in estate["schools"]} == {e.source: True for e in entries}


@pytest.mark.parametrize(
    "bad",
    [
        ["--schools", "0", "--out", "x"],
        ["--objects", "0", "--out", "x"],
        ["--schools", "1", "--out", "x", "--as-of", "soon"],
        ["--schools", "1"],
        ["--schools", "1", "--objects", "5", "--out", "x"],
    ],
)
def test_cli_usage_errors_exit_2(tmp_path: Path, bad: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "generate", *[str(tmp_path / b) if b == "x" else b for b in bad]]) == 2
    assert "Traceback" not in capsys.readouterr().err
