"""Snapshots: any source's records in one versioned JSON Lines file, audited offline.

Format (documented in docs/snapshot-format.md): line 1 is a header
``{"format": "enforcer.snapshot", "version": 1, ...}``, then one record per
line ``{"kind": "account" | "device" | "domain" | "pupil", ...fields}``, then an
end line ``{"kind": "end", "records": N}`` so a truncated copy is detected
instead of silently auditing fewer accounts. A ``.gz`` suffix means gzip.

Both directions stream one line at a time, so memory does not grow with the
file (the estate benchmarks write and read a million records). Unknown is JSON
``null`` or an absent field; nothing is ever defaulted to a hopeful value.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import functools
import gzip
import json
import os
import tempfile
import types
import typing
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from pydantic import BaseModel, ConfigDict

from connectors.base import BuildContext
from connectors.snapshot_decode import compile_decoder
from enforcer.errors import InputError, SourceError
from enforcer.models import Account, Device, DomainPolicy, PasswordSettings, Record, RosterEntry

FORMAT = "enforcer.snapshot"
VERSION = 1
END = "end"

__all__ = ["FORMAT", "VERSION", "SnapshotHeader", "SnapshotWriter", "write_snapshot", "read_header",
           "read_records", "encode_record", "decode_record", "Settings", "SnapshotSource", "build", "KINDS"]


@dataclass(frozen=True, slots=True)
class SnapshotHeader:
    version: int
    school: str | None
    exported: datetime | None
    source: str | None


# -- fields <-> JSON -------------------------------------------------------------------------

KINDS: dict[str, type] = {"account": Account, "device": Device, "domain": DomainPolicy, "pupil": RosterEntry}
KIND_NAMES = tuple(KINDS)
_KIND_OF = {cls: kind for kind, cls in KINDS.items()}
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
    if dataclasses.is_dataclass(tp):
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
    return frozenset(f.name for f in dataclasses.fields(cls)
                     if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)


def _encode_fields(record: Any, fields: Mapping[str, Codec]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (enc, _) in fields.items():
        value = getattr(record, name)
        out[name] = None if value is None else enc(value)
    return out


def _construct(cls: type, fields: Mapping[str, Codec], obj: Mapping[str, Any],
               source: str | None) -> Any:
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
_DECODE = {c: compile_decoder(c, {k: codec[1] for k, codec in _FIELDS[c].items()}, _PLAIN[c], _REQUIRED[c],
                              functools.partial(_construct, c, _FIELDS[c])) for c in KINDS.values()}
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
    cls = KINDS.get(obj.get("kind"))  # type: ignore[arg-type]
    if cls is None:
        raise ValueError(f"unknown record kind {obj.get('kind')!r}")
    return _DECODE[cls](obj, source)  # type: ignore[no-any-return]


# -- writing ---------------------------------------------------------------------------------

class SnapshotWriter:
    """Writes records as they come; the file appears (atomically) only when complete.

    Use as a context manager: an exception inside the block removes the partial
    file, so a failed export never leaves a snapshot that looks whole.
    """

    def __init__(self, path: str | Path, *, school: str | None, source: str | None,
                 exported: datetime | None = None) -> None:
        self.path = Path(path)
        self.header = {"format": FORMAT, "version": VERSION, "school": school,
                       "exported": (exported or datetime.now(UTC)).isoformat(), "source": source}
        self.count = 0
        self._tmp: Path | None = None
        self._raw: IO[bytes] | None = None
        self._out: IO[bytes] | None = None

    def __enter__(self) -> SnapshotWriter:
        folder = self.path.parent if str(self.path.parent) else Path(".")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise InputError(f"cannot write snapshot: {exc.strerror}", str(self.path)) from None
        self._tmp = Path(tmp)
        self._raw = os.fdopen(fd, "wb")
        self._out = (gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0)
                     if self.path.suffix == ".gz" else self._raw)
        self._line(self.header)
        return self

    def _line(self, obj: Mapping[str, Any]) -> None:
        assert self._out is not None, "use SnapshotWriter as a context manager"
        data = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        try:
            self._out.write(data.encode("utf-8") + b"\n")
        except OSError as exc:
            raise InputError(f"cannot write snapshot: {exc.strerror}", str(self.path)) from None

    def write(self, record: Record) -> None:
        try:
            obj = encode_record(record)
        except ValueError as exc:
            raise SourceError(f"{getattr(record, 'source', '?')}: {exc}") from None
        self._line(obj)
        self.count += 1

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        ok = exc_type is None
        try:
            if ok:
                self._line({"kind": END, "records": self.count})
            if self._out is not None and self._out is not self._raw:
                self._out.close()
            if self._raw is not None:
                self._raw.close()
            if ok and self._tmp is not None:
                os.replace(self._tmp, self.path)
        except OSError as err:
            ok = False
            raise InputError(f"cannot write snapshot: {err.strerror}", str(self.path)) from None
        finally:
            if not ok and self._tmp is not None:
                self._tmp.unlink(missing_ok=True)


def write_snapshot(path: str | Path, records: Iterable[Record], *, school: str | None,
                   source: str | None, exported: datetime | None = None) -> int:
    """Write every record; returns how many. Streams: ``records`` may be a generator."""
    with SnapshotWriter(path, school=school, source=source, exported=exported) as w:
        for record in records:
            w.write(record)
    return w.count


# -- reading ---------------------------------------------------------------------------------

_CHUNK = 1 << 18


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, raw line without its newline) with I/O and gzip failures turned into InputError.

    Reads 256 KiB at a time and splits the lines itself: a ``readline`` per line through
    ``GzipFile`` cost more than decompressing, at a million records. Memory stays at one chunk.
    """
    n = 0
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:  # type: ignore[operator]
            rest = b""
            while chunk := fh.read(_CHUNK):
                lines = (rest + chunk).split(b"\n") if rest else chunk.split(b"\n")
                rest = lines.pop()
                for raw in lines:
                    n += 1
                    yield n, raw
            if rest:
                n += 1
                yield n, rest
    except FileNotFoundError:
        raise InputError("snapshot file not found", str(path)) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a snapshot file", str(path)) from None
    except PermissionError:
        raise InputError("permission denied", str(path)) from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise InputError(f"damaged gzip data ({exc or 'truncated'})", str(path), n + 1) from None
    except OSError as exc:
        raise InputError(f"cannot read snapshot: {exc.strerror or exc}", str(path)) from None


