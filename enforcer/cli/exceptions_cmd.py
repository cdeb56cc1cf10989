"""``enforcer exceptions add|list|remove``: accepted failures, with a reason, an approver and an end date.

Adding fails closed: an exception belongs to one school unless ``--all-schools`` says
otherwise (the same account name exists in every school of an estate); its rule must be in
the pack (a misspelt id would except nothing, silently); its end date must not have passed;
and a finding enforcer could not evaluate is refused, because no run would ever show it as
excepted. ``review except`` uses the same checks (``check_expiry``, ``refuse_error``).
"""

from __future__ import annotations

import argparse
import difflib
from datetime import UTC, date, datetime
from pathlib import Path

from enforcer.cli.output import say
from enforcer.config import Config, SchoolConfig, load_config
from enforcer.model.errors import UsageError
from enforcer.model.parse import ascii_int
from enforcer.pipeline import scope
from enforcer.pipeline.history import exceptions_file
from enforcer.rules.loader import load_pack
from enforcer.rules.model import Pack, Rule
from enforcer.store import Store, open_store, records
from enforcer.waivers import (
    CANNOT_VOUCH,
    KINDS,
    SELECTOR_KEYS,
    PolicyException,
    beside_pack,
    load_exceptions_file,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("exceptions", help="add, list or remove exceptions")
    p.add_argument("--config", metavar="FILE", help="configuration file (names the store)")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    add = verbs.add_parser("add", help="accept a failure until a date")
    add.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS)
    add.add_argument("--rule", required=True, help="rule id (checked against the pack)")
    who = add.add_mutually_exclusive_group(required=True)
    who.add_argument("--fingerprint", help="one finding, by its fingerprint (its school comes with it)")
    who.add_argument("--subject", help="one subject, by id or name (account name, device name)")
    who.add_argument(
        "--selector",
        action="append",
        metavar="KEY=GLOB",
        help=f"subjects matching all of these ({', '.join(SELECTOR_KEYS)}; repeatable)",
    )
    where = add.add_mutually_exclusive_group()
    where.add_argument(
        "--school", metavar="ID|NAME", help="the school it applies to (required for an estate)"
    )
    where.add_argument(
        "--all-schools", action="store_true", help="apply it in every school of the estate, on purpose"
    )
    add.add_argument("--source", metavar="NAME", help="only findings from this source")
    add.add_argument(
        "--kind",
        dest="exception_kind",
        choices=KINDS,
        default=KINDS[0],
        help="accepted-risk (default: the finding is right, the school accepts it) or "
        "false-positive (the rule is wrong here: counted apart so the pack gets fixed)",
    )
    add.add_argument("--reason", required=True)
    add.add_argument("--approver", required=True, help="who agreed to it (name and role)")
    add.add_argument("--expires", required=True, metavar="YYYY-MM-DD", help="last day it applies")
    add.set_defaults(func=cmd_add)
    ls = verbs.add_parser("list", help="list exceptions (store and files)")
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


def check_expiry(text: str, today: date) -> date:
    """The last day an exception applies: a date, and not one that has already passed (an
    exception that is over before it starts would be reported as granted and never apply)."""
    try:
        expires = date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--expires: {text!r} is not a date (YYYY-MM-DD)") from None
    if expires < today:
        raise UsageError(
            f"--expires {expires} is in the past (today is {today}): give the last day it applies"
        )
    return expires


def refuse_error(status: str, what: str) -> None:
    """A finding that could not be evaluated is never excepted (``apply_exceptions``)."""
    if status == "error":
        raise UsageError(f"{what} could not be evaluated (status error): {CANNOT_VOUCH}")


def school_entry(config: Config, name: str) -> SchoolConfig | None:
    """The configured school a stored school name belongs to (None if no longer configured)."""
    return next((sc for sc in config.schools if sc.name.casefold() == name.casefold()), None)


