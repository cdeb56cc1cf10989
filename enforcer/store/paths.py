"""Where enforcer keeps its history: one private folder per user.

``$ENFORCER_HOME`` wins (a service account can point it at /var/lib/enforcer),
then ``$XDG_DATA_HOME/enforcer``, then ``~/.local/share/enforcer``. The folder is
created 0700 and the database file 0600 because the store holds account names,
device owners and the remediation audit log: personal data under UK GDPR.
"""

from __future__ import annotations

import os
from pathlib import Path

from enforcer.model.errors import StoreError


def data_dir() -> Path:
    home = os.environ.get("ENFORCER_HOME")
    if home:
        return Path(home).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "enforcer"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` 0700 if missing; never loosen or tighten an existing folder's mode."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create data directory {path}: {exc.strerror}") from None
    return path


def ensure_private_file(path: Path) -> None:
    """Create an empty 0600 file so SQLite never creates it with the umask's mode."""
    if path.exists():
        return
    try:
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(f"cannot create store file {path}: {exc.strerror}") from None
    os.close(fd)
