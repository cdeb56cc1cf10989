"""Throttling and faults: what recovers, what makes the source fail (and the run incomplete)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from connectors.graph.pipeline import RateLimiter
from enforcer.cli.main import main
from enforcer.config import load_config
from enforcer.model.errors import SourceError
from enforcer.model.values import Account
from enforcer.pipeline.run import RunOptions, run
from tests.services.graph_server import GraphServer

pytestmark = pytest.mark.graph


def test_a_429_storm_that_recovers(make_source, server: GraphServer):
    server.inject(r"/v1.0/users$", status=429, retry_after="0", times=3)  # Retry-After: 0 means now
    started = time.monotonic()
    records = list(make_source(max_retries=3).collect())
    assert sum(isinstance(r, Account) for r in records) == 9
    assert len(server.requests_to(r"/v1.0/users$")) == 4
    assert time.monotonic() - started < 3  # no hidden multi-second backoff for Retry-After: 0


def test_retry_after_is_honoured(make_source, server: GraphServer):
    server.inject(r"/v1.0/domains$", status=429, retry_after="1", times=1)
    started = time.monotonic()
    list(make_source().collect())
    assert time.monotonic() - started >= 1.0
    assert len(server.requests_to(r"/v1.0/domains$")) == 2


def test_a_429_storm_that_does_not_recover_fails_the_source(make_source, server: GraphServer):
    server.inject(r"/v1.0/deviceManagement/managedDevices$", status=429, retry_after="0", times=-1)
    with pytest.raises(SourceError, match=r"HTTP 429 TooManyRequests"):
        list(make_source(max_retries=2).collect())
    assert len(server.requests_to(r"/v1.0/deviceManagement/managedDevices$")) == 3  # bounded


def test_a_retry_after_beyond_the_cap_is_not_waited_for(make_source, server: GraphServer):
    server.inject(r"/v1.0/users$", status=429, retry_after="3600", times=-1)
    started = time.monotonic()
    with pytest.raises(SourceError, match="429"):
        list(make_source(max_retry_after_seconds=30).collect())
    assert time.monotonic() - started < 5 and len(server.requests_to(r"/v1.0/users$")) == 1


@pytest.mark.parametrize("status", [503, 504])
def test_gateway_errors_back_off_and_recover(make_source, server: GraphServer, status: int):
    server.inject(r"/v1.0/education/users$", status=status, times=2)  # no Retry-After: backoff
    records = list(make_source().collect())
    assert len(server.requests_to(r"/v1.0/education/users$")) == 3
    assert sum(isinstance(r, Account) for r in records) == 9


def test_a_500_is_not_retried_and_fails_the_source(make_source, server: GraphServer):
    server.inject(r"/v1.0/domains$", status=500, times=1)
    with pytest.raises(SourceError, match=r"GET .*/domains: HTTP 500 InternalServerError"):
        list(make_source().collect())
    assert len(server.requests_to(r"/v1.0/domains$")) == 1


def test_truncated_json_becomes_a_source_error(make_source, server: GraphServer):
    server.inject(r"/v1.0/deviceManagement/managedDevices$", kind="truncate", times=1)
    with pytest.raises(SourceError, match="not complete JSON"):
        list(make_source().collect())


def test_a_dropped_connection_becomes_a_source_error(make_source, server: GraphServer):
    server.inject(r"/v1.0/reports/authenticationMethods/userRegistrationDetails$", kind="drop", times=1)
    with pytest.raises(SourceError, match="connection failed"):
        list(make_source().collect())


def test_a_slow_server_times_out(make_source, server: GraphServer):
    server.inject(r"/v1.0/domains$", kind="slow", delay=2.0, times=1)
    with pytest.raises(SourceError, match="timed out"):
        list(make_source(timeout_seconds=0.5).collect())


def test_a_failing_batch_item_fails_the_source(make_source, server: GraphServer):
    server.inject(r"windowsProtectionState$", status=500, times=1)
    with pytest.raises(SourceError, match=r"in \$batch\): HTTP 500"):
        list(make_source().collect())


def test_a_wrong_token_fails_the_source(make_source, server: GraphServer, monkeypatch):
    monkeypatch.setenv("ENFORCER_TEST_GRAPH_TOKEN", "not-the-token")
    with pytest.raises(SourceError, match="401 InvalidAuthenticationToken"):
        list(make_source().collect())


def test_the_rate_limiter_keeps_inside_its_window():
    async def go() -> float:
        limiter = RateLimiter(limit=5, window=0.4)
        started = time.monotonic()
        for _ in range(11):
            await limiter.acquire()
        return time.monotonic() - started

    assert 0.8 <= asyncio.run(go()) < 2.0  # 11 starts at 5 per 0.4 s need two full windows


def config_file(tmp_path: Path, server: GraphServer, extra: str = "") -> Path:
    path = tmp_path / "enforcer.yaml"
    path.write_text(
        f"""\
version: 1
school: {{name: St Example Primary}}
policy: primary-school
identity:
  roles:
    - {{role: staff, attribute: employeeType, value: Staff}}
    - {{role: pupil, attribute: primaryRole, value: student}}
    - {{role: pupil, attribute: employeeType, value: Pupil}}
sources:
  - name: entra
    type: graph
    base_url: {server.base_url}
    access_token: {{env: ENFORCER_TEST_GRAPH_TOKEN}}
    attributes: [department, jobTitle, employeeType, primaryRole]
    year_group_from: [birth_date, attribute]
    read: {{education: true}}
    max_retries: 2
    backoff_seconds: 0.01
{extra}""",
        encoding="utf-8",
    )
    return path


def test_a_failed_graph_source_makes_the_run_incomplete(server: GraphServer, token_env, tmp_path: Path):
    server.inject(r"/v1.0/users$", status=429, retry_after="0", times=-1)
    outcome = run(load_config(config_file(tmp_path, server)), RunOptions(source_names=["entra"]))
    assert outcome.exit_code == 3
    status = outcome.result.sources[0]
    assert (status.name, status.ok) == ("entra", False) and "429" in (status.error or "")


def test_audit_cli_exit_3_when_throttled_for_good(server: GraphServer, token_env, tmp_path: Path, capsys):
    server.inject(r"/v1.0/deviceManagement/managedDevices$", status=503, times=-1)
    code = main(
        ["audit", "--config", str(config_file(tmp_path, server)), "--source", "entra", "--format", "json"]
    )
    assert code == 3


def test_audit_cli_reads_graph_from_the_documented_configuration(
    server: GraphServer, token_env, tmp_path: Path, capsys
):
    code = main(
        [
            "audit",
            "--config",
            str(config_file(tmp_path, server)),
            "--source",
            "entra",
            "--format",
            "json",
            "--as-of",
            "2025-01-15",
        ]
    )
    assert code == 1  # failing findings, source complete
    report = json.loads(capsys.readouterr().out)
    text = json.dumps(report)
    assert "STU-LT-0142" in text and "computer-encrypted" in text


def test_a_reply_of_the_wrong_shape_fails_the_source_not_the_program(make_source, server: GraphServer):
    """A device with no id (or a user that is not an object) is an unreadable source: exit 3, not 4."""
    server.tenant.devices.append({"deviceName": "NO-ID", "operatingSystem": "Windows"})
    with pytest.raises(SourceError, match=r"unexpected shape"):
        list(make_source().collect())
