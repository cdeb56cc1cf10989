"""``enforcer config check`` against the real DC: what the bind account can read, and what not."""

from __future__ import annotations

from pathlib import Path

import pytest

from enforcer.cli.main import main
from tests.connectors.adtools import DC
from tests.connectors.school import READER_DN, READER_PASSWORD, SCHOOL_OU
from tests.services.samba import ADMIN_DN, ADMIN_PASSWORD, BASE, CA_FILE, HOST

pytestmark = pytest.mark.samba

BITLOCKER = "BitLocker recovery objects (msFVE-RecoveryInformation)"
PSOS = "fine-grained password policies (PSOs)"


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "enforcer.yaml"
    path.write_text(
        f"""\
version: 1
school: {{name: Test Primary}}
policy: primary-school
sources:
  - name: ad
    type: ad
    host: {HOST}
    tls: ldaps
    ca_file: {CA_FILE}
    base_dn: "{BASE}"
    bind_dn: {{env: CHECK_AD_BIND_DN}}
    bind_password: {{env: CHECK_AD_PASSWORD}}
    user_base: "{SCHOOL_OU}"
    computer_base: "OU=Computers,{SCHOOL_OU}"
    retries: 0
""",
        encoding="utf-8",
    )
    return path


def check(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    dn: str,
    password: str,
) -> tuple[int, dict[str, str], str]:
    """Exit code, {capability: its line} for the AD source, and all the output."""
    monkeypatch.setenv("CHECK_AD_BIND_DN", dn)
    monkeypatch.setenv("CHECK_AD_PASSWORD", password)
    code = main(["config", "check", "--config", str(config_file(tmp_path))])
    captured = capsys.readouterr()
    out = captured.out + captured.err
    lines = {}
    for line in out.splitlines():
        parts = line.strip().split(": ", 3)
        if parts[0] == "ad (ad)" and len(parts) == 4:
            lines[parts[2]] = line
    return code, lines, out


def test_admin_bind_can_read_everything(
    samba_dc: DC, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, out = check(tmp_path, monkeypatch, capsys, ADMIN_DN, ADMIN_PASSWORD)
    assert code == 0, out
    assert list(lines) == ["bind", "domain root", "domain password policy", "users", PSOS, BITLOCKER]
    assert all(": ok: " in line and "->" not in line for line in lines.values()), out
    assert f"domain root: {BASE} readable" in lines["domain root"]
    assert "verdict: ready" in out


def test_ordinary_bind_names_what_it_cannot_read_and_the_cost(
    samba_dc: DC, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, out = check(tmp_path, monkeypatch, capsys, READER_DN, READER_PASSWORD)
    assert code == 3, out
    for capability in ("bind", "domain root", "users"):
        assert ": ok: " in lines[capability], out
    bitlocker = lines[BITLOCKER]
    assert ": FAILED: " in bitlocker and "none visible: either none escrowed or not readable" in bitlocker
    assert bitlocker.endswith("-> encryption unknown on every Windows computer")
    assert ": FAILED: " in lines[PSOS]
    assert lines[PSOS].endswith("-> effective password age unknown for every account a PSO applies to")
    assert "NOT READY" in out
    assert READER_PASSWORD not in out


def test_a_wrong_password_is_not_ready_and_not_shown(
    samba_dc: DC, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    canary = "Canary-Bind-77c2"
    code, lines, out = check(tmp_path, monkeypatch, capsys, READER_DN, canary)
    assert code == 3, out
    assert list(lines) == ["cannot check"] and "invalid credentials" in lines["cannot check"]
    assert canary not in out
