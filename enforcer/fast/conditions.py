"""Trace-free twins of ``Condition.evaluate``, compiled once per rule for the engine's hot path.

The plain path, and the definition of every answer, is ``Condition.evaluate`` in
``enforcer/rules/conditions.py``: it records evidence and the messages a finding shows.
Most of that work is thrown away at scale, so the engine asks these first:

- ``selector(where)`` answers what ``where.evaluate`` would, without a Trace. Most selectors
  answer False (a staff rule meets a pupil) and their trace would never be shown.
- ``passing(expect)`` gives the evidence ``expect.evaluate`` would record *if* it answers
  True, and None otherwise; most expectations pass, and a Trace each was a cost at a million
  records. It is None for a condition it can never answer cheaply (``any``, ``not``, an age
  test, whose evidence also holds the age in days): the engine then goes straight to evaluate.

On None (unknown) or False the engine evaluates again with a Trace, so messages and unknown
evidence only ever come from the plain path.

Benchmark: ``bench/eval_bench.py`` (the ``engine`` phase).
Held equal to the plain path by ``tests/scale/test_fast_conditions.py``: every built-in pack's
conditions on a generated school, blank records and hypothesis-drawn records with unknowns;
every key and operator on edge values; drawn conditions nested any way. And, through the
engine, by ``tests/scale/test_fast_paths.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from enforcer.rules.conditions import PLAIN, All, Any_, Condition, Getter, Leaf, Not, json_safe
from enforcer.rules.operators import Ctx, age_unknown, version_unknown

Selector = Callable[[Any, Getter, Ctx], bool | None]
"""``(record, get, ctx) -> answer``: what ``evaluate`` answers, without a Trace."""
Passing = Callable[[Any, Getter, Ctx], dict[str, Any] | None]
"""``(record, get, ctx) -> evidence``: ``evaluate``'s evidence if it answers True, else None."""


def selector(cond: Condition) -> Selector:
    """``cond.evaluate(record, get, ctx, Trace())``'s answer, as a function without a Trace."""
    if isinstance(cond, Leaf):
        return _leaf_selector(cond)
    if isinstance(cond, All):
        return _all_selector(tuple(selector(p) for p in cond.parts))
    if isinstance(cond, Any_):
        return _any_selector(tuple(selector(p) for p in cond.parts))
    if isinstance(cond, Not):
        return _not_selector(selector(cond.part))
    raise TypeError(f"no fast selector for {type(cond).__name__}")


def passing(cond: Condition) -> Passing | None:
    """The evidence of ``cond.evaluate`` when it answers True; None when that is not cheap to know."""
    if isinstance(cond, Leaf):
        return None if cond.is_age else _leaf_passing(cond)
    if isinstance(cond, All):
        parts = [passing(p) for p in cond.parts]
        known = [p for p in parts if p is not None]
        return _all_passing(tuple(known)) if len(known) == len(parts) else None
    return None


def _leaf_selector(leaf: Leaf) -> Selector:
    key, arg, check = leaf.key, leaf.arg, leaf.operator.test
    derived, version, age = leaf.derived, leaf.is_version, leaf.is_age
    if not (derived or version or age):  # most leaves: a plain attribute and a plain operator

        def plain(record: Any, get: Getter, ctx: Ctx) -> bool | None:
            actual = getattr(record, key, None)
            if actual is None:
                return None
            return bool(check(actual, arg, ctx))

        return plain

    def test(record: Any, get: Getter, ctx: Ctx) -> bool | None:
        actual = get(record, key) if derived else getattr(record, key, None)
        if actual is None:
            return None
        if version and version_unknown(actual, arg, record):
            return None
        if age and age_unknown(actual, ctx.now):
            return None
        return bool(check(actual, arg, ctx))

    return test


def _all_selector(parts: tuple[Selector, ...]) -> Selector:
    def test(record: Any, get: Getter, ctx: Ctx) -> bool | None:
        result: bool | None = True
        for part in parts:
            r = part(record, get, ctx)
            if r is False:
                return False
            if r is None:
                result = None
        return result

    return test


def _any_selector(parts: tuple[Selector, ...]) -> Selector:
    def test(record: Any, get: Getter, ctx: Ctx) -> bool | None:
        result: bool | None = False
        for part in parts:
            r = part(record, get, ctx)
            if r is True:
                return True
            if r is None:
                result = None
        return result

    return test


def _not_selector(part: Selector) -> Selector:
    def test(record: Any, get: Getter, ctx: Ctx) -> bool | None:
        r = part(record, get, ctx)
        return None if r is None else not r

    return test


def _leaf_passing(leaf: Leaf) -> Passing:
    key, arg, check = leaf.key, leaf.arg, leaf.operator.test
    derived, version = leaf.derived, leaf.is_version

    def passes(record: Any, get: Getter, ctx: Ctx) -> dict[str, Any] | None:
        actual = get(record, key) if derived else getattr(record, key, None)
        if actual is None or (version and version_unknown(actual, arg, record)):
            return None
        if not check(actual, arg, ctx):
            return None
        return {key: actual if type(actual) in PLAIN else json_safe(actual)}

    return passes


def _all_passing(parts: tuple[Passing, ...]) -> Passing:
    def passes(record: Any, get: Getter, ctx: Ctx) -> dict[str, Any] | None:
        evidence: dict[str, Any] = {}
        for part in parts:
            found = part(record, get, ctx)
            if found is None:
                return None
            evidence.update(found)
        return evidence

    return passes
