"""``enforcer history``: past runs, and what changed in one of them."""

from __future__ import annotations

import argparse

from enforcer.cli.actions import show_actions
from enforcer.cli.args import whole_number
from enforcer.cli.output import say
from enforcer.config import load_config
from enforcer.model.errors import UsageError
from enforcer.pipeline import scope
from enforcer.store import Store, open_store, runs
from enforcer.store.audit import StoreAuditLog


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("history", help="list recorded runs, or show what changed in one run")
    p.add_argument("--config", metavar="FILE", help="configuration file (names the store)")
    p.add_argument("--limit", type=whole_number(1, 100_000), default=20, help="how many runs (default 20)")
    p.add_argument("--school", help="only this school (a store may hold several)")
    p.add_argument(
        "run", nargs="?", metavar="RUN_ID", help="show new / fixed / regressed for this run (or `latest`)"
    )
    p.set_defaults(func=cmd_history)


def cmd_history(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    with open_store(config) as store:
        school = scope.school(config, store, args.school)
        if args.run:
            return _show(store, scope.run_id(store, args.run, school))
        rows = runs.list_runs(store.db, school, args.limit)
        if not rows:
            say("No runs recorded yet: run `enforcer run`.")
            return 0
        say(f"{'run':26} {'state':10} {'fail':>5} {'error':>5} {'exc':>4} {'new':>4} {'fixed':>5}  school")
        for r in rows:
            say(
                f"{r.id:26} {r.state:10} {r.counts['fail']:>5} {r.counts['error']:>5} "
                f"{r.counts['excepted']:>4} {r.changes['new'] + r.changes['regressed']:>4} "
                f"{r.changes['fixed']:>5}  {r.school}" + (f"  ({r.reason})" if r.reason else "")
            )
    return 0


def _show(store: Store, run_id: str) -> int:
    db = store.db
    row = runs.get_run(db, run_id)
    if row is None:
        raise UsageError(f"no run {run_id!r} in the store")
    say(f"Run {row.id} ({row.state}) for {row.school}, started {row.started:%Y-%m-%d %H:%M} UTC")
    if row.reason:
        say(f"  {row.reason}")
    say(f"  compared with: {row.against or 'nothing (first complete run)'}")
    for change in ("new", "regressed", "still_failing"):
        items = runs.changed(db, run_id, change)
        say(f"{change.replace('_', ' ').capitalize()}: {len(items)}")
        if change != "still_failing":
            for i in items:
                say(f"  {i['rule']}: {i['kind']} {i['subject_name'] or i['subject_id']}")
    say(f"Fixed: {row.changes['fixed']}   Unknown (source failed or not evaluable): {row.changes['unknown']}")
    show_actions(StoreAuditLog(db).entries(run_id=run_id))
    return 0
