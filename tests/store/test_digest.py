"""The digest, sent to a real SMTP server on loopback (aiosmtpd): plain, and STARTTLS + AUTH."""

from __future__ import annotations

import email
import email.policy

import pytest

from enforcer.config import EmailModel
from enforcer.model.values import SubjectKind
from enforcer.reports.digest import DigestError, compose, send
from enforcer.store import runs

from .factory import finding, result


def _diff(store):
    a, b = finding("enc", "laptop-1"), finding("enc", "laptop-2")
    c = finding("mfa", "alice", kind=SubjectKind.ACCOUNT, name="alice")
    runs.record_run(store.db, result("r1", [a, b]))
    res = result("r2", [b, c], day=1)
    return res, runs.record_run(store.db, res)


def _parse(envelope) -> email.message.EmailMessage:
    return email.message_from_bytes(envelope.original_content, policy=email.policy.default)


def test_compose_plain_english(store, tmp_path) -> None:
    res, diff = _diff(store)
    report = tmp_path / "r.html"
    report.write_text("<html>report</html>")
    msg = compose(res, diff, EmailModel(enabled=True, recipients=["eso@school.example"]), report)
    assert msg["Subject"] == "Demo Primary School: 1 new problem, 1 fixed, 1 still failing"
    body = msg.get_body(("plain",)).get_content()
    assert "New problems:                   1" in body and "alice" in body
    [att] = list(msg.iter_attachments())
    assert att.get_filename() == "enforcer-r2.html" and att.get_content() == "<html>report</html>"


@pytest.mark.smtp
def test_digest_arrives_at_loopback_server(store, smtp_server, tmp_path) -> None:
    res, diff = _diff(store)
    report = tmp_path / "r.html"
    report.write_text("<html>report</html>")
    cfg = EmailModel(
        enabled=True,
        host=smtp_server.host,
        port=smtp_server.port,
        starttls=False,
        sender="enforcer@school.example",
        recipients=["eso@school.example", "head@school.example"],
    )
    send(compose(res, diff, cfg, report), cfg)
    [env] = smtp_server.messages
    assert env.rcpt_tos == ["eso@school.example", "head@school.example"]
    got = _parse(env)
    assert "1 new problem" in got["Subject"] and got.get_body(("plain",)).get_content().startswith("Hello")
    assert [a.get_filename() for a in got.iter_attachments()] == ["enforcer-r2.html"]


@pytest.mark.smtp
def test_digest_over_starttls_with_credentials_from_environment(store, smtp_tls_server, monkeypatch) -> None:
    res, diff = _diff(store)
    monkeypatch.setenv("TEST_SMTP_USER", "digest")
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret-Pass")
    cfg = EmailModel(
        enabled=True,
        host="localhost",
        port=smtp_tls_server.port,
        starttls=True,
        username={"env": "TEST_SMTP_USER"},
        password={"env": "TEST_SMTP_PASSWORD"},
        recipients=["eso@school.example"],
    )
    send(compose(res, diff, cfg), cfg, ssl_context=smtp_tls_server.client_context())
    assert smtp_tls_server.logins == ["digest"] and len(smtp_tls_server.messages) == 1
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong")
    with pytest.raises(DigestError, match="refused the username or password"):
        send(compose(res, diff, cfg), cfg, ssl_context=smtp_tls_server.client_context())
    # the certificate is really checked: without trusting it, the send fails with one clear line
    with pytest.raises(DigestError, match="certificate verify failed"):
        send(compose(res, diff, cfg), cfg, timeout=5)


@pytest.mark.smtp
def test_refuses_clear_text_when_starttls_is_not_offered(store, smtp_server) -> None:
    res, diff = _diff(store)
    cfg = EmailModel(
        enabled=True,
        host=smtp_server.host,
        port=smtp_server.port,
        starttls=True,
        recipients=["eso@school.example"],
    )
    with pytest.raises(DigestError, match="does not offer STARTTLS"):
        send(compose(res, diff, cfg), cfg)
    assert smtp_server.messages == []


def test_unreachable_server_is_one_line(store) -> None:
    from .conftest import free_port

    res, diff = _diff(store)
    cfg = EmailModel(enabled=True, host="127.0.0.1", port=free_port(), starttls=False, recipients=["x@y"])
    with pytest.raises(DigestError, match="cannot reach SMTP server"):
        send(compose(res, diff, cfg), cfg, timeout=2)


def test_digest_names_the_changes_the_run_made(store, smtp_server) -> None:
    """An applied (or failed) change reaches the E-Safety Officer's inbox; a plan does not."""
    from datetime import UTC, datetime

    from enforcer.actions.interface import ActionPlan, ActionResult, Outcome
    from enforcer.model.values import Subject

    res, diff = _diff(store)
    alice = Subject(SubjectKind.ACCOUNT, "alice", "alice", "demo")
    plan = ActionPlan("disable-account", alice, "leaver-disabled", "fp1", dry_run=False)
    now = datetime.now(UTC)
    changes = [
        ActionResult(plan, Outcome.APPLIED, now, "disabled"),
        ActionResult(ActionPlan("force-password-change", alice, "pw-age", "fp2"), Outcome.PLANNED, now),
    ]
    cfg = EmailModel(
        enabled=True,
        host=smtp_server.host,
        port=smtp_server.port,
        starttls=False,
        sender="enforcer@school.example",
        recipients=["eso@school.example"],
    )
    send(compose(res, diff, cfg, None, changes), cfg)
    body = _parse(smtp_server.messages[0]).get_body(("plain",)).get_content()
    assert "Changes enforcer made (or tried to make) in the directory: 1" in body
    assert "applied: disable-account on account alice (leaver-disabled)" in body
    assert "force-password-change" not in body
