"""``enforcer password ...`` through the real entry point, with the candidate on stdin."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest
from passlib import hash as ph

from enforcer.cli.main import main
from enforcer.passwords.check import check_password


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_check_refuses_with_reasons(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(monkeypatch, capsys, ["password", "check", "--user", "jsmith"], "Summer2025!")
    assert code == 1 and out.startswith("Refused") and "common password" in out
    assert "Summer2025!" not in out


def test_check_accepts_a_long_passphrase(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        monkeypatch, capsys, ["password", "check", "--user", "jsmith"], "vivid-otter-pancake-lantern-39\n"
    )
    assert code == 0 and out.startswith("Accepted")


def test_check_json(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        monkeypatch,
        capsys,
        ["password", "check", "--format", "json", "--user", "jsmith", "--policy", "ncsc-baseline"],
        "jsmith2024!",
    )
    doc = json.loads(out)
    assert code == 1 and doc["verdict"] == "refuse"
    assert {"too_short", "contains_username"} <= {r["code"] for r in doc["reasons"]}


def test_usage_errors_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(monkeypatch, capsys, ["password", "check", "--policy", "no-such-pack"], "x")[0] == 2
    assert run(monkeypatch, capsys, ["password", "check", "Summer2025!"])[0] == 2  # never from argv
    assert run(monkeypatch, capsys, ["password", "generate"])[0] == 2
    assert run(monkeypatch, capsys, ["password", "generate", "--year", "1", "--count", "0"])[0] == 2
    assert run(monkeypatch, capsys, ["password", "audit", str(tmp_path / "missing.csv")])[0] == 2
    assert run(monkeypatch, capsys, ["password"])[0] == 2


def test_policy_file_with_only_a_password_section(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    f = tmp_path / "pw.yaml"
    f.write_text(
        "password:\n  min_length: 10\n  school_words: [Westbury]\n  min_score: 2\n", encoding="utf-8"
    )
    code, out, _ = run(
        monkeypatch,
        capsys,
        ["password", "check", "--policy", str(f), "--format", "json"],
        "Westbury-rocks-99",
    )
    assert code == 1 and [r["code"] for r in json.loads(out)["reasons"]] == ["school_word"]
    f.write_text("password:\n  min_length: 10\n  colour: blue\n", encoding="utf-8")
    code, _, err = run(monkeypatch, capsys, ["password", "check", "--policy", str(f)], "x")
    assert code == 2 and "pw.yaml:3" in err and "unknown key" in err


def test_generate_year_1_all_pass_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], primary
) -> None:
    code, out, _ = run(monkeypatch, capsys, ["password", "generate", "--year", "1", "--count", "30"])
    passwords = out.split()
    assert code == 0 and len(passwords) == 30
    for p in passwords:
        assert run(monkeypatch, capsys, ["password", "check"], p)[0] == 0
        assert check_password(p, primary).accepted


def test_generate_roster(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "pupil_id,username,given_name,family_name,year_group\nP1,pone,Pat,One,3\nP2,ptwo,Sam,Two,6\n",
        encoding="utf-8",
    )
    out = tmp_path / "issued.csv"
    code, stdout, err = run(
        monkeypatch, capsys, ["password", "generate", "--roster", str(roster), "--out", str(out)]
    )
    assert code == 0 and stdout == "" and "Wrote 2 passwords" in err
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert run(monkeypatch, capsys, ["password", "generate", "--roster", str(roster)])[0] == 2  # needs --out
    assert (
        run(monkeypatch, capsys, ["password", "generate", "--roster", str(roster), "--out", str(out)])[0] == 2
    )


def test_audit_names_users_and_reasons_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    f = tmp_path / "issued.csv"
    f.write_text(
        "username,password\nalice,Summer2025!\nbob,vivid-otter-pancake-lantern-39\n"
        'carol,"Comma,Kestrel,Drizzle,77"\ndan\n',
        encoding="utf-8",
    )
    for fmt in ("text", "json"):
        code, out, _ = run(monkeypatch, capsys, ["password", "audit", str(f), "--format", fmt])
        assert code == 1
        assert "alice" in out
        if fmt == "text":
            assert "bob" not in out  # the text report lists only what needs attention
            # a line with no comma could be a password alone: reported by line number only
            assert "line 5: could not check" in out and "dan" not in out
        for secret in ("Summer2025", "pancake", "Kestrel"):
            assert secret not in out
    doc = json.loads(run(monkeypatch, capsys, ["password", "audit", str(f), "--format", "json"])[1])
    assert [(r["username"], r["status"]) for r in doc["results"]] == [
        ("alice", "refuse"),
        ("bob", "accept"),
        ("carol", "accept"),
        (None, "error"),
    ]
    f.write_text("bob,vivid-otter-pancake-lantern-39\n", encoding="utf-8")
    assert run(monkeypatch, capsys, ["password", "audit", str(f)])[0] == 0


def test_hashes_never_prints_a_hash(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    values = [
        ph.bcrypt.using(rounds=4).hash("pw-1"),
        "{CLEARTEXT}Sunshine1",
        ph.ldap_md5.hash("pw-2"),
        ph.sha512_crypt.using(rounds=5000).hash("pw-3"),
    ]
    f = tmp_path / "h.txt"
    f.write_text("".join(f"u{i}:{v}\n" for i, v in enumerate(values)), encoding="utf-8")
    for fmt in ("text", "json"):
        code, out, _ = run(monkeypatch, capsys, ["password", "hashes", str(f), "--format", fmt])
        assert code == 1
        for v in values:
            assert v not in out and v.split("}")[-1][-20:] not in out
    doc = json.loads(out)
    assert [r["flagged"] for r in doc["results"]] == [False, True, True, False]
    f.write_text(f"u0:{values[0]}\n", encoding="utf-8")
    assert run(monkeypatch, capsys, ["password", "hashes", str(f)])[0] == 0
    f.write_text("\n", encoding="utf-8")
    assert run(monkeypatch, capsys, ["password", "hashes", str(f)])[0] == 2
