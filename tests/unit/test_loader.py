"""The validator's messages: every problem with file and line, before anything connects."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from enforcer.cli.main import main
from enforcer.model.errors import InputError, PolicyError
from enforcer.model.values import SubjectKind
from enforcer.rules.compiler import Compiler
from enforcer.rules.loader import load_pack
from enforcer.yamlfile import Located
from tests.unit.helpers import pack_from, rule_yaml

PRIMARY = Path(__file__).resolve().parents[2] / "policies" / "primary-school.yaml"


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as info:
        pack_from(text)
    err = info.value
    return [str(p) for p in getattr(err, "problems", [err])]


@pytest.mark.parametrize(
    "expect, message",
    [
        ("{key: enabld, op: eq, value: true}", "unknown key 'enabld' for account"),
        ("{key: enabled, op: equals, value: true}", "unknown operator 'equals'"),
        ("{key: role, op: eq, value: staf}", "'staf' is not a valid role"),
        ("{key: enabled, op: eq, value: 'yes'}", "enabled takes a bool value"),
        ("{key: enabled, op: age_at_most, days: 3}", "operator 'age_at_most' does not apply to 'enabled'"),
        ("{key: password_last_set, op: age_at_most}", "needs 'days'"),
        ("{key: username, op: matches, value: '(unclosed'}", "invalid regular expression"),
        ("{key: role, op: in, value: []}", "needs a non-empty list"),
        ("{all: []}", "'all' takes a non-empty list"),
        ("{key: enabled, op: eq, value: true, extra: 1}", "unknown key 'extra' in condition"),
        ("{check: no-such-check}", "unknown check 'no-such-check'"),
    ],
)
def test_bad_conditions_are_reported_with_their_line(expect: str, message: str) -> None:
    found = problems(rule_yaml("account", expect))
    assert any(message in p for p in found), found
    assert all(p.startswith("test.yaml:") for p in found)
    assert all(p.split(":")[1].isdigit() for p in found)


@pytest.mark.parametrize("value", ["{windows: 10}", "[10]", "{windows: [10]}"])
def test_version_minimums_are_platform_names_to_version_strings(value: str) -> None:
    found = problems(rule_yaml("device", f"{{key: os_version, op: version_at_least, value: {value}}}"))
    assert any("mapping of platform to version string" in p for p in found), found


def test_version_minimums_keyed_by_anything_but_a_name_are_refused() -> None:
    """YAML keys reach the compiler as strings; a mapping built in code may not, and a None key
    would have been looked up for a device with no platform."""
    errors: list[InputError] = []
    raw = {"key": "os_version", "op": "version_at_least", "value": {None: "10"}}
    assert Compiler(Located(raw, {}, "code"), errors).compile(raw, SubjectKind.DEVICE, ()) is None
    assert "mapping of platform to version string" in str(errors[0])


def test_every_problem_is_reported_not_just_the_first() -> None:
    text = rule_yaml("account", "{key: enabld, op: eq, value: true}", rid="a") + rule_yaml(
        "device", "{key: encrypted, op: eqq, value: true}", rid="b"
    )
    found = problems(text)
    assert len(found) == 2
    from tests.unit.helpers import HEADER

    lines = (HEADER + text).splitlines()
    want = {str(i) for i, t in enumerate(lines, 1) if "enabld" in t or "eqq" in t}
    assert {p.split(":")[1] for p in found} == want


def test_rule_metadata_is_validated() -> None:
    bad = textwrap.dedent("""
    - id: Bad_Id
      title: ""
      applies_to: {kind: printer}
      expect: {key: enabled, op: eq, value: true}
      severity: urgent
      clause: "x"
      remediation: {advice: Fix, action: reformat-disk}
      colour: red
    """)
    found = "\n".join(problems(bad))
    for fragment in (
        "id: String should match pattern",
        "title:",
        "applies_to.kind",
        "severity",
        "colour: unknown key",
    ):
        assert fragment in found, found


def test_duplicate_ids_and_unknown_or_mismatched_actions() -> None:
    text = rule_yaml("account", "{key: enabled, op: eq, value: true}") * 2
    assert any("duplicate rule id 'r1'" in p for p in problems(text))
    wrong_kind = rule_yaml("device", "{key: encrypted, op: eq, value: true}").replace(
        "{advice: Fix it}", "{advice: Fix it, action: disable-account}"
    )
    assert any("cannot act on a device" in p for p in problems(wrong_kind))
    opt_in = rule_yaml("device", "{key: encrypted, op: eq, value: true}").replace(
        "{advice: Fix it}", "{advice: Fix it, action: remote-lock}"
    )
    assert any("disruptive" in p for p in problems(opt_in))


def test_yaml_alias_bomb_is_refused() -> None:
    bomb = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n"
    with pytest.raises(InputError) as info:
        from enforcer.yamlfile import load_text

        load_text(bomb, "bomb.yaml")
    assert "aliases" in str(info.value) and "bomb.yaml:2" in str(info.value)


def _write_variant(tmp_path: Path, old: str, new: str) -> Path:
    text = PRIMARY.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "pack.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_cli_validate_operator_typo_gives_exit_2_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write_variant(tmp_path, "op: age_at_most, days: 90}", "op: age_at_mots, days: 90}")
    assert main(["policy", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "age_at_mots" in t)
    assert f"{path}:{line}: unknown operator 'age_at_mots'" in err
    assert "Traceback" not in err


def test_cli_validate_bad_indentation_gives_exit_2_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write_variant(
        tmp_path, "    title: Staff passwords are changed", "   title: Staff passwords are changed"
    )
    assert main(["policy", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:" in err and "invalid YAML" in err
    assert "Traceback" not in err


def test_builtin_packs_validate() -> None:
    for name in ("primary-school", "ncsc-baseline"):
        pack = load_pack(name)
        assert pack.rules and all(r.clause and r.remediation.advice for r in pack.rules)


def test_missing_pack_file_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="file not found"):
        load_pack("/nonexistent/pack.yaml")
    with pytest.raises(PolicyError):
        pack_from("")  # a pack with no rules
