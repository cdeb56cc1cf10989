"""``enforcer password audit|hashes|check`` given files and input written to fool them.

A misread CSV line must not turn a password into a printed "username"; a username or
DN carrying terminal escape codes must be printed escaped; bytes that are not UTF-8 on
stdin are a usage error (exit 2), not an internal one.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from enforcer.cli.main import main

RAW_CONTROLS = "\x1b\x07\x9b\u202e\u2066"


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_audit_never_prints_a_field_that_could_be_a_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    f = tmp_path / "issued.csv"
    f.write_text(
        "username,password\n"
        "alice;Summer2025!\n"  # 2: semicolon-separated: one field
        "bob\tKestrel-Drizzle-77\n"  # 3: tab-separated: one field
        "Westbury-Otters-2024\n"  # 4: a password with its username missing
        ",Empty-User-Secret-1\n"  # 5: no username
        "carol;Lantern-Pickle-8,x\n"  # 6: two fields, but the first is 'user;password'
        "dave,Comma,Unquoted-9\n"  # 7: three fields: the first is still clearly the user
        + "e" * 300
        + ",Long-User-Secret-3\n"  # 8: a 'username' too long to be one
        + "u" * 100
        + ",Summer2025!\n",  # 9: a long but possible username: shown, cut to 64 characters
        encoding="utf-8",
    )
    secrets = ("Summer2025", "Kestrel", "Westbury", "Empty-User", "Lantern", "Long-User", "eeeeeeeeee")
    for fmt in ("text", "json"):
        code, out, _ = run(monkeypatch, capsys, ["password", "audit", str(f), "--format", fmt])
        assert code == 1
        for secret in secrets:
            assert secret not in out, (fmt, secret)
    text = run(monkeypatch, capsys, ["password", "audit", str(f)])[1]
    for n in (2, 3, 4, 5, 6, 8):
        assert f"\nline {n}: could not check" in "\n" + text
    assert "dave (line 7): could not check" in text
    assert "u" * 64 + "... (line 9): refused" in text and "u" * 65 not in text
    doc = json.loads(run(monkeypatch, capsys, ["password", "audit", str(f), "--format", "json"])[1])
    assert [(r["line"], r["username"], r["status"]) for r in doc["results"]] == [
        (2, None, "error"),
        (3, None, "error"),
        (4, None, "error"),
        (5, None, "error"),
        (6, None, "error"),
        (7, "dave", "error"),
        (8, None, "error"),
        (9, "u" * 100, "refuse"),
    ]


def test_audit_refuses_a_header_with_the_password_column_first(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    f = tmp_path / "swapped.csv"
    f.write_text("password,username\nSummer2025!,alice\n", encoding="utf-8")
    code, out, err = run(monkeypatch, capsys, ["password", "audit", str(f)])
    assert code == 2 and "username,password" in err
    assert "Summer2025" not in out + err


def test_audit_escapes_terminal_controls_in_usernames(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    f = tmp_path / "issued.csv"
    f.write_text(
        "\x1b[2J\x1b[1A\x07eve,Summer2025!\n"  # clear screen, cursor up, bell
        "mal\u202eexe.txt,Summer2025!\n"
        "\x9b31mcsi\u2066,Summer2025!\n"
        "\x1b[31mfrank,only,two-fields-expected\n",
        encoding="utf-8",
    )
    code, out, _ = run(monkeypatch, capsys, ["password", "audit", str(f)])
    assert code == 1
    assert not any(ch in out for ch in RAW_CONTROLS), repr(out)
    assert "\\x1b[2J\\x1b[1A\\x07eve (line 1): refused" in out
    assert "mal\\u202eexe.txt (line 2)" in out and "\\x9b31mcsi\\u2066 (line 3)" in out
    assert "\\x1b[31mfrank (line 4): could not check" in out
    code, out, _ = run(monkeypatch, capsys, ["password", "audit", str(f), "--format", "json"])
    assert not any(ch in out for ch in RAW_CONTROLS)  # JSON escapes them itself
    assert json.loads(out)["results"][0]["username"] == "\x1b[2J\x1b[1A\x07eve"


def test_hashes_escapes_terminal_controls_in_accounts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text("\x1b[31mroot\u202e:{CLEARTEXT}x\n", encoding="utf-8")
    code, out, _ = run(monkeypatch, capsys, ["password", "hashes", str(htpasswd)])
    assert code == 1 and not any(ch in out for ch in RAW_CONTROLS), repr(out)
    assert "FLAG \\x1b[31mroot\\u202e (line 1)" in out
    dn = base64.b64encode(b"uid=\x1b]0;owned\x07x,dc=school\nFAKE ok line").decode()
    ldif = tmp_path / "export.ldif"
    ldif.write_text(f"dn:: {dn}\nuserPassword: {{CLEARTEXT}}abc\n", encoding="utf-8")
    code, out, _ = run(monkeypatch, capsys, ["password", "hashes", str(ldif)])
    assert code == 1 and not any(ch in out for ch in RAW_CONTROLS), repr(out)
    assert "uid=\\x1b]0;owned\\x07x,dc=school\\nFAKE ok line (line 2)" in out
    assert len(out.splitlines()) == 2  # one result line and the summary: no forged line


@pytest.mark.parametrize("stdin_errors", ["strict", "surrogateescape"])
def test_check_with_invalid_utf8_on_stdin_is_a_usage_error(stdin_errors: str) -> None:
    """A real process with a real pipe. Python reads stdin strictly under most UTF-8 locales (a
    decode error) but with surrogateescape under C, POSIX and C.UTF-8 (lone surrogates, no error);
    PYTHONIOENCODING picks each, whatever this machine's locale is."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUTF8"}
    env["PYTHONIOENCODING"] = f"utf-8:{stdin_errors}"
    proc = subprocess.run(
        [sys.executable, "-m", "enforcer", "password", "check"],
        input=b"Summer\xff\xfe2025!\n",
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, err
    assert "not valid UTF-8" in err and "Traceback" not in err and "internal error" not in err
