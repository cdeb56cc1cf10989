"""Snapshots: every field of every model survives export and import, and bad files say where."""

from __future__ import annotations

import dataclasses
import enum
import gzip
import json
import types
import typing
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from connectors.demo.generator import DemoSchool
from connectors.snapshot.source import (
    FORMAT,
    KINDS,
    VERSION,
    SnapshotWriter,
    decode_record,
    encode_record,
    read_header,
    read_records,
    write_snapshot,
)
from enforcer.model.errors import InputError, SourceError
from enforcer.model.values import Account, DomainPolicy, PasswordSettings, Record

BST = timezone(timedelta(hours=1))


def _sample(tp: typing.Any, name: str) -> typing.Any:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        return _sample(args[0], name)
    if tp is str:
        return f'{name} <é> "quoted"\n'
    if tp is bool:
        return True
    if tp is int:
        return 7
    if tp is datetime:
        return datetime(2025, 7, 14, 8, 5, 3, 123456, tzinfo=BST)
    if tp is date:
        return date(2017, 8, 31)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return list(tp)[-1]
    if origin is tuple:
        return (_sample(args[0], name), _sample(args[0], name + "2"))
    if origin is Mapping or origin is typing.get_origin(Mapping[str, str]):
        return {"k": "v", "formula": "=1+1"}
    if dataclasses.is_dataclass(tp):
        return full(tp)
    raise AssertionError(f"no sample for {tp!r} in {name}: teach this test the new type")


def full(cls: type) -> typing.Any:
    hints = typing.get_type_hints(cls)
    return cls(**{f.name: _sample(hints[f.name], f.name) for f in dataclasses.fields(cls)})


