"""A fast path for decoding snapshot records: one generated function per model class.

Why: at a million records, decoding field by field through a generic loop was a fifth of the
whole evaluation. Like ``dataclasses`` itself, this writes a small function per class from
its fields (names come from our own models, never from input): each field is read once,
checked for its exact JSON type or passed to its decoder, and the model is built positionally.

It never decides anything the generic decoder would decide differently: whenever a record is
not plainly valid (an unknown key, a wrong type, a missing required field, a decoder's
ValueError) it hands the record to the generic decoder, which accepts it or raises the exact
error it always raised. ``tests/scale`` checks the two agree on valid and broken records.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from enforcer.model.frozen import builder

Decoder = Callable[[Mapping[str, Any], "str | None"], Any]
_TYPE_NAMES = {str: "_str", bool: "_bool", int: "_int"}


class _NotPlain(ValueError):
    """Raised inside a generated decoder to fall back to the generic one."""


def compile_decoder(
    cls: type,
    decoders: Mapping[str, Callable[[Any], Any]],
    plain: Mapping[str, type],
    required: frozenset[str],
    generic: Decoder,
) -> Decoder:
    """A function ``(obj, source) -> record`` equivalent to ``generic`` for ``cls``.

    ``decoders`` maps each non-plain field to its JSON decoder; ``plain`` maps text, yes/no and
    whole-number fields to their exact type; ``source`` relabels the record as ``generic`` does.
    """
    fields = dataclasses.fields(cls)
    if any(not f.init for f in fields):
        return generic  # positional construction would be wrong: keep the generic path
    # The record is built by enforcer.model.frozen's builder: the same frozen record as ``cls(...)``
    # without a per-field object.__setattr__ (a 25-field Account was a fifth of its decoding).
    ns: dict[str, Any] = {
        "_cls": builder(cls),
        "_generic": generic,
        "_type": type,
        "_NotPlain": _NotPlain,
        "_allowed": frozenset(f.name for f in fields) | {"kind"},
        "_str": str,
        "_bool": bool,
        "_int": int,
    }
    body = [
        "def decode(obj, source):",
        "    if not obj.keys() <= _allowed:",
        "        return _generic(obj, source)",
        "    g = obj.get",
        "    try:",
    ]
    args = []
    for f in fields:
        v = f"v_{f.name}"
        args.append(v)
        body.append(f"        {v} = g({f.name!r})")
        if f.name in required:  # absent or null: the generic decoder says which, or relabels
            body.append(f"        if {v} is None: raise _NotPlain")
        if f.name in plain:
            body.append(
                f"        if {v} is not None and _type({v}) is not {_TYPE_NAMES[plain[f.name]]}: "
                "raise _NotPlain"
            )
        else:
            ns[f"_dec_{f.name}"] = decoders[f.name]
            body.append(f"        if {v} is not None: {v} = _dec_{f.name}({v})")
        if f.name == "source":
            body.append(f"        if source is not None: {v} = source")
        if f.name in required:
            continue
        if f.default is not dataclasses.MISSING:
            if f.default is not None:  # e.g. role: unknown, the model's own default
                ns[f"_default_{f.name}"] = f.default
                body.append(f"        if {v} is None: {v} = _default_{f.name}")
        else:
            ns[f"_factory_{f.name}"] = f.default_factory
            body.append(f"        if {v} is None: {v} = _factory_{f.name}()")
    body += [
        "    except ValueError:",
        "        return _generic(obj, source)",
        f"    return _cls({', '.join(args)})",
    ]
    exec("\n".join(body), ns)  # generated from our own dataclass fields only, never from input
    decode: Decoder = ns["decode"]
    return decode
