"""Source types by name, imported only when a configuration uses them.

Each entry points at a connector module that provides ``Settings`` (a pydantic
model for its config section, importable without the connector's SDK) and
``build(name, settings, ctx) -> Source`` (see ``SourceFactory``). Keeping the
table as strings is what lets the core stay free of connector imports and
keeps ``enforcer --help`` from loading ldap3 or msgraph.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from pydantic import BaseModel

from enforcer.model.errors import ConfigError
from enforcer.sources.interface import SourceFactory

SOURCE_TYPES: dict[str, tuple[str, str]] = {
    # type: (settings module, builder module)
    "demo": ("connectors.demo.settings", "connectors.demo.source"),
    "snapshot": ("connectors.snapshot.source", "connectors.snapshot.source"),
    "roster": ("connectors.roster", "connectors.roster"),
    "ad": ("connectors.ad.settings", "connectors.ad.source"),
    "graph": ("connectors.graph.settings", "connectors.graph.source"),
}


TOOLS: dict[str, str] = {
    # what the core asks a connector package for, besides sources: by purpose, as strings
    "snapshot-writer": "connectors.snapshot.source",  # write_snapshot(path, records, ...)
    "demo-estate": "connectors.demo.estate",  # the deterministic estate generator
    "roster-reader": "connectors.roster",  # Columns, RosterReader, Settings for password cohorts
}


def tool(purpose: str) -> ModuleType:
    """A connector module that serves the core by purpose (see ``TOOLS``), imported on demand."""
    return importlib.import_module(TOOLS[purpose])


def _module(type_name: str, index: int) -> ModuleType:
    try:
        dotted = SOURCE_TYPES[type_name][index]
    except KeyError:
        known = ", ".join(sorted(SOURCE_TYPES))
        raise ConfigError(f"unknown source type {type_name!r} (known: {known})") from None
    return importlib.import_module(dotted)


def settings_model(type_name: str) -> type[BaseModel]:
    model: type[BaseModel] = _module(type_name, 0).Settings
    return model


def builder(type_name: str) -> SourceFactory:
    """The connector's ``build(name, settings, ctx) -> Source``."""
    build: SourceFactory = _module(type_name, 1).build
    return build