def bare(cls: type) -> typing.Any:
    """Only the required fields: everything else unknown (None) or its model default."""
    hints = typing.get_type_hints(cls)
    return cls(
        **{
            f.name: _sample(hints[f.name], f.name)
            for f in dataclasses.fields(cls)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
    )


def every_model() -> list[Record]:
    return [full(c) for c in KINDS.values()] + [bare(c) for c in KINDS.values()]


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_every_field_of_every_model_round_trips(tmp_path: Path, suffix: str) -> None:
    records = every_model()
    path = tmp_path / f"s{suffix}"
    assert write_snapshot(path, records, school="Test School", source="t") == len(records)
    back = list(read_records(path))
    assert back == records
    for a, b in zip(records, back, strict=True):  # field by field, so a failure names the field
        for f in dataclasses.fields(a):
            assert getattr(a, f.name) == getattr(b, f.name), f.name
    assert back[0].password_last_set.utcoffset() == timedelta(hours=1)  # type: ignore[union-attr]


def test_encoding_names_every_field_and_unknown_is_null() -> None:
    for cls in KINDS.values():
        obj = encode_record(bare(cls))
        assert set(obj) == {"kind"} | {f.name for f in dataclasses.fields(cls)}
        assert decode_record(obj) == bare(cls)
    obj = encode_record(Account(source="s", id="1"))
    assert obj["enabled"] is None and obj["password_last_set"] is None and obj["role"] == "unknown"
    absent = decode_record({"kind": "account", "source": "s", "id": "1"})
    assert absent == Account(source="s", id="1")
    assert absent.mfa_registered is None  # absent means unknown, never a default


def test_demo_school_round_trips(tmp_path: Path, school: DemoSchool) -> None:
    path = tmp_path / "demo.jsonl.gz"
    write_snapshot(
        path, school.records(), school=school.school, source="demo", exported=datetime(2026, 3, 1, tzinfo=UTC)
    )
    assert list(read_records(path)) == list(school.records())
    header = read_header(path)
    assert (header.version, header.school, header.source) == (VERSION, school.school, "demo")
    assert header.exported == datetime(2026, 3, 1, tzinfo=UTC)


def test_output_is_reproducible(tmp_path: Path, school: DemoSchool) -> None:
    when = datetime(2026, 3, 1, tzinfo=UTC)
    a, b = tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz"
    for p in (a, b):
        write_snapshot(p, school.records(), school="x", source="demo", exported=when)
    assert a.read_bytes() == b.read_bytes()


def test_reader_relabels_with_its_own_source_name(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    write_snapshot(path, every_model(), school=None, source="ad")
    assert {r.source for r in read_records(path, source="school-b")} == {"school-b"}


def test_reader_streams(tmp_path: Path) -> None:
    """The first record arrives before a bad later line is even read."""
    path = tmp_path / "s.jsonl"
    write_snapshot(path, [Account(source="s", id="1"), Account(source="s", id="2")], school=None, source="s")
    lines = path.read_text().splitlines()
    lines[2] = "{broken"
    path.write_text("\n".join(lines) + "\n")
    it = read_records(path)
    assert next(it).id == "1"
    with pytest.raises(InputError) as err:
        next(it)
    assert (err.value.path, err.value.line) == (str(path), 3)


def _file(tmp_path: Path, *lines: str | dict[str, typing.Any], name: str = "s.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


HEADER = {
    "format": FORMAT,
    "version": 1,
    "school": "S",
    "exported": "2026-03-01T00:00:00+00:00",
    "source": "s",
}
GOOD = {"kind": "device", "source": "s", "id": "d1", "encrypted": True}


@pytest.mark.parametrize(
    ("lines", "line", "words"),
    [
        ([{"format": "something else"}], 1, "not an enforcer snapshot"),
        (["[1, 2]"], 1, "not an enforcer snapshot"),
        ([{**HEADER, "version": 2}], 1, "newer"),
        ([{**HEADER, "version": "1"}], 1, "version"),
        ([{**HEADER, "exported": "2026-03-01T00:00:00"}], 1, "timezone"),
        ([HEADER, {**GOOD, "encrypted": "yes"}, {"kind": "end", "records": 1}], 2, "encrypted"),
        ([HEADER, GOOD, {**GOOD, "platform": "windows95"}, {"kind": "end", "records": 2}], 3, "platform"),
        ([HEADER, {**GOOD, "colour": "red"}], 2, "unknown field 'colour'"),
        ([HEADER, {"kind": "printer", "id": "p"}], 2, "unknown record kind"),
        ([HEADER, {"kind": "device", "id": "d"}], 2, "source is required"),
        ([HEADER, {**GOOD, "source": None}], 2, "source is required"),
        ([HEADER, {**GOOD, "last_check_in": "2026-03-01T10:00:00"}], 2, "no timezone"),
        ([HEADER, {**GOOD, "last_check_in": "yesterday"}], 2, "ISO 8601"),
        (
            [HEADER, {"kind": "pupil", "source": "s", "pupil_id": "p", "date_of_birth": "31/08/2017"}],
            2,
            "date",
        ),
        ([HEADER, {"kind": "pupil", "source": "s", "pupil_id": "p", "year_group": True}], 2, "integer"),
        ([HEADER, {"kind": "account", "source": "s", "id": "a", "groups": "Staff"}], 2, "list"),
        ([HEADER, {"kind": "account", "source": "s", "id": "a", "attributes": {"n": 1}}], 2, "strings"),
        (
            [HEADER, {"kind": "domain", "source": "s", "id": "x", "fine_grained": [{"precedence": 1}]}],
            2,
            "name",
        ),
        ([HEADER, "not json"], 2, "not valid JSON"),
        ([HEADER, "[1]"], 2, "JSON object"),
        ([HEADER, GOOD], 2, "end record"),
        ([HEADER, GOOD, {"kind": "end", "records": 5}], 3, "holds 1"),
        ([HEADER, GOOD, {"kind": "end", "records": 1}, GOOD], 4, "after the end record"),
        ([""], 1, "not valid JSON"),
    ],
)
def test_bad_snapshots_name_file_and_line(
    tmp_path: Path, lines: list[typing.Any], line: int, words: str
) -> None:
    path = _file(tmp_path, *lines)
    with pytest.raises(InputError) as err:
        list(read_records(path))
    assert err.value.path == str(path)
    assert err.value.line == line, str(err.value)
    assert words in err.value.message


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        list(read_records(empty))
    with pytest.raises(InputError, match="not found"):
        list(read_records(tmp_path / "nope.jsonl"))
    with pytest.raises(InputError, match="not found"):
        read_header(tmp_path / "nope.jsonl")


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(json.dumps(HEADER).encode() + b'\n{"kind": "device", "id": "\xff"}\n')
    with pytest.raises(InputError, match="UTF-8") as err:
        list(read_records(path))
    assert err.value.line == 2


def test_truncated_gzip_is_an_input_error(tmp_path: Path, school: DemoSchool) -> None:
    path = tmp_path / "s.jsonl.gz"
    write_snapshot(path, school.records(), school="x", source="demo")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(InputError, match="gzip"):
        list(read_records(path))
    not_gzip = tmp_path / "plain.jsonl.gz"
    not_gzip.write_text(json.dumps(HEADER) + "\n")
    with pytest.raises(InputError, match="gzip"):
        list(read_records(not_gzip))


def test_a_failed_export_leaves_no_file(tmp_path: Path) -> None:
    def failing() -> Iterator[Record]:
        yield Account(source="s", id="1")
        raise SourceError("ldap server went away")

    path = tmp_path / "s.jsonl.gz"
    with pytest.raises(SourceError):
        write_snapshot(path, failing(), school=None, source="s")
    assert list(tmp_path.iterdir()) == []


def test_writer_refuses_naive_datetimes(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    with pytest.raises(SourceError, match="timezone"):
        with SnapshotWriter(path, school=None, source="s") as w:
            w.write(Account(source="s", id="1", last_logon=datetime(2026, 1, 1)))
    assert not path.exists()


def test_gzip_by_suffix(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl.gz"
    domain = DomainPolicy(source="s", id="d", fine_grained=(PasswordSettings(name="p"),))
    write_snapshot(path, [domain], school=None, source="s")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        assert json.loads(fh.readline())["format"] == FORMAT
