"""Benchmark (not a test): the Graph connector against plain httpx paging of the same pages.

    python bench/graph_bench.py [--users 20000] [--devices 50000]

Starts the project's Graph-compatible server in its own process (so it does not share
the GIL with the client being measured) with a synthetic trust of N users and M managed
devices, then runs, each in a fresh process so peak RSS is its own:

- ``httpx``: a plain ``httpx.Client`` following ``@odata.nextLink`` over the same user and
  device pages (same ``$select``, same ``$top``), parsing each with ``json``;
- ``enforcer``: the graph source's ``collect()`` through the msgraph-sdk pipeline (users,
  MFA registration, domains, devices), then the primary-school pack evaluated once;
- ``batch``: windowsProtectionState for 1,000 Windows devices through ``$batch``.

Prints the read ratio (target <= 1.5x), peak RSS, and ``enforcer --help`` start-up time
against ``python -c pass``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TOKEN = "bench-token"
OSES = [
    ("Windows", "10.0.22631.4602", "Latitude 5440"),
    ("iOS", "17.6.1", "iPad (9th generation)"),
    ("iPadOS", "17.6.1", "iPad (10th generation)"),
    ("Android", "14", "Galaxy Tab A9+"),
    ("macOS", "15.2", "MacBook Air (M2, 2022)"),
]


def synthetic(n_users: int, n_devices: int) -> Any:
    from tests.services.graph_server import Tenant, strip

    samples = Path("/work/shared/graph-samples")
    local = ROOT / "tests" / "data" / "graph" / "tenant.json"
    base_tenant = Tenant.load(local)
    user0, device0 = base_tenant.users[0], base_tenant.devices[0]
    if (samples / "managedDevice_windows_laptop.json").exists():
        device0 = strip(json.loads((samples / "managedDevice_windows_laptop.json").read_text()))
    users, devices, regs = [], [], []
    for i in range(n_users):
        pupil = i % 5 != 0
        u = dict(
            user0,
            id=f"u-{i:06d}",
            userPrincipalName=f"user{i}@bench.sch.uk",
            displayName=f"User {i}",
            employeeType="Pupil" if pupil else "Staff",
            department=f"Year {i % 6 + 1}" if pupil else "Teaching",
            passwordPolicies="DisablePasswordExpiration" if pupil else None,
        )
        users.append(u)
        regs.append(
            {
                "id": u["id"],
                "userPrincipalName": u["userPrincipalName"],
                "isAdmin": False,
                "isMfaRegistered": not pupil,
                "methodsRegistered": [],
            }
        )
    for i in range(n_devices):
        os_name, version, model = OSES[i % len(OSES)]
        devices.append(
            dict(
                device0,
                id=f"d-{i:06d}",
                deviceName=f"DEV-{i:06d}",
                operatingSystem=os_name,
                osVersion=version,
                model=model,
                isEncrypted=i % 7 != 0,
                userPrincipalName=f"user{i % max(1, n_users)}@bench.sch.uk",
            )
        )
    protection = {
        d["id"]: dict(
            realTimeProtectionEnabled=True, malwareProtectionEnabled=True, signatureUpdateOverdue=False
        )
        for d in devices[:5000]
        if d["operatingSystem"] == "Windows"
    }
    return Tenant(
        users=users, registrations=regs, domains=base_tenant.domains, devices=devices, protection=protection
    )


def serve(n_users: int, n_devices: int) -> None:
    from tests.services.graph_server import GraphServer

    server = GraphServer(synthetic(n_users, n_devices), token=TOKEN)
    server.log_requests = False
    server.start()
    print(server.base_url, flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    server.stop()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_httpx(base_url: str) -> dict:
    import httpx

    from connectors.graph.mapping import DEVICE_SELECT
    from connectors.graph.reader import user_select

    users_q = {
        "$select": ",".join(user_select(["department", "jobTitle", "employeeType"], False)),
        "$top": "999",
    }
    devices_q = {"$select": ",".join(DEVICE_SELECT)}
    started = time.perf_counter()
    counts = {}
    with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as client:
        mfa_q = {"$select": "id,userPrincipalName,isMfaRegistered,isAdmin"}
        domains_q = {"$select": "id,isVerified,passwordValidityPeriodInDays"}
        for path, q in (
            ("/users", users_q),
            ("/reports/authenticationMethods/userRegistrationDetails", mfa_q),
            ("/domains", domains_q),
            ("/deviceManagement/managedDevices", devices_q),
        ):
            url: str | None = base_url + path
            params: dict | None = q
            n = 0
            while url:
                doc = json.loads(client.get(url, params=params).content)
                n += len(doc["value"])
                url, params = doc.get("@odata.nextLink"), None
            counts[path] = n
    return {"seconds": time.perf_counter() - started, "counts": counts, "peak_rss_mb": peak_rss_mb()}


def _source(base_url: str, **read: bool) -> Any:
    from connectors.graph.settings import Settings
    from connectors.graph.source import build
    from enforcer.identity import Classifier, RoleMatcher
    from enforcer.model.values import Role
    from enforcer.secrets import read_secret
    from enforcer.sources.interface import BuildContext

    os.environ["BENCH_GRAPH_TOKEN"] = TOKEN
    settings = Settings.model_validate(
        {
            "base_url": base_url,
            "access_token": {"env": "BENCH_GRAPH_TOKEN"},
            "requests_per_20s": 2000,
            "read": {"education": False, "protection_state": False, "detected_apps": False, **read},
        }
    )
    classifier = Classifier(
        [
            RoleMatcher(Role.STAFF, attribute="employeeType", value="Staff"),
            RoleMatcher(Role.PUPIL, attribute="employeeType", value="Pupil"),
        ]
    )
    return build("bench", settings, BuildContext(secrets=read_secret, classifier=classifier, base_dir=ROOT))


def phase_read(base_url: str) -> dict:
    import connectors.graph.client  # noqa: F401 - the SDK import is reported on its own

    source = _source(base_url)
    started = time.perf_counter()
    n = sum(1 for _ in source.collect())
    return {"seconds": time.perf_counter() - started, "records": n, "peak_rss_mb": peak_rss_mb()}


def phase_enforcer(base_url: str) -> dict:
    from datetime import UTC, datetime

    from enforcer.engine import evaluate
    from enforcer.rules.loader import load_pack

    started = time.perf_counter()
    import connectors.graph.client  # noqa: F401 - the SDK import, timed on its own

    sdk_import = time.perf_counter() - started
    source = _source(base_url)
    started = time.perf_counter()
    records = list(source.collect())
    read = time.perf_counter() - started
    rss_read = peak_rss_mb()
    pack = load_pack("primary-school")
    started = time.perf_counter()
    findings = evaluate(pack, records, datetime.now(UTC))
    evaluated = time.perf_counter() - started
    kinds: dict[str, int] = {}
    for r in records:
        kinds[type(r).__name__] = kinds.get(type(r).__name__, 0) + 1
    return {
        "seconds": read,
        "sdk_import_seconds": sdk_import,
        "evaluate_seconds": evaluated,
        "findings": len(findings),
        "counts": kinds,
        "peak_rss_mb_after_read": rss_read,
        "peak_rss_mb": peak_rss_mb(),
    }


def phase_batch(base_url: str) -> dict:
    import asyncio

    from connectors.graph.batching import batch_get
    from connectors.graph.client import GraphClient
    from enforcer.secrets import read_secret

    source = _source(base_url)
    ids = [f"d-{i:06d}" for i in range(0, 5000, len(OSES))][:1000]  # Windows devices
    paths = [f"/deviceManagement/managedDevices/{i}/windowsProtectionState" for i in ids]

    async def go() -> int:
        async with GraphClient(source.settings, read_secret, ROOT) as client:
            bodies = await batch_get(client, paths)
        return sum(b is not None for b in bodies)

    started = time.perf_counter()
    found = asyncio.run(go())
    return {"seconds": time.perf_counter() - started, "states": found, "batches": (len(paths) + 19) // 20}


def child(phase: str, base_url: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--url", base_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if out.returncode != 0:
        raise SystemExit(f"{phase} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def startup(cmd: list[str], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=60)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=20000)
    ap.add_argument("--devices", type=int, default=50000)
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--phase", choices=["httpx", "read", "enforcer", "batch"], help=argparse.SUPPRESS)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of httpx and enforcer reads")
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument(
        "--json",
        action="store_true",
        help="end with one JSON line of results (bench/run builds its table from it)",
    )
    args = ap.parse_args()
    if args.serve:
        return serve(args.users, args.devices)
    if args.phase:
        fn = {"httpx": phase_httpx, "read": phase_read, "enforcer": phase_enforcer, "batch": phase_batch}[
            args.phase
        ]
        print(json.dumps(fn(args.url)))
        return None
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--users", str(args.users), "--devices", str(args.devices)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        print(f"server: {base_url} with {args.users} users, {args.devices} managed devices")
        child("httpx", base_url)  # warm the server and the OS page cache once
        plain_runs, read_runs = [], []
        for _ in range(args.rounds):  # interleaved: the machine is shared, load comes and goes
            plain_runs.append(child("httpx", base_url))
            read_runs.append(child("read", base_url))
        ours = child("enforcer", base_url)
        batch = child("batch", base_url)
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=30)
    plain = plain_runs[0]

    def runs(rs: list[dict]) -> str:
        return ", ".join(format(r["seconds"], ".2f") for r in rs)

    base = statistics.median(r["seconds"] for r in plain_runs)
    mine = statistics.median(r["seconds"] for r in read_runs)
    print(
        f"plain httpx paging (users, MFA registration, domains, devices): median {base:.2f} s "
        f"(runs {runs(plain_runs)}), peak RSS {plain['peak_rss_mb']:.0f} MB, "
        f"counts {plain['counts']}"
    )
    print(
        f"enforcer graph read (collect, records mapped): median {mine:.2f} s "
        f"(runs {runs(read_runs)}), "
        f"+ {ours['sdk_import_seconds']:.2f} s importing the SDK; records {ours['counts']}, "
        f"peak RSS {max(r['peak_rss_mb'] for r in read_runs):.0f} MB"
    )
    print(
        f"evaluate (primary-school pack): {ours['evaluate_seconds']:.2f} s, {ours['findings']} findings, "
        f"peak RSS {ours['peak_rss_mb']:.0f} MB"
    )
    with_import = mine + ours["sdk_import_seconds"]
    print(
        f"READ RATIO enforcer/httpx (medians): {mine / base:.2f}x (target <= 1.5x); "
        f"with the SDK import: {with_import / base:.2f}x; "
        f"read+evaluate: {(with_import + ours['evaluate_seconds']) / base:.2f}x"
    )
    print(
        f"$batch windowsProtectionState: {batch['states']} states in {batch['batches']} batches, "
        f"{batch['seconds']:.2f} s"
    )
    py = startup([sys.executable, "-c", "pass"])
    cli = startup([sys.executable, "-m", "enforcer", "--help"])
    print(
        f"start-up: enforcer --help {cli * 1000:.0f} ms vs python -c pass {py * 1000:.0f} ms "
        f"(+{(cli - py) * 1000:.0f} ms)"
    )
    if args.json:  # for bench/run: each figure with its same-run baseline
        size = f"{args.users} users, {args.devices} devices"
        total = with_import + ours["evaluate_seconds"]
        print(
            json.dumps(
                {
                    "bench": "graph",
                    "rows": [
                        {
                            "figure": "Graph read (collect)",
                            "value": mine,
                            "unit": "s",
                            "baseline": base,
                            "baseline_name": "plain httpx paging",
                            "ratio": mine / base,
                            "target": "<= 1.5x",
                            "ok": mine / base <= 1.5,
                            "note": size,
                        },
                        {
                            "figure": "Graph read + SDK import + evaluate",
                            "value": total,
                            "unit": "s",
                            "baseline": base,
                            "baseline_name": "plain httpx paging",
                            "ratio": total / base,
                            "target": "",
                            "ok": None,
                            "note": f"peak RSS {ours['peak_rss_mb']:.0f} MB",
                        },
                    ],
                }
            )
        )
    return None


if __name__ == "__main__":
    main()
