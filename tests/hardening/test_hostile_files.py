"""Hostile packs and configurations: a clear error with file and line, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from enforcer.cli.main import main

PRIMARY = Path(__file__).resolve().parents[2] / "policies" / "primary-school.yaml"


def run_validate(tmp_path: Path, text: str | bytes, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / "pack.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    code = main(["policy", "validate", str(path)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def test_deeply_nested_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_validate(tmp_path, "a: " + "[" * 5000 + "]" * 5000 + "\n", capsys)
    assert code == 2 and "pack.yaml" in err


def test_alias_bomb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bomb = "".join(
        f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9 if i else ["lol"] * 9) + "]\n" for i in range(9)
    )
    code, err = run_validate(tmp_path, bomb, capsys)
    assert code == 2 and "aliases" in err and "pack.yaml:2:" in err


def test_huge_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_validate(tmp_path, "# " + "x" * (3 * 1024 * 1024) + "\n", capsys)
    assert code == 2 and "larger than" in err


def test_truncated_pack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = PRIMARY.read_text(encoding="utf-8")
    code, err = run_validate(tmp_path, text[: len(text) // 2].rsplit("\n", 1)[0] + "\n  - id: cut", capsys)
    assert code == 2 and "pack.yaml:" in err


def test_invalid_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_validate(tmp_path, b"pack:\n  name: \xff\xfe\n", capsys)
    assert code == 2 and "pack.yaml:2: not valid UTF-8" in err


def test_wrong_types_and_unknown_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = PRIMARY.read_text(encoding="utf-8").replace("severity: critical", "severity: [1, 2]", 1)
    text = text.replace("  tracking_apps:", "  trackin_apps:", 1)
    code, err = run_validate(tmp_path, text, capsys)
    assert code == 2
    assert "inventory.trackin_apps: unknown key" in err
    assert "severity" in err
    assert len(err.strip().splitlines()) >= 2  # every problem, not just the first


def test_a_list_where_a_mapping_belongs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_validate(tmp_path, "- just\n- a list\n", capsys)
    assert code == 2 and "pack.yaml:1:" in err


def test_hostile_config_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("reports: {dir: out}\nsources: [{name: x, type: demo, seed: 'abc'}]\n", encoding="utf-8")
    assert main(["run", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert f"{cfg}:2:" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
