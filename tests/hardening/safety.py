"""Checks that a folder of reports shows hostile directory data as inert text.

Used by every hostile-data test (snapshot, Graph, AD) so that "safe" means the same
thing everywhere: the HTML has no element or attribute the report did not put there
itself, the CSV has no cell a spreadsheet would run as a formula, the terminal text has
no control or bidi character, and the JSON parses and is valid UTF-8.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

HOSTILE_NAMES: dict[str, str] = {
    "script": '<script>document.title="PWNED"</script>',
    "img-onerror": "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">",
    "attribute-break": '" onmouseover="document.title=\'PWNED\'" x="',
    "svg": "<svg onload=\"document.title='PWNED'\"></svg>",
    "formula-eq": '=HYPERLINK("http://evil.example/","click me")',
    "formula-plus": "+cmd|' /C calc'!A0",
    "formula-minus": "-2+3+cmd|' /C calc'!A0",
    "formula-at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "formula-after-space": "  =1+1",
    "formula-fullwidth": "\uff1dSUM(1,2)",
    "control": "bell\x07 esc\x1b[31mred\x1b[0m\x1b]0;title\x07 cr\rlf",
    "rtl-override": "invoice\u202eexe.pdf",
    "rtl-isolate": "a\u2067b\u2069c",
    "nul": "nul\x00byte",
    "lone-surrogate": "lone\ud800surrogate",
    "newline": "line1\nline2",
}
"""A display name per attack; the key is the test id and also the account id suffix."""

# The markup the HTML report itself writes; anything else came from data.
ALLOWED_TAGS = frozenset(
    {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "header",
        "h1",
        "h2",
        "h3",
        "p",
        "dl",
        "div",
        "dt",
        "dd",
        "nav",
        "a",
        "main",
        "section",
        "ul",
        "li",
        "span",
        "table",
        "caption",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "button",
        "form",
        "label",
        "input",
        "select",
        "option",
        "output",
        "bdi",
        "br",
        "strong",
        "details",
        "summary",
        "footer",
        "script",
        "svg",
        "rect",
        "text",
        "em",
        "code",
    }
)
TERMINAL_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def check_html(text: str) -> None:
    parser = _Tags()
    parser.feed(text)
    parser.close()
    tags = {t for t, _ in parser.tags}
    assert tags <= ALLOWED_TAGS, f"unexpected elements from data: {sorted(tags - ALLOWED_TAGS)}"
    assert sum(1 for t, _ in parser.tags if t == "script") == 1, "exactly one script: the report's own"
    for tag, attrs in parser.tags:
        for name, _ in attrs:
            assert not name.startswith("on"), f"event handler attribute {name!r} on <{tag}>"
            assert name in {
                "id",
                "class",
                "href",
                "data-status",
                "data-severity",
                "data-sort",
                "data-table",
                "data-attr",
                "type",
                "placeholder",
                "value",
                "role",
                "hidden",
                "aria-label",
                "aria-labelledby",
                "aria-live",
                "scope",
                "lang",
                "charset",
                "http-equiv",
                "content",
                "name",
                "viewbox",
                "x",
                "y",
                "width",
                "height",
                "fill",
                "text-anchor",
            }, f"unexpected attribute {name!r} on <{tag}>"
    assert "PWNED" not in "".join(parser.scripts)
    csp = [
        dict(a).get("content") or ""
        for t, a in parser.tags
        if t == "meta" and dict(a).get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp and "default-src 'none'" in csp[0] and "script-src 'sha256-" in csp[0], csp


def check_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    for row in rows[1:]:
        for cell in row:
            stripped = cell.lstrip(" \t\r\n\v\f\u00a0")
            assert not cell.startswith(FORMULA_START) and not stripped.startswith(FORMULA_START), (
                f"formula cell {cell[:60]!r}"
            )
            assert not TERMINAL_FORBIDDEN.search(cell.replace("\n", "").replace("\r", "")), (
                f"control character in CSV cell {cell[:60]!r}"
            )
    return rows


def check_terminal(text: str) -> None:
    bad = TERMINAL_FORBIDDEN.search(text.replace("\n", ""))
    assert bad is None, f"control or bidi character {bad.group()!r} in terminal output" if bad else ""


def check_json(raw: bytes) -> dict:
    raw.decode("utf-8")  # strict: no lone surrogates written as CESU/WTF-8
    doc = json.loads(raw)
    assert doc["schema"] == "enforcer.report/1"
    return doc


def check_report_folder(folder: Path) -> dict:
    """Every format in ``folder`` is inert; returns the parsed JSON report."""
    check_html((folder / "enforcer-report.html").read_text(encoding="utf-8"))
    check_csv((folder / "enforcer-report.csv").read_bytes().decode("utf-8"))
    doc = check_json((folder / "enforcer-report.json").read_bytes())
    assert not list(folder.glob(".enforcer-*")), "temporary files left behind"
    return doc
