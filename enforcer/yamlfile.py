"""Reading YAML written by people: every value keeps its line number.

PyYAML's node tree knows where each value came from; we keep a map from the
path of every value (``("rules", 3, "expect", "op")``) to its line, so that a
schema error found later (by pydantic or by our own checks) is reported with
file and line. Aliases are refused outright: packs and configs never need
them and they are how "billion laughs" bombs are built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from enforcer.model.errors import InputError, file_error
from enforcer.model.parse import MAX_DIGITS, MAX_INT, BadValue, parse_date, shown

Path_ = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)
MAX_BYTES = 2 * 1024 * 1024


class Located:
    """A parsed document plus the line of every value in it."""

    def __init__(self, data: Any, lines: dict[Path_, int], path: str) -> None:
        self.data = data
        self.lines = lines
        self.path = path

    def line(self, loc: Sequence[str | int]) -> int | None:
        """The line of ``loc`` or of its nearest ancestor that has one."""
        key = tuple(loc)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), 1)

    def error(self, loc: Sequence[str | int], message: str) -> InputError:
        return InputError(message, self.path, self.line(loc))


class _NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(None, None, "aliases (*name) are not allowed", event.start_mark)
        return super().compose_node(parent, index)


class _BadScalar(yaml.constructor.ConstructorError):
    """A value YAML recognised (an integer, a date) that is not one we can use; its message is
    shown as it is, with the line, instead of as "invalid YAML"."""

    def __init__(self, message: str, node: yaml.Node) -> None:
        super().__init__(None, None, message, node.start_mark)


def _int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """Integers within the bounds of :mod:`enforcer.model.parse`. PyYAML's own constructor calls
    ``int()``, which raises ``ValueError`` past 4,300 digits, and a merely huge number (a
    retention of 10**30 days) overflows wherever it is used."""
    text = str(node.value)
    value = None if len(text) > 2 * MAX_DIGITS else loader.construct_yaml_int(node)
    if value is None or abs(value) > MAX_INT:
        raise _BadScalar(f"the number {shown(text)} is too large (at most {MAX_DIGITS} digits)", node)
    return value


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> date | datetime:
    """A date the calendar has: YAML's pattern takes 2027-06-31, and ``date()`` then raises."""
    text = str(node.value)
    if len(text) == len("YYYY-MM-DD"):  # the only form YAML gives ten characters
        try:
            return parse_date(text, "date")
        except BadValue:
            raise _BadScalar(f"{text} is not a date on the calendar", node) from None
    try:  # a date and time (2027-06-01T08:00:00Z): YAML's richer forms, the same refusal
        value: date | datetime = loader.construct_yaml_timestamp(node)
    except ValueError:
        raise _BadScalar(f"{shown(text)} is not a date and time on the calendar", node) from None
    return value


_NoAliasLoader.add_constructor("tag:yaml.org,2002:int", _int)
_NoAliasLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _walk(node: yaml.Node, loader: _NoAliasLoader, path: Path_, lines: dict[Path_, int], source: str) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise InputError("merge keys (<<) are not allowed", source, key_node.start_mark.line + 1)
            key = loader.construct_object(key_node)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                raise InputError(f"duplicate key {key!r}", source, key_node.start_mark.line + 1)
            out[key] = _walk(value_node, loader, (*path, key), lines, source)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(v, loader, (*path, i), lines, source) for i, v in enumerate(node.value)]
    return loader.construct_object(node)


def load_text(text: str, source: str) -> Located:
    try:
        loader = _NoAliasLoader(text)
    except yaml.reader.ReaderError as exc:  # raised while the loader reads its first characters
        line = text[: exc.position].count("\n") + 1
        raise InputError(f"invalid YAML: character {exc.character!r} is not allowed", source, line) from None
    try:
        node = loader.get_single_node()
        lines: dict[Path_, int] = {}
        data = {} if node is None else _walk(node, loader, (), lines, source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        located = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        message = problem if isinstance(exc, _BadScalar) else f"invalid YAML: {problem}"
        raise InputError(message, source, located) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise InputError(f"invalid YAML: character {exc.character!r} is not allowed", source, line) from None
    except RecursionError:
        raise InputError("invalid YAML: nested too deeply", source) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", source) from None
    finally:
        loader.dispose()
    return Located(data, lines, source)


def load_file(path: str | Path) -> Located:
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise InputError(f"file is larger than {MAX_BYTES // 1024} KiB", str(p))
        raw = p.read_bytes()
    except OSError as exc:
        raise file_error(exc, p) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("not valid UTF-8", str(p), line) from None
    return load_text(text, str(p))


def validate(model: type[M], doc: Located, data: Any = None, prefix: Path_ = ()) -> M:
    """Validate with pydantic; every problem becomes an InputError with file and line."""
    value = doc.data if data is None else data
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        problems = [doc.error((*prefix, *e["loc"]), _describe(e)) for e in exc.errors()]
        raise MultiInputError(problems) from None


def _describe(err: Mapping[str, Any]) -> str:
    loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
    msg = str(err["msg"])
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    return f"{loc}: {msg}" if loc else msg


class MultiInputError(InputError):
    """Several problems in one file; all are reported, not just the first."""

    def __init__(self, problems: list[InputError]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(first.message, first.path, first.line)

    def __str__(self) -> str:
        return "\n".join(InputError.__str__(p) for p in self.problems)
