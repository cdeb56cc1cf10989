"""Hostile directory data through a snapshot file and the real ``enforcer run``.

Every hostile name becomes a correct finding, shown as inert text in the HTML, CSV, JSON and
terminal outputs; hostile dates, missing attributes, duplicates and unknown values become a
correct finding, an ``error`` finding, or a failed source with file and line: never a crash.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from enforcer.reports.common import scrub, visible
from tests.hardening.conftest import AS_OF, CliResult, write_config, write_snapshot
from tests.hardening.safety import HOSTILE_NAMES, check_csv, check_report_folder, check_terminal

RECENT = "2025-01-01T00:00:00+00:00"


def staff(ident: str, **fields: Any) -> dict[str, Any]:
    base = {
        "kind": "account",
        "source": "x",
        "id": ident,
        "username": ident,
        "role": "staff",
        "enabled": True,
        "password_last_set": RECENT,
        "must_change_password": False,
        "password_never_expires": False,
        "password_not_required": False,
        "reversible_encryption": False,
        "password_max_age_days": 90,
    }
    return {**base, **fields}


def device(ident: str, **fields: Any) -> dict[str, Any]:
    return {
        "kind": "device",
        "source": "x",
        "id": ident,
        "name": ident,
        "platform": "windows",
        "form_factor": "laptop",
        "ownership": "school",
        "encrypted": False,
        **fields,
    }


def hostile_records() -> Iterator[dict[str, Any]]:
    for key, name in HOSTILE_NAMES.items():
        # never-expires fails, so the name reaches every failing section of every format
        yield staff(f"acct-{key}", username=name, display_name=name, password_never_expires=True)
        yield device(f"dev-{key}", name=name, assigned_user=name)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One ``enforcer run`` over every hostile name (module scope: the names are checked one by one)."""
    from enforcer.cli.main import main

    folder = tmp_path_factory.mktemp("hostile-snapshot")
    write_snapshot(folder / "dir.jsonl", hostile_records())
    config = write_config(folder, ['{"name": "snap", "type": "snapshot", "path": "dir.jsonl"}'])
    out, err = io.StringIO(), io.StringIO()
    old = os.environ.get("ENFORCER_HOME")
    os.environ["ENFORCER_HOME"] = str(folder / "home")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["run", "--config", str(config), "--as-of", AS_OF])
    finally:
        if old is None:
            os.environ.pop("ENFORCER_HOME", None)
        else:
            os.environ["ENFORCER_HOME"] = old
    reports = folder / "reports"
    return {
        "code": code,
        "out": out.getvalue(),
        "err": err.getvalue(),
        "reports": reports,
        "doc": json.loads((reports / "enforcer-report.json").read_bytes()),
        "html": (reports / "enforcer-report.html").read_text(encoding="utf-8"),
        "csv": (reports / "enforcer-report.csv").read_bytes().decode("utf-8"),
    }


def test_hostile_names_run_completes_with_failures_only(hostile_run: dict[str, Any]) -> None:
    assert hostile_run["code"] == 1, hostile_run["err"]
    assert "Traceback" not in hostile_run["err"] and "internal error" not in hostile_run["err"]
    assert hostile_run["doc"]["run"]["complete"] is True
    check_report_folder(hostile_run["reports"])
    check_terminal(hostile_run["out"])


@pytest.mark.parametrize("key", list(HOSTILE_NAMES))
def test_hostile_name_is_inert_in_every_format(hostile_run: dict[str, Any], key: str) -> None:
    name = HOSTILE_NAMES[key]
    doc = hostile_run["doc"]
    mine = [f for f in doc["findings"] if f["subject"]["id"] == f"acct-{key}"]
    expiry = next(f for f in mine if f["rule"] == "staff-password-expiry-enabled")
    assert expiry["status"] == "fail"  # the correct finding, whatever the name
    assert expiry["subject"]["name"] == scrub(name)  # JSON keeps the text (NUL / surrogates replaced)
    dev = [
        f for f in doc["findings"] if f["subject"]["id"] == f"dev-{key}" and f["rule"] == "computer-encrypted"
    ]
    assert dev and dev[0]["status"] == "fail" and dev[0]["subject"]["owner"] == scrub(name)
    # HTML: the escaped, visible form is there as text
    assert html.escape(visible(name), quote=True) in hostile_run["html"]
    # CSV: the cell for this subject is never a formula and shows control characters as escapes
    rows = check_csv(hostile_run["csv"])
    head = rows[0]
    cells = [r[head.index("subject_name")] for r in rows[1:] if r[head.index("subject_id")] == f"acct-{key}"]
    assert cells and all(visible(name, keep_cr=True) in c for c in cells)


def _run(
    folder: Path, cli: Callable[..., CliResult], records: list[dict[str, Any]], *, raw: bytes | None = None
) -> tuple[CliResult, dict[str, Any]]:
    if raw is None:
        write_snapshot(folder / "dir.jsonl", records)
    else:
        (folder / "dir.jsonl").write_bytes(raw)
    config = write_config(folder, ['{"name": "snap", "type": "snapshot", "path": "dir.jsonl"}'])
    res = cli("run", "--config", str(config), "--as-of", AS_OF)
    assert "Traceback" not in res.err and "internal error" not in res.err, res.err
    doc = check_report_folder(folder / "reports")
    check_terminal(res.out)
    return res, doc


def _status(doc: dict[str, Any], subject: str, rule: str) -> str:
    hits = [f["status"] for f in doc["findings"] if f["subject"]["id"] == subject and f["rule"] == rule]
    assert len(hits) == 1, (subject, rule, hits)
    return hits[0]


