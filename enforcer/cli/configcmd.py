"""``enforcer init`` and ``enforcer config check``."""

from __future__ import annotations

import argparse
import os
from importlib import resources
from pathlib import Path

from enforcer.cli.output import say
from enforcer.config import load_config
from enforcer.model.errors import UsageError
from enforcer.pipeline.check import check_all, verdict
from enforcer.rules.loader import load_pack


def register(sub: argparse._SubParsersAction) -> None:
    init = sub.add_parser("init", help="write a commented example configuration")
    init.add_argument("path", nargs="?", default="enforcer.yaml")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(func=cmd_init)
    config = sub.add_parser("config", help="check a configuration")
    csub = config.add_subparsers(dest="config_command", metavar="COMMAND", required=True)
    check = csub.add_parser("check", help="validate the configuration and pack, then test each connection")
    check.add_argument("--config", metavar="FILE", required=True)
    check.add_argument("--offline", action="store_true", help="validate only; connect to nothing")
    check.set_defaults(func=cmd_check)


def example_config() -> str:
    return resources.files("enforcer").joinpath("data/example-config.yaml").read_text(encoding="utf-8")


def cmd_init(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if path.exists() and not args.force:
        raise UsageError(f"{path} exists; use --force to overwrite it")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(example_config())
    print(f"Wrote {path}. Fill it in, then: enforcer config check --config {path}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """One line per capability, then the verdict; the exit-code contract is in
    :mod:`enforcer.pipeline.check` (0 usable, 3 unreachable or findings would be unknown, 2
    configuration wrong)."""
    config = load_config(args.config)
    pack = load_pack(config.model.policy, config.base_dir)
    print(
        f"configuration ok: {len(config.sources)} source(s); pack {pack.info.name} "
        f"{pack.info.version} ({len(pack.rules)} rules)"
    )
    if args.offline:
        return 0
    checked = check_all(config, pack.tracking_apps)
    for part in checked:
        if part.error is not None:
            why = "configuration" if part.error_exit == 2 else "cannot check"
            say(f"  {part.component}: FAILED: {why}: {part.error}")
        for r in part.results:
            line = f"  {part.component}: {'ok' if r.ok else 'FAILED'}: {r.capability}: {r.detail}"
            say(line + (f" -> {r.consequence}" if r.consequence else ""))
    code = verdict(checked)
    say(VERDICTS[code])
    return code


VERDICTS = {
    0: "verdict: ready: every source, the store and (when enabled) the mail server are usable",
    2: "verdict: the configuration is wrong (exit 2); fix it and check again",
    3: "verdict: NOT READY (exit 3): a run now would be incomplete or report findings as unknown",
}
