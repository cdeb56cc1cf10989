"""The morning email: what changed overnight, in plain English, with the report attached.

Written for the E-Safety Officer, not for IT: counts first (new, fixed, still
failing), then the few most important new problems, then where the full report
is. Sent with STARTTLS (refusing to continue in clear text when the server does
not offer it) and credentials read through :func:`enforcer.secrets.read_secret`
from the environment or a file, never from the configuration itself.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from enforcer.actions.interface import ActionResult
from enforcer.config import LOOPBACK, EmailModel
from enforcer.model.errors import ConfigError, EnforcerError
from enforcer.model.values import Finding, RunResult
from enforcer.reports.common import change_line, idle_warning, scrub, visible
from enforcer.secrets import read_secret
from enforcer.sources.interface import CheckResult
from enforcer.store.diff import RunDiff

TOP_NEW = 10
log = logging.getLogger(__name__)


class DigestError(EnforcerError):
    """The digest could not be sent; the run itself is unaffected."""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _line(f: Finding) -> str:
    """One line per item: a newline or bidi override in a display name must not forge lines."""
    who = f.subject.name or f.subject.id
    text = f"- [{f.severity.value.upper()}] {f.title}: {f.subject.kind.value} {who}. {f.message}"
    return visible(scrub(text)).replace("\n", "\\n").replace("\t", " ")


def compose(
    result: RunResult,
    diff: RunDiff,
    email: EmailModel,
    report: Path | None = None,
    changes: Sequence[ActionResult] = (),
) -> EmailMessage:
    counts = result.counts()
    new = list(diff.new) + list(diff.regressed)
    still = len(diff.still_failing)
    subject = (
        f"{result.school}: {_plural(len(new), 'new problem')}, {len(diff.fixed)} fixed, {still} still failing"
    )
    if not result.complete:
        subject = "INCOMPLETE CHECK - " + subject
    lines = [
        "Hello,",
        "",
        f"The security check of {result.school} on {result.as_of.strftime('%A %d %B %Y')} found:",
        "",
        f"  New problems:                   {len(new)}",
        f"  Fixed since the last check:     {len(diff.fixed)}",
        f"  Still failing:                  {still}",
        f"  Covered by an agreed exception: {counts['excepted']}",
        f"  Could not be checked:           {counts['error']}",
        "",
    ]
    if diff.against is None:
        lines += ["This is the first recorded check, so every problem counts as new.", ""]
    if not result.complete:
        failed = ", ".join(s.name for s in result.sources if not s.ok)
        lines += [
            f"Warning: not everything could be read ({failed}). Problems from that source are not "
            "counted as fixed until it can be read again.",
            "",
        ]
    if (warning := idle_warning(result)) is not None:
        lines += [visible(scrub(f"Warning: {warning}.")), ""]
    if diff.unknown:
        lines += [f"{len(diff.unknown)} earlier problem(s) could not be re-checked this time.", ""]
    if new:
        lines.append("The most important new problems:")
        lines += [_line(f) for f in new[:TOP_NEW]]
        if len(new) > TOP_NEW:
            lines.append(f"...and {len(new) - TOP_NEW} more in the attached report.")
        lines.append("")
    elif not diff.fixed:
        lines += ["Nothing changed since the previous check.", ""]
    acted = [r for r in changes if r.outcome.value != "planned"]
    if acted:
        lines.append(f"Changes enforcer made (or tried to make) in the directory: {len(acted)}")
        lines += ["  " + visible(scrub(change_line(r))) for r in acted[:TOP_NEW]]
        if len(acted) > TOP_NEW:
            lines.append(
                f"...and {len(acted) - TOP_NEW} more (enforcer remediate log --run {result.run_id})."
            )
        lines.append("")
    lines += [
        "The full report is attached (open it in a web browser)."
        if report
        else "No HTML report was written for this run.",
        f"Run {result.run_id}, policy pack {result.pack.name} {result.pack.version}.",
        "",
        "-- enforcer",
    ]
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = email.sender
    msg["To"] = ", ".join(email.recipients)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=email.sender.rpartition("@")[2] or "localhost")
    msg.set_content("\n".join(lines))
    if report is not None:
        msg.add_attachment(
            report.read_bytes(), maintype="text", subtype="html", filename=f"enforcer-{result.run_id}.html"
        )
    return msg


@contextmanager
def connected(
    email: EmailModel, *, ssl_context: ssl.SSLContext | None = None, timeout: float = 30.0
) -> Iterator[smtplib.SMTP]:
    """An SMTP session past EHLO, STARTTLS (when configured) and AUTH (when credentials are),
    closed with QUIT. Shared by :func:`send` and :func:`check` so that ``config check`` walks
    the very steps the morning's digest will; every failure becomes a one-line
    :class:`DigestError`, including those the caller's block raises from ``smtplib``."""
    if not email.starttls and email.host not in LOOPBACK:
        log.warning(
            "email: STARTTLS is off (allow_plaintext): the SMTP password and the findings "
            "cross the network to %s in clear",
            email.host,
        )
    user = read_secret(email.username, "email.username") if email.username else None
    password = read_secret(email.password, "email.password") if email.password else None
    try:
        with smtplib.SMTP(email.host, email.port, timeout=timeout) as smtp:
            smtp.ehlo()
            if email.starttls:
                if not smtp.has_extn("starttls"):
                    raise DigestError(
                        f"SMTP server {email.host}:{email.port} does not offer STARTTLS; "
                        "refusing to send in clear text"
                    )
                smtp.starttls(context=ssl_context or ssl.create_default_context())
                smtp.ehlo()
            if user is not None:
                smtp.login(user, password or "")
            yield smtp
    except smtplib.SMTPAuthenticationError:
        raise DigestError(f"SMTP server {email.host}:{email.port} refused the username or password") from None
    except (smtplib.SMTPException, ssl.SSLError) as exc:
        raise DigestError(f"cannot send digest via {email.host}:{email.port}: {exc}") from None
    except OSError as exc:
        raise DigestError(
            f"cannot reach SMTP server {email.host}:{email.port}: {exc.strerror or exc}"
        ) from None


def send(
    msg: EmailMessage, email: EmailModel, *, ssl_context: ssl.SSLContext | None = None, timeout: float = 30.0
) -> None:
    """Deliver ``msg``; every failure becomes a one-line :class:`DigestError`."""
    recipients: Sequence[str] = email.recipients
    if not recipients:
        raise ConfigError("email: no recipients configured")
    with connected(email, ssl_context=ssl_context, timeout=timeout) as smtp:
        refused = smtp.send_message(msg, from_addr=email.sender, to_addrs=list(recipients))
    if refused:
        raise DigestError(f"SMTP server refused: {', '.join(sorted(refused))}")


def check(
    email: EmailModel, *, ssl_context: ssl.SSLContext | None = None, timeout: float = 30.0
) -> list[CheckResult]:
    """Connect, EHLO, STARTTLS and AUTH as :func:`send` would, then QUIT; nothing is sent.

    Raises :class:`DigestError` when any step fails, :class:`ConfigError` with no recipients."""
    if not email.recipients:
        raise ConfigError("email: no recipients configured")
    with connected(email, ssl_context=ssl_context, timeout=timeout):
        pass
    steps = ["EHLO"] + (["STARTTLS"] if email.starttls else []) + (["AUTH"] if email.username else [])
    detail = f"{email.host}:{email.port} accepted {', '.join(steps)} (nothing sent)"
    return [CheckResult("mail server", True, detail)]
