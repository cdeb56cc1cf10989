"""``enforcer audit`` (ad-hoc, read-only) and ``enforcer run`` (the nightly job).

Both are thin wrappers over :func:`enforcer.pipeline.run.run`; they only choose where the
output goes.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from enforcer.config import load_config
from enforcer.model.errors import ReportError
from enforcer.pipeline.run import RunOptions, parse_as_of, run
from enforcer.pipeline.types import Progress

DEFAULT_REPORTS = "reports"


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="configuration file (default: the built-in demo school)")
    p.add_argument(
        "--source",
        metavar="NAME",
        action="append",
        default=[],
        help="only this configured source (repeatable)",
    )
    p.add_argument("--policy", metavar="PACK|FILE", help="policy pack name or file (overrides the config)")
    p.add_argument("--as-of", metavar="DATE", help="evaluate as if today were DATE (YYYY-MM-DD)")


def register(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="ad-hoc, read-only compliance audit")
    _common(audit)
    audit.add_argument("--only", choices=["accounts", "devices"], help="only accounts or only devices")
    audit.add_argument(
        "--rule", metavar="ID", action="append", default=[], help="only this rule (repeatable)"
    )
    audit.add_argument("--format", choices=["table", "json", "csv", "html"], default="table")
    audit.add_argument(
        "--output", metavar="FILE", help="write the report to FILE (owner-only) instead of stdout"
    )
    audit.set_defaults(func=cmd_audit)

    nightly = sub.add_parser("run", help="the nightly job: collect, evaluate, write every report format")
    _common(nightly)
    nightly.add_argument(
        "--reports-dir",
        metavar="DIR",
        help=f"where reports go (default: the config's, else ./{DEFAULT_REPORTS})",
    )
    nightly.add_argument(
        "--accept-roster-drop",
        action="store_true",
        help="the roll really shrank since the last complete run (see roster.max_drop); count it",
    )
    nightly.set_defaults(func=cmd_run)


def _progress(args: argparse.Namespace) -> Progress | None:
    if args.quiet or not sys.stderr.isatty():
        return None

    def show(source: str, n: int) -> None:
        print(f"\r  reading {source}: {n} objects", end="", file=sys.stderr, flush=True)

    return show


def _options(args: argparse.Namespace, **extra: object) -> RunOptions:
    return RunOptions(
        as_of=parse_as_of(args.as_of) if args.as_of else None,
        policy=args.policy,
        source_names=tuple(args.source),
        progress=_progress(args),
        **extra,  # type: ignore[arg-type]
    )


def cmd_audit(args: argparse.Namespace) -> int:
    from enforcer.reports.registry import get_reporter

    config = load_config(args.config)
    outcome = run(config, _options(args, only=args.only, rule_ids=tuple(args.rule)))
    _end_progress(args)
    reporter = get_reporter(args.format)
    if args.output:
        from enforcer.reports.writer import write_file

        write_file(Path(args.output), reporter.render(outcome.result).encode("utf-8"))
    else:
        color = args.format == "table" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        sys.stdout.write(reporter.render(outcome.result, color=color))
    return outcome.exit_code


def cmd_run(args: argparse.Namespace) -> int:
    from enforcer.reports.registry import get_reporter

    config = load_config(args.config)
    reports_dir = Path(args.reports_dir) if args.reports_dir else config.resolve(config.model.reports.dir)
    outcome = run(
        config,
        _options(args, reports_dir=reports_dir, record=True, accept_roster_drop=args.accept_roster_drop),
    )
    _end_progress(args)
    if not args.quiet:
        if outcome.schools:
            from enforcer.reports.estate import render_table

            sys.stdout.write(render_table(outcome))
        else:
            color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
            sys.stdout.write(get_reporter("table").render(outcome.result, color=color, extras=outcome.extras))
    if not outcome.reports:
        raise ReportError(f"no reports were written to {reports_dir}")
    print("Reports written:")
    for path in outcome.reports:
        print(f"  {path}")
    return outcome.exit_code


def _end_progress(args: argparse.Namespace) -> None:
    if _progress(args) is not None:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
