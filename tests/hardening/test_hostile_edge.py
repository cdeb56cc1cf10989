"""Hostile input at the edge (hardening issue, item 7): a clear error, never an internal one.

Each case went through the real CLI as exit 4 ("internal error ... please report it"). Each
now gets one line naming what is wrong (with file and line where there is a file), exit 2, and
no traceback; a device value nobody can compare becomes an ``error`` finding, as every unknown
does. The integer and date parsing behind them is :mod:`enforcer.model.parse`.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hardening.conftest import AS_OF, CliResult, child_env, write_config, write_snapshot

HUGE = "9" * 5000
"""Past Python's 4,300-digit limit: ``int(HUGE)`` raises ValueError."""
DEMO = '{"name": "demo", "type": "demo"}'

Cli = Callable[..., CliResult]


def _clear(res: CliResult, code: int = 2) -> None:
    assert res.code == code, res.err
    assert "Traceback" not in res.err and "internal error" not in res.err


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "enforcer.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text",
    [
        f"concurrency: {HUGE}\n",  # PyYAML's int() raises past 4,300 digits
        "store: {retention_days: 1000000000000000}\n",  # fits int(), overflows the purge's dates
        "schedule: {misfire_grace_seconds: 999999999999999999}\n",
    ],
    ids=["thousands-of-digits", "huge-retention", "huge-misfire"],
)
def test_huge_integers_in_the_configuration(tmp_path: Path, cli: Cli, text: str) -> None:
    cfg = _config(tmp_path, f"sources: [{DEMO}]\n{text}")
    res = cli("run", "--config", str(cfg), "--reports-dir", str(tmp_path / "r"), "--as-of", AS_OF)
    _clear(res)
    assert f"{cfg}:2:" in res.err
    assert HUGE not in res.err  # a 5,000-digit number is cut short, not echoed
    assert not (tmp_path / "r").exists()


def test_a_device_version_of_thousands_of_digits_is_an_error_finding(tmp_path: Path, cli: Cli) -> None:
    device = {
        "kind": "device",
        "source": "x",
        "id": "laptop-1",
        "name": "laptop-1",
        "platform": "windows",
        "form_factor": "laptop",
        "ownership": "school",
        "os_version": "10.0." + HUGE,
    }
    write_snapshot(tmp_path / "dir.jsonl", [device])
    cfg = write_config(tmp_path, ['{"name": "snap", "type": "snapshot", "path": "dir.jsonl"}'])
    res = cli("audit", "--config", str(cfg), "--format", "json", "--as-of", AS_OF)
    _clear(res, code=1)  # failing findings: the version is unknown, and unknown is an error
    found = [f for f in json.loads(res.out)["findings"] if f["rule"] == "device-os-up-to-date"]
    assert [f["status"] for f in found] == ["error"]


def test_a_pack_minimum_version_of_thousands_of_digits_never_passes(tmp_path: Path, cli: Cli) -> None:
    primary = Path(__file__).resolve().parents[2] / "policies" / "primary-school.yaml"
    text = primary.read_text(encoding="utf-8")
    assert '"10.0.22631"' in text
    pack = tmp_path / "pack.yaml"
    pack.write_text(text.replace('"10.0.22631"', f'"10.0.{HUGE}"', 1), encoding="utf-8")
    res = cli("audit", "--policy", str(pack), "--format", "json", "--as-of", AS_OF)
    # 1 today (every Windows version check is an error finding); 2 once the pack loader refuses
    # the version outright, which belongs to the rules package
    assert res.code in (1, 2) and "Traceback" not in res.err and "internal error" not in res.err
    if res.code == 1:
        found = json.loads(res.out)["findings"]
        windows = [f for f in found if f["rule"] == "device-os-up-to-date" and "windows" in f["message"]]
        assert all(f["status"] != "pass" for f in windows)


@pytest.mark.parametrize("expires", ["2027-06-31", "2027-02-29", "2027-13-01"])
def test_an_impossible_date_in_an_exceptions_file(tmp_path: Path, cli: Cli, expires: str) -> None:
    (tmp_path / "exceptions.yaml").write_text(
        "exceptions:\n"
        f"  - {{rule: staff-password-max-age, subject: x, reason: r, approver: a, expires: {expires}}}\n",
        encoding="utf-8",
    )
    cfg = _config(tmp_path, f"sources: [{DEMO}]\nexceptions: exceptions.yaml\n")
    res = cli("run", "--config", str(cfg), "--reports-dir", str(tmp_path / "r"), "--as-of", AS_OF)
    _clear(res)
    assert f"exceptions.yaml:2: {expires} is not a date on the calendar" in res.err


