"""Build a configured source: the configuration's side of the registry.

Kept out of ``sources.registry`` so the registry stays a table of names the configuration can
consult while it validates, without the two importing each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from enforcer.config import Config, SourceConfig
from enforcer.secrets import read_secret
from enforcer.sources.interface import BuildContext, Source
from enforcer.sources.registry import builder


def build_source(
    config: Config, source: SourceConfig, *, tracking_apps: Iterable[str] = (), as_of: datetime | None = None
) -> Source:
    """The one place a configured source is built: secrets from env/file, the classifier of the
    school the source belongs to, paths relative to the configuration file."""
    ctx = BuildContext(
        secrets=read_secret,
        classifier=config.school_of(source.name).classifier(),
        base_dir=config.base_dir,
        tracking_apps=tuple(tracking_apps),
        as_of=as_of,
    )
    return builder(source.type)(source.name, source.settings, ctx)
