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

import gzip
import json
import os
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from pydantic import BaseModel, ConfigDict

from connectors.snapshot.codec import (  # noqa: F401 - re-exported for callers
    _DECODE,
    _FIELDS,
    _KIND_OF,
    END,
    FORMAT,
    KIND_NAMES,
    KINDS,
    VERSION,
    SnapshotHeader,
    _construct,
    decode_record,
    encode_record,
)
from enforcer.model.errors import InputError, SourceError, file_error
from enforcer.model.values import Record
from enforcer.sources.interface import BuildContext, CheckResult

__all__ = [
    "FORMAT",
    "VERSION",
    "SnapshotHeader",
    "SnapshotWriter",
    "write_snapshot",
    "read_header",
    "read_records",
    "encode_record",
    "decode_record",
    "Settings",
    "SnapshotSource",
    "build",
    "KINDS",
]


class SnapshotWriter:
    """Writes records as they come; the file appears (atomically) only when complete.

    Use as a context manager: an exception inside the block removes the partial
    file, so a failed export never leaves a snapshot that looks whole.
    """

    def __init__(
        self, path: str | Path, *, school: str | None, source: str | None, exported: datetime | None = None
    ) -> None:
        self.path = Path(path)
        self.header = {
            "format": FORMAT,
            "version": VERSION,
            "school": school,
            "exported": (exported or datetime.now(UTC)).isoformat(),
            "source": source,
        }
        self.count = 0
        self._tmp: Path | None = None
        self._raw: IO[bytes] | None = None
        self._out: IO[bytes] | gzip.GzipFile | None = None

    def __enter__(self) -> SnapshotWriter:
        folder = self.path.parent if str(self.path.parent) else Path(".")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise InputError(f"cannot write snapshot: {exc.strerror}", str(self.path)) from None
        self._tmp = Path(tmp)
        self._raw = os.fdopen(fd, "wb")
        self._out = (
            gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0)
            if self.path.suffix == ".gz"
            else self._raw
        )
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

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
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


def write_snapshot(
    path: str | Path,
    records: Iterable[Record],
    *,
    school: str | None,
    source: str | None,
    exported: datetime | None = None,
) -> int:
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
        with opener(path, "rb") as fh:
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
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise InputError(f"damaged gzip data ({exc or 'truncated'})", str(path), n + 1) from None
    except OSError as exc:
        raise file_error(exc, path, "snapshot file") from None


_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
"""``json.loads``'s own scanner, called directly: a line that is exactly one JSON value gets the
same object without ``loads``'s three Python-level wrappers and two whitespace regexes (~5% of a
million-record run); anything else still goes through ``json.loads``. (``JSONDecoder`` sets
``scan_once`` in ``__init__`` and typeshed does not declare it, hence the one ignore.)"""


def _json(raw: bytes, where: str, line: int) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("not valid UTF-8", where, line) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} (column {exc.colno})", where, line) from None


def _header(obj: Any, where: str) -> SnapshotHeader:
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise InputError(
            f"not an enforcer snapshot (line 1 must be a header with format {FORMAT!r})", where, 1
        )
    version = obj.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InputError("header: version must be a positive integer", where, 1)
    if version > VERSION:
        raise InputError(
            f"snapshot format version {version} is newer than this enforcer reads "
            f"(up to {VERSION}); upgrade enforcer",
            where,
            1,
        )
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
            text = raw.decode("utf-8")
            obj, end = _scan(text, 0)
            if end != len(text):  # whitespace or data after the value: json.loads decides, as always
                obj = json.loads(text)
        except (ValueError, StopIteration):  # not UTF-8, not JSON: let _json say which, with the line
            obj = _json(raw, where, n)
        if not isinstance(obj, dict):
            raise InputError("a record is a JSON object", where, n)
        kind = obj.get("kind")
        if kind == END:
            expected = obj.get("records")
            if expected != count or set(obj) != {"kind", "records"}:
                raise InputError(
                    f"end record says {expected!r} records but the snapshot holds {count}", where, n
                )
            end_line = n
            continue
        cls = KINDS.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise InputError(
                f"unknown record kind {kind!r} (expected one of {', '.join(KIND_NAMES)})", where, n
            )
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

    def check(self) -> list[CheckResult]:
        h = read_header(self.path)
        exported = h.exported.isoformat() if h.exported else "an unknown time"
        detail = (
            f"snapshot of {h.school or 'an unnamed school'} (source {h.source or '?'}), exported {exported}"
        )
        return [CheckResult("snapshot file", True, detail)]


def build(name: str, settings: Settings, ctx: BuildContext) -> SnapshotSource:
    path = Path(settings.path).expanduser()
    return SnapshotSource(name, path if path.is_absolute() else ctx.base_dir / path)
