"""Fixtures for the hardening suite: hostile snapshots, the project's Graph test server with
the real msgraph-sdk client, and a way to run the real CLI in-process or as a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # tests/ is not a package; the services live in tests/services
    sys.path.insert(0, str(ROOT))

from tests.services.graph_server import GraphServer, Tenant  # noqa: E402

GRAPH_DATA = ROOT / "tests" / "data" / "graph" / "tenant.json"
GRAPH_TOKEN = "graph-canary-token-Zq8w1x"
AS_OF = "2025-01-15"
HEADER = {
    "format": "enforcer.snapshot",
    "version": 1,
    "school": "Hostile Primary",
    "exported": "2025-01-14T00:00:00+00:00",
    "source": "x",
}


def write_snapshot(path: Path, records: Iterable[dict[str, Any]], *, end: bool = True) -> Path:
    """JSON Lines with ASCII escapes, so a lone surrogate travels as ``\\ud800`` (valid JSON)."""
    lines = [json.dumps(HEADER)]
    n = 0
    for r in records:
        lines.append(json.dumps(r, ensure_ascii=True))
        n += 1
    if end:
        lines.append(json.dumps({"kind": "end", "records": n}))
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """The real ``enforcer`` entry point, in-process (fast); logging goes to captured stderr."""
    from enforcer.cli.main import main

    def run(*argv: str) -> CliResult:
        code = main(list(argv))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def child_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
    env.pop("COLUMNS", None)
    return env


def run_child(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "enforcer", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def tenant() -> Tenant:
    return Tenant.load(GRAPH_DATA)


@pytest.fixture
def graph(tenant: Tenant) -> Iterator[GraphServer]:
    with GraphServer(tenant, token=GRAPH_TOKEN) as srv:
        yield srv


@pytest.fixture
def graph_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ENFORCER_HARDENING_GRAPH_TOKEN", GRAPH_TOKEN)
    return "ENFORCER_HARDENING_GRAPH_TOKEN"


def graph_source_yaml(server: GraphServer, name: str = "entra", **extra: Any) -> str:
    """One ``type: graph`` source entry (flow-style YAML) pointing at the test server."""
    entry: dict[str, Any] = {
        "name": name,
        "type": "graph",
        "base_url": server.base_url,
        "access_token": {"env": "ENFORCER_HARDENING_GRAPH_TOKEN"},
        "attributes": ["department", "jobTitle", "employeeType", "primaryRole"],
        "backoff_seconds": 0.01,
        "max_retries": 2,
        "timeout_seconds": 5,
        "max_retry_after_seconds": 1,
        **extra,
    }
    return json.dumps(entry)


def write_config(folder: Path, sources: list[str], **top: Any) -> Path:
    """A configuration file (JSON is YAML) with the given source entries."""
    text = (
        "{"
        + ", ".join(
            [
                f'"sources": [{", ".join(sources)}]',
                '"reports": {"dir": "reports"}',
                *(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in top.items()),
            ]
        )
        + "}\n"
    )
    path = folder / "enforcer.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The SDK's generated builders warn about their own deprecated classes on import; not ours."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning:msgraph.*"))
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning:kiota_abstractions.*"))
