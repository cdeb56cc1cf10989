"""The *notify* step of ``enforcer run``: the E-Safety Officer's digest, after the reports.

A mail outage must not turn a recorded night into a failed run, but it must be seen: the
reason goes to the run's messages (stderr) and the log.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from enforcer.actions.interface import ActionResult
from enforcer.config import Config
from enforcer.logs import redact
from enforcer.model.values import RunResult
from enforcer.reports import digest
from enforcer.store.diff import RunDiff

log = logging.getLogger(__name__)


def send_digest(
    config: Config,
    result: RunResult,
    diff: RunDiff,
    written: Sequence[Path],
    changes: Sequence[ActionResult] = (),
) -> str | None:
    """Compose and send the digest when email is enabled; returns the line to show, if any."""
    email = config.model.email
    if not email.enabled:
        return None
    html = next((p for p in written if p.name == f"enforcer-{result.run_id}.html"), None)
    try:
        digest.send(digest.compose(result, diff, email, html, changes), email)
    except digest.DigestError as exc:
        # a server may quote what it was sent (AUTH PLAIN included): redact before showing
        message = redact(str(exc))
        log.error("digest not sent: %s", message)
        return f"digest not sent: {message}"
    return f"digest sent to {', '.join(email.recipients)}"
