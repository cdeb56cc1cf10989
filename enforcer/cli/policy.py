"""``enforcer policy validate|lint`` and ``enforcer rules list|show``: no connection is ever made."""

from __future__ import annotations

import argparse
import json

from enforcer.model.errors import UsageError
from enforcer.rules.lint import lint
from enforcer.rules.loader import builtin_packs, load_pack
from enforcer.rules.model import Rule


def register(sub: argparse._SubParsersAction) -> None:
    policy = sub.add_parser("policy", help="validate or lint a policy pack")
    psub = policy.add_subparsers(dest="policy_command", metavar="COMMAND", required=True)
    v = psub.add_parser("validate", help="check a pack; every error with file and line (exit 2)")
    v.add_argument("pack", metavar="PACK|FILE")
    v.set_defaults(func=cmd_validate)
    li = psub.add_parser("lint", help="where a pack departs from NCSC guidance (advice; exit 0)")
    li.add_argument("pack", metavar="PACK|FILE")
    li.set_defaults(func=cmd_lint)

    rules = sub.add_parser("rules", help="describe the rules of a pack")
    rsub = rules.add_subparsers(dest="rules_command", metavar="COMMAND", required=True)
    ls = rsub.add_parser("list", help="one line per rule")
    ls.add_argument("--policy", metavar="PACK|FILE", default="primary-school")
    ls.add_argument("--format", choices=["table", "json"], default="table")
    ls.set_defaults(func=cmd_rules_list)
    show = rsub.add_parser("show", help="everything about one rule")
    show.add_argument("rule_id", metavar="ID")
    show.add_argument("--policy", metavar="PACK|FILE", default="primary-school")
    show.set_defaults(func=cmd_rules_show)


def cmd_validate(args: argparse.Namespace) -> int:
    pack = load_pack(args.pack)
    print(f"{pack.info.path}: ok: pack {pack.info.name} {pack.info.version}, {len(pack.rules)} rules")
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    pack = load_pack(args.pack)
    notes = lint(pack)
    for n in notes:
        where = f"{pack.info.path}:{n.line}: " if n.line else f"{pack.info.path}: "
        print(f"{where}{n.rule + ': ' if n.rule else ''}{n.message}")
    print(f"{len(notes)} departure(s) from NCSC guidance in {pack.info.name} (advice only)")
    return 0


def _summary(rule: Rule) -> dict[str, object]:
    return {
        "id": rule.id,
        "title": rule.title,
        "applies_to": rule.kind.value,
        "severity": rule.severity.value,
        "clause": rule.clause,
        "guidance": rule.guidance,
        "remediation": rule.remediation.advice,
        "action": rule.remediation.action,
        "mode": rule.mode,
        "check": rule.check,
        "needs": sorted(rule.needs),
    }


def cmd_rules_list(args: argparse.Namespace) -> int:
    pack = load_pack(args.policy)
    if args.format == "json":
        print(json.dumps([_summary(r) for r in pack.rules], indent=2))
        return 0
    width = max(len(r.id) for r in pack.rules)
    for r in pack.rules:
        print(f"{r.id:<{width}}  {r.severity.value:<8}  {r.kind.value:<7}  {r.title}")
    print(
        f"\n{len(pack.rules)} rules in {pack.info.name} {pack.info.version} "
        f"(built-in packs: {', '.join(builtin_packs())})"
    )
    return 0


def cmd_rules_show(args: argparse.Namespace) -> int:
    pack = load_pack(args.policy)
    rule = pack.rule(args.rule_id)
    if rule is None:
        raise UsageError(f"no rule {args.rule_id!r} in {pack.info.name} (see: enforcer rules list)")
    info = _summary(rule)
    labels = {
        "applies_to": "Applies to",
        "clause": "Policy clause",
        "guidance": "Guidance",
        "remediation": "Remediation",
        "action": "Action",
        "mode": "Mode",
        "check": "Named check",
        "needs": "Needs",
        "severity": "Severity",
    }
    print(f"{rule.id}: {rule.title}")
    for key, label in labels.items():
        value = info[key]
        if value:
            print(f"  {label + ':':<15} {', '.join(value) if isinstance(value, list) else value}")
    print(f"  {'Defined at:':<15} {pack.info.path}:{rule.line}")
    return 0
