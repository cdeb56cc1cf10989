"""``enforcer config check`` against the Graph test server: one line per area the reader reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from enforcer.cli.main import main
from tests.services.graph_server import GraphServer

pytestmark = pytest.mark.graph

DEVICES = r"/v1.0/deviceManagement/managedDevices$"


def config_file(tmp_path: Path, server: GraphServer) -> Path:
    path = tmp_path / "enforcer.yaml"
    path.write_text(
        f"""\
version: 1
school: {{name: St Example Primary}}
policy: primary-school
sources:
  - name: entra
    type: graph
    base_url: {server.base_url}
    access_token: {{env: ENFORCER_TEST_GRAPH_TOKEN}}
    read: {{education: true}}
    max_retries: 1
    backoff_seconds: 0.01
""",
        encoding="utf-8",
    )
    return path


def check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, str], str]:
    """Exit code, {capability: its whole line} for the Graph source, and all the output."""
    code = main(["config", "check", "--config", str(path)])
    captured = capsys.readouterr()
    out = captured.out + captured.err
    lines = {}
    for line in out.splitlines():
        if line.strip().startswith("entra (graph): "):
            parts = line.split(": ", 3)
            if len(parts) > 3:
                lines[parts[2]] = line
    return code, lines, out


def test_every_area_is_probed_and_ready(
    server: GraphServer, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, out = check(config_file(tmp_path, server), capsys)
    assert code == 0, out
    assert set(lines) >= {
        "token",
        "users",
        "education users",
        "MFA registration details",
        "domains",
        "managed devices",
        "detected apps",
    }
    assert all(": ok: " in line for line in lines.values()), out
    assert server.requests_to(DEVICES)[0].query == {"$select": "id", "$top": "1"}  # one small page


def test_a_403_on_devices_fails_that_line_only(
    server: GraphServer, token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.inject(DEVICES, status=403, times=-1)
    code, lines, out = check(config_file(tmp_path, server), capsys)
    assert code == 3, out
    devices = lines["managed devices"]
    assert ": FAILED: " in devices and "403" in devices
    assert "DeviceManagementManagedDevices.Read.All" in devices and "-> the run fails this source" in devices
    others = {k: v for k, v in lines.items() if k != "managed devices"}
    assert others and all(": ok: " in line for line in others.values()), out
    assert "NOT READY" in out


def test_a_refused_token_fails_the_source(
    server: GraphServer,
    token_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(token_env, "Canary-Token-19af")
    code, _, out = check(config_file(tmp_path, server), capsys)
    assert code == 3, out
    entra = [line for line in out.splitlines() if line.strip().startswith("entra (graph): ")]
    assert len(entra) == 1 and ": FAILED: cannot check: " in entra[0] and "401" in entra[0], out
    assert "Canary-Token-19af" not in out
