"""HTML: self-contained, escaped, locked down by CSP, and with the sections people work from."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

from enforcer.model.values import Severity, Status, SubjectKind
from enforcer.reports.html import HtmlReporter
from enforcer.reports.interface import ReportExtras, TrendPoint

from .conftest import AS_OF, make_finding, make_result


class _Collect(HTMLParser):
    """Records every tag, attribute, script and style so tests can inspect the parsed page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._in: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in = tag
            (self.scripts if tag == "script" else self.styles).append("")

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "script":
            self.scripts[-1] += data
        elif self._in == "style":
            self.styles[-1] += data
        else:
            self.text.append(data)


def _parse(html: str) -> _Collect:
    p = _Collect()
    p.feed(html)
    p.close()
    return p


def _sha(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_csp_allows_exactly_our_script_and_style(ordinary) -> None:
    page = _parse(HtmlReporter().render(ordinary))
    csp = next(
        a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    )
    assert csp.startswith("default-src 'none';")
    assert len(page.scripts) == 1 and len(page.styles) == 1
    assert f"script-src 'sha256-{_sha(page.scripts[0])}'" in csp
    assert f"style-src 'sha256-{_sha(page.styles[0])}'" in csp
    assert "unsafe-inline" not in csp and "base-uri 'none'" in csp


def test_self_contained_no_network_no_inline_handlers(hostile) -> None:
    page = _parse(HtmlReporter().render(hostile))
    for tag, attrs in page.tags:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        assert "style" not in attrs  # would be blocked by the CSP anyway
        for key in ("src", "href", "action", "data"):
            value = attrs.get(key)
            assert value is None or value.startswith("#"), (tag, key, value)
        assert tag not in ("img", "iframe", "object", "embed", "link", "base", "frame")


def test_hostile_values_are_text_not_markup(hostile) -> None:
    html = HtmlReporter().render(hostile)
    page = _parse(html)
    assert [t for t, _ in page.tags].count("script") == 1
    assert [t for t, _ in page.tags].count("img") == 0
    text = "".join(page.text)
    assert '<script>alert("x")</script>' in text
    assert '"><img src=x onerror=alert(1)>' in text
    assert "</style><style>body{display:none}</style>" in text
    assert "gpj.\\u202eexe" in text and "\u202e" not in html
    assert "\x1b" not in html and "\x00" not in html and "\x07" not in html
    assert "<b>School</b>" in text  # the school name is shown, not rendered bold


def test_evidence_keys_are_escaped_too() -> None:
    f = make_finding(
        "r",
        Status.FAIL,
        Severity.LOW,
        SubjectKind.DEVICE,
        "d",
        "dev",
        evidence={'<img src=x onerror="alert(1)">': "v"},
    )
    html = HtmlReporter().render(make_result([f]))
    assert "<img" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_sections_and_devices_list(ordinary) -> None:
    html = HtmlReporter().render(ordinary)
    for ident in ("summary", "devices", "people", "rules"):
        assert f'<section id="{ident}"' in html
    assert 'id="history"' not in html  # only with extras
    devices = html.split('<section id="devices"', 1)[1].split("</section>", 1)[0]
    assert "LAPTOP-01" in devices and "alice" in devices  # owner from the evidence
    assert "LAPTOP-02" not in devices  # excepted: not on the contractor's list
    people = html.split('<section id="people"', 1)[1].split("</section>", 1)[0]
    assert "alice" in people and "carol" in people and "bob" not in people


def test_accessible_tables_and_labelled_controls(ordinary) -> None:
    page = _parse(HtmlReporter().render(ordinary))
    tags = [t for t, _ in page.tags]
    assert tags.count("caption") == tags.count("table")
    assert all(a.get("scope") == "col" for t, a in page.tags if t == "th")
    assert tags.count("input") + tags.count("select") <= tags.count("label")
    assert ("html", {"lang": "en-GB"}) in page.tags


def test_print_styles_and_incomplete_banner(ordinary) -> None:
    html = HtmlReporter().render(make_result(list(ordinary.findings), complete=False))
    assert "@media print" in html
    assert "Run INCOMPLETE" in html


def test_history_section_with_trend_chart(ordinary) -> None:
    extras = ReportExtras(
        trend=(TrendPoint("a", AS_OF, {"fail": 4}), TrendPoint("b", AS_OF, {"fail": 2})),
        new=ordinary.findings[:1],
        fixed=ordinary.findings[3:4],
        previous_run_id="a",
    )
    html = HtmlReporter().render(ordinary, extras=extras)
    assert '<section id="history"' in html and "<svg" in html
    assert re.search(r"New since the previous run.*: 1<", html)