def pack_rule(config: Config, school: SchoolConfig | None, text: str) -> Rule:
    """The rule an exception names, from the school's pack (every school's, estate-wide): an
    exception for a misspelt rule id would be stored, listed as active and except nothing."""
    packs = [
        load_pack(p, config.base_dir)
        for p in sorted({sc.policy for sc in ([school] if school else config.schools)})
    ]
    for pack in packs:
        found = pack.rule(text) or next((r for r in pack.rules if r.id.casefold() == text.casefold()), None)
        if found is not None:
            return found
    known = sorted({r.id for pack in packs for r in pack.rules})
    named = ", ".join(p.info.name for p in packs)
    close = difflib.get_close_matches(text, known, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    raise UsageError(f"no rule {text!r} in pack {named} ({hint}known: {', '.join(known)})")


def _school(config: Config, store: Store, text: str | None, all_schools: bool) -> SchoolConfig | None:
    """The school an exception is for; None only when ``--all-schools`` was said."""
    if all_schools:
        return None
    if text is not None:
        name = scope.school(config, store, text) or text
        entry = school_entry(config, name)
        if entry is None:
            raise UsageError(f"school {name!r} is in the store but not in this configuration")
        return entry
    if not config.multi_school:
        return config.schools[0]
    ids = ", ".join(sc.id for sc in config.schools)
    raise UsageError(
        f"this configuration has {len(config.schools)} schools: say which with --school ID|NAME "
        f"({ids}), or --all-schools to apply it in every one of them"
    )


def _source(config: Config, school: SchoolConfig | None, text: str | None) -> str | None:
    if text is None:
        return None
    names = [s.name for s in (school.sources if school else config.sources)]
    if text not in names:
        raise UsageError(f"no source {text!r} (known: {', '.join(names) or 'none'})")
    return text


def cmd_add(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    now = datetime.now(UTC)
    expires = check_expiry(args.expires, now.date())
    item: records.QueueItem | None = None
    with open_store(config) as store:
        if args.fingerprint is not None:
            item = _one_finding(store, args.fingerprint)
            school = _school(config, store, args.school or item.school, False)
            if school is None or school.name.casefold() != item.school.casefold():
                raise UsageError(
                    f"fingerprint {item.fingerprint} is a finding of {item.school}, not of {args.school}"
                )
        else:
            school = _school(config, store, args.school, args.all_schools)
        rule = pack_rule(config, school, args.rule)
        source = _source(config, school, args.source)
        if item is not None:
            if (item.rule, item.source) != (rule.id, source or item.source):
                raise UsageError(
                    f"fingerprint {item.fingerprint} is a finding of rule {item.rule} from source "
                    f"{item.source}, not {rule.id}{f' from {source}' if source else ''}"
                )
            refuse_error(item.status, f"{item.rule} for {item.subject_name or item.subject_id}")
            source = item.source
        if args.subject is not None:
            _refuse_subject_errors(store, now, school, rule.id, args.subject, source)
        exc = PolicyException(
            rule=rule.id,
            reason=args.reason,
            approver=args.approver,
            expires=expires,
            fingerprint=item.fingerprint if item is not None else None,
            subject=args.subject,
            selector=_selector(args.selector),
            school=school.name if school else None,
            source=source,
            kind=args.exception_kind,
        )
        saved = records.add_exception(store.db, exc, now)
    where = f"school {saved.school}" if saved.school else "EVERY school (--all-schools)"
    say(
        f"Added exception {saved.id}: {saved.rule}, {saved.target()}, {where}"
        f"{f', source {saved.source}' if saved.source else ''}, {saved.kind}, until {saved.expires}"
    )
    return 0


def _one_finding(store: Store, fingerprint: str) -> records.QueueItem:
    """The tracked finding a fingerprint names: its school, rule, source and status decide
    whether the exception can ever apply, so an unknown fingerprint is refused."""
    item = records.tracked(store.db, [fingerprint.lower()]).get(fingerprint.lower())
    if item is None:
        raise UsageError(f"no finding with fingerprint {fingerprint!r} in the store (see `enforcer review`)")
    return item


def _refuse_subject_errors(
    store: Store, now: datetime, school: SchoolConfig | None, rule: str, subject: str, source: str | None
) -> None:
    """The subject's open finding for this rule could not be evaluated: say so now, not never."""
    want = subject.casefold()
    for i in records.queue(store.db, now, school.name if school else None, rule, statuses=("error",)):
        if (source is None or i.source == source) and want in (
            i.subject_id.casefold(),
            (i.subject_name or "").casefold(),
        ):
            refuse_error(i.status, f"{rule} for {i.subject_name or i.subject_id} in {i.school}")


def cmd_list(args: argparse.Namespace) -> int:
    """Each exception as a person needs it: who (the account or device, not a fingerprint),
    which school, which rule (id and title), what kind, until when, who approved it, and
    where it lives (``store:N`` to remove it, ``file:line`` to edit it)."""
    config = load_config(args.config)
    today = datetime.now(UTC).date()
    packs = {sc.name: load_pack(sc.policy, config.base_dir) for sc in config.schools}
    with open_store(config) as store:
        stored = records.list_exceptions(store.db)
        found = records.tracked(store.db, [e.fingerprint for e in stored if e.fingerprint])
    entries = [(e, _stored_where(e, found)) for e in stored]
    for path, schools in _files(config, packs).items():
        where = _file_where(config, packs, path, schools)
        entries += [(e, (e.target(), where)) for e in load_exceptions_file(path)]
    if args.active:
        entries = [(e, w) for e, w in entries if e.active(today)]
    if not entries:
        say("No exceptions.")
        return 0
    for e, (who, school) in entries:
        state = "active" if e.active(today) else "EXPIRED: inactive, no longer applied"
        say(f"{e.id}  {e.rule}: {_title(e, packs)}")
        say(f"    {who}; {school}{f', source {e.source}' if e.source else ''}")
        say(f"    {e.kind}, until {e.expires} ({state}); approved by {e.approver}: {e.reason}")
    return 0


def _stored_where(e: PolicyException, found: dict[str, records.QueueItem]) -> tuple[str, str]:
    school = f"school {e.school}" if e.school else "every school (estate-wide)"
    if e.fingerprint is None:
        return e.target(), school
    item = found.get(e.fingerprint)
    if item is None:
        return f"fingerprint {e.fingerprint} (no finding in the store has it)", school
    return f"{item.kind} {item.subject_name or item.subject_id} (id {item.subject_id})", school


def _files(config: Config, packs: dict[str, Pack]) -> dict[Path, list[str]]:
    """Each exceptions file the schools' runs read, with the schools that read it."""
    out: dict[Path, list[str]] = {}
    for sc in config.schools:
        path = exceptions_file(config.for_school(sc) if config.multi_school else config, packs[sc.name])
        if path is not None:
            out.setdefault(path, []).append(sc.name)
    return out


def _file_where(config: Config, packs: dict[str, Pack], path: Path, schools: list[str]) -> str:
    """A file has no school: it applies in every school whose run reads it, which for a file
    beside the pack is every school using that pack."""
    pack = packs[schools[0]]
    if pack.info.path and path == beside_pack(pack.info.path):
        return f"every school using pack {pack.info.name} (file beside the pack)"
    if config.multi_school and len(schools) == len(config.schools):
        return "every school (file named in the configuration)"
    return "school " + ", ".join(schools) + " (file named in the configuration)"


def _title(e: PolicyException, packs: dict[str, Pack]) -> str:
    order = [packs[e.school]] if e.school in packs else []
    for pack in order + list(packs.values()):
        rule = pack.rule(e.rule)
        if rule is not None:
            return rule.title
    return "(no such rule in the pack: this exception applies to nothing)"


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
