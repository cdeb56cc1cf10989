"""``enforcer remediate --run ID [--apply]`` and ``enforcer undo ACTION|RUN``.

Without ``--apply`` nothing is written anywhere: the plan is printed. With it, the
plan goes through the same path as the nightly run (audit log intent, cap,
apply, outcome), under the run lock so it cannot race a run.
"""

from __future__ import annotations

import argparse
import sys

from enforcer.actions.apply import Outcomes
from enforcer.actions.interface import Outcome
from enforcer.cli.actions import show_actions
from enforcer.cli.output import say
from enforcer.config import load_config
from enforcer.model.errors import UsageError
from enforcer.model.parse import ascii_int
from enforcer.pipeline import remediate as remediation
from enforcer.pipeline import scope
from enforcer.store import open_store, run_lock, runs
from enforcer.store.audit import StoreAuditLog


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("remediate", help="plan (or --apply) the remediation actions for a recorded run")
    p.add_argument("--config", metavar="FILE", help="configuration file")
    p.add_argument("--run", metavar="RUN_ID", help="a run id from `enforcer history`, or `latest`")
    p.add_argument("--apply", action="store_true", help="apply rules in enforce mode and marked items")
    p.set_defaults(func=cmd_remediate)
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    log = verbs.add_parser("log", help="every remediation intent and outcome, with its action number")
    log.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS)
    log.add_argument("--run", metavar="RUN_ID", help="only this run (or `latest`)")
    log.add_argument("--subject", metavar="NAME", help="only this account or device (id or name)")
    log.add_argument("--outcome", choices=[o.value for o in Outcome] + ["pending"], help="only this outcome")
    log.add_argument("--limit", type=int, default=200, metavar="N", help="newest N (default 200)")
    log.set_defaults(func=cmd_log)
    u = sub.add_parser("undo", help="restore the previous values of an applied action, or of a whole run")
    u.add_argument("--config", metavar="FILE", help="configuration file")
    u.add_argument("target", metavar="ACTION|RUN", help="an action number or a run id")
    u.set_defaults(func=cmd_undo)


def _print(outcomes: Outcomes) -> None:
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

    if args.run is None:
        raise UsageError("remediate needs --run RUN_ID (or `latest`), or the verb `log`")
    config = load_config(args.config)
    pack = load_pack(config.model.policy, config.base_dir)
    with open_store(config) as store:
        row = remediation.recorded_run(store, scope.run_id(store, args.run), for_apply=args.apply)
        findings = runs.run_findings(store.db, row.id)
        if not args.apply:
            planned = remediation.plan_run(store, findings, pack)
            if not planned:
                say("Nothing to remediate: no failing finding of a rule in dry-run or enforce mode.")
                return 0
            say(f"Plan for run {row.id} (nothing is changed without --apply):")
            for p in planned:
                s = p.plan.subject
                say(f"  {p.mode:8} {p.plan.action:28} {s.kind.value} {s.name or s.id} ({p.plan.rule})")
            return 0
        with run_lock(config):
            done = remediation.remediate(
                config,
                store,
                run_id=row.id,
                findings=findings,
                pack=pack,
                complete=True,
                subjects=row.subjects,
            )
    if done is None:
        say("Nothing to remediate: no failing finding of a rule in dry-run or enforce mode.")
        return 0
    say(f"Remediation for run {row.id}:")
    _print(done.outcomes)
    for message in done.messages:
        say(f"enforcer: {message}", file=sys.stderr)
    # anything asked for that did not happen (failed, stopped by the cap, skipped) is not success
    unapplied = any(r.outcome in (Outcome.FAILED, Outcome.SKIPPED) for r in done.outcomes.results)
    return 1 if unapplied or done.outcomes.stopped else 0


def cmd_log(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    with open_store(config) as store:
        log = StoreAuditLog(store.db)
        if args.run:
            entries = log.entries(run_id=scope.run_id(store, args.run))
        else:
            entries = list(reversed(log.recent(args.limit)))
    if args.subject:
        wanted = args.subject.casefold()
        entries = [
            e
            for e in entries
            if wanted in {e.plan.subject.id.casefold(), (e.plan.subject.name or "").casefold()}
        ]
    if args.outcome:
        entries = [e for e in entries if e.outcome == args.outcome]
    show_actions(entries, title="Audit log")
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    action = ascii_int(args.target)  # str.isdigit() is true for '²', which int() refuses
    with open_store(config) as store, run_lock(config):
        if action is not None:
            outcomes = remediation.undo(config, store, action_id=action)
        else:
            outcomes = remediation.undo(config, store, run_id=args.target)
    _print(outcomes)
    return 1 if any(r.outcome in (Outcome.FAILED, Outcome.SKIPPED) for r in outcomes.results) else 0
