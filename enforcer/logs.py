"""Logging that cannot carry a secret.

Every record passes a filter that replaces any secret value read through
``enforcer.secrets``, in any of the forms it is registered in there (base64,
URL-encoded, escaped, hex), with ``***``, so a bind password echoed back in a
library's error message, or an ``AUTH PLAIN`` line echoed back in base64, does
not reach stderr or a log file. :func:`redact` is the one function every other
output (reports, store, email, terminal lines) goes through too.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from functools import lru_cache

from enforcer.secrets import encoded_forms, known_forms

MASK = "***"


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        forms = known_forms()
        if not forms:
            return True
        text = record.getMessage()
        redacted = _redact(text, forms)
        if redacted != text:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # The traceback is formatted after the filters run; format it here so that an
            # exception whose text repeats a secret is redacted too (the handler reuses exc_text).
            record.exc_text = _redact(logging.Formatter().formatException(record.exc_info), forms)
        if record.stack_info:
            record.stack_info = _redact(record.stack_info, forms)
        return True


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` with every form of every secret (those read so far, or ``secrets``) masked."""
    if secrets is None:
        forms = known_forms()
    else:
        forms = frozenset().union(*(encoded_forms(s) for s in secrets))
    return _redact(text, forms) if forms else text


def _redact(text: str, forms: frozenset[str]) -> str:
    return _pattern(forms).sub(MASK, text)


@lru_cache(maxsize=8)
def _pattern(forms: frozenset[str]) -> re.Pattern[str]:
    """One pattern for all forms, built once per set of secrets: this runs on every log line.

    Longest first, so that where one form starts another (a padded base64 text and its unpadded
    stem) the whole of the longer one is masked."""
    return re.compile("|".join(re.escape(f) for f in sorted(forms, key=lambda f: (-len(f), f))))


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
