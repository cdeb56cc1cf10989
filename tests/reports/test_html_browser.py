"""The HTML report in headless Chromium: the script runs under the CSP, injected script does not,
and sorting and filtering work. Chromium comes from tests/services/browser.py (installed when missing;
a skip outside CI only, a failure in CI)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from enforcer.model.values import Severity, Status, SubjectKind
from enforcer.reports.html import HtmlReporter

from .conftest import make_finding, make_result

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from tests.services.browser import dump_dom  # noqa: E402 - finds or installs Chromium; fails in CI

pytestmark = [pytest.mark.browser]


def _dom(html: str, tmp_path: Path) -> str:
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    return dump_dom(page)


def test_script_runs_under_its_csp_hash(tmp_path: Path, ordinary) -> None:
    dom = _dom(HtmlReporter().render(ordinary), tmp_path)
    assert '<form class="filter toolbar" data-table="devices-table" role="search">' in dom  # unhidden
    assert "1 of 1 shown" in dom


def test_injected_script_is_blocked_even_if_escaping_failed(tmp_path: Path, ordinary) -> None:
    html = HtmlReporter().render(ordinary)
    html = html.replace(
        "<main>",
        '<main><script>document.title="PWNED"</script><img src="x" onerror="document.title=\'PWNED\'">',
        1,
    )
    dom = _dom(html, tmp_path)
    assert "PWNED</title>" not in dom and "<title>Compliance report" in dom


def test_hostile_report_shows_text_only(tmp_path: Path, hostile) -> None:
    dom = _dom(HtmlReporter().render(hostile), tmp_path)
    assert dom.count("<script") == 1 and "<img" not in dom
    assert '&lt;script&gt;alert("x")&lt;/script&gt;' in dom


def test_sorting_and_filtering_work(tmp_path: Path) -> None:
    """Drive the real script: the CSP is dropped in this copy only so a test driver can run."""
    findings = [
        make_finding("r", Status.FAIL, sev, SubjectKind.DEVICE, f"d{i}", name, owner=owner)
        for i, (name, owner, sev) in enumerate(
            [
                ("BETA", "bob", Severity.LOW),
                ("ALPHA", "amy", Severity.HIGH),
                ("GAMMA", "gus", Severity.MEDIUM),
            ]
        )
    ]
    html = HtmlReporter().render(make_result(findings))
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    driver = """<script>
    var t = document.getElementById("devices-table");
    function names() { return Array.prototype.map.call(t.tBodies[0].rows, function (r) {
      return r.hidden ? "-" : r.cells[0].querySelector("bdi").textContent; }).join(","); }
    var b = t.tHead.rows[0].cells[0].querySelector("button");
    b.click(); var asc = names(); b.click(); var desc = names();
    var f = document.querySelector('form[data-table="devices-table"]');
    var s = f.querySelector("input[type=search]"); s.value = "gus"; s.dispatchEvent(new Event("input", {bubbles: true}));
    var filtered = names(); s.value = ""; s.dispatchEvent(new Event("input", {bubbles: true}));
    var sel = f.querySelector('select[data-attr="data-severity"]'); sel.value = "high";
    sel.dispatchEvent(new Event("change", {bubbles: true}));
    document.body.setAttribute("data-result", [asc, desc, filtered, names(), f.querySelector("output").textContent].join("|"));
    </script></body>"""
    dom = _dom(html.replace("</body>", driver, 1), tmp_path)
    result = re.search(r'data-result="([^"]*)"', dom)
    assert result, dom[-500:]
    asc, desc, filtered, by_severity, shown = result.group(1).split("|")
    assert asc == "ALPHA,BETA,GAMMA" and desc == "GAMMA,BETA,ALPHA"
    assert filtered.split(",").count("-") == 2 and "GAMMA" in filtered
    assert by_severity.replace("-", "").strip(",") == "ALPHA" and shown == "1 of 3 shown"
