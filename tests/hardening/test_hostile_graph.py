"""Hostile Entra ID / Intune data, served by the project's Graph test server and read by the real
msgraph-sdk client, through ``enforcer run``: correct or ``error`` findings, inert reports."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from enforcer.reports.common import scrub
from tests.hardening.conftest import AS_OF, GRAPH_TOKEN, graph_source_yaml, write_config
from tests.hardening.safety import HOSTILE_NAMES, check_report_folder, check_terminal
from tests.services.graph_server import GraphServer, Tenant, _Handler

pytestmark = pytest.mark.graph
IDENTITY = {
    "roles": [
        {"role": "staff", "attribute": "employeeType", "value": "Staff"},
        {"role": "pupil", "attribute": "employeeType", "value": "Pupil"},
    ]
}


def _user(tenant: Tenant, ident: str, **fields: Any) -> dict[str, Any]:
    user = copy.deepcopy(tenant.users[0])  # a staff member with a complete record
    user.update({"id": ident, "userPrincipalName": f"{ident}@stexample.sch.uk", **fields})
    return user


def _device(tenant: Tenant, ident: str, **fields: Any) -> dict[str, Any]:
    dev = copy.deepcopy(next(d for d in tenant.devices if d.get("operatingSystem") == "Windows"))
    dev.update({"id": ident, **fields})
    return dev


def _run(cli, tmp_path: Path, server: GraphServer) -> tuple[Any, dict[str, Any]]:
    config = write_config(tmp_path, [graph_source_yaml(server)], identity=IDENTITY)
    res = cli("run", "--config", str(config), "--as-of", AS_OF)
    assert "Traceback" not in res.err and "internal error" not in res.err, res.err
    check_terminal(res.out)
    return res, check_report_folder(tmp_path / "reports")


def _find(doc: dict[str, Any], subject: str, rule: str) -> dict[str, Any]:
    hits = [f for f in doc["findings"] if f["subject"]["id"] == subject and f["rule"] == rule]
    assert len(hits) == 1, (subject, rule, len(hits))
    return hits[0]


def test_hostile_names_from_graph_are_inert(cli, tmp_path: Path, tenant: Tenant, graph_env: str) -> None:
    for key, name in HOSTILE_NAMES.items():
        tenant.users.append(
            _user(
                tenant,
                f"u-{key}",
                displayName=name,
                userPrincipalName=f"{name}@stexample.sch.uk",
                passwordPolicies="DisablePasswordExpiration",
            )
        )
        tenant.devices.append(
            _device(tenant, f"d-{key}", deviceName=name, userPrincipalName=name, isEncrypted=False)
        )
    with GraphServer(tenant, token=GRAPH_TOKEN) as server:
        res, doc = _run(cli, tmp_path, server)
    assert res.code == 1 and doc["run"]["complete"] is True
    for key, name in HOSTILE_NAMES.items():
        f = _find(doc, f"u-{key}", "staff-password-expiry-enabled")
        assert f["status"] == "fail" and f["subject"]["name"].startswith(scrub(name)), key
        d = _find(doc, f"d-{key}", "computer-encrypted")
        assert d["status"] == "fail" and d["subject"]["owner"] == scrub(f"{name}"), key


def test_graph_password_changed_before_1601_fails(
    cli, tmp_path: Path, tenant: Tenant, graph_env: str
) -> None:
    tenant.users.append(_user(tenant, "old", lastPasswordChangeDateTime="1600-01-01T00:00:00Z"))
    with GraphServer(tenant, token=GRAPH_TOKEN) as server:
        _, doc = _run(cli, tmp_path, server)
    assert _find(doc, "old", "staff-password-max-age")["status"] == "fail"


def test_graph_password_changed_in_the_far_future_is_an_error(
    cli, tmp_path: Path, tenant: Tenant, graph_env: str
) -> None:
    tenant.users.append(_user(tenant, "future", lastPasswordChangeDateTime="9999-12-31T23:59:59Z"))
    tenant.users.append(_user(tenant, "garbage", lastPasswordChangeDateTime="not a date <b>"))
    with GraphServer(tenant, token=GRAPH_TOKEN) as server:
        _, doc = _run(cli, tmp_path, server)
    assert _find(doc, "future", "staff-password-max-age")["status"] == "error"
    assert _find(doc, "garbage", "staff-password-max-age")["status"] == "error"


def test_graph_missing_attributes_are_errors(cli, tmp_path: Path, tenant: Tenant, graph_env: str) -> None:
    tenant.users.append({"id": "bare", "employeeType": "Staff"})
    tenant.devices.append({"id": "bare-dev"})
    with GraphServer(tenant, token=GRAPH_TOKEN) as server:
        res, doc = _run(cli, tmp_path, server)
    mine = [f for f in doc["findings"] if f["subject"]["id"] in ("bare", "bare-dev")]
    assert mine and not [f for f in mine if f["status"] == "pass" and f["rule"] != "account-role-known"], [
        (f["rule"], f["status"]) for f in mine if f["status"] == "pass"
    ]
    assert any(f["status"] == "error" for f in mine)


def test_graph_duplicate_objects_give_one_finding_each(
    cli, tmp_path: Path, tenant: Tenant, graph_env: str
) -> None:
    tenant.users.append(copy.deepcopy(tenant.users[1]))
    tenant.devices.append(copy.deepcopy(tenant.devices[0]))
    with GraphServer(tenant, token=GRAPH_TOKEN) as server:
        res, doc = _run(cli, tmp_path, server)
    assert res.code in (0, 1) and doc["run"]["complete"] is True
    fps = [f["fingerprint"] for f in doc["findings"]]
    assert len(fps) == len(set(fps))


def test_graph_unknown_enum_values_are_errors_not_passes(
    cli, tmp_path: Path, tenant: Tenant, graph_env: str
) -> None:
    tenant.devices.append(
        _device(
            tenant,
            "weird",
            operatingSystem="Plan9<script>",
            managementAgent="wizard",
            managedDeviceOwnerType="<i>alien</i>",
            jailBroken="Perhaps",
            isEncrypted="yes",
        )
    )
    with GraphServer(tenant, token=GRAPH_TOKEN) as server:
        res, doc = _run(cli, tmp_path, server)
    mine = [f for f in doc["findings"] if f["subject"]["id"] == "weird"]
    assert mine and all(f["status"] == "error" for f in mine), [(f["rule"], f["status"]) for f in mine]


def test_graph_lone_surrogate_and_ten_megabyte_name(
    cli, tmp_path: Path, tenant: Tenant, graph_env: str
) -> None:
    huge = "=" + "W" * (10 * 1024 * 1024)
    tenant.users.append(
        _user(
            tenant,
            "big",
            displayName=huge,
            userPrincipalName=None,
            passwordPolicies="DisablePasswordExpiration",
            jobTitle="\ud83d<x>\udc00",
        )
    )
    with GraphServer(tenant, token=GRAPH_TOKEN) as server:
        res, doc = _run(cli, tmp_path, server)
    f = _find(doc, "big", "staff-password-expiry-enabled")
    assert f["status"] == "fail" and f["subject"]["name"] == huge
    assert len(res.out) < 50_000


class _InvalidUtf8Server(GraphServer):
    """Answers with bytes that are not UTF-8 wherever a value holds the marker (same length)."""

    MARK, BAD = b"@@BAD@@", b"\xff\xfe\xff\xfe\xff\xfe\xff"

    def start(self) -> GraphServer:
        from tests.services.graph_server import _Server

        server = self

        class Handler(_Handler):
            owner = server

            def _send(self, status: int, headers: dict, body: Any, truncate: bool = False) -> None:
                real = self.wfile

                class Rewrite:
                    def write(self, data: bytes) -> int:
                        return real.write(data.replace(_InvalidUtf8Server.MARK, _InvalidUtf8Server.BAD))

                    def flush(self) -> None:
                        real.flush()

                self.wfile = Rewrite()  # type: ignore[assignment]
                try:
                    super()._send(status, headers, body, truncate)
                finally:
                    self.wfile = real

        import threading

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self


def test_graph_invalid_utf8_fails_the_source_not_the_run(
    cli, tmp_path: Path, tenant: Tenant, graph_env: str
) -> None:
    tenant.users.append(_user(tenant, "bad-bytes", displayName="x@@BAD@@y"))
    with _InvalidUtf8Server(tenant, token=GRAPH_TOKEN) as server:
        res, doc = _run(cli, tmp_path, server)
    assert res.code == 3 and doc["run"]["complete"] is False
    assert "not complete JSON" in doc["run"]["sources"][0]["error"]
