"""Record type and kind are related in one table (``model.values.MODEL_OF``); the rest derive from it."""

from __future__ import annotations

import typing

from enforcer.model.values import KIND_OF, MODEL_OF, Record, SourceStatus, SubjectKind
from enforcer.rules.fields import KEYS


def test_one_table_covers_every_kind_and_record_type() -> None:
    assert set(MODEL_OF) == set(SubjectKind)
    assert set(MODEL_OF.values()) == set(typing.get_args(Record))
    assert {cls: kind for kind, cls in MODEL_OF.items()} == KIND_OF


def test_rule_fields_follow_the_table() -> None:
    assert set(KEYS) == set(MODEL_OF)
    assert "encrypted" in KEYS[SubjectKind.DEVICE] and "role" in KEYS[SubjectKind.ACCOUNT]


def test_count_names_are_the_kinds_plural() -> None:
    assert [k.plural for k in MODEL_OF] == ["accounts", "devices", "domains", "pupils"]


def test_an_empty_mapping_default_is_shared_and_read_only() -> None:
    a, b = SourceStatus("a", "t", True), SourceStatus("b", "t", True)
    assert a.counts == {} and a.counts is b.counts
    assert not hasattr(a.counts, "__setitem__")
