"""Remediation safety through ``enforcer run`` against the Graph test server (real msgraph-sdk client):
dry-run writes nothing, the change cap holds when every account fails, undo restores exactly."""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path

import pytest

from tests.hardening.conftest import AS_OF, GRAPH_TOKEN, graph_source_yaml, write_config
from tests.services.graph_server import GraphServer, Tenant

pytestmark = pytest.mark.graph
PACK = Path(__file__).resolve().parents[2] / "policies" / "primary-school.yaml"
IDENTITY = {"roles": [{"role": "staff", "attribute": "employeeType", "value": "Staff"}]}
ENFORCED = ("staff-password-expiry-enabled",)


def _pack(folder: Path, enforce: tuple[str, ...] = ()) -> Path:
    """The primary-school pack with the named rules switched from dry-run to enforce."""
    text = PACK.read_text(encoding="utf-8")
    for rule in enforce:
        head, _, rest = text.partition(f"  - id: {rule}\n")
        assert rest, rule
        body, sep, tail = rest.partition("\n  - id: ")
        assert "mode: dry-run" in body
        text = head + f"  - id: {rule}\n" + body.replace("mode: dry-run", "mode: enforce", 1) + sep + tail
    path = folder / "pack.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _writes(server: GraphServer) -> list[str]:
    out = []
    for s in server.seen:
        if s.method in ("PATCH", "PUT", "DELETE") or (s.method == "POST" and not s.path.endswith("/$batch")):
            out.append(f"{s.method} {s.path}")
    return out


def _actions() -> list[tuple[str, str, str]]:
    import os

    with sqlite3.connect(Path(os.environ["ENFORCER_HOME"]) / "enforcer.db") as conn:
        return conn.execute("SELECT action, mode, outcome FROM actions ORDER BY id").fetchall()


def test_dry_run_makes_no_write(cli, tmp_path: Path, graph: GraphServer, graph_env: str) -> None:
    config = write_config(tmp_path, [graph_source_yaml(graph)], identity=IDENTITY)
    res = cli("run", "--config", str(config), "--as-of", AS_OF)
    assert res.code == 1, res.err
    planned = _actions()
    assert planned and all(outcome == "planned" for _, _, outcome in planned)  # plans were made...
    assert _writes(graph) == [] and graph.actions == []  # ...and nothing was sent
    assert all(s.method == "GET" for s in graph.seen if s.in_batch)


def _all_staff_fail(tenant: Tenant, extra: int) -> None:
    for i in range(extra):
        user = copy.deepcopy(tenant.users[0])
        user.update({"id": f"staff-{i:03d}", "userPrincipalName": f"staff{i}@stexample.sch.uk"})
        tenant.users.append(user)
    for user in tenant.users:
        if user.get("employeeType") == "Staff":
            user["passwordPolicies"] = "DisablePasswordExpiration"


def test_cap_holds_when_every_account_fails(cli, tmp_path: Path, tenant: Tenant, graph_env: str) -> None:
    _all_staff_fail(tenant, 30)
    before = copy.deepcopy(tenant.users)
    with GraphServer(tenant, token=GRAPH_TOKEN) as server:
        config = write_config(
            tmp_path,
            [graph_source_yaml(server)],
            identity=IDENTITY,
            policy=str(_pack(tmp_path, ENFORCED)),
            remediation={"max_changes": 5, "max_share": 1.0},
        )
        res = cli("run", "--config", str(config), "--as-of", AS_OF)
        assert _writes(server) == []
    assert "enforcement stopped" in res.err and "cap of 5" in res.err
    enforced = [a for a in _actions() if a[1] == "enforce"]
    assert len(enforced) > 5 and {o for _, _, o in enforced} == {"skipped"}
    assert tenant.users == before


def test_every_change_failing_at_the_server_applies_nothing(
    cli, tmp_path: Path, tenant: Tenant, graph_env: str
) -> None:
    _all_staff_fail(tenant, 3)
    before = copy.deepcopy(tenant.users)
    with GraphServer(tenant, token=GRAPH_TOKEN) as server:
        server.inject(r"/users/[^/]+$", status=500, method="PATCH", times=-1)
        config = write_config(
            tmp_path,
            [graph_source_yaml(server)],
            identity=IDENTITY,
            policy=str(_pack(tmp_path, ENFORCED)),
            remediation={"max_changes": 10, "max_share": 1.0},
        )
        res = cli("run", "--config", str(config), "--as-of", AS_OF)
        attempts = [w for w in _writes(server) if w.startswith("PATCH")]
    enforced = [a for a in _actions() if a[1] == "enforce"]
    assert enforced and {o for _, _, o in enforced} == {"failed"}
    assert len(attempts) == len(enforced) <= 10  # one attempt each, never past the cap
    assert tenant.users == before and "Traceback" not in res.err


def test_undo_restores_exactly_what_was_there(cli, tmp_path: Path, tenant: Tenant, graph_env: str) -> None:
    target = next(u for u in tenant.users if u.get("employeeType") == "Staff")
    target["passwordPolicies"] = "DisablePasswordExpiration, DisableStrongPassword"
    before = copy.deepcopy(tenant.users)
    with GraphServer(tenant, token=GRAPH_TOKEN) as server:
        config = write_config(
            tmp_path,
            [graph_source_yaml(server)],
            identity=IDENTITY,
            policy=str(_pack(tmp_path, ENFORCED)),
            remediation={"max_changes": 5, "max_share": 1.0},
        )
        res = cli("run", "--config", str(config), "--as-of", AS_OF)
        assert [w for w in _writes(server) if w.startswith("PATCH")], res.err
        assert tenant.users != before  # the change really happened
        run_id = json.loads((tmp_path / "reports" / "enforcer-report.json").read_text())["run"]["id"]
        undone = cli("undo", "--config", str(config), run_id)
    assert undone.code == 0, undone.out + undone.err
    assert tenant.users == before  # read back: exactly what was there, every field of every user
