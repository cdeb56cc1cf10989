"""Which keys a rule may name for each kind of subject, and their types.

Derived from the model annotations, so a new model field is usable in packs
without touching the engine; a few derived keys (``roster.*``, the effective
``year_group``) are added by the engine's resolver and declared here.
"""

from __future__ import annotations

import types
import typing
from dataclasses import fields
from datetime import date, datetime
from enum import StrEnum

from enforcer.model.values import MODEL_OF, SubjectKind
from enforcer.rules.operators import BOOL, DATE, ENUM, INT, LIST, STR, TIME

_SKIP = {"source", "attributes", "fine_grained"}


def _family(tp: object) -> tuple[str, type[StrEnum] | None] | None:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        return _family(args[0]) if len(args) == 1 else None
    origin = typing.get_origin(tp)
    if origin is tuple:
        return LIST, None
    if isinstance(tp, type):
        if issubclass(tp, StrEnum):
            return ENUM, tp
        if tp is bool:
            return BOOL, None
        if tp is int:
            return INT, None
        if tp is str:
            return STR, None
        if tp is datetime:
            return TIME, None
        if tp is date:
            return DATE, None
    return None


def _keys(model: type) -> dict[str, tuple[str, type[StrEnum] | None]]:
    hints = typing.get_type_hints(model)
    out = {}
    for f in fields(model):
        if f.name in _SKIP:
            continue
        fam = _family(hints[f.name])
        if fam is not None:
            out[f.name] = fam
    return out


ROSTER_KEYS = {
    "roster.matched": (BOOL, None),
    "roster.on_roll": (BOOL, None),
    "roster.internet_consent": (BOOL, None),
    "roster.year_group": (INT, None),
}

KEYS: dict[SubjectKind, dict[str, tuple[str, type[StrEnum] | None]]] = {
    kind: _keys(model) for kind, model in MODEL_OF.items()
}
KEYS[SubjectKind.ACCOUNT].update(ROSTER_KEYS)
KEYS[SubjectKind.PUPIL]["name"] = (STR, None)
