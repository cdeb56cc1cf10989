"""Pack and identity patterns that would hang, crash or mislead the stdlib engine.

Every supplied pattern runs on enforcer.saferegex (RE2, linear time), so a catastrophic
pattern over a hostile value gives an ordinary verdict, and what RE2 cannot run (huge repeat
counts, lookaround, backreferences) is refused when the pack or configuration is loaded,
with file and line. The assertions are on verdicts and messages; ``no_hang`` only turns a
hang (what ``re`` does on these inputs: about 2**40 steps) into a failure.
"""

from __future__ import annotations

import signal
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import pytest

from enforcer.config import load_config
from enforcer.engine import evaluate
from enforcer.identity import Classifier, RoleMatcher, YearGroupRule
from enforcer.model.errors import InputError, PolicyError
from enforcer.model.values import Account, Finding, Role, Status
from tests.unit.helpers import HEADER, pack_from, rule_yaml

NOW = datetime(2026, 11, 22, tzinfo=UTC)
HOSTILE = "a" * 40 + "!"
"""Forty characters that ``(a+)+$`` nearly matches: a backtracking engine tries every split."""


@contextmanager
def no_hang(seconds: int = 20) -> Iterator[None]:
    """Fail (rather than wait for days) if the block is still running after ``seconds``.

    SIGALRM reaches the stdlib engine because it checks for signals while it backtracks."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise AssertionError(f"still running after {seconds} s: the pattern engine backtracks")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def finding(expect: str, username: str) -> Finding:
    pack = pack_from(rule_yaml("account", expect))
    with no_hang():
        found = evaluate(pack, [Account(source="t", id="a1", username=username)], NOW)
    assert len(found) == 1
    return found[0]


def test_a_catastrophic_pack_pattern_gives_a_verdict_on_a_hostile_value() -> None:
    failed = finding("{key: username, op: matches, value: '(a+)+$'}", HOSTILE)
    assert failed.status is Status.FAIL
    assert f"username is {HOSTILE}, expected to match (a+)+$" in failed.message
    assert finding("{key: username, op: not_matches, value: '(a+)+$'}", HOSTILE).status is Status.PASS
    assert finding("{key: username, op: matches, value: '(a+)+$'}", "a" * 40).status is Status.PASS


def test_a_catastrophic_identity_pattern_classifies_a_hostile_value() -> None:
    staff = RoleMatcher(Role.STAFF, attribute="employeeType", value="(a+)+$", pattern=True)
    classifier = Classifier([staff], YearGroupRule("description", r"Year ((\d+)+)$"))
    with no_hang():
        assert classifier.role(None, None, {"employeeType": HOSTILE}) is Role.UNKNOWN
        assert classifier.role(None, None, {"employeeType": "AAAA"}) is Role.STAFF  # case-insensitive
        assert classifier.year_group({"description": "Year " + "1" * 40 + "!"}) is None
        assert classifier.year_group({"description": "Year 3"}) == 3


def test_a_year_group_pattern_whose_group_took_no_part_is_unknown_not_a_crash() -> None:
    # re gave m.group(1) = None here, and int(None) raised TypeError on the account.
    classifier = Classifier([], YearGroupRule("description", r"(\d+)|Year"))
    assert classifier.year_group({"description": "Year"}) is None


def test_a_lone_surrogate_in_a_value_is_matched_not_a_crash() -> None:
    # RE2 reads UTF-8, which cannot hold a lone surrogate: it is matched as U+FFFD.
    value = "lone\ud800surrogate"
    assert finding("{key: username, op: matches, value: '^lone.surrogate$'}", value).status is Status.PASS
    assert finding("{key: username, op: matches, value: '^lonesurrogate$'}", value).status is Status.FAIL


def pack_problems(pattern: str) -> tuple[list[str], int]:
    """The pack's problems, and the line its pattern is on."""
    rule = rule_yaml("account", f"{{key: username, op: matches, value: '{pattern}'}}")
    with pytest.raises(PolicyError) as info:
        pack_from(rule)
    lines = (HEADER + textwrap.indent(textwrap.dedent(rule), "  ")).splitlines()
    line = next(i for i, text in enumerate(lines, 1) if pattern in text)
    return [str(p) for p in info.value.problems], line


@pytest.mark.parametrize(
    "pattern, reason",
    [
        ("a{99999999}", "a repeat count may be at most 1000"),
        ("a{4294967296}", "a repeat count may be at most 1000"),  # OverflowError out of re.compile
        ("(a{100}){100}", "a repeat count may be at most 1000 (nested counts multiply)"),
        ("a{,3}", "write {0,3}"),  # {0,3} to re, but the literal text "a{,3}" to RE2
        ("^(?=.*[0-9])", "lookahead (?=...) is not supported"),
        ("(?<!x)a", "lookbehind (?<=...) is not supported"),
        ("(a)\\1", "backreferences are not supported"),
        ("end\\Z", "write \\z"),
    ],
)
def test_a_pack_pattern_the_engine_cannot_run_is_refused_with_its_line(pattern: str, reason: str) -> None:
    found, line = pack_problems(pattern)
    assert len(found) == 1, found
    assert found[0].startswith(f"test.yaml:{line}: invalid regular expression: "), found
    assert reason in found[0]


CONFIG = """\
identity:
  roles:
    - {role: staff, attribute: employeeType, value: "a{99999999}", pattern: true}
    - {role: pupil, attribute: employeeType, value: "a{99999999}"}
  year_group: {attribute: description, pattern: "Year (?=\\\\d)"}
schools:
  - id: other
    name: Other
    sources: [{name: d, type: demo}]
    identity:
      roles:
        - {role: staff, attribute: title, value: "(unclosed", pattern: true}
"""


def test_identity_patterns_the_engine_cannot_run_are_refused_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "enforcer.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_config(path)
    found = [str(p) for p in getattr(info.value, "problems", [info.value])]
    assert [p.split(": invalid regular expression: ")[0] for p in found] == [
        f"{path}:3",  # the second role is not a pattern (pattern: false): an exact value, not refused
        f"{path}:5",
        f"{path}:12",
    ], found
    assert "a repeat count may be at most 1000" in found[0]
    assert "lookahead (?=...) is not supported" in found[1]
    assert "missing )" in found[2]
