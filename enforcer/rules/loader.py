"""Load and validate policy packs: every problem reported with file and line, before any connection."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enforcer.actions.catalog import ACTIONS
from enforcer.model.errors import InputError, PolicyError
from enforcer.model.values import PackInfo, Remediation, SubjectKind
from enforcer.rules.checks import CHECKS
from enforcer.rules.compiler import Compiler
from enforcer.rules.conditions import Condition
from enforcer.rules.model import Pack, Rule
from enforcer.rules.spec import PackFile, RuleSpec
from enforcer.yamlfile import Located, MultiInputError, load_file, validate

if TYPE_CHECKING:
    from enforcer.passwords.policy import PasswordPolicy


def packs_dir() -> Path:
    """Installed packs live in ``enforcer/packs``; in a source tree they are ``policies/``."""
    here = Path(__file__).resolve().parent.parent
    installed = here / "packs"
    return installed if installed.is_dir() else here.parent / "policies"


def builtin_packs() -> dict[str, Path]:
    return {p.stem: p for p in sorted(packs_dir().glob("*.yaml")) if not p.stem.endswith("exceptions")}


def resolve_pack(ref: str, base_dir: Path | None = None) -> Path:
    builtin = builtin_packs()
    if ref in builtin:
        return builtin[ref]
    path = Path(ref).expanduser()
    if not path.is_absolute() and base_dir is not None and not path.exists():
        path = base_dir / path
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    raise InputError(f"no built-in pack named {ref!r} (built-in: {', '.join(builtin)}) and no such file")


def load_pack(ref: str, base_dir: Path | None = None) -> Pack:
    path = resolve_pack(ref, base_dir)
    try:
        st = path.stat()
    except OSError:
        return compile_pack(load_file(path))  # load_file reports the problem with the path
    return _compiled(str(path.resolve()), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=32)
def _compiled(path: str, mtime_ns: int, size: int) -> Pack:
    """An estate's schools mostly share a pack: parse it once per file version (Pack is immutable)."""
    return compile_pack(load_file(path))


def compile_pack(doc: Located) -> Pack:
    if not isinstance(doc.data, dict):
        raise PolicyError([InputError("a policy pack is a mapping with 'pack' and 'rules'", doc.path, 1)])
    problems: list[InputError] = []
    spec: PackFile | None = None
    try:
        spec = validate(PackFile, doc)
    except MultiInputError as exc:
        problems.extend(exc.problems)  # keep going: report the rules' problems too
    raw_rules = doc.data.get("rules")
    compiler = Compiler(doc, problems)
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_rules if isinstance(raw_rules, list) else []):
        if not isinstance(raw, dict):
            if spec is not None:
                problems.append(doc.error(("rules", i), "a rule is a mapping"))
            continue
        rule = _compile_rule(doc, compiler, problems, raw, i)
        if rule is None:
            continue
        if rule.id in seen:
            problems.append(
                doc.error(
                    ("rules", i, "id"), f"duplicate rule id {rule.id!r} (first on line {seen[rule.id]})"
                )
            )
            continue
        seen[rule.id] = rule.line or 0
        rules.append(rule)
    password, raw_password = _password(doc, spec.password if spec else None, problems)
    if problems or spec is None:
        raise PolicyError(problems)
    return Pack(
        info=PackInfo(spec.pack.name, spec.pack.version, doc.path),
        title=spec.pack.title,
        description=spec.pack.description,
        sources=tuple(spec.pack.sources),
        rules=tuple(rules),
        tracking_apps=tuple(spec.inventory.tracking_apps),
        password=password,
        raw_password=raw_password,
    )


def _password(
    doc: Located, raw: dict[str, Any] | None, problems: list[InputError]
) -> tuple[PasswordPolicy | None, dict[str, Any]]:
    if raw is None:
        return None, {}
    from enforcer.passwords.policy import PasswordPolicyModel

    try:
        model = validate(PasswordPolicyModel, doc, raw, prefix=("password",))
    except MultiInputError as exc:
        problems.extend(exc.problems)
        return None, raw
    return model.to_policy(), raw


def _compile_rule(
    doc: Located, compiler: Compiler, problems: list[InputError], raw: dict[str, Any], i: int
) -> Rule | None:
    loc = ("rules", i)
    try:
        spec = validate(RuleSpec, doc, raw, prefix=loc)
    except MultiInputError as exc:
        problems.extend(exc.problems)
        return None
    kind = spec.applies_to.kind
    before = len(problems)
    where: Condition | None = None
    if spec.applies_to.where is not None:
        where = compiler.compile(spec.applies_to.where, kind, (*loc, "applies_to", "where"))
    expect: Condition | None = None
    check: str | None = None
    params: dict[str, Any] = {}
    if "check" in spec.expect:
        check = spec.expect["check"]
        params = {k: v for k, v in spec.expect.items() if k != "check"}
        named = CHECKS.get(check) if isinstance(check, str) else None
        if named is None:
            problems.append(
                doc.error((*loc, "expect", "check"), f"unknown check {check!r} (known: {', '.join(CHECKS)})")
            )
        elif named.kind is not kind:
            problems.append(
                doc.error(
                    (*loc, "expect", "check"),
                    f"check {check!r} applies to {named.kind.value}, not {kind.value}",
                )
            )
        else:
            problems.extend(doc.error((*loc, "expect"), e) for e in named.param_errors(params))
    else:
        expect = compiler.compile(spec.expect, kind, (*loc, "expect"))
    rem = spec.remediation
    if rem.action is not None:
        action = ACTIONS.get(rem.action)
        if action is None:
            problems.append(
                doc.error(
                    (*loc, "remediation", "action"),
                    f"unknown action {rem.action!r} (known: {', '.join(ACTIONS)})",
                )
            )
        elif kind not in action.kinds:
            problems.append(
                doc.error(
                    (*loc, "remediation", "action"), f"action {rem.action!r} cannot act on a {kind.value}"
                )
            )
        elif action.opt_in and rem.params.get("opt_in") is not True:
            problems.append(
                doc.error(
                    (*loc, "remediation", "action"),
                    f"action {rem.action!r} is disruptive: set params.opt_in: true to use it",
                )
            )
    elif rem.mode != "report":
        problems.append(doc.error((*loc, "remediation", "mode"), f"mode {rem.mode!r} needs an action"))
    needs = set(spec.needs)
    used = (where.keys() if where else set()) | (expect.keys() if expect else set())
    if kind is SubjectKind.PUPIL or any(k.startswith("roster.") for k in used):
        needs.add("roster")
    if len(problems) > before:
        return None
    return Rule(
        id=spec.id,
        title=spec.title,
        kind=kind,
        where=where,
        expect=expect,
        check=check,
        check_params=params,
        severity=spec.severity,
        clause=spec.clause,
        guidance=spec.guidance,
        remediation=Remediation(rem.advice, rem.action, dict(rem.params)),
        mode=rem.mode,
        needs=frozenset(needs),
        message=spec.message,
        line=doc.line(loc),
    )
