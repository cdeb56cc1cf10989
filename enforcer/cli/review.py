"""``enforcer review``: the IT contractor's work queue of open non-compliant accounts and devices.

``review`` lists, ``review show ID`` explains one item; from there ``review except``
grants an exception, ``review note`` adds a note, ``review mark`` asks for the
rule's remediation action to be applied to this one subject at the next
``enforcer remediate --apply`` or nightly run.
"""

from __future__ import annotations

import argparse
import getpass
from datetime import UTC, datetime

from enforcer.cli.args import whole_number
from enforcer.cli.exceptions_cmd import check_expiry, refuse_error, school_entry
from enforcer.cli.output import say
from enforcer.config import Config, load_config
from enforcer.model.errors import UsageError
from enforcer.pipeline import scope
from enforcer.rules.loader import load_pack
from enforcer.store import open_store, records
from enforcer.waivers import KINDS, PolicyException


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="the IT contractor's queue of open non-compliant items")
    p.add_argument("--config", metavar="FILE", help="configuration file (names the store)")
    p.add_argument("--school", help="only this school")
    p.add_argument("--rule", help="only this rule id")
    p.add_argument("--kind", choices=["account", "device", "domain", "pupil"], help="only this kind")
    p.add_argument(
        "--min-age-days",
        type=whole_number(0, 36_500),
        default=0,
        metavar="N",
        help="open for at least N days",
    )
    p.add_argument("--errors", action="store_true", help="include items that could not be evaluated")
    p.set_defaults(func=cmd_list)
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    show = verbs.add_parser("show", help="one item in full")
    show.add_argument("id", help="the number in the list, or a fingerprint")
    show.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS)
    show.set_defaults(func=cmd_show)
    exc = verbs.add_parser("except", help="grant an exception for this item")
    exc.add_argument("id")
    exc.add_argument("--reason", required=True)
    exc.add_argument("--approver", required=True)
    exc.add_argument("--expires", required=True, metavar="YYYY-MM-DD")
    exc.add_argument(
        "--kind",
        dest="exception_kind",
        choices=KINDS,
        default=KINDS[0],
        help="accepted-risk (default) or false-positive (the rule is wrong here: counted apart)",
    )
    exc.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS)
    exc.set_defaults(func=cmd_except)
    note = verbs.add_parser("note", help="add a note to this item")
    note.add_argument("id")
    note.add_argument("text")
    note.add_argument("--author", default=None, help="default: your login name")
    note.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS)
    note.set_defaults(func=cmd_note)
    mark = verbs.add_parser("mark", help="mark this item for remediation (or --clear)")
    mark.add_argument("id")
    mark.add_argument("--by", default=None, help="default: your login name")
    mark.add_argument("--clear", action="store_true")
    mark.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS)
    mark.set_defaults(func=cmd_mark)


def _me(name: str | None) -> str:
    return name or getpass.getuser()


