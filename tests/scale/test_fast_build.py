"""The positional builder and the snapshot reader's direct JSON scan give what the plain paths give.

The engine's fast paths (trace-free conditions, subjects, fingerprints) are held to theirs in
``test_fast_paths.py``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from connectors.snapshot.source import read_records, write_snapshot
from enforcer.fast.build import builder
from enforcer.model.errors import InputError
from enforcer.model.frozen import builder as model_builder
from enforcer.model.values import (
    Account,
    Device,
    DomainPolicy,
    Finding,
    PasswordSettings,
    RosterEntry,
    Subject,
)
from enforcer.rules.conditions import Trace
from enforcer.rules.operators import Ctx

MODELS = [Finding, Subject, Account, Device, DomainPolicy, RosterEntry, PasswordSettings, Ctx, Trace]


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_builder_makes_the_same_object_as_the_constructor(cls: type) -> None:
    values = [f"{f.name}-value" for f in dataclasses.fields(cls)]  # distinct: a swapped field shows
    built, made = builder(cls)(*values), cls(*values)
    assert type(built) is cls
    assert built == made and repr(built) == repr(made)
    assert [getattr(built, f.name) for f in dataclasses.fields(cls)] == values
    if cls.__dataclass_params__.frozen:
        assert hash(built) == hash(made)
        with pytest.raises(dataclasses.FrozenInstanceError):
            built.__setattr__(dataclasses.fields(cls)[0].name, "changed")


def test_builder_refuses_what_it_cannot_build_faithfully() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            raise AssertionError

    @dataclasses.dataclass(frozen=True)
    class Unslotted:
        a: int

    for cls in (Checked, Unslotted, int):
        with pytest.raises(TypeError):
            builder(cls)


def test_the_model_name_is_the_same_builder() -> None:
    """Connectors import it from enforcer.model, which they may; it lives in enforcer.fast."""
    assert model_builder is builder


def _snapshot_with(tmp_path: Path, line: bytes) -> Path:
    """A one-account snapshot whose record line is replaced by ``line``."""
    path = tmp_path / "s.jsonl"
    write_snapshot(path, [Account(source="s", id="1", enabled=True)], school=None, source="s")
    lines = path.read_bytes().split(b"\n")
    lines[1] = line
    path.write_bytes(b"\n".join(lines))
    return path


@pytest.mark.parametrize("wrap", [b"%s   ", b"  %s", b"%s\r", b"\t%s\t"])
def test_record_lines_with_whitespace_read_as_json_loads_reads_them(tmp_path: Path, wrap: bytes) -> None:
    """The reader calls json's scanner directly; whatever is not exactly one value goes to loads."""
    clean = _snapshot_with(tmp_path, json.dumps({"kind": "account", "source": "s", "id": "1"}).encode())
    expected = list(read_records(clean))
    line = wrap % json.dumps({"kind": "account", "source": "s", "id": "1"}).encode()
    assert list(read_records(_snapshot_with(tmp_path, line))) == expected


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"kind": "account", "source": "s", "id": "1"} {"x": 1}', "not valid JSON: Extra data"),
        (b'{"kind": "account", "source": "s", "id": "1"', "not valid JSON"),
        (b"", "end record says"),  # a blank line is skipped: the end record then disagrees
        (b"x", "not valid JSON: Expecting value"),
        (b'"text"', "a record is a JSON object"),
        (b"NaN", "a record is a JSON object"),
        (b"[1, 2]", "a record is a JSON object"),
        (b'{"kind": "account", "id": "\xff"}', "not valid UTF-8"),
    ],
)
def test_bad_record_lines_keep_their_errors(tmp_path: Path, line: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        list(read_records(_snapshot_with(tmp_path, line)))
    assert err.value.line in (2, 3)
