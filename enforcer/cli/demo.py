"""``enforcer demo generate``: a deterministic estate of demo schools, one gzip snapshot each.

For trying enforcer at a trust's or a contractor's size, and for the benchmarks, without anyone's
real data: ``--schools 1`` is one school (about 500 accounts and 300 devices), ``--schools 20`` a
trust, ``--objects 1000000`` a contractor's estate of a million accounts and devices.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from enforcer.model.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("demo", help="make synthetic schools to try enforcer at scale")
    cmds = group.add_subparsers(dest="demo_command", metavar="COMMAND", parser_class=type(group))
    gen = cmds.add_parser(
        "generate",
        help="write a deterministic estate: one snapshot per school "
        "(gzip JSON Lines) and a manifest, estate.json",
    )
    size = gen.add_mutually_exclusive_group(required=True)
    size.add_argument("--schools", type=int, metavar="N", help="how many schools")
    size.add_argument(
        "--objects",
        type=int,
        metavar="N",
        help="as many schools as make about N accounts and devices in total",
    )
    gen.add_argument(
        "--seed", type=int, default=1, metavar="S", help="same seed, same estate, byte for byte (default 1)"
    )
    gen.add_argument("--out", required=True, metavar="DIR", help="folder to write into (created if missing)")
    gen.add_argument(
        "--accounts-per-school",
        type=int,
        default=500,
        metavar="A",
        help="about this many accounts per school (default 500)",
    )
    gen.add_argument(
        "--devices-per-school", type=int, default=300, metavar="D", help="devices per school (default 300)"
    )
    gen.add_argument(
        "--as-of",
        metavar="DATE",
        default="2026-03-01",
        help="dates are generated relative to this day (default 2026-03-01, fixed so "
        "the output does not depend on when it runs; audit with the same --as-of)",
    )
    gen.set_defaults(func=cmd_generate)
    group.set_defaults(func=lambda args: _usage(group))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_usage(sys.stderr)
    return 2


def cmd_generate(args: argparse.Namespace) -> int:
    from enforcer.sources.registry import tool

    estate = tool("demo-estate")
    EstateSpec = estate.EstateSpec
    schools_for, write_estate = estate.schools_for, estate.write_estate

    try:
        reference = date.fromisoformat(args.as_of)
    except ValueError:
        raise UsageError(f"--as-of: {args.as_of!r} is not a date (YYYY-MM-DD)") from None
    if args.objects is not None and args.objects < 1:
        raise UsageError("--objects must be at least 1")
    schools = (
        args.schools
        if args.schools is not None
        else schools_for(args.objects, args.accounts_per_school, args.devices_per_school)
    )
    spec = EstateSpec(
        schools=schools,
        seed=args.seed,
        reference=reference,
        accounts_per_school=args.accounts_per_school,
        devices_per_school=args.devices_per_school,
    )
    show = not args.quiet and sys.stderr.isatty()

    def progress(entry: Any) -> None:  # connectors.demo.estate.SchoolEntry
        if show and ((entry.index + 1) % 10 == 0 or entry.index + 1 == schools):
            print(f"\r{entry.index + 1}/{schools} schools", end="", file=sys.stderr, flush=True)

    entries = write_estate(spec, args.out, progress)
    if show:
        print(file=sys.stderr)
    if not args.quiet:
        accounts = sum(e.accounts for e in entries)
        devices = sum(e.devices for e in entries)
        print(
            f"wrote {len(entries)} school snapshots to {args.out}: {accounts} accounts, {devices} devices "
            f"({accounts + devices} in all), {sum(e.pupils for e in entries)} pupils on the rolls; "
            f"manifest {args.out}/estate.json"
        )
    return 0
