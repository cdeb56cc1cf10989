"""Secrets come from the environment or a file, never from argv, never into a log.

A config names a secret as ``{env: NAME}`` or ``{file: PATH}``; a bare string is
refused so that nobody pastes a password into a config file that is then
mailed around or committed.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from enforcer.model.errors import ConfigError

log = logging.getLogger(__name__)
_KNOWN: set[str] = set()
_WARNED: set[Path] = set()


def known_secrets() -> frozenset[str]:
    """Every secret value read so far, for the log filter that redacts them."""
    return frozenset(_KNOWN)


def remember(value: str) -> str:
    if value:
        _KNOWN.add(value)
    return value


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
