"""Secrets come from the environment or a file, never from argv, never into a log.

A config names a secret as ``{env: NAME}`` or ``{file: PATH}``; a bare string is
refused so that nobody pastes a password into a config file that is then
mailed around or committed.

Every secret read here is registered with every form it can travel in once a
library or a server has encoded it (base64, URL-encoding, JSON and ``repr``
escapes, hex): a server that echoes an ``AUTH PLAIN`` line or a Basic header back
in its error message echoes base64, not the password, and the one redaction
function (``enforcer.logs.redact``) must recognise that too.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, quote_plus

from enforcer.model.errors import ConfigError

log = logging.getLogger(__name__)
_KNOWN: set[str] = set()
_FORMS: frozenset[str] = frozenset()
"""Every form of every secret read so far. Replaced, never mutated, so that its hash is computed
once and the redaction pattern built from it can be cached on it."""

_B64: tuple[Callable[[bytes], bytes], ...] = (base64.b64encode, base64.urlsafe_b64encode)
_WARNED: set[Path] = set()


def known_secrets() -> frozenset[str]:
    """Every secret value read so far, as read."""
    return frozenset(_KNOWN)


def known_forms() -> frozenset[str]:
    """Every secret read so far in every encoded form, for the one redaction function."""
    return _FORMS


def remember(value: str) -> str:
    global _FORMS
    if value and value not in _KNOWN:
        _KNOWN.add(value)
        _FORMS = _FORMS | encoded_forms(value)
    return value


@lru_cache(maxsize=64)
def encoded_forms(secret: str) -> frozenset[str]:
    """The texts that carry ``secret`` after a library or a server has encoded it.

    Escaped forms (JSON, ``repr``, ``ascii``), URL-encoded forms (``quote`` with and without ``/``
    kept, ``quote_plus``) and hex are plain substitutions of the secret. Base64 is not: the
    encoding of a longer text that contains the secret (``\\0user\\0secret`` in SMTP ``AUTH
    PLAIN``, ``client_id:secret`` in a Basic header, a whole request echoed back) depends on where
    the secret starts modulo 3. So for each of the three alignments the secret is cut to start on
    a 3-byte group boundary and encoded: the whole tail (padded and not: the secret ends the text,
    as in ``AUTH PLAIN``) and its whole groups alone (the secret is followed by more text). Those
    characters depend on the secret alone, so one of them is in any base64 text holding it; only
    the characters straddling its edges (at most two bytes each side) are left as they were.
    Standard and URL-safe alphabets both, so a JWT-style or a MIME-style echo is caught.
    """
    if not secret:
        return frozenset()
    try:  # an undecodable byte read from the environment goes back out as that byte
        raw = secret.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = secret.encode("utf-8", "surrogatepass")
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
        ascii(secret)[1:-1],
        repr(raw)[2:-1],
        quote(raw, safe=""),
        quote(raw),
        quote_plus(raw),
        raw.hex(),
        raw.hex().upper(),
    }
    for encode in _B64:
        for skip in range(3):
            tail = raw[skip:]
            whole = encode(tail).decode("ascii")
            forms.update((whole, whole.rstrip("="), encode(tail[: len(tail) // 3 * 3]).decode("ascii")))
    forms.discard("")
    return frozenset(forms)


def read_secret(ref: Mapping[str, str] | str | None, what: str) -> str:
    if ref is None:
        raise ConfigError(f"{what}: no secret configured (use env: NAME or file: PATH)")
    if isinstance(ref, str):
        raise ConfigError(f"{what}: secrets may not be written in the config; use env: NAME or file: PATH")
    if "env" in ref:
        value = os.environ.get(ref["env"])
        if not value:
            raise ConfigError(f"{what}: environment variable {ref['env']} is not set")
        return remember(value)
    if "file" in ref:
        return remember(_read_file(Path(ref["file"]).expanduser(), what))
    raise ConfigError(f"{what}: a secret is env: NAME or file: PATH")


def _read_file(path: Path, what: str) -> str:
    """The secret in ``path``: UTF-8 text, not empty. A file every local user may read still
    works (refusing would stop the nightly run over a permission) but is named on stderr; the
    message never includes the content."""
    try:
        raw = path.read_bytes()
        mode = path.stat().st_mode
    except OSError as exc:
        raise ConfigError(f"{what}: cannot read secret file: {exc.strerror}", str(path)) from None
    try:
        value = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ConfigError(f"{what}: secret file is not UTF-8 text", str(path)) from None
    if not value:
        raise ConfigError(f"{what}: secret file is empty", str(path))
    if mode & stat.S_IROTH and path not in _WARNED:  # once per file, not once per school of an estate
        _WARNED.add(path)
        log.warning("%s: secret file %s is readable by every user; chmod o-r it", what, path)
    return value
