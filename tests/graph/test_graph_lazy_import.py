"""The SDK is imported only when a Graph source does I/O: ``enforcer --help`` must not load it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SDK = (
    "msgraph",
    "msgraph_core",
    "kiota_abstractions",
    "kiota_http",
    "kiota_authentication_azure",
    "kiota_serialization_json",
    "azure",
)


def imported_modules(*args: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode in (0, 2), proc.stderr[-2000:]
    names = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.append(line.rsplit("|", 1)[1].strip())
    assert names, "no -X importtime output"
    return names


def sdk_modules(names: list[str]) -> list[str]:
    return [n for n in names if n.split(".")[0] in SDK]


@pytest.mark.graph
def test_enforcer_help_loads_no_sdk_module():
    names = imported_modules("-m", "enforcer", "--help")
    assert "enforcer.cli.main" in names
    assert sdk_modules(names) == []


@pytest.mark.graph
def test_settings_and_build_load_no_sdk_module():
    code = (
        "from connectors.graph.settings import Settings; from connectors.graph.source import build; "
        "Settings.model_validate({'access_token': {'env': 'X'}})"
    )
    names = imported_modules("-c", code)
    assert "connectors.graph.source" in names
    assert sdk_modules(names) == []


@pytest.mark.graph
def test_the_client_does_load_the_sdk():
    """So the two tests above can fail: the detector sees the SDK when it is there."""
    names = imported_modules("-c", "import connectors.graph.client")
    assert "msgraph" in sdk_modules(names) or any(n.startswith("msgraph.") for n in names)