def _json(raw: bytes, where: str, line: int) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("not valid UTF-8", where, line) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} (column {exc.colno})", where, line) from None


def _header(obj: Any, where: str) -> SnapshotHeader:
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise InputError(f"not an enforcer snapshot (line 1 must be a header with format {FORMAT!r})",
                         where, 1)
    version = obj.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InputError("header: version must be a positive integer", where, 1)
    if version > VERSION:
        raise InputError(f"snapshot format version {version} is newer than this enforcer reads "
                         f"(up to {VERSION}); upgrade enforcer", where, 1)
    extra = set(obj) - {"format", "version", "school", "exported", "source"}
    if extra:
        raise InputError(f"header: unknown key {sorted(extra)[0]!r}", where, 1)
    for key in ("school", "exported", "source"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise InputError(f"header: {key} must be a string", where, 1)
    exported = None
    if obj.get("exported") is not None:
        try:
            exported = datetime.fromisoformat(obj["exported"])
        except ValueError:
            raise InputError("header: exported is not an ISO 8601 date-time", where, 1) from None
        if exported.tzinfo is None:
            raise InputError("header: exported has no timezone", where, 1)
    return SnapshotHeader(version, obj.get("school"), exported, obj.get("source"))


def read_header(path: str | Path) -> SnapshotHeader:
    p = Path(path)
    for _, raw in _lines(p):
        return _header(_json(raw, str(p), 1), str(p))
    raise InputError("snapshot is empty", str(p), 1)


def read_records(path: str | Path, source: str | None = None) -> Iterator[Record]:
    """Yield records one by one; a bad line is an InputError with file and line.

    ``source`` relabels every record with the reading source's name (what a run
    needs so findings and failures belong to the configured source); without
    it, records keep the source they were exported from.
    """
    p = Path(path)
    where = str(p)
    count = 0
    end_line: int | None = None
    last = 0
    for n, raw in _lines(p):
        last = n
        if n == 1:
            _header(_json(raw, where, 1), where)
            continue
        if not raw or raw.isspace():  # (not raw.strip(): that copies every line)
            continue
        if end_line is not None:
            raise InputError(f"data after the end record on line {end_line}", where, n)
        try:
            obj = json.loads(raw.decode("utf-8"))
        except ValueError:  # UnicodeDecodeError and JSONDecodeError: let _json say which, with the line
            obj = _json(raw, where, n)
        if not isinstance(obj, dict):
            raise InputError("a record is a JSON object", where, n)
        kind = obj.get("kind")
        if kind == END:
            expected = obj.get("records")
            if expected != count or set(obj) != {"kind", "records"}:
                raise InputError(f"end record says {expected!r} records but the snapshot holds {count}",
                                 where, n)
            end_line = n
            continue
        cls = KINDS.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise InputError(f"unknown record kind {kind!r} (expected one of {', '.join(KIND_NAMES)})",
                             where, n)
        try:
            record = _DECODE[cls](obj, source)
        except ValueError as exc:
            raise InputError(f"{kind}: {exc}", where, n) from None
        count += 1
        yield record
    if last == 0:
        raise InputError("snapshot is empty", where, 1)
    if end_line is None:
        raise InputError("snapshot ends without its end record (truncated?)", where, last)


# -- the "snapshot" source -------------------------------------------------------------------

class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    path: str
    """The snapshot file (relative to the configuration file's folder); ``.gz`` for gzip."""


class SnapshotSource:
    type = "snapshot"

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path

    def collect(self) -> Iterator[Record]:
        """A bad or missing snapshot is the user's input error (exit 2), not a failed source."""
        yield from read_records(self.path, source=self.name)

    def check(self) -> str:
        h = read_header(self.path)
        exported = h.exported.isoformat() if h.exported else "an unknown time"
        return f"snapshot of {h.school or 'an unnamed school'} (source {h.source or '?'}), exported {exported}"


def build(name: str, settings: Settings, ctx: BuildContext) -> SnapshotSource:
    path = Path(settings.path).expanduser()
    return SnapshotSource(name, path if path.is_absolute() else ctx.base_dir / path)
