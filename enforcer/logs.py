"""Logging that cannot carry a secret.

Every record passes a filter that replaces any secret value read through
``enforcer.secrets`` with ``***``, so a bind password echoed back in a library's
error message does not reach stderr or a log file.
"""

from __future__ import annotations

import logging
import sys

from enforcer.secrets import known_secrets


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        secrets = known_secrets()
        if not secrets:
            return True
        text = record.getMessage()
        redacted = redact(text, secrets)
        if redacted != text:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # The traceback is formatted after the filters run; format it here so that an
            # exception whose text repeats a secret is redacted too (the handler reuses exc_text).
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, secrets)
        return True


def redact(text: str, secrets: frozenset[str] | None = None) -> str:
    for s in secrets if secrets is not None else known_secrets():
        if s and s in text:
            text = text.replace(s, "***")
    return text


def setup_logging(verbose: bool) -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactSecrets())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    for noisy in ("ldap3", "httpx", "httpcore", "azure", "kiota", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.WARNING)
