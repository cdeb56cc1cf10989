"""Benchmark (not a test): ``enforcer --help`` start-up against a bare ``python -c pass``.

    python bench/startup_bench.py [--runs 15] [--json]

Each command runs ``--runs`` times, alternating, and the figure is the fastest run of each (the
least disturbed by other work on a shared machine; the medians are printed too). Bytecode is
cached in a private folder first (``PYTHONPYCACHEPREFIX``), as an installed enforcer has it,
even where the environment sets ``PYTHONDONTWRITEBYTECODE``; the cold figure (every module
compiled from source) is reported beside it. Target: within 0.3 s of the bare interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.3


def _env(cached: bool) -> dict[str, str]:
    env = dict(os.environ)
    if cached:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "enforcer-bench" / "pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="enforcer-cold-")  # empty: nothing cached
    return env


def _once(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=60)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return time.perf_counter() - started


def measure(runs: int, cached: bool) -> dict[str, float]:
    env = _env(cached)
    bare, cli = [sys.executable, "-c", "pass"], [sys.executable, "-m", "enforcer", "--help"]
    _once(cli, env)  # writes the bytecode cache when cached
    t_bare, t_cli = [], []
    for _ in range(runs):
        t_bare.append(_once(bare, env))
        t_cli.append(_once(cli, env))
    return {
        "bare_min": min(t_bare),
        "cli_min": min(t_cli),
        "bare_median": statistics.median(t_bare),
        "cli_median": statistics.median(t_cli),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--json", action="store_true", help="print one JSON line of results (for bench/run)")
    args = ap.parse_args()
    warm = measure(args.runs, cached=True)
    cold = measure(max(3, args.runs // 3), cached=False)
    extra = warm["cli_min"] - warm["bare_min"]
    if args.json:
        print(
            json.dumps(
                {
                    "bench": "startup",
                    "warm": warm,
                    "cold": cold,
                    "rows": [
                        {
                            "figure": "enforcer --help start-up",
                            "value": warm["cli_min"],
                            "unit": "s",
                            "baseline": warm["bare_min"],
                            "baseline_name": "python -c pass",
                            "ratio": warm["cli_min"] / warm["bare_min"],
                            "target": f"+{TARGET} s",
                            "ok": extra <= TARGET,
                            "note": f"+{extra:.2f} s; without bytecode +{cold['cli_min'] - cold['bare_min']:.2f} s",
                        }
                    ],
                }
            )
        )
        return
    for name, m in (("bytecode cached (installed)", warm), ("no bytecode (compiled each run)", cold)):
        print(
            f"{name:32} enforcer --help {m['cli_min'] * 1000:5.0f} ms (median {m['cli_median'] * 1000:.0f})  "
            f"python -c pass {m['bare_min'] * 1000:5.0f} ms (median {m['bare_median'] * 1000:.0f})  "
            f"+{(m['cli_min'] - m['bare_min']) * 1000:.0f} ms"
        )
    print(
        f"target: within {TARGET * 1000:.0f} ms of the bare interpreter (bytecode cached): "
        f"{'OK' if extra <= TARGET else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
