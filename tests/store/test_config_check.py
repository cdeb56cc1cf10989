"""``enforcer config check`` really uses the store, the mail server and an unreachable DC.

The mail servers are the real aiosmtpd fixtures; the DC is a closed port on loopback, as a
school's server looks from a machine with no route to it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from enforcer.cli.main import main
from tests.store.conftest import Mailbox, free_port

pytestmark = pytest.mark.smtp

CANARY = "Canary-Pass-5b1e9"
DEMO = "  - {name: demo, type: demo}\n"


def write_config(tmp_path: Path, sources: str = DEMO, extra: str = "") -> Path:
    path = tmp_path / "enforcer.yaml"
    path.write_text(
        f"version: 1\nschool: {{name: Check Primary}}\npolicy: primary-school\nsources:\n{sources}{extra}",
        encoding="utf-8",
    )
    return path


def email_block(box: Mailbox | None, port: int | None = None, tls: bool = False) -> str:
    host, port = ("127.0.0.1", port) if box is None else (box.host, box.port)
    creds = "  username: {env: CHECK_SMTP_USER}\n  password: {env: CHECK_SMTP_PASSWORD}\n" if tls else ""
    return (
        f"email:\n  enabled: true\n  host: {host}\n  port: {port}\n  starttls: {str(tls).lower()}\n"
        f"{creds}  sender: enforcer@school.test\n  recipients: [dsl@school.test]\n"
    )


def check(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["config", "check", "--config", str(config)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_the_store_is_opened_and_written_to(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = check(write_config(tmp_path), capsys)
    assert code == 0, out
    assert "store: ok: open and write:" in out and "writable" in out
    assert "verdict: ready" in out


def test_an_unwritable_store_is_not_ready(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that is not an enforcer store: the run could not record, so the check says so."""
    (tmp_path / "other.db").write_bytes(b"not a database at all, just text" * 10)
    store = f"store: {{url: 'sqlite:///{tmp_path / 'other.db'}'}}\n"
    code, out = check(write_config(tmp_path, extra=store), capsys)
    assert code == 3, out
    assert "store: FAILED" in out


def test_starttls_and_login_are_tried_and_nothing_is_sent(
    tmp_path: Path,
    smtp_tls_server: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_tls_server.cafile))  # trust the fixture's own CA
    monkeypatch.setenv("CHECK_SMTP_USER", "digest")
    monkeypatch.setenv("CHECK_SMTP_PASSWORD", "s3cret-Pass")
    code, out = check(write_config(tmp_path, extra=email_block(smtp_tls_server, tls=True)), capsys)
    assert code == 0, out
    assert "email: ok: mail server:" in out and "STARTTLS, AUTH (nothing sent)" in out
    assert smtp_tls_server.logins == ["digest"] and smtp_tls_server.messages == []
    assert "s3cret-Pass" not in out


def test_a_refused_login_is_not_ready_and_the_password_is_not_shown(
    tmp_path: Path,
    smtp_tls_server: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_tls_server.cafile))
    monkeypatch.setenv("CHECK_SMTP_USER", "digest")
    monkeypatch.setenv("CHECK_SMTP_PASSWORD", CANARY)
    code, out = check(write_config(tmp_path, extra=email_block(smtp_tls_server, tls=True)), capsys)
    assert code == 3, out
    assert "email: FAILED" in out and "refused the username or password" in out
    assert CANARY not in out


def test_an_unreachable_mail_server_is_not_ready(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = check(write_config(tmp_path, extra=email_block(None, port=free_port())), capsys)
    assert code == 3, out
    assert "email: FAILED: cannot check: cannot reach SMTP server" in out
    assert "NOT READY" in out


def test_an_unreachable_dc_with_base_dn_set_is_not_ok(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """base_dn set (as ``enforcer init``'s example sets it) and no CA file: nothing may say ok."""
    monkeypatch.setenv("CHECK_AD_BIND_DN", "CN=enforcer,CN=Users,DC=school,DC=test")
    monkeypatch.setenv("CHECK_AD_PASSWORD", CANARY)
    ad = (
        f"  - name: ad\n    type: ad\n    host: 127.0.0.1\n    port: {free_port()}\n"
        "    base_dn: DC=school,DC=test\n    retries: 0\n    connect_timeout: 2\n"
        "    bind_dn: {env: CHECK_AD_BIND_DN}\n    bind_password: {env: CHECK_AD_PASSWORD}\n"
    )
    code, out = check(write_config(tmp_path, sources=ad), capsys)
    assert code == 3, out
    ad_lines = [line for line in out.splitlines() if line.strip().startswith("ad (ad)")]
    assert ad_lines and all(": FAILED: " in line for line in ad_lines), out
    assert CANARY not in out


def test_a_missing_secret_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CHECK_SMTP_USER", raising=False)
    config = write_config(tmp_path, extra=email_block(None, port=free_port(), tls=True))
    code, out = check(config, capsys)
    assert code == 2, out
    assert "email: FAILED: configuration: " in out and "CHECK_SMTP_USER is not set" in out
