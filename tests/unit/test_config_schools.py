"""Multi-school configuration: one file for a trust, each school with its own sources and pack."""

from __future__ import annotations

from pathlib import Path

import pytest

from enforcer.config import load_config
from enforcer.model.errors import InputError

TRUST = """
version: 1
policy: primary-school
schools:
  - id: oakfield
    name: Oakfield Primary
    sources: [{name: oak-demo, type: demo, seed: 1}]
  - id: riverside
    name: Riverside Primary
    policy: ncsc-baseline
    recipients: [head@riverside.example]
    sources: [{name: river-demo, type: demo, seed: 2}]
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_each_school_inherits_defaults_and_keeps_its_own(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, TRUST))
    assert cfg.multi_school
    assert [(s.id, s.policy) for s in cfg.schools] == [
        ("oakfield", "primary-school"),
        ("riverside", "ncsc-baseline"),
    ]
    assert cfg.schools[1].recipients == ("head@riverside.example",)
    assert [s.name for s in cfg.sources] == ["oak-demo", "river-demo"]
    assert cfg.school_of("river-demo").id == "riverside"


def test_single_school_config_is_one_school(tmp_path: Path) -> None:
    cfg = load_config(None)
    assert not cfg.multi_school and len(cfg.schools) == 1 and cfg.schools[0].id == "demo-primary-school"


@pytest.mark.parametrize(
    "text, message",
    [
        (TRUST + "sources: [{name: x, type: demo}]\n", "'sources' cannot be used with 'schools'"),
        (TRUST.replace("id: riverside", "id: oakfield"), "duplicate school id 'oakfield'"),
        (TRUST.replace("name: river-demo", "name: oak-demo"), "duplicate source name 'oak-demo'"),
        (TRUST.replace("seed: 2", "seed: two"), "seed"),
    ],
)
def test_mistakes_are_located(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_config(path)
    assert message in str(info.value) and f"{path}:" in str(info.value)
