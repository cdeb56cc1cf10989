"""Passwords for a whole new cohort, written where only the owner can read them.

The output CSV is the one place the plaintext lives: it is created with mode
0600 under a temporary name in the target folder and renamed into place, so no
other user can open it at any moment and a crash never leaves half a file under
the real name. Nothing is printed or logged but counts.

The roster is read with the MIS roster connector (connectors/roster.py).
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from enforcer.model.errors import InputError, UsageError, file_error
from enforcer.passwords.check import UserDetails
from enforcer.passwords.generate import generate
from enforcer.passwords.policy import PasswordPolicy

MAX_ROSTER_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Pupil:
    pupil_id: str
    username: str
    year_group: int | None
    name: str | None
    extra: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Issued:
    pupil: Pupil
    year_group: int
    password: str


_HEADINGS = {
    # roster field -> headings we recognise, first match wins (simple CSV first, then MIS exports)
    "pupil_id": ("pupil_id", "UPN", "Pupil ID", "Admission No"),
    "username": ("username", "Username", "Login", "User Name"),
    "given_name": ("given_name", "Forename", "Legal Forename", "First Name"),
    "family_name": ("family_name", "Surname", "Legal Surname", "Last Name"),
    "year_group": ("year_group", "Year", "Year Group", "NC Year"),
    "date_of_birth": ("date_of_birth", "DOB", "Date of Birth"),
    "on_roll": ("on_roll", "On Roll"),
}


def read_roster(path: str | Path) -> list[Pupil]:
    """Pupils on roll, read with the roster connector (connectors/roster.py).

    Column headings are matched from ``_HEADINGS``, so both the simple
    ``pupil_id,username,given_name,family_name,year_group`` CSV and a SIMS-style
    export (UPN, Forename, Surname, Year, ...) work without a configuration file.
    Pupils marked off roll are left out; a date of birth becomes a personal word
    the password may not contain.
    """
    from enforcer.sources.registry import tool

    roster = tool("roster-reader")
    Columns, RosterReader, Settings = roster.Columns, roster.RosterReader, roster.Settings

    p = Path(path)
    try:
        if p.stat().st_size > MAX_ROSTER_BYTES:
            raise InputError("roster is larger than 10 MiB", str(p))
        with p.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), [])
    except (UnicodeDecodeError, csv.Error):
        raise InputError("not a UTF-8 CSV file", str(p), 1) from None
    except OSError as exc:
        raise file_error(exc, p) from None
    folded = {h.strip().casefold() for h in header}
    found = {
        field: next((h for h in names if h.casefold() in folded), None) for field, names in _HEADINGS.items()
    }
    if found["pupil_id"] is None:
        raise InputError("roster needs a pupil_id (or UPN) column", str(p), 1)
    columns = Columns(**found, internet_consent=None)
    reader = RosterReader("roster", p, Settings(path=str(p), columns=columns))
    pupils: list[Pupil] = []
    for entry in reader.rows():
        if entry.on_roll is False:
            continue
        extra = (
            (entry.date_of_birth.strftime("%d%m%Y"), entry.date_of_birth.strftime("%Y"))
            if entry.date_of_birth
            else ()
        )
        pupils.append(Pupil(entry.pupil_id, entry.username or "", entry.year_group, entry.name, extra))
    return pupils


def issue(pupils: Iterable[Pupil], policy: PasswordPolicy, year: int | None = None) -> list[Issued]:
    """A password for each pupil; ``year`` overrides the roster's year group."""
    out: list[Issued] = []
    for pupil in pupils:
        y = year if year is not None else pupil.year_group
        if y is None:
            raise UsageError(f"pupil {pupil.pupil_id} has no year group in the roster: pass --year")
        user = UserDetails(username=pupil.username or None, name=pupil.name, extra=pupil.extra)
        out.append(Issued(pupil, y, generate(y, policy, user)))
    return out


def write_private_csv(path: str | Path, issued: list[Issued], overwrite: bool = False) -> None:
    """Write the cohort CSV with mode 0600, atomically (temporary file + rename)."""
    target = Path(path)
    if target.exists() and not overwrite:
        raise UsageError(f"{target} exists; choose a new file or pass --force")
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)  # mode 0600
    except OSError as exc:
        raise UsageError(f"cannot write in {folder}: {exc.strerror}") from None
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["pupil_id", "username", "year_group", "password"])
            for item in issued:
                writer.writerow([item.pupil.pupil_id, item.pupil.username, item.year_group, item.password])
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"cannot write {target}: {exc.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
