"""Small builders for rule-engine unit tests (pure logic: no services)."""

from __future__ import annotations

import textwrap

from enforcer.rules.loader import compile_pack
from enforcer.rules.model import Pack
from enforcer.yamlfile import load_text

HEADER = """
pack: {name: test-pack, version: "1", title: Test pack}
rules:
"""


def pack_from(rules_yaml: str, extra: str = "") -> Pack:
    text = textwrap.dedent(extra) + HEADER + textwrap.indent(textwrap.dedent(rules_yaml), "  ")
    return compile_pack(load_text(text, "test.yaml"))


def rule_yaml(kind: str, expect: str, where: str | None = None, rid: str = "r1") -> str:
    where_line = f"\n    where: {where}" if where else ""
    return f"""
- id: {rid}
  title: Test rule
  applies_to:
    kind: {kind}{where_line}
  expect: {expect}
  severity: high
  clause: "Test clause"
  remediation: {{advice: Fix it}}
"""
