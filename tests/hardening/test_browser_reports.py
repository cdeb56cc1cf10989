"""The HTML report in real headless Chromium, driven over the DevTools protocol with its CSP intact:
the demo report and a report built from a directory full of hostile names render, sorting and
filtering work, and no injected script runs (no title change, no attribute set, no dialog, no
element created, no console noise)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hardening.conftest import AS_OF, child_env, write_config, write_snapshot
from tests.hardening.safety import HOSTILE_NAMES
from tests.hardening.test_hostile_snapshot import hostile_records
from tests.services.browser import DevTools, require_chromium

pytestmark = pytest.mark.browser

PWNED = (
    "document.title.indexOf('PWNED') !== -1 || document.body.hasAttribute('data-pwned') || "
    "!!document.querySelector('img, iframe, object, embed, svg script, [onerror], [onload], [onmouseover]')"
)


def _enforcer_run(folder: Path, *args: str) -> Path:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "enforcer",
            "-q",
            "run",
            "--as-of",
            AS_OF,
            *args,
            "--reports-dir",
            str(folder / "reports"),
        ],
        env=child_env(ENFORCER_HOME=str(folder / "home")),
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode in (0, 1), done.stderr
    return folder / "reports" / "enforcer-report.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[DevTools]:
    require_chromium()
    with DevTools() as dt:
        yield dt


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _enforcer_run(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile-browser")
    write_snapshot(folder / "dir.jsonl", hostile_records())
    config = write_config(folder, ['{"name": "snap", "type": "snapshot", "path": "dir.jsonl"}'])
    return _enforcer_run(folder, "--config", str(config))


def _rows(browser: DevTools, table: str) -> list[str]:
    return browser.evaluate(f"""Array.prototype.map.call(document.getElementById({table!r}).tBodies[0].rows,
        function (r) {{ return r.hidden ? null : r.cells[0].textContent.trim(); }})""")


def _no_script_ran(browser: DevTools) -> None:
    assert browser.evaluate(PWNED) is False
    assert browser.evaluate("document.scripts.length") == 1
    assert not browser.events_named("Page.javascriptDialogOpening")
    assert not browser.events_named("Runtime.exceptionThrown")
    assert not [e for e in browser.events_named("Runtime.consoleAPICalled")]


def test_demo_report_renders_with_its_script_under_the_csp(browser: DevTools, demo_report: Path) -> None:
    browser.open(demo_report)
    assert browser.evaluate("document.title").startswith("Compliance report: Demo Primary School")
    assert (
        browser.evaluate("document.querySelectorAll('form.filter:not([hidden])').length") >= 3
    )  # script ran
    assert browser.evaluate("document.querySelectorAll('#devices-table tbody tr').length") > 3
    assert "shown" in browser.evaluate("document.querySelector('form.filter output').textContent")
    _no_script_ran(browser)


def test_demo_report_sorting_works(browser: DevTools, demo_report: Path) -> None:
    browser.open(demo_report)
    click = "document.getElementById('devices-table').tHead.rows[0].cells[0].querySelector('button').click()"
    browser.evaluate(click)
    ascending = _rows(browser, "devices-table")
    browser.evaluate(click)
    descending = _rows(browser, "devices-table")
    key = [r.casefold() for r in ascending]
    assert key == sorted(key) and descending == list(reversed(ascending)) and ascending != descending


def test_demo_report_filtering_works(browser: DevTools, demo_report: Path) -> None:
    browser.open(demo_report)
    total = len(_rows(browser, "devices-table"))
    first = _rows(browser, "devices-table")[0].split()[0]
    browser.evaluate(f"""(function () {{
        var f = document.querySelector('form[data-table="devices-table"]');
        var s = f.querySelector('input[type=search]'); s.value = {first!r};
        s.dispatchEvent(new Event('input', {{bubbles: true}})); }})()""")
    shown = [r for r in _rows(browser, "devices-table") if r is not None]
    assert shown and len(shown) < total and all(first.casefold() in r.casefold() for r in shown)
    out = browser.evaluate("document.querySelector('form[data-table=\"devices-table\"] output').textContent")
    assert out == f"{len(shown)} of {total} shown"
    all_severities = browser.evaluate("""Array.prototype.map.call(
        document.querySelectorAll('#devices-table tbody tr'), function (r) { return r.getAttribute('data-severity'); })""")
    wanted = sorted(set(all_severities))[0]
    browser.evaluate(f"""(function () {{
        var f = document.querySelector('form[data-table="devices-table"]');
        f.querySelector('input[type=search]').value = '';
        var sel = f.querySelector('select[data-attr="data-severity"]'); sel.value = {wanted!r};
        sel.dispatchEvent(new Event('change', {{bubbles: true}})); }})()""")
    severities = browser.evaluate("""Array.prototype.map.call(
        document.querySelectorAll('#devices-table tbody tr:not([hidden])'),
        function (r) { return r.getAttribute('data-severity'); })""")
    assert len(set(all_severities)) > 1 and severities == [wanted] * all_severities.count(wanted)


def test_hostile_report_shows_names_as_text_and_runs_nothing(browser: DevTools, hostile_report: Path) -> None:
    browser.events.clear()
    browser.open(hostile_report)
    assert browser.evaluate("document.title").startswith("Compliance report")
    text = browser.evaluate("document.body.textContent")
    for key in ("script", "img-onerror", "svg", "attribute-break", "formula-eq"):
        assert HOSTILE_NAMES[key] in text, key
    assert "invoice\\u202eexe.pdf" in text and "\u202e" not in text  # the override is shown, not obeyed
    _no_script_ran(browser)


def test_hostile_report_filtering_and_sorting_still_work(browser: DevTools, hostile_report: Path) -> None:
    browser.open(hostile_report)
    browser.evaluate("""(function () {
        var f = document.querySelector('form[data-table="people-table"]');
        var s = f.querySelector('input[type=search]'); s.value = 'PWNED';
        s.dispatchEvent(new Event('input', {bubbles: true})); })()""")
    shown = [r for r in _rows(browser, "people-table") if r is not None]
    assert len(shown) == sum("pwned" in n.casefold() for n in HOSTILE_NAMES.values())  # case-insensitive
    browser.evaluate(
        "document.getElementById('people-table').tHead.rows[0].cells[0].querySelector('button').click()"
    )
    assert [r for r in _rows(browser, "people-table") if r is not None] == sorted(
        shown, key=str.casefold
    ) or len(shown) == 1
    _no_script_ran(browser)


def test_the_probe_would_see_a_script_that_ran(
    browser: DevTools, hostile_report: Path, tmp_path: Path
) -> None:
    """Control: with the CSP removed and a script injected, the same checks do fire."""
    page = tmp_path / "broken.html"
    html = hostile_report.read_text(encoding="utf-8")
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    page.write_text(
        html.replace("<main>", '<main><script>document.title="PWNED"</script>', 1), encoding="utf-8"
    )
    browser.open(page)
    assert browser.evaluate(PWNED) is True
