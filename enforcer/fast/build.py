"""A positional constructor for frozen slotted dataclasses: the plain path is ``cls(*values)``.

Why it exists: a frozen dataclass's generated ``__init__`` sets every field through
``object.__setattr__(self, name, value)`` (frozen classes forbid plain assignment), a generic
attribute call per field. At a million objects that was the biggest single cost left: about
six findings per object, an 11-field ``Finding`` each, and a 25-field ``Account`` per record.

How: ``builder(cls)`` generates (with ``exec``, from the dataclass's own field names and nothing
else) a function taking every field positionally, in field order, that fills a plain mutable
twin of ``cls`` (a class with exactly the same ``__slots__``, so the same memory layout) with
ordinary slot stores, then makes the object a ``cls`` by assigning ``__class__``, which CPython
allows between classes of identical layout. The result is a real ``cls`` instance, still frozen,
equal to (and hashing like) ``cls(*values)``; nothing about the class changes. Defaults, default
factories and ``__post_init__`` are not applied, so callers pass every field; a class that needs
``__post_init__`` or non-init fields is refused.

Benchmark: ``bench/eval_bench.py`` (the ``engine`` and ``read`` phases).
Held equal to the plain path by ``tests/scale/test_fast_build.py``
(``test_builder_makes_the_same_object_as_the_constructor``, for every model it is used on).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def builder(cls: type[T]) -> Callable[..., T]:
    """``build(*values) == cls(*values)`` for every field given in order, without ``__init__``."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__}: builder() needs a slotted dataclass with only init fields")
    params = dataclasses.fields(cls)
    names = tuple(f.name for f in params)
    if (
        cls.__bases__ != (object,)
        or hasattr(cls, "__post_init__")
        or any(not f.init for f in params)
        or tuple(getattr(cls, "__slots__", None) or ()) != names
    ):
        raise TypeError(f"{cls.__name__}: builder() needs a slotted dataclass with only init fields")
    twin = type(f"_{cls.__name__}Builder", (), {"__slots__": names})
    args = [f"v{i}" for i in range(len(names))]
    body = [f"def build({', '.join(args)}):", "    o = _new(_twin)"]
    body += [f"    o.{name} = {arg}" for name, arg in zip(names, args, strict=True)]
    body += ["    o.__class__ = _cls", "    return o"]
    ns: dict[str, Any] = {"_new": object.__new__, "_twin": twin, "_cls": cls}
    exec("\n".join(body), ns)  # generated from the dataclass's own field names only
    build: Callable[..., T] = ns["build"]
    build.__qualname__ = f"builder({cls.__name__})"
    build.__doc__ = f"A {cls.__name__} from every field, positionally (see enforcer.fast.build)."
    return build
