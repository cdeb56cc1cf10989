"""Records for comparing fast paths with plain ones: any field may be unknown, or on an edge.

Shared by ``test_fast_conditions.py`` and ``test_fast_paths.py``. Ids and names come from one
small pool so that accounts and pupils on the roll often match, and times sit on the edges of
age tests (and in the future, beyond the clock-skew allowance) more often than chance would.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from enforcer.engine import Engine
from enforcer.model.values import MODEL_OF, Account, Device, DomainPolicy, Record, Role, RosterEntry
from enforcer.rules.loader import builtin_packs
from enforcer.rules.model import Pack

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
PACKS = sorted(builtin_packs())
DRAWN = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- records in which any field may be unknown --------------------------------------------------

NAMES = ["p1", "P1", "p2", "bob", "BOB@school.org", "bob@school.org", "@school.org", ""]
"""Ids and names drawn from one small pool, so accounts and pupils on the roll often match."""
EDGE_DAYS = [0, 0.5, -0.5, 1, 1.5, 2, 30, -1, -90, -91, -365, -366]
"""Days from the as-of date that sit on an age test's edges, or in the future beyond clock skew."""
TEXTS = ["", "x", "Staff", "10.0.22631.4317", "10.0.19045", "14.2", "17", "junk", "ÉCOLE", "ß", "Teachers"]


def _plain(tp: Any, name: str) -> st.SearchStrategy[Any] | None:
    if name in ("id", "pupil_id", "external_id", "username", "upn", "source"):
        return st.sampled_from(NAMES if name != "source" else ["s1", "s2"])
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(-2, 100)
    if tp is str:
        return st.sampled_from(TEXTS)
    if tp is datetime:
        near = AS_OF.replace(tzinfo=None)
        edges = st.sampled_from([AS_OF + timedelta(days=d) for d in EDGE_DAYS])
        return edges | st.datetimes(
            near - timedelta(days=800), near + timedelta(days=30), timezones=st.just(UTC)
        )
    if tp is date:
        edges = st.sampled_from([AS_OF.date() + timedelta(days=int(d)) for d in EDGE_DAYS])
        return edges | st.dates(AS_OF.date() - timedelta(days=5000), AS_OF.date() + timedelta(days=30))
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        return st.sampled_from(list(tp))
    if typing.get_origin(tp) is tuple and typing.get_args(tp)[0] is str:
        return st.lists(st.sampled_from(TEXTS), max_size=3).map(tuple)
    return None  # mappings and nested policies keep their defaults


def records_of(cls: type[Record]) -> st.SearchStrategy[Record]:
    """Records of ``cls`` with every field drawn, and every optional field sometimes None."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        optional = isinstance(tp, types.UnionType) and len(args) < len(typing.get_args(tp))
        drawn = _plain(args[0] if optional and len(args) == 1 else tp, f.name)
        if drawn is not None:
            fields[f.name] = st.none() | drawn if optional else drawn
    return st.builds(cls, **fields)


ANY_RECORD = st.one_of(*(records_of(cls) for cls in MODEL_OF.values()))


def blank() -> list[Record]:
    return [
        Account(source="s", id="a"),
        Account(source="s", id="p", role=Role.PUPIL),
        Device(source="s", id="d"),
        DomainPolicy(source="s", id="dom"),
        RosterEntry(source="s", pupil_id="r"),
    ]


def resolver(pack: Pack, records: Sequence[Record]) -> Engine:
    """An engine that has seen ``records``: its ``get`` resolves ``roster.*`` against their roll."""
    engine = Engine(pack, AS_OF)
    for record in records:
        engine.evaluate(record)
    engine.finish()
    return engine
