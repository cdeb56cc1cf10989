"""Benchmark (not a test): the AD connector's read + evaluate against ldapsearch on the same DC.

    python bench/ad_bench.py [--sizes 10000,50000] [--quick] [--json]

Starts a throwaway Samba DC (tests/services/samba.py), bulk-loads users (10% staff in a
group with a PSO, nested through a second group; the rest pupils with a year group) and one
computer per five users (half with a BitLocker recovery object), then for each size:

- ``ldapsearch``: ``ldapsearch -E pr=1000/noprompt`` over LDAPS for the users, the computers
  and the BitLocker objects, asking for exactly the attributes the connector asks for;
- ``enforcer``: in a fresh process (so peak RSS is its own), ``ADSource.collect()`` into the
  primary-school pack's ``Engine`` with a sink that only counts findings; and once more with
  the engine left out (``read only``), to tell the connector's share from the engine's.

The two sides run interleaved, twice each, and the best of each counts (the machine is shared).
Reports both times, the ratio (target: within 2x) and enforcer's peak RSS. The larger size is
reached by adding to the same directory, so the two runs share one server.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from tests.services.samba import (  # noqa: E402
    ADMIN_DN,
    ADMIN_PASSWORD,
    BASE,
    CA_FILE,
    HOST,
    DCUnavailable,
    SambaDC,
    filetime,
)

OU = f"OU=Bench,{BASE}"
EPOCH = 1_700_000_000  # fixed "now" for deterministic data (pwdLastSet spread over ~400 days before it)


def ldif(start: int, count: int, batch: int) -> tuple[str, int, str | None]:
    """Users ``start..start+count`` plus computers, groups and PSO: (LDIF, entries, modify LDIF)."""
    from datetime import UTC, datetime, timedelta

    now = datetime.fromtimestamp(EPOCH, UTC)
    out: list[str] = []
    if batch == 0:
        out += [f"dn: {OU}\nobjectClass: organizationalUnit"]
    ou_users, ou_pcs = f"OU=Users{batch},{OU}", f"OU=Computers{batch},{OU}"
    out += [
        f"dn: {ou_users}\nobjectClass: organizationalUnit",
        f"dn: {ou_pcs}\nobjectClass: organizationalUnit",
    ]
    staff: list[str] = []
    for i in range(start, start + count):
        dn = f"CN=u{i:06d},{ou_users}"
        is_staff = i % 10 == 0
        uac = 512 | (0x10000 if i % 7 == 0 else 0)
        pwd = filetime(now - timedelta(days=i % 400)) if i % 50 else 0
        desc = "" if is_staff else f"\ndescription: Year {i % 7}"
        out.append(
            f"dn: {dn}\nobjectClass: user\nsAMAccountName: u{i:06d}\nuserPrincipalName: u{i:06d}@school.test"
            f"\ndisplayName: User {i}\nuserAccountControl: {uac}\npwdLastSet: {pwd}{desc}"
        )
        if is_staff:
            staff.append(dn)
    for i in range(start // 5, (start + count) // 5):
        dn = f"CN=PC{i:06d},{ou_pcs}"
        os_name, ver = ("Windows 11 Pro", "10.0 (22631)") if i % 3 else ("Windows 10 Pro", "10.0 (19045)")
        out.append(
            f"dn: {dn}\nobjectClass: computer\nsAMAccountName: PC{i:06d}$\nuserAccountControl: 4096"
            f"\noperatingSystem: {os_name}\noperatingSystemVersion: {ver}\ndNSHostName: pc{i:06d}.school.test"
        )
        if i % 2 == 0:
            out.append(
                f"dn: CN=2026-01-01T00:00:00-00:00{{00000000-0000-4000-8000-{i:012d}}},{dn}\n"
                f"objectClass: msFVE-RecoveryInformation\nmsFVE-RecoveryGuid:: AAAAAAAAAECAAAAAAAAAAA==\n"
                f"msFVE-RecoveryPassword: 111111-222222-333333-444444-555555-666666-777777-{i % 1000000:06d}"
            )
    group = f"CN=Staff{batch},{OU}"
    out.append(
        f"dn: {group}\nobjectClass: group\nsAMAccountName: Staff{batch}\n"
        + "\n".join(f"member: {m}" for m in staff)
    )
    modify = None
    if batch == 0:
        out.append(f"dn: CN=Staff,{OU}\nobjectClass: group\nsAMAccountName: BenchStaff\nmember: {group}")
        out.append(
            f"dn: CN=Bench Staff PSO,CN=Password Settings Container,CN=System,{BASE}\n"
            "objectClass: msDS-PasswordSettings\nmsDS-PasswordSettingsPrecedence: 10\n"
            "msDS-PasswordReversibleEncryptionEnabled: FALSE\nmsDS-PasswordHistoryLength: 24\n"
            "msDS-PasswordComplexityEnabled: TRUE\nmsDS-MinimumPasswordLength: 12\n"
            "msDS-MinimumPasswordAge: -864000000000\nmsDS-MaximumPasswordAge: -77760000000000\n"
            "msDS-LockoutThreshold: 5\nmsDS-LockoutObservationWindow: -18000000000\n"
            f"msDS-LockoutDuration: -18000000000\nmsDS-PSOAppliesTo: CN=Staff,{OU}"
        )
    else:  # later batches nest their staff group inside the first one's
        modify = f"dn: CN=Staff,{OU}\nchangetype: modify\nadd: member\nmember: {group}\n"
    return "\n\n".join(out) + "\n", len(out), modify


def load(dc: SambaDC, start: int, count: int, batch: int) -> float:
    began = time.perf_counter()
    adds, entries, modify = ldif(start, count, batch)
    dc.add_ldif(adds, expected=entries)
    if modify:
        dc.modify_ldif(modify, expected=1)
    return time.perf_counter() - began


USER_FILTER = "(&(objectCategory=person)(objectClass=user))"


def baseline(dc: SambaDC) -> tuple[float, int]:
    from connectors.ad.source import COMPUTER_ATTRIBUTES, USER_ATTRIBUTES

    total, entries = 0.0, 0
    for flt, attrs in (
        (USER_FILTER, [*USER_ATTRIBUTES, "description"]),
        ("(objectClass=computer)", list(COMPUTER_ATTRIBUTES)),
        ("(objectClass=msFVE-RecoveryInformation)", ["1.1"]),
    ):
        took, n = dc.ldapsearch(OU, flt, attrs)
        total += took
        entries += n
    return total, entries


def measure(evaluate: bool) -> dict[str, Any]:
    """The child process: read (+ evaluate, counting findings); prints one JSON line."""
    from datetime import UTC, datetime
    from pathlib import Path as P

    from connectors.ad.settings import Settings
    from connectors.ad.source import build
    from enforcer.engine import Engine
    from enforcer.identity import Classifier, RoleMatcher, YearGroupRule
    from enforcer.model.values import Role
    from enforcer.rules.loader import load_pack
    from enforcer.secrets import read_secret
    from enforcer.sources.interface import BuildContext

    os.environ["BENCH_AD_DN"], os.environ["BENCH_AD_PW"] = ADMIN_DN, ADMIN_PASSWORD
    settings = Settings.model_validate(
        {
            "host": HOST,
            "ca_file": str(CA_FILE),
            "bind_dn": {"env": "BENCH_AD_DN"},
            "bind_password": {"env": "BENCH_AD_PW"},
            "user_base": OU,
            "computer_base": OU,
        }
    )
    classifier = Classifier(
        [RoleMatcher(Role.STAFF, group="Staff"), RoleMatcher(Role.PUPIL, attribute="description")],
        YearGroupRule("description", r"Year (\d+)"),
    )
    source = build("ad", settings, BuildContext(read_secret, classifier, P.cwd()))
    pack = load_pack("primary-school")
    began = time.perf_counter()
    engine = Engine(pack, datetime.now(UTC))
    records = findings = 0
    for record in source.collect():
        records += 1
        if evaluate:
            findings += len(engine.evaluate(record))
    if evaluate:
        findings += len(engine.finish())
    took = time.perf_counter() - began
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": took, "records": records, "findings": findings, "peak_rss_mb": rss}


def child(phase: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", phase], cwd=ROOT, capture_output=True, text=True, timeout=3600
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-800:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,50000", help="users per run, increasing (computers: a fifth)")
    ap.add_argument("--quick", action="store_true", help="2,000 and 5,000 users")
    ap.add_argument("--json", action="store_true", help="end with one JSON line for bench/run")
    ap.add_argument("--measure", choices=["read", "evaluate"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure == "evaluate")))
        return 0
    sizes = [2000, 5000] if args.quick else [int(s) for s in args.sizes.split(",")]
    rows: list[dict[str, Any]] = []
    dc = SambaDC()
    try:
        try:
            dc.provision()
        except DCUnavailable as exc:
            print(f"skipped: {exc}")
            if args.json:
                print(json.dumps({"bench": "ad", "skipped": str(exc)}))
            return 0
        loaded = 0
        results = []
        for batch, size in enumerate(sizes):
            took_load = load(dc, loaded, size - loaded, batch)
            loaded = size
            dc.start()
            # Interleaved and best of two for both sides: the machine is shared and noisy.
            base_s, base_n = baseline(dc)
            first = child("evaluate")
            base_s2, _ = baseline(dc)
            second = child("evaluate")
            read_only = child("read")
            dc.stop()
            ours = min(first, second, key=lambda r: r["seconds"])
            ours["peak_rss_mb"] = max(first["peak_rss_mb"], second["peak_rss_mb"])
            best = min(base_s, base_s2)
            r = {
                "users": size,
                "computers": size // 5,
                "load_s": took_load,
                "ldapsearch_s": best,
                "ldapsearch_entries": base_n,
                **ours,
                "ratio": ours["seconds"] / best,
                "read_s": read_only["seconds"],
                "read_rss_mb": read_only["peak_rss_mb"],
            }
            results.append(r)
            print(
                f"{size:>6} users + {size // 5} computers: enforcer read+evaluate {ours['seconds']:.2f} s "
                f"({ours['records']} records, {ours['findings']} findings), ldapsearch {best:.2f} s "
                f"({base_n} entries; runs {base_s:.2f}/{base_s2:.2f} s; ours {first['seconds']:.2f}/{second['seconds']:.2f} s) -> ratio {r['ratio']:.2f}x "
                f"(target <= 2x); enforcer peak RSS {ours['peak_rss_mb']:.0f} MB; read only (no engine) "
                f"{read_only['seconds']:.2f} s, peak RSS {read_only['peak_rss_mb']:.0f} MB; "
                f"ldbadd load {took_load:.0f} s",
                flush=True,
            )
            rows.append(
                {
                    "figure": f"AD read + evaluate, {size:,} users + {size // 5:,} computers",
                    "value": ours["seconds"],
                    "unit": "s",
                    "baseline": best,
                    "baseline_name": "ldapsearch -E pr=1000",
                    "ratio": r["ratio"],
                    "target": "<= 2x",
                    "ok": r["ratio"] <= 2,
                    "note": f"peak RSS {ours['peak_rss_mb']:.0f} MB",
                }
            )
        if len(results) > 1:
            a, b = results[0], results[-1]
            for key, what in (("peak_rss_mb", "read + evaluate"), ("read_rss_mb", "read only")):
                growth = b[key] / a[key]
                print(
                    f"{what}: peak RSS {a[key]:.0f} MB at {a['users']:,} users -> {b[key]:.0f} MB at "
                    f"{b['users']:,} ({growth:.2f}x for {b['users'] / a['users']:.0f}x the users)"
                )
                rows.append(
                    {
                        "figure": f"AD {what} peak RSS, {b['users']:,} vs {a['users']:,} users",
                        "value": b[key],
                        "unit": "MB",
                        "baseline": a[key],
                        "baseline_name": f"RSS at {a['users']:,}",
                        "ratio": growth,
                        "target": "flat",
                    }
                )
    finally:
        dc.destroy()
    if args.json:
        print(json.dumps({"bench": "ad", "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
