"""``enforcer schedule``: run nightly in the foreground, or print a systemd timer / cron line."""

from __future__ import annotations

import argparse

from enforcer.cli.args import real_number
from enforcer.config import load_config

MAX_INTERVAL = 31 * 86400
"""A month: ``--interval`` is for trials and tests; APScheduler's arithmetic overflows on huge ones."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "schedule", help="run on a schedule (APScheduler), or print a systemd timer / cron line"
    )
    p.add_argument("--config", metavar="FILE", help="configuration file (default: the built-in demo school)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--print-systemd", action="store_true", help="print a systemd service + timer and exit")
    out.add_argument("--print-cron", action="store_true", help="print a crontab line and exit")
    p.add_argument(
        "--cron", metavar="EXPR", help="override schedule.cron (5 fields; days of week as in cron)"
    )
    p.add_argument(
        "--interval",
        metavar="SECONDS",
        type=real_number(1, MAX_INTERVAL),
        help="run every SECONDS instead of the cron expression (for trials and tests)",
    )
    p.set_defaults(func=cmd_schedule)


def cmd_schedule(args: argparse.Namespace) -> int:
    from enforcer.scheduler import cron
    from enforcer.scheduler import service as scheduler

    config = load_config(args.config)
    if args.print_systemd:
        print(cron.systemd_units(config, args.config, args.cron), end="")
        return 0
    if args.print_cron:
        print(cron.cron_line(config, args.config, args.cron), end="")
        return 0
    return scheduler.serve(config, args.config, cron=args.cron, interval=args.interval)