def test_a_secret_file_that_is_not_utf8(tmp_path: Path, cli: Cli) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_bytes(b"\xff\xfe\x00hunter2\x80")
    secret.chmod(0o600)
    cfg = _config(
        tmp_path,
        f"sources: [{DEMO}]\nemail: {{enabled: true, host: localhost, port: 2525, starttls: false, "
        f"recipients: [dsl@school.example], password: {{file: {secret}}}}}\n",
    )
    res = cli("run", "--config", str(cfg), "--reports-dir", str(tmp_path / "r"), "--as-of", AS_OF)
    _clear(res)
    assert f"{secret}: email.password: secret file is not UTF-8 text" in res.err
    assert "hunter2" not in res.err


@pytest.mark.parametrize(
    ("yaml", "where"),
    [
        ('school: {name: "Oak\\r\\nBcc: someone@evil.example"}', "school.name"),
        ('email: {sender: "it@school.example\\nBcc: someone@evil.example"}', "email.sender"),
        ('email: {recipients: ["dsl@school.example\\rBcc: x@evil.example"]}', "email.recipients.0"),
        ('email: {recipients: ["dsl@school.example\\u2028Bcc: x@evil.example"]}', "email.recipients.0"),
    ],
)
def test_line_breaks_in_email_header_fields(tmp_path: Path, cli: Cli, yaml: str, where: str) -> None:
    cfg = _config(tmp_path, f"sources: [{DEMO}]\n{yaml}\n")
    res = cli("config", "check", "--offline", "--config", str(cfg))
    _clear(res)
    assert f"{cfg}:2: {where}:" in res.err and "one line of text" in res.err


def test_line_breaks_in_an_estate_school(tmp_path: Path, cli: Cli) -> None:
    cfg = _config(
        tmp_path,
        "schools:\n"
        '  - {id: oak, name: "Oak\\nPrimary", sources: [{name: a, type: demo}]}\n'
        '  - {id: ash, name: Ash, recipients: ["head@ash.example\\r\\nBcc: x@evil.example"], '
        "sources: [{name: b, type: demo}]}\n",
    )
    res = cli("config", "check", "--offline", "--config", str(cfg))
    _clear(res)
    assert "schools.0.name" in res.err and "schools.1.recipients.0" in res.err


@pytest.mark.parametrize("port", ["0", "65536", "70000", HUGE])
def test_an_out_of_range_email_port(tmp_path: Path, cli: Cli, port: str) -> None:
    cfg = _config(tmp_path, f"sources: [{DEMO}]\nemail: {{port: {port}}}\n")
    res = cli("config", "check", "--offline", "--config", str(cfg))
    _clear(res)
    assert f"{cfg}:2:" in res.err


@pytest.mark.parametrize("port", ["65536", "-1", HUGE])
def test_an_out_of_range_port_to_serve_on(cli: Cli, port: str) -> None:
    res = cli("password", "serve", "--port", port)
    _clear(res)
    assert "argument --port" in res.err and HUGE not in res.err


@pytest.mark.parametrize(
    "argv",
    [
        ["undo", "²"],
        ["undo", HUGE],
        ["exceptions", "remove", "²"],
        ["exceptions", "remove", f"store:{HUGE}"],
        ["review", "show", "²"],
        ["review", "show", HUGE],
    ],
    ids=[
        "undo-superscript",
        "undo-huge",
        "remove-superscript",
        "remove-huge",
        "show-superscript",
        "show-huge",
    ],
)
def test_superscript_and_huge_ids(cli: Cli, argv: list[str]) -> None:
    _clear(cli(*argv))  # '²'.isdigit() is true and int('²') raises: neither reaches int() now


@pytest.mark.parametrize(
    "argv",
    [
        ["history", "--limit", "99999999999999999999"],  # fits int(), not SQLite's
        ["review", "--min-age-days", "99999999999999999"],  # overflows a timedelta
        ["schedule", "--interval", "nan"],
        ["schedule", "--interval", "inf"],
    ],
)
def test_numbers_on_the_command_line_are_bounded(cli: Cli, argv: list[str]) -> None:
    res = cli(*argv)
    _clear(res)
    assert "enforcer: error: argument" in res.err


def _no_disk_left() -> None:
    """Any write past 0 bytes fails, as on a full disk (root is not exempt, unlike a full tmpfs
    or a read-only folder); Python ignores SIGXFSZ, so the write returns an error instead."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))


def test_a_full_disk_before_the_run(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = subprocess.run(
        [sys.executable, "-m", "enforcer", "run", "--reports-dir", str(tmp_path / "r"), "--as-of", AS_OF],
        env=child_env(ENFORCER_HOME=str(home)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_no_disk_left,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert f"cannot write lock file {home / 'enforcer.db.run.lock'}" in done.stderr
