"""``enforcer snapshot export``: any configured source's records into a snapshot file.

A snapshot lets a school (or its contractor) audit offline, attach the data a
report was built from, or build a golden test from a real estate. The export
reads the source exactly as a run would (same build context, same pack's
tracking-software list), so auditing the snapshot gives the same findings.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from enforcer.config import SourceConfig

from enforcer.model.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("snapshot", help="export a source's records to a snapshot file")
    cmds = group.add_subparsers(dest="snapshot_command", metavar="COMMAND", parser_class=type(group))
    export = cmds.add_parser(
        "export",
        help="write a configured source's records as a snapshot (JSON Lines; gzip when FILE ends in .gz)",
    )
    export.add_argument(
        "--config", metavar="FILE", help="configuration file (default: the built-in demo school)"
    )
    export.add_argument(
        "--source",
        metavar="NAME",
        help="the configured source to export (may be omitted when there is only one)",
    )
    export.add_argument("--output", metavar="FILE", required=True, help="snapshot file to write")
    export.add_argument(
        "--as-of",
        metavar="DATE",
        help="read as if today were DATE (the demo school's dates are relative to it)",
    )
    export.set_defaults(func=cmd_export)
    group.set_defaults(func=lambda args: _usage(group))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_usage(sys.stderr)
    return 2


def cmd_export(args: argparse.Namespace) -> int:
    from enforcer.config import load_config
    from enforcer.pipeline.build import build_source
    from enforcer.pipeline.run import parse_as_of
    from enforcer.rules.loader import load_pack
    from enforcer.sources import registry as source_types

    config = load_config(args.config)
    chosen = _choose(config.sources, args.source)
    as_of = parse_as_of(args.as_of) if args.as_of else datetime.now(UTC)
    pack = load_pack(config.model.policy, config.base_dir)
    source = build_source(config, chosen, tracking_apps=pack.tracking_apps, as_of=as_of)
    output = Path(args.output)
    n = source_types.tool("snapshot-writer").write_snapshot(
        output, source.collect(), school=config.school.name, source=chosen.name, exported=datetime.now(UTC)
    )
    if not args.quiet:
        print(f"wrote {n} records from source {chosen.name!r} to {output}")
    return 0


def _choose(sources: Sequence[SourceConfig], name: str | None) -> SourceConfig:
    known = {s.name: s for s in sources}
    if name is None:
        if len(known) == 1:
            return next(iter(known.values()))
        raise UsageError(
            f"--source is required: the configuration has {len(known)} sources ({', '.join(known) or 'none'})"
        )
    if name not in known:
        raise UsageError(f"no source named {name!r} in the configuration (configured: {', '.join(known)})")
    return known[name]