def cmd_list(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    now = datetime.now(UTC)
    statuses = ("fail", "error") if args.errors else ("fail",)
    with open_store(config) as store:
        school = scope.school(config, store, args.school)
        rule = scope.rule(config, store, args.rule)
        items = records.queue(store.db, now, school, rule, args.kind, args.min_age_days, statuses)
    if not items:
        what = ", ".join(
            f"{k} {v}" for k, v in (("school", school), ("rule", rule), ("kind", args.kind)) if v
        )
        say(f"Nothing open in the review queue{' for ' + what if what else ''}.")
        return 0
    say(f"{'ID':>5}  {'age':>4}  {'kind':7} {'subject':22} {'owner':18} problem / suggested fix")
    for i in items:
        flag = " [marked]" if i.marked_at else ""
        say(
            f"{i.id:>5}  {i.age_days(now):>3}d  {i.kind:7} {(i.subject_name or i.subject_id)[:22]:22} "
            f"{(i.owner or '-')[:18]:18} {i.rule}{flag}: {i.message}"
        )
        if i.advice:
            say(f"{'':>42}fix: {i.advice}")
    say(f"{len(items)} open item(s). `enforcer review show ID` for evidence and notes.")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    now = datetime.now(UTC)
    with open_store(config) as store:
        i = records.find_item(store.db, args.id)
        notes = records.notes(store.db, i.fingerprint)
    say(f"#{i.id} {i.title or i.rule} [{i.severity or i.status}]")
    say(
        f"  {i.kind} {i.subject_name or i.subject_id} (id {i.subject_id}, source {i.source}), school {i.school}"
    )
    say(f"  owner: {i.owner or 'unknown'}")
    say(
        f"  status: {i.status}; open for {i.age_days(now)} days (since {i.opened:%Y-%m-%d}); "
        f"first seen {i.first_seen:%Y-%m-%d}; last seen {i.last_seen:%Y-%m-%d}"
    )
    say(f"  problem: {i.message}")
    for k, v in sorted((i.evidence or {}).items()):
        say(f"  evidence {k}: {v}")
    say(f"  suggested fix: {i.advice or '-'}")
    if i.marked_at:
        say(f"  marked for remediation by {i.marked_by} on {i.marked_at:%Y-%m-%d}")
    for n in notes:
        say(f"  note ({n['author']}, {n['created'][:10]}): {n['text']}")
    say(f"  fingerprint: {i.fingerprint}")
    return 0


def cmd_except(args: argparse.Namespace) -> int:
    """One finding, so its school and source come with it; refused for a date already past and
    for a finding that could not be evaluated, either of which would never show as excepted."""
    config = load_config(args.config)
    now = datetime.now(UTC)
    expires = check_expiry(args.expires, now.date())
    with open_store(config) as store:
        i = records.find_item(store.db, args.id)
        refuse_error(i.status, f"#{i.id} ({i.rule}, {i.subject_name or i.subject_id})")
        saved = records.add_exception(
            store.db,
            PolicyException(
                rule=i.rule,
                reason=args.reason,
                approver=args.approver,
                expires=expires,
                fingerprint=i.fingerprint,
                school=i.school,
                source=i.source,
                kind=args.exception_kind,
            ),
            now,
        )
    say(
        f"Added exception {saved.id} ({saved.kind}) for #{i.id} ({i.rule}, {i.subject_name or i.subject_id}, "
        f"{i.school}) until {expires}; while it still fails it shows as 'excepted' from the next run"
    )
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    with open_store(config) as store:
        i = records.find_item(store.db, args.id)
        records.add_note(store.db, i.fingerprint, _me(args.author), args.text, datetime.now(UTC))
    say(f"Note added to #{i.id}")
    return 0


def cmd_mark(args: argparse.Namespace) -> int:
    """A mark lifts a ``dry-run`` rule to ``enforce`` for one subject; a rule in ``report`` mode
    or without an action has nothing to lift, so marking it would promise a fix that never
    comes. Clearing a mark is always allowed."""
    config = load_config(args.config)
    with open_store(config) as store:
        i = records.find_item(store.db, args.id)
        if not args.clear:
            _refuse_unremediable(config, i)
        records.mark_for_remediation(store.db, i.fingerprint, _me(args.by), datetime.now(UTC), not args.clear)
    say(f"#{i.id} " + ("no longer marked" if args.clear else "marked for remediation"))
    return 0


def _refuse_unremediable(config: Config, i: records.QueueItem) -> None:
    entry = school_entry(config, i.school)
    policy = entry.policy if entry is not None else config.model.policy
    rule = load_pack(policy, config.base_dir).rule(i.rule)
    if rule is None:
        raise UsageError(f"#{i.id}: rule {i.rule} is no longer in pack {policy}: nothing would be done")
    if not rule.remediation.action:
        raise UsageError(
            f"#{i.id}: rule {i.rule} has no remediation action, so nothing would ever be done; "
            f"fix it by hand ({rule.remediation.advice})"
        )
    if rule.mode == "report":
        raise UsageError(
            f"#{i.id}: rule {i.rule} is in 'report' mode, so its action ({rule.remediation.action}) "
            "is never applied; set its remediation mode to dry-run in the pack to allow marks"
        )
