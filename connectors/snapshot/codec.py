"""Snapshot records as JSON objects: one codec per model field, derived from the annotations.

Kept apart from the file handling (``connectors.snapshot.source``) so each stays small: this
module knows what a record looks like on a line, that one knows about files, gzip,
headers and the end marker.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import functools
import json
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from connectors.snapshot.decode import compile_decoder
from enforcer.model.values import KIND_OF, MODEL_OF, PasswordSettings, Record

FORMAT = "enforcer.snapshot"
VERSION = 1
END = "end"

__all__ = ["FORMAT", "VERSION", "END", "SnapshotHeader", "KINDS", "encode_record", "decode_record"]


@dataclass(frozen=True, slots=True)
class SnapshotHeader:
    version: int
    school: str | None
    exported: datetime | None
    source: str | None


# -- fields <-> JSON -------------------------------------------------------------------------

KINDS: dict[str, type[Record]] = {kind.value: cls for kind, cls in MODEL_OF.items()}
KIND_NAMES = tuple(KINDS)
_KIND_OF = {cls: kind.value for cls, kind in KIND_OF.items()}
Codec = tuple[Callable[[Any], Any], Callable[[Any], Any]]


def _expect(kind: type | tuple[type, ...], what: str) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        if not isinstance(v, kind) or (isinstance(v, bool) and kind is int):
            raise ValueError(f"expected {what}, got {json.dumps(v)[:40]}")
        return v

    return check


def _enc_datetime(v: datetime) -> str:
    if v.tzinfo is None:
        raise ValueError(f"date-time {v.isoformat()} has no timezone")
    return v.isoformat()


def _dec_datetime(v: Any) -> datetime:
    if not isinstance(v, str):
        raise ValueError(f"expected an ISO 8601 date-time string, got {json.dumps(v)[:40]}")
    try:
        out = datetime.fromisoformat(v)
    except ValueError:
        raise ValueError(f"{v[:40]!r} is not an ISO 8601 date-time") from None
    if out.tzinfo is None:
        raise ValueError(f"date-time {v[:40]!r} has no timezone")
    return out


def _dec_date(v: Any) -> date:
    if not isinstance(v, str) or len(v) != 10:
        raise ValueError(f"expected a date YYYY-MM-DD, got {json.dumps(v)[:40]}")
    try:
        return date.fromisoformat(v)
    except ValueError:
        raise ValueError(f"{v!r} is not a date YYYY-MM-DD") from None


def _codec(tp: Any) -> Codec:
    """Encoder and decoder for one field type; ``None`` passes through both (unknown)."""
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        return _codec(args[0])
    if tp is str:
        return (lambda v: v), _expect(str, "a string")
    if tp is bool:
        return (lambda v: v), _expect(bool, "true, false or null")
    if tp is int:
        return (lambda v: v), _expect(int, "an integer")
    if tp is datetime:
        return _enc_datetime, _dec_datetime
    if tp is date:
        return (lambda v: v.isoformat()), _dec_date
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        values = {e.value: e for e in tp}

        def dec_enum(v: Any) -> Any:
            if not isinstance(v, str) or v not in values:  # a list or object is unhashable: say so
                raise ValueError(f"{json.dumps(v)[:40]} is not one of {', '.join(map(str, values))}")
            return values[v]

        return (lambda v: v.value), dec_enum
    if origin is tuple:
        enc_item, dec_item = _codec(args[0])

        def dec_tuple(v: Any) -> tuple[Any, ...]:
            if not isinstance(v, list):
                raise ValueError("expected a list")
            return tuple(None if x is None else dec_item(x) for x in v)

        return (lambda v: [enc_item(x) for x in v]), dec_tuple
    if origin in (Mapping, collections.abc.Mapping):

        def dec_map(v: Any) -> Mapping[str, str]:
            if not isinstance(v, dict) or not all(isinstance(x, str) for x in v.values()):
                raise ValueError("expected an object of strings")
            return types.MappingProxyType(dict(v))

        return (lambda v: dict(v)), dec_map
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        fields = _fields(tp)

        def dec_nested(v: Any) -> Any:
            if not isinstance(v, dict):
                raise ValueError(f"expected an object for {tp.__name__}")
            return _construct(tp, fields, v, None)

        return (lambda v: _encode_fields(v, fields)), dec_nested
    raise TypeError(f"no snapshot codec for {tp!r}")  # a model change needs a codec: fail in tests


def _fields(cls: type) -> dict[str, Codec]:
    hints = typing.get_type_hints(cls)
    return {f.name: _codec(hints[f.name]) for f in dataclasses.fields(cls)}


def _required(cls: type) -> frozenset[str]:
    return frozenset(
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    )


def _encode_fields(record: Any, fields: Mapping[str, Codec]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (enc, _) in fields.items():
        value = getattr(record, name)
        out[name] = None if value is None else enc(value)
    return out


def _construct(cls: type, fields: Mapping[str, Codec], obj: Mapping[str, Any], source: str | None) -> Any:
    required = _REQUIRED[cls]
    plain = _PLAIN[cls]
    kwargs: dict[str, Any] = {}
    for key, value in obj.items():
        if value is None:
            if key == "kind":
                continue
            if key not in fields:
                raise ValueError(f"unknown field {key!r}")
            if key in required:
                raise ValueError(f"{key} is required")
            continue  # unknown: the model's own default (None, or the explicit "unknown" role)
        if type(value) is plain.get(key):
            # Fast path for text, yes/no and whole-number fields: the exact JSON type is the
            # only value the decoder would accept unchanged (json gives exact str/int/bool).
            kwargs[key] = value
            continue
        if key == "kind":
            continue
        codec = fields.get(key)
        if codec is None:
            raise ValueError(f"unknown field {key!r}")
        try:
            kwargs[key] = codec[1](value)
        except ValueError as exc:
            raise ValueError(f"{key}: {exc}") from None
    if source is not None and "source" in fields:
        kwargs["source"] = source
    if not required <= kwargs.keys():
        raise ValueError(f"{sorted(required - kwargs.keys())[0]} is required")
    return cls(**kwargs)


def _plain_fields(cls: type) -> dict[str, type]:
    """Fields whose JSON value is used as it is (text, yes/no, whole number), by exact type."""
    hints = typing.get_type_hints(cls)
    out: dict[str, type] = {}
    for f in dataclasses.fields(cls):
        args = [a for a in typing.get_args(hints[f.name]) if a is not type(None)] or [hints[f.name]]
        if len(args) == 1 and args[0] in (str, bool, int):
            out[f.name] = args[0]
    return out


_REQUIRED: dict[type, frozenset[str]] = {c: _required(c) for c in (*KINDS.values(), PasswordSettings)}
_PLAIN: dict[type, dict[str, type]] = {c: _plain_fields(c) for c in (*KINDS.values(), PasswordSettings)}
_FIELDS: dict[type, dict[str, Codec]] = {c: _fields(c) for c in KINDS.values()}
_DECODE = {
    c: compile_decoder(
        c,
        {k: codec[1] for k, codec in _FIELDS[c].items()},
        _PLAIN[c],
        _REQUIRED[c],
        functools.partial(_construct, c, _FIELDS[c]),
    )
    for c in KINDS.values()
}
"""Per model, a generated decoder equal to ``_construct`` (which it falls back to), a third faster."""


def encode_record(record: Record) -> dict[str, Any]:
    """A record as a JSON-ready dict: ``kind`` first, then every field (``None`` as null)."""
    cls = type(record)
    kind = _KIND_OF.get(cls)
    if kind is None:
        raise ValueError(f"cannot snapshot a {cls.__name__}")
    return {"kind": kind, **_encode_fields(record, _FIELDS[cls])}


def decode_record(obj: Mapping[str, Any], source: str | None = None) -> Record:
    """The inverse of :func:`encode_record`; raises ValueError saying which field is wrong."""
    kind = obj.get("kind")
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown record kind {kind!r}")
    record: Record = _DECODE[cls](obj, source)
    return record


# -- writing ---------------------------------------------------------------------------------
