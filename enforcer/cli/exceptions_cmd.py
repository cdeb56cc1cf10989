"""``enforcer exceptions add|list|remove``: accepted failures, with a reason, an approver and an end date."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

from enforcer.cli.output import say
from enforcer.config import load_config
from enforcer.model.errors import UsageError
from enforcer.model.parse import ascii_int
from enforcer.store import open_store, records
from enforcer.waivers import SELECTOR_KEYS, PolicyException, load_exceptions_file


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("exceptions", help="add, list or remove exceptions")
    p.add_argument("--config", metavar="FILE", help="configuration file (names the store)")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    add = verbs.add_parser("add", help="accept a failure until a date")
    add.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS)
    add.add_argument("--rule", required=True, help="rule id")
    who = add.add_mutually_exclusive_group(required=True)
    who.add_argument("--fingerprint", help="one finding, by its fingerprint")
    who.add_argument("--subject", help="one subject, by id or name (account name, device name)")
    who.add_argument(
        "--selector",
        action="append",
        metavar="KEY=GLOB",
        help=f"subjects matching all of these ({', '.join(SELECTOR_KEYS)}; repeatable)",
    )
    add.add_argument("--reason", required=True)
    add.add_argument("--approver", required=True, help="who agreed to it (name and role)")
    add.add_argument("--expires", required=True, metavar="YYYY-MM-DD", help="last day it applies")
    add.set_defaults(func=cmd_add)
    ls = verbs.add_parser("list", help="list exceptions (store and file)")
    ls.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS)
    ls.add_argument("--active", action="store_true", help="hide expired ones")
    ls.set_defaults(func=cmd_list)
    rm = verbs.add_parser("remove", help="remove an exception from the store")
    rm.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS)
    rm.add_argument("id", help="the number shown by `exceptions list` (store:N or N)")
    rm.set_defaults(func=cmd_remove)


def _selector(items: list[str] | None) -> dict[str, str] | None:
    if not items:
        return None
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in SELECTOR_KEYS or not value:
            raise UsageError(f"--selector {item!r}: use KEY=GLOB with KEY one of {', '.join(SELECTOR_KEYS)}")
        out[key] = value
    return out


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--expires: {text!r} is not a date (YYYY-MM-DD)") from None


def cmd_add(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    now = datetime.now(UTC)
    expires = _date(args.expires)
    if expires < now.date():
        raise UsageError(f"--expires {expires} is in the past")
    exc = PolicyException(
        rule=args.rule,
        reason=args.reason,
        approver=args.approver,
        expires=expires,
        fingerprint=args.fingerprint,
        subject=args.subject,
        selector=_selector(args.selector),
    )
    with open_store(config) as store:
        saved = records.add_exception(store.db, exc, now)
    say(f"Added exception {saved.id}: {saved.rule}, {saved.target()}, until {saved.expires}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    today = datetime.now(UTC).date()
    with open_store(config) as store:
        items = records.list_exceptions(store.db)
    if config.model.exceptions:
        items += load_exceptions_file(config.resolve(config.model.exceptions))
    if args.active:
        items = [e for e in items if e.active(today)]
    if not items:
        say("No exceptions.")
        return 0
    for e in items:
        state = "active" if e.active(today) else "EXPIRED"
        say(f"{e.id}  {e.rule}  {e.target()}  until {e.expires} ({state})")
        say(f"    approved by {e.approver}: {e.reason}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    ref = args.id.removeprefix("store:")
    number = ascii_int(ref)  # str.isdigit() is true for '²', which int() refuses
    if number is None:
        raise UsageError(f"{args.id!r}: only store exceptions can be removed here; edit the file for others")
    config = load_config(args.config)
    with open_store(config) as store:
        records.remove_exception(store.db, number, datetime.now(UTC))
    say(f"Removed exception store:{ref}")
    return 0
