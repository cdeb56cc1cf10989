"""Source types by name, imported only when a configuration uses them.

Each entry points at a connector module that provides ``Settings`` (a pydantic
model for its config section, importable without the connector's SDK) and
``build(name, settings, secrets, classifier, base_dir) -> Source``. Keeping the
table as strings is what lets the core stay free of connector imports and
keeps ``enforcer --help`` from loading ldap3 or msgraph.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from datetime import datetime
from types import ModuleType
from typing import Any

from enforcer.model.errors import ConfigError

SOURCE_TYPES: dict[str, tuple[str, str]] = {
    # type: (settings module, builder module)
    "demo": ("connectors.demo.settings", "connectors.demo.source"),
    "snapshot": ("connectors.snapshot.source", "connectors.snapshot.source"),
    "roster": ("connectors.roster", "connectors.roster"),
    "ad": ("connectors.ad.settings", "connectors.ad.source"),
    "graph": ("connectors.graph.settings", "connectors.graph.source"),
}


def _module(type_name: str, index: int) -> ModuleType:
    try:
        dotted = SOURCE_TYPES[type_name][index]
    except KeyError:
        known = ", ".join(sorted(SOURCE_TYPES))
        raise ConfigError(f"unknown source type {type_name!r} (known: {known})") from None
    return importlib.import_module(dotted)


def settings_model(type_name: str) -> type:
    return _module(type_name, 0).Settings  # type: ignore[no-any-return]


def builder(type_name: str):  # noqa: ANN201 - returns the connector's build function
    return _module(type_name, 1).build


def build_source(
    config: Any, source: Any, *, tracking_apps: Iterable[str] = (), as_of: datetime | None = None
) -> Any:
    """The one place a configured source is built: secrets from env/file, the classifier of the
    school the source belongs to, paths relative to the configuration file."""
    from enforcer.sources.interface import BuildContext
    from enforcer.secrets import read_secret

    ctx = BuildContext(
        secrets=read_secret,
        classifier=config.school_of(source.name).classifier(),
        base_dir=config.base_dir,
        tracking_apps=tuple(tracking_apps),
        as_of=as_of,
    )
    return builder(source.type)(source.name, source.settings, ctx)