def test_password_set_before_1601_fails(tmp_path: Path, cli) -> None:
    _, doc = _run(tmp_path, cli, [staff("old", password_last_set="1600-01-01T00:00:00+00:00")])
    assert _status(doc, "old", "staff-password-max-age") == "fail"


def test_password_set_in_year_one_fails(tmp_path: Path, cli) -> None:
    _, doc = _run(tmp_path, cli, [staff("y1", password_last_set="0001-01-01T00:00:00+00:00")])
    assert _status(doc, "y1", "staff-password-max-age") == "fail"


def test_password_set_in_the_far_future_is_an_error_not_a_pass(tmp_path: Path, cli) -> None:
    """A future "last changed" would pass an age rule for ever: it must not be believed."""
    _, doc = _run(tmp_path, cli, [staff("future", password_last_set="9999-12-31T23:59:59+00:00")])
    finding = next(
        f for f in doc["findings"] if f["subject"]["id"] == "future" and f["rule"] == "staff-password-max-age"
    )
    assert finding["status"] == "error" and "in the future" in finding["message"]


def test_volunteer_expiry_never_fails_and_unknown_is_an_error(tmp_path: Path, cli) -> None:
    records = [
        staff("v-never", role="volunteer", has_expiry=False),
        staff("v-set", role="volunteer", has_expiry=True, account_expires="2025-06-30T00:00:00+00:00"),
        staff("v-unknown", role="volunteer"),
    ]
    _, doc = _run(tmp_path, cli, records)
    assert _status(doc, "v-never", "volunteer-account-expires") == "fail"
    assert _status(doc, "v-set", "volunteer-account-expires") == "pass"
    assert _status(doc, "v-unknown", "volunteer-account-expires") == "error"


def test_missing_attributes_are_errors_never_passes(tmp_path: Path, cli) -> None:
    bare = {"kind": "account", "source": "x", "id": "bare", "role": "staff"}
    bare_device = {"kind": "device", "source": "x", "id": "bare-dev"}
    res, doc = _run(tmp_path, cli, [bare, bare_device])
    mine = [f for f in doc["findings"] if f["subject"]["id"] in ("bare", "bare-dev")]
    assert mine and all(f["status"] == "error" for f in mine if f["rule"] != "account-role-known"), [
        (f["rule"], f["status"]) for f in mine
    ]
    assert res.code == 1


def test_identical_duplicate_objects_give_one_finding(tmp_path: Path, cli) -> None:
    twice = staff("dup", password_never_expires=True)
    res, doc = _run(tmp_path, cli, [twice, twice])
    assert res.code == 1
    assert _status(doc, "dup", "staff-password-expiry-enabled") == "fail"


def test_conflicting_duplicate_objects_are_an_error(tmp_path: Path, cli) -> None:
    res, doc = _run(
        tmp_path, cli, [staff("dup", password_never_expires=True), staff("dup", password_never_expires=False)]
    )
    assert res.code == 1
    finding = next(
        f
        for f in doc["findings"]
        if f["subject"]["id"] == "dup" and f["rule"] == "staff-password-expiry-enabled"
    )
    assert finding["status"] == "error" and "more than once" in finding["message"]


def test_unknown_enum_value_fails_the_source_with_file_and_line(tmp_path: Path, cli) -> None:
    res, doc = _run(tmp_path, cli, [staff("ok"), staff("wiz", role="<b>wizard</b>")])
    assert res.code == 3
    source = doc["run"]["sources"][0]
    assert source["ok"] is False and "dir.jsonl:3:" in source["error"] and "role" in source["error"]


def test_unknown_device_platform_value_fails_the_source(tmp_path: Path, cli) -> None:
    res, doc = _run(tmp_path, cli, [device("d", platform="=cmd|'/C calc'!A0")])
    assert res.code == 3 and doc["run"]["complete"] is False


def test_invalid_utf8_fails_the_source_with_its_line(tmp_path: Path, cli) -> None:
    good = json.dumps(staff("ok")).encode()
    raw = (
        b"\n".join(
            [
                json.dumps({**_header()}).encode(),
                good,
                b'{"kind": "account", "source": "x", "id": "bad\xff\xfe", "role": "staff"}',
                b'{"kind": "end", "records": 2}',
            ]
        )
        + b"\n"
    )
    res, doc = _run(tmp_path, cli, [], raw=raw)
    assert res.code == 3
    assert "dir.jsonl:3: not valid UTF-8" in doc["run"]["sources"][0]["error"]


def test_control_characters_in_a_source_error_are_shown_escaped(tmp_path: Path, cli) -> None:
    res, doc = _run(tmp_path, cli, [staff("ok"), staff("esc", role="\x1b[2J\x1b[31mstaff\u202e")])
    assert res.code == 3
    assert "\x1b" not in res.out and "\x1b" not in (tmp_path / "reports" / "enforcer-report.html").read_text()


def test_ten_megabyte_attribute(tmp_path: Path, cli) -> None:
    huge = "<b>" + "A" * (10 * 1024 * 1024) + "</b>"
    res, doc = _run(
        tmp_path,
        cli,
        [
            staff(
                "big",
                username=None,
                display_name=huge,
                password_never_expires=True,
                attributes={"department": huge},
            )
        ],
    )
    assert res.code == 1
    finding = next(
        f
        for f in doc["findings"]
        if f["subject"]["id"] == "big" and f["rule"] == "staff-password-expiry-enabled"
    )
    assert finding["status"] == "fail" and finding["subject"]["name"] == huge
    assert len(res.out) < 20_000  # the terminal summary shortens names
    csv_text = (tmp_path / "reports" / "enforcer-report.csv").read_bytes().decode("utf-8")
    assert "…[truncated]" in csv_text and len(csv_text) < 2_000_000


def _header() -> dict[str, Any]:
    from tests.hardening.conftest import HEADER

    return HEADER
