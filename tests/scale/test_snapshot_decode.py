"""The generated snapshot decoders agree with the generic one, on valid and on broken records."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.demo.generator import generate
from connectors.demo.settings import Settings
from connectors.snapshot.source import _DECODE, _FIELDS, KINDS, _construct, encode_record
from tests.demo.test_snapshot_format import every_model

ODD_VALUES: list[Any] = [
    None,
    0,
    7,
    True,
    False,
    "x",
    "",
    [],
    ["a", None],
    {},
    {"k": 1},
    1.5,
    "2026-01-01",
    "2026-01-01T00:00:00",
    "2026-01-01T00:00:00+00:00",
    "staff",
]


def _outcome(fn: Any, obj: dict[str, Any], source: str | None) -> tuple[str, Any]:
    try:
        return "ok", fn(obj, source)
    except ValueError as exc:
        return "error", str(exc)


def _records() -> list[Any]:
    school = generate(
        Settings(seed=5, pupils=60, staff=10, devices=40), "demo", datetime(2026, 3, 1, tzinfo=UTC)
    )
    return [*school.records(), *every_model()]


@pytest.mark.parametrize("source", [None, "relabelled"])
def test_valid_records_decode_the_same(source: str | None) -> None:
    for record in _records():
        obj = json.loads(json.dumps(encode_record(record)))
        cls = type(record)
        assert _DECODE[cls](obj, source) == _construct(cls, _FIELDS[cls], obj, source)


def test_broken_records_fail_the_same_way() -> None:
    """Every field of every kind set to odd values, dropped, or joined by an unknown key."""
    samples = {type(r): json.loads(json.dumps(encode_record(r))) for r in every_model()}
    assert samples.keys() == set(KINDS.values())
    compared = 0
    for cls, good in samples.items():
        variants: list[dict[str, Any]] = [dict(good, encypted=True), dict(good, kind=None)]
        for key in good:
            variants.append({k: v for k, v in good.items() if k != key})
            variants += [dict(good, **{key: odd}) for odd in ODD_VALUES]
        for obj in variants:
            for source in (None, "relabelled"):
                fast = _outcome(_DECODE[cls], obj, source)
                slow = _outcome(lambda o, s, c=cls: _construct(c, _FIELDS[c], o, s), obj, source)
                assert fast == slow, (cls.__name__, obj, source)
                compared += 1
    assert compared > 500
