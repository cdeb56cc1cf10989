"""Benchmark (not a test): streaming evaluation of an estate's snapshots, against parsing them.

    python bench/eval_bench.py [--sizes 10000,100000,1000000] [--quick] [--json] [--data DIR]

For each size (accounts and devices in all) it generates a deterministic estate once
(``connectors.demo.estate``: one gzip snapshot per ~800-object school, kept under ``--data`` and
reused), then runs, each in a fresh process so peak RSS is the phase's own:

- ``baseline``: gunzip every snapshot and ``json.loads`` every line (what any reader must do);
- ``read``: the snapshot source's records (decode and validate every field), nothing else;
- ``engine``: the real pipeline, ``SnapshotSource.collect()`` -> ``Engine.evaluate`` -> a sink
  that only counts findings (one Engine per school, as a multi-school run has), then ``finish``.

Reports objects/s and peak RSS for each, the ratio engine/baseline, and the targets: a million
objects in under 60 s with peak RSS under 300 MB, and RSS at 1M within 1.5x of RSS at 100k.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a source tree, installed or not
SEED = 1
AS_OF = "2026-03-01"  # the estate's reference day (connectors.demo.estate.DEFAULT_REFERENCE)
FULL = (10_000, 100_000, 1_000_000)
QUICK = (2_000, 10_000, 20_000)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process: what "on one core" costs, however busy the machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def phase_generate(folder: Path, objects: int) -> dict[str, Any]:
    from connectors.demo.estate import EstateSpec, schools_for, write_estate

    started = time.perf_counter()
    entries = write_estate(EstateSpec(schools=schools_for(objects), seed=SEED), folder)
    return {
        "seconds": time.perf_counter() - started,
        "schools": len(entries),
        "objects": sum(e.accounts + e.devices for e in entries),
        "peak_rss_mb": peak_rss_mb(),
    }


def phase_baseline(folder: Path) -> dict[str, Any]:
    import gzip

    doc = json.loads((folder / "estate.json").read_text())
    started, cpu0 = time.perf_counter(), cpu_seconds()
    lines = 0
    for school in doc["schools"]:
        with gzip.open(folder / school["file"], "rb") as fh:
            for line in fh:
                json.loads(line)
                lines += 1
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": cpu_seconds() - cpu0,
        "lines": lines,
        "peak_rss_mb": peak_rss_mb(),
    }


def phase_read(folder: Path) -> dict[str, Any]:
    from connectors.demo.estate import snapshot_paths
    from connectors.snapshot.source import read_records

    started, cpu0 = time.perf_counter(), cpu_seconds()
    records = 0
    for name, path in snapshot_paths(folder):
        for _ in read_records(path, source=name):
            records += 1
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": cpu_seconds() - cpu0,
        "records": records,
        "peak_rss_mb": peak_rss_mb(),
    }


def phase_engine(folder: Path, pack_name: str, keep: bool = False) -> dict[str, Any]:
    from collections import Counter
    from datetime import datetime
    from operator import attrgetter

    from connectors.demo.estate import snapshot_paths
    from connectors.snapshot.source import SnapshotSource
    from enforcer.engine import Engine
    from enforcer.model.values import Account, Device
    from enforcer.rules.loader import load_pack

    pack = load_pack(pack_name)
    as_of = datetime.fromisoformat(AS_OF + "T00:00:00+00:00")
    started, cpu0 = time.perf_counter(), cpu_seconds()
    records = objects = 0
    # Counted by Status member and named once at the end: reading ``f.status.value`` (an enum
    # property) per finding was ~5% of the time this benchmark charged to the engine.
    statuses: Counter = Counter()
    status = attrgetter("status")

    kept: list = []

    def sink(findings: list) -> None:  # a streaming reporter would write here; we only count
        statuses.update(map(status, findings))
        if keep:  # what enforcer.pipeline.run.run() does today: every finding held until the end
            kept.extend(findings)

    for name, path in snapshot_paths(folder):
        engine = Engine(pack, as_of)
        for record in SnapshotSource(name, path).collect():
            records += 1
            if type(record) is Account or type(record) is Device:
                objects += 1
            sink(engine.evaluate(record))
        sink(engine.finish())
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": cpu_seconds() - cpu0,
        "records": records,
        "objects": objects,
        "findings": {s.value: n for s, n in statuses.items()},
        "peak_rss_mb": peak_rss_mb(),
    }


def phase_run(folder: Path) -> dict[str, Any]:
    """The real ``enforcer run`` over the estate's configuration: every school's reports, the
    combined estate report and the history store (in a throwaway ENFORCER_HOME)."""
    import shutil

    from connectors.demo.estate import CONFIG, write_config

    if not (folder / CONFIG).exists():
        write_config(folder)
    home = Path(tempfile.mkdtemp(prefix="enforcer-bench-home-"))
    os.environ["ENFORCER_HOME"] = str(home)
    from enforcer.cli.main import main as enforcer_main

    argv = ["-q", "run", "--config", str(folder / CONFIG), "--reports-dir", str(home / "reports")]
    started, cpu0 = time.perf_counter(), cpu_seconds()
    try:
        code = enforcer_main([*argv, "--as-of", AS_OF])
    finally:
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu0
        shutil.rmtree(home, ignore_errors=True)
    return {"seconds": seconds, "cpu_seconds": cpu, "exit_code": code, "peak_rss_mb": peak_rss_mb()}


def child(phase: str, folder: Path, *extra: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--folder", str(folder), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if out.returncode != 0:
        raise SystemExit(f"{phase} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def estate(data: Path, objects: int, regen: bool) -> tuple[Path, dict[str, Any]]:
    """The estate for ``objects``, generated once; its generation figures are kept beside it."""
    folder = data / f"estate-{objects}-seed{SEED}"
    stats = folder / "generation.json"
    if regen or not stats.exists() or not (folder / "estate.json").exists():
        gen = child("generate", folder, "--objects", str(objects))
        stats.write_text(json.dumps(gen))
    return folder, json.loads(stats.read_text())


def measure(data: Path, objects: int, pack: str, regen: bool, log: Any, with_run: bool) -> dict[str, Any]:
    folder, gen = estate(data, objects, regen)
    log(
        f"{objects:>9} objects: estate of {gen['schools']} schools ({gen['objects']} objects), "
        f"generated in {gen['seconds']:.1f} s, peak RSS {gen['peak_rss_mb']:.0f} MB"
    )
    base = child("baseline", folder)
    read = child("read", folder)
    eng = child("engine", folder, "--pack", pack)
    base2 = child("baseline", folder)  # again after, so drift in a noisy machine shows
    baseline = min(base["seconds"], base2["seconds"])
    n = eng["objects"]
    row = {
        "objects": n,
        "records": eng["records"],
        "schools": gen["schools"],
        "engine_seconds": eng["seconds"],
        "engine_cpu_seconds": eng["cpu_seconds"],
        "read_seconds": read["seconds"],
        "baseline_seconds": baseline,
        "baseline_cpu_seconds": min(base["cpu_seconds"], base2["cpu_seconds"]),
        "baseline_runs": [base["seconds"], base2["seconds"]],
        "objects_per_s": n / eng["seconds"],
        "baseline_objects_per_s": n / baseline,
        "time_ratio": eng["seconds"] / baseline,
        "peak_rss_mb": eng["peak_rss_mb"],
        "read_peak_rss_mb": read["peak_rss_mb"],
        "baseline_peak_rss_mb": max(base["peak_rss_mb"], base2["peak_rss_mb"]),
        "generate_seconds": gen["seconds"],
        "generate_peak_rss_mb": gen["peak_rss_mb"],
        "findings": eng["findings"],
    }
    row["rss_ratio"] = row["peak_rss_mb"] / row["baseline_peak_rss_mb"]
    if with_run:
        full = child("run", folder)
        row.update(
            run_seconds=full["seconds"],
            run_cpu_seconds=full["cpu_seconds"],
            run_peak_rss_mb=full["peak_rss_mb"],
            run_exit_code=full["exit_code"],
        )
    log(
        f"{'':>9}  baseline (gunzip + json.loads): {baseline:.2f} s ({row['baseline_objects_per_s']:,.0f} "
        f"objects/s), peak RSS {row['baseline_peak_rss_mb']:.0f} MB"
    )
    log(
        f"{'':>9}  read (decode records):          {read['seconds']:.2f} s, peak RSS "
        f"{read['peak_rss_mb']:.0f} MB"
    )
    log(
        f"{'':>9}  engine (read + evaluate):       {eng['seconds']:.2f} s, {eng['cpu_seconds']:.2f} s CPU "
        f"({row['objects_per_s']:,.0f} objects/s, {row['time_ratio']:.1f}x baseline), peak RSS "
        f"{eng['peak_rss_mb']:.0f} MB, findings {eng['findings']}"
    )
    if with_run:
        log(
            f"{'':>9}  enforcer run (reports + store): {row['run_seconds']:.2f} s, {row['run_cpu_seconds']:.2f} s CPU, "
            f"peak RSS {row['run_peak_rss_mb']:.0f} MB, exit code {row['run_exit_code']}"
        )
    return row


def table_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for bench/run: each figure with its same-run baseline and the ratio ours / baseline."""
    rows: list[dict[str, Any]] = []
    for r in results:
        label = f"{r['objects'] // 1000}k" if r["objects"] < 999_500 else f"{r['objects'] / 1e6:.1f}M"
        big = r["objects"] >= 900_000
        rows.append(
            {
                "figure": f"evaluation throughput, {label} objects ({r['schools']} schools)",
                "value": r["objects_per_s"],
                "unit": "objects/s",
                "baseline": r["baseline_objects_per_s"],
                "baseline_name": "gunzip + json.loads",
                "ratio": r["objects_per_s"] / r["baseline_objects_per_s"],
                "target": "< 60 s for 1M" if big else "",
                "ok": (r["engine_seconds"] < 60) if big else None,
                "note": f"{r['engine_seconds']:.1f} s wall, {r.get('engine_cpu_seconds', 0):.1f} s CPU",
            }
        )
        rows.append(
            {
                "figure": f"evaluation peak RSS, {label} objects",
                "value": r["peak_rss_mb"],
                "unit": "MB",
                "baseline": r["baseline_peak_rss_mb"],
                "baseline_name": "gunzip + json.loads",
                "ratio": r["rss_ratio"],
                "target": "< 300 MB" if big else "",
                "ok": (r["peak_rss_mb"] < 300) if big else None,
                "note": "",
            }
        )
    for r in results:
        if "run_seconds" in r:
            label = f"{r['objects'] // 1000}k"
            rows.append(
                {
                    "figure": f"enforcer run over the estate (every report + history store), {label} objects",
                    "value": r["objects"] / r["run_seconds"],
                    "unit": "objects/s",
                    "baseline": r["baseline_objects_per_s"],
                    "baseline_name": "gunzip + json.loads",
                    "ratio": r["objects"] / r["run_seconds"] / r["baseline_objects_per_s"],
                    "target": "",
                    "ok": None,
                    "note": f"{r['run_seconds']:.1f} s, peak RSS {r['run_peak_rss_mb']:.0f} MB",
                }
            )
    if len(results) >= 2:
        small, large = results[-2], results[-1]
        ratio = large["peak_rss_mb"] / small["peak_rss_mb"]
        rows.append(
            {
                "figure": f"peak RSS growth, {large['objects']:,} vs {small['objects']:,} objects",
                "value": large["peak_rss_mb"],
                "unit": "MB",
                "baseline": small["peak_rss_mb"],
                "baseline_name": f"RSS at {small['objects']:,}",
                "ratio": ratio,
                "target": "<= 1.5x",
                "ok": ratio <= 1.5,
                "note": "",
            }
        )
        gen = large["generate_peak_rss_mb"] / small["generate_peak_rss_mb"]
        rows.append(
            {
                "figure": f"estate generation peak RSS, {large['objects']:,} vs {small['objects']:,}",
                "value": large["generate_peak_rss_mb"],
                "unit": "MB",
                "baseline": small["generate_peak_rss_mb"],
                "baseline_name": f"RSS at {small['objects']:,}",
                "ratio": gen,
                "target": "flat",
                "ok": gen <= 1.5,
                "note": f"{large['generate_seconds']:.0f} s to generate",
            }
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", help="comma-separated object counts (default 10000,100000,1000000)")
    ap.add_argument("--quick", action="store_true", help=f"small sizes: {', '.join(map(str, QUICK))}")
    ap.add_argument("--json", action="store_true", help="print one JSON line of results (for bench/run)")
    ap.add_argument(
        "--data",
        type=Path,
        default=Path(tempfile.gettempdir()) / "enforcer-bench",
        help="where generated estates are kept between runs",
    )
    ap.add_argument("--regen", action="store_true", help="generate the estates again")
    ap.add_argument("--pack", default="primary-school")
    ap.add_argument(
        "--run-max",
        type=int,
        default=100_000,
        metavar="N",
        help="also time the real `enforcer run` (reports, store) for sizes up to N (default 100000)",
    )
    ap.add_argument(
        "--phase", choices=["generate", "baseline", "read", "engine", "hold", "run"], help=argparse.SUPPRESS
    )
    ap.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--objects", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        result = {
            "generate": lambda: phase_generate(args.folder, args.objects),
            "baseline": lambda: phase_baseline(args.folder),
            "read": lambda: phase_read(args.folder),
            "engine": lambda: phase_engine(args.folder, args.pack),
            "hold": lambda: phase_engine(args.folder, args.pack, keep=True),
            "run": lambda: phase_run(args.folder),
        }[args.phase]()
        print(json.dumps(result))
        return
    sizes = QUICK if args.quick else FULL
    if args.sizes:
        sizes = tuple(int(s) for s in args.sizes.split(","))
    args.data.mkdir(parents=True, exist_ok=True)

    def log(line: str) -> None:
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    results = [measure(args.data, n, args.pack, args.regen, log, n <= args.run_max) for n in sizes]
    rows = table_rows(results)
    if args.json:
        print(json.dumps({"bench": "eval", "results": results, "rows": rows}))
        return
    for row in rows:
        ok = "" if row["ok"] is None else ("  OK" if row["ok"] else "  MISSED")
        print(
            f"{row['figure']:58} {row['value']:>12,.1f} {row['unit']:10} vs {row['baseline']:>12,.1f} "
            f"({row['baseline_name']}): {row['ratio']:.3f}x {row['target']}{ok}"
        )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
