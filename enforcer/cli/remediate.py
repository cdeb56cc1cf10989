"""``enforcer remediate --run ID [--apply]`` and ``enforcer undo ACTION|RUN``.

Without ``--apply`` nothing is written anywhere: the plan is printed. With it, the
plan goes through the same path as the nightly run (audit log intent, cap,
apply, outcome), under the run lock so it cannot race a run.
"""

from __future__ import annotations

import argparse

from enforcer.actions import remediation
from enforcer.actions.interface import Outcome
from enforcer.cli.output import say
from enforcer.config import load_config
from enforcer.model.errors import UsageError
from enforcer.store import open_store, records, run_lock, runs


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("remediate", help="plan (or --apply) the remediation actions for a recorded run")
    p.add_argument("--config", metavar="FILE", help="configuration file")
    p.add_argument("--run", required=True, metavar="RUN_ID", help="a run id from `enforcer history`")
    p.add_argument("--apply", action="store_true", help="apply rules in enforce mode and marked items")
    p.set_defaults(func=cmd_remediate)
    u = sub.add_parser("undo", help="restore the previous values of an applied action, or of a whole run")
    u.add_argument("--config", metavar="FILE", help="configuration file")
    u.add_argument("target", metavar="ACTION|RUN", help="an action number or a run id")
    u.set_defaults(func=cmd_undo)


def _print(outcomes: remediation.Outcomes) -> None:
    for res in outcomes.results:
        s = res.plan.subject
        say(
            f"  {res.outcome.value:8} {res.plan.action:28} {s.kind.value} {s.name or s.id} "
            f"({res.plan.rule})" + (f": {res.message}" if res.message else "")
        )
    for note in outcomes.notes:
        say(f"  {note}")
    if outcomes.stopped:
        say(f"enforcer: {outcomes.stopped}")


def cmd_remediate(args: argparse.Namespace) -> int:
    from enforcer.rules.loader import load_pack

    config = load_config(args.config)
    pack = load_pack(config.model.policy, config.base_dir)
    with open_store(config) as store:
        row = runs.get_run(store.db, args.run)
        if row is None:
            raise UsageError(f"no run {args.run!r} in the store")
        latest = runs.list_runs(store.db, row.school, 1)
        if args.apply and latest and latest[0].id != row.id:
            raise UsageError(
                f"run {row.id} is not the latest run for {row.school}; its findings may be out "
                f"of date (latest: {latest[0].id})"
            )
        if args.apply and row.state != "complete":
            raise UsageError(
                f"run {row.id} is {row.state}: it saw only part of the school, so nothing is "
                "applied from it (plans can still be listed without --apply)"
            )
        planned = remediation.plan(
            runs.run_findings(store.db, row.id), remediation.modes_of(pack), records.marked(store.db)
        )
        if not planned:
            say("Nothing to remediate: no failing finding of a rule in dry-run or enforce mode.")
            return 0
        if not args.apply:
            say(f"Plan for run {row.id} (nothing is changed without --apply):")
            for p in planned:
                s = p.plan.subject
                say(f"  {p.mode:8} {p.plan.action:28} {s.kind.value} {s.name or s.id} ({p.plan.rule})")
            return 0
        with run_lock():
            sources = {p.plan.subject.source for p in planned if p.mode == "enforce"}
            subjects = store.db.one("SELECT subjects FROM runs WHERE id = ?", (row.id,))["subjects"]
            cfg = config.model.remediation
            outcomes = remediation.execute(
                store.db,
                planned,
                remediation.remediators_for(config, sources),
                run_id=row.id,
                cap=remediation.Cap(cfg.max_changes, cfg.max_share),
                subjects=subjects,
            )
    say(f"Remediation for run {row.id}:")
    _print(outcomes)
    return 1 if outcomes.failed or outcomes.stopped else 0


def cmd_undo(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    with open_store(config) as store, run_lock():
        if args.target.isdigit():
            entries = records.audit_entries(store.db, action_id=int(args.target))
            kwargs: dict = {"action_id": int(args.target)}
        else:
            entries = records.audit_entries(store.db, run_id=args.target)
            kwargs = {"run_id": args.target}
        sources = {e.plan.subject.source for e in entries}
        outcomes = remediation.undo(store.db, remediation.remediators_for(config, sources), **kwargs)
    _print(outcomes)
    return 1 if any(r.outcome in (Outcome.FAILED, Outcome.SKIPPED) for r in outcomes.results) else 0
