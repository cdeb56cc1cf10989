"""The one regular-expression engine for patterns that packs and configurations supply.

Why not ``re``: a pack's ``matches`` and an identity ``pattern`` run over every value the
directory holds, and ``re`` backtracks. ``(a+)+$`` over forty ``a`` and a ``!`` takes about
2**40 steps, so one hostile (or unlucky) attribute hangs the run for ever; and
``a{4294967296}`` makes ``re.compile`` raise OverflowError, a crash rather than an error.

RE2 (Google's engine, from the ``google-re2`` package) runs in time linear in the value
whatever the pattern, so every verdict is definite: there is no time-out to report and no
"unknown" to invent. What it cannot run that way it refuses when the pattern is compiled:
backreferences, lookaround, repeat counts over 1000 (nested counts multiply) and programs
over its memory bound. Loaders call :func:`problem` (or catch :class:`PatternError`) and
report those with file and line before anything connects.

Differences from ``re`` a pattern author may meet, each refused at load or documented here:
``\\d \\w \\s \\b`` are ASCII only (``\\p{L}`` and ``\\p{Nd}`` reach other scripts), ``\\Z`` is
written ``\\z``, ``{,m}`` is written ``{0,m}``, and verbose mode ``(?x)`` does not exist.

Why the extension module ``re2._re2`` and not the public ``re2`` wrapper: the wrapper builds
a generator and a match object per search. Over 100k directory DNs, CPU time for the shipped
packs' leavers pattern: ``re`` 66-78 ms, ``Match`` here 84-92 ms, the public wrapper 258 ms.
A trivial pattern such as ``^admin`` costs ``re`` about 0.1 us and RE2 about 0.7 us (the
binding's call), which at a million records is under a second.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from re2 import _re2  # type: ignore[import-untyped]

from enforcer.model.errors import InputError

_UNANCHORED = _re2.RE2.Anchor.UNANCHORED
_SURROGATE = re.compile("[\ud800-\udfff]")
"""A lone surrogate cannot be UTF-8 (RE2's input): it is matched as U+FFFD instead."""

_REPEAT = re.compile(r"\{(\d*)(?:,(\d*))?\}")
"""A counted repeat: ``{n}``, ``{n,}``, ``{n,m}``, ``{,m}`` (a fixed, safe pattern on ``re``)."""
MAX_REPEAT = 1000
"""RE2's own limit on a repeat count."""
_BRACED_ESCAPE = re.compile(r"\\[xpP]\{[^{}]{0,40}\}")
_POSIX_CLASS = re.compile(r"\[:\^?[a-z]{1,8}:\]")

_HINTS = (
    ("invalid perl operator: (?=", "lookahead (?=...) is not supported"),
    ("invalid perl operator: (?!", "negative lookahead (?!...) is not supported"),
    ("invalid perl operator: (?<", "lookbehind (?<=...) is not supported"),
    ("invalid perl operator: (?x", "verbose mode (?x) is not supported"),
    ("invalid escape sequence: \\Z", "\\Z is not supported: write \\z"),
    ("invalid repetition size", "a repeat count may be at most 1000 (nested counts multiply)"),
    ("pattern too large", "the pattern is too large to run in bounded memory"),
)


class PatternError(InputError):
    """A pattern the engine will not run, with the reason; loaders add the file and line.

    An InputError, so one that escapes a loader still ends the CLI with exit 2 and one line.
    """


@dataclass(frozen=True, slots=True)
class Pattern:
    """A compiled pattern. ``search`` answers like ``re.search(...) is not None``."""

    text: str
    ignore_case: bool
    _test: Any = field(repr=False, compare=False)
    """Compiled without capture groups: RE2 then answers from its DFA, the fastest path."""
    _capture: Any = field(repr=False, compare=False)

    def search(self, value: str) -> bool:
        """Whether the pattern matches anywhere in ``value``."""
        try:  # inline rather than _utf8(): this runs once per record per rule
            data = value.encode("utf-8")
        except UnicodeEncodeError:
            data = _utf8(value)
        start: int = self._test.Match(_UNANCHORED, data, 0, len(data))[0][0]
        return start >= 0

    def group(self, value: str, index: int = 1) -> str | None:
        """Group ``index`` of the first match; None when nothing matched, the group took no
        part, or the pattern has no such group (each means "no value", never an exception)."""
        data = _utf8(value)
        spans = self._capture.Match(_UNANCHORED, data, 0, len(data))
        if spans[0][0] < 0 or not 0 <= index < len(spans) or spans[index][0] < 0:
            return None
        start, end = spans[index]
        return data[start:end].decode("utf-8")

    def __str__(self) -> str:
        return self.text


def _utf8(value: str) -> bytes:
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates (hostile or mangled directory data)
        return _SURROGATE.sub("\ufffd", value).encode("utf-8")


def _repeat_problem(text: str) -> str | None:
    """A repeat count RE2 would not read as the author meant: one beyond a C int is taken as
    literal text (``a{99999999999}`` matches those fourteen characters), and ``{,m}`` is
    ``{0,m}`` to ``re`` but literal text to RE2. Both are refused, like RE2's own refusal of
    counts over 1000, so every huge count gets the same located error. One pass, with
    bounded look-aheads: the pattern itself may be hostile."""
    i, in_class = 0, False
    while i < len(text):
        c = text[i]
        if c == "\\":  # an escape: \{ is a literal, \x{41} and \p{Greek} are one token
            braced = _BRACED_ESCAPE.match(text, i)
            i = braced.end() if braced else i + 2
            continue
        if in_class:
            posix = _POSIX_CLASS.match(text, i)
            i, in_class = (posix.end(), True) if posix else (i + 1, c != "]")
            continue
        if c == "[":
            i += 1
            i += text.startswith("^", i)
            i += text.startswith("]", i)  # a ']' first in a class is a literal ']'
            in_class = True
            continue
        if c == "{" and (m := _REPEAT.match(text, i)) and (m.group(1) or m.group(2)):
            if not m.group(1):
                return f"{m.group(0)} is not a repeat count here: write {{0,{m.group(2)}}}"
            if any(n and (len(n.lstrip("0")) > 4 or int(n) > MAX_REPEAT) for n in m.groups()):
                shown = m.group(0) if len(m.group(0)) <= 24 else m.group(0)[:20] + "...}"
                return f"repeat count {shown} is too large: a repeat count may be at most {MAX_REPEAT}"
        i += 1
    return None


def _compiled(data: bytes, ignore_case: bool, capture: bool) -> Any:
    options = _re2.RE2.Options()
    options.log_errors = False  # RE2 would print every refused pattern on stderr
    options.case_sensitive = not ignore_case
    options.never_capture = not capture
    regexp = _re2.RE2(data, options)
    if not regexp.ok():
        raise PatternError(_explain(bytes(regexp.error()).decode("utf-8", "replace")))
    return regexp


def _explain(message: str) -> str:
    for needle, hint in _HINTS:
        if needle in message:
            return f"{message}: {hint} (patterns run on RE2, which never backtracks)"
    if "invalid escape sequence: \\" in message and message[-1:].isdigit():
        return f"{message}: backreferences are not supported (patterns run on RE2, which never backtracks)"
    return message


@functools.lru_cache(maxsize=1024)
def compile_pattern(text: str, ignore_case: bool = False) -> Pattern:
    """Compile ``text`` or raise PatternError saying why not.

    Cached because identity patterns are kept as text in the configuration's frozen values
    and asked for once per account; a pack's Leaf keeps its Pattern itself.
    """
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise PatternError("a pattern cannot contain a lone surrogate") from None
    why = _repeat_problem(text)
    if why:
        raise PatternError(why)
    return Pattern(text, ignore_case, _compiled(data, ignore_case, False), _compiled(data, ignore_case, True))


def problem(text: str, ignore_case: bool = False) -> str | None:
    """Why ``text`` cannot be used as a pattern, or None if it can: for validators."""
    try:
        compile_pattern(text, ignore_case)
    except PatternError as exc:
        return exc.message
    return None
