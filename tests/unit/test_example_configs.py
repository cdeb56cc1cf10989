"""The configuration examples people copy must validate against the real connector settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from enforcer.cli.main import main
from enforcer.config import load_config

ROOT = Path(__file__).resolve().parents[2]


def test_init_writes_a_config_that_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "enforcer.yaml"
    assert main(["init", str(path)]) == 0
    assert path.stat().st_mode & 0o077 == 0
    assert main(["config", "check", "--config", str(path), "--offline"]) == 0
    assert main(["init", str(path)]) == 2  # never overwrites without --force


@pytest.mark.parametrize("doc", ["docs/ad.md", "docs/graph.md"])
def test_documented_source_examples_validate(tmp_path: Path, doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert block, f"no yaml example in {doc}"
    path = tmp_path / "c.yaml"
    path.write_text(block.group(1), encoding="utf-8")
    config = load_config(path)
    assert config.sources and config.sources[0].type in ("ad", "graph")
