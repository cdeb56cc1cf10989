"""The demo and snapshot sources as a run builds them, and ``enforcer snapshot export``."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.demo.generator import DemoSchool
from connectors.snapshot.source import read_header, read_records, write_snapshot
from enforcer.cli.main import main
from enforcer.config import Config, load_config
from enforcer.model.errors import InputError
from enforcer.secrets import read_secret
from enforcer.sources import registry as source_types
from enforcer.sources.interface import BuildContext, Source
from tests.demo.conftest import AS_OF


def _build(config: Config, index: int = 0) -> Source:
    sc = config.sources[index]
    ctx = BuildContext(
        secrets=read_secret, classifier=config.schools[0].classifier(), base_dir=config.base_dir, as_of=AS_OF
    )
    return source_types.builder(sc.type)(sc.name, sc.settings, ctx)  # type: ignore[no-any-return]


def test_no_configuration_means_the_demo_school(school: DemoSchool) -> None:
    source = _build(load_config(None))
    assert isinstance(source, Source) and source.type == "demo"
    assert list(source.collect()) == list(school.records())
    (result,) = source.check()
    assert result.ok and "250 devices" in result.detail


def test_demo_settings_are_validated_with_line_numbers(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("sources:\n  - name: demo\n    type: demo\n    seed: 7\n    pupil: 3\n")
    with pytest.raises(InputError) as err:
        load_config(cfg)
    assert err.value.line == 5
    cfg.write_text(
        "sources:\n  - name: small\n    type: demo\n    seed: 7\n    pupils: 30\n    devices: 10\n"
    )
    records = list(_build(load_config(cfg)).collect())
    assert sum(1 for r in records if type(r).__name__ == "Device") == 10
    assert {r.source for r in records} == {"small"}


def test_snapshot_source_reads_relative_to_the_config(tmp_path: Path, school: DemoSchool) -> None:
    (tmp_path / "data").mkdir()
    write_snapshot(tmp_path / "data" / "s.jsonl.gz", school.records(), school=school.school, source="demo")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("sources:\n  - name: offline\n    type: snapshot\n    path: data/s.jsonl.gz\n")
    source = _build(load_config(cfg))
    assert isinstance(source, Source)
    got = list(source.collect())
    assert len(got) == len(list(school.records())) and {r.source for r in got} == {"offline"}
    (result,) = source.check()
    assert result.ok and "Demo Primary School" in result.detail
    cfg.write_text("sources:\n  - name: offline\n    type: snapshot\n    path: data/nope.jsonl\n")
    with pytest.raises(InputError, match="not found"):
        list(_build(load_config(cfg)).collect())
    cfg.write_text("sources:\n  - name: offline\n    type: snapshot\n    file: x\n")
    with pytest.raises(InputError) as err:
        load_config(cfg)
    assert "file: unknown key" in str(err.value) and err.value.line in (2, 4)


def test_cli_export_of_the_demo(
    tmp_path: Path, school: DemoSchool, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo.jsonl.gz"
    assert main(["snapshot", "export", "--output", str(out), "--as-of", AS_OF.isoformat()]) == 0
    assert list(read_records(out)) == list(school.records())
    assert read_header(out).source == "demo"
    assert "wrote" in capsys.readouterr().out


def test_cli_export_of_a_configured_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = Path(__file__).resolve().parent.parent / "data" / "roster" / "sims-default.csv"
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "school: {name: Test School}\nsources:\n  - {name: demo, type: demo, pupils: 10, devices: 5}\n"
        f"  - name: mis\n    type: roster\n    path: {roster}\n"
    )
    out = tmp_path / "mis.jsonl"
    assert main(["snapshot", "export", "--config", str(cfg), "--source", "mis", "--output", str(out)]) == 0
    pupils = list(read_records(out))
    assert [p.pupil_id for p in pupils][:2] == ["A100000000001", "A100000000002"]  # type: ignore[union-attr]
    assert read_header(out).school == "Test School"
    assert main(["snapshot", "export", "--config", str(cfg), "--output", str(out)]) == 2
    assert main(["snapshot", "export", "--config", str(cfg), "--source", "nope", "--output", str(out)]) == 2
    assert "--source is required" in capsys.readouterr().err


def test_cli_export_of_a_bad_source_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    bad = Path(__file__).resolve().parent.parent / "data" / "roster" / "bad-date.csv"
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"sources:\n  - name: mis\n    type: roster\n    path: {bad}\n")
    out = tmp_path / "mis.jsonl"
    assert main(["snapshot", "export", "--config", str(cfg), "--output", str(out)]) == 2
    assert not out.exists() and list(tmp_path.iterdir()) == [cfg]


def test_auditing_the_snapshot_gives_the_same_findings(tmp_path: Path) -> None:
    """Offline audit: the exported demo, read back by a snapshot source, gives the same report."""
    from enforcer.pipeline.run import RunOptions, run

    out = tmp_path / "demo.jsonl.gz"
    assert main(["snapshot", "export", "--output", str(out), "--as-of", AS_OF.isoformat()]) == 0
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"sources:\n  - name: demo\n    type: snapshot\n    path: {out}\n")
    live = run(load_config(None), RunOptions(as_of=AS_OF)).result
    offline = run(load_config(cfg), RunOptions(as_of=AS_OF)).result
    assert live.counts() == offline.counts() and live.counts()["fail"] > 0
    assert [(f.rule, f.status, f.fingerprint) for f in live.findings] == [
        (f.rule, f.status, f.fingerprint) for f in offline.findings
    ]


@pytest.mark.parametrize("day", ["2026-08-31", "2026-09-01", "2027-02-28T23:59:59+00:00"])
def test_the_demo_reports_the_same_on_any_day(day: str) -> None:
    """Dates are relative to as-of, so `enforcer run` shows the same sprinkling whenever it runs
    (including across the 31 August / 1 September school-year boundary)."""
    from enforcer.pipeline.run import RunOptions, parse_as_of, run

    base = run(load_config(None), RunOptions(as_of=AS_OF)).result
    other = run(load_config(None), RunOptions(as_of=parse_as_of(day))).result
    assert base.counts() == other.counts()
    # Pupils' usernames carry their intake year, so compare verdicts per rule, not names.
    assert sorted((f.rule, f.status) for f in base.findings) == sorted(
        (f.rule, f.status) for f in other.findings
    )
