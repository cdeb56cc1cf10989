"""Checking a list of passwords a school already issued (``username,password`` CSV).

The report is built from usernames and reasons only: no field of a result holds
the password or any part of it, so the report can be mailed to the head teacher.
A row that cannot be read becomes an ``error`` result with its line number,
never a silent skip and never a pass.

A row that does not split cleanly at a comma is exactly where a password can hide
in the "username": ``alice;Summer2025!`` or ``alice<TAB>Summer2025!`` is one CSV
field. So an unreadable row names its user only when the first field is
unambiguously a username (the line has further fields, and the first holds no tab,
``;`` or ``|`` and is not too long); otherwise it is reported by line number alone.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from enforcer.model.errors import InputError, file_error
from enforcer.passwords.check import Reason, UserDetails, Verdict, check_password
from enforcer.passwords.policy import PasswordPolicy

MAX_AUDIT_BYTES = 50 * 1024 * 1024
MAX_USERNAME = 128
"""Far longer than any school's account names; a longer first field is more likely a
whole misread line than a username."""
_SEPARATOR_LIKE = re.compile(r"[\t;|\n\r\x0b\x0c\x1c-\x1f\x85\u2028\u2029]")
"""Characters that separate fields in other exports (and line breaks): a first field
holding one is probably a username and a password run together."""


@dataclass(frozen=True, slots=True)
class AuditRow:
    line: int
    username: str | None
    """``None`` when the row could not be split safely: the first field might hold the password."""
    status: str
    """``accept``, ``refuse`` or ``error`` (the row could not be checked)."""
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "line": self.line,
            "username": self.username,
            "status": self.status,
            "reasons": [{"code": r.code, "message": r.message} for r in self.reasons],
        }


def read_text(path: str | Path) -> str:
    p = Path(path)
    try:
        if p.stat().st_size > MAX_AUDIT_BYTES:
            raise InputError("file is larger than 50 MiB", str(p))
        return p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not valid UTF-8", str(p)) from None
    except OSError as exc:
        raise file_error(exc, p) from None


def audit_text(text: str, policy: PasswordPolicy, school: str | None = None) -> list[AuditRow]:
    """One row per data line; a first line ``username,password`` is taken as a header."""
    rows: list[AuditRow] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    for fields in reader:
        line = reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue
        if line == 1 and _is_header(fields):
            continue
        username = _username(fields[0])
        if len(fields) != 2 or username is None:
            rows.append(_unreadable(line, fields, username))
            continue
        verdict: Verdict = check_password(fields[1], policy, UserDetails(username=username, school=school))
        rows.append(AuditRow(line, username, "accept" if verdict.accepted else "refuse", verdict.reasons))
    return rows


def _is_header(fields: list[str]) -> bool:
    """True for ``username,password``. A first line naming a ``password`` column anywhere
    else (``password,username``) would make every "username" below it a password, so it
    stops the audit instead of being read as data."""
    names = [f.strip().lower() for f in fields]
    if names == ["username", "password"]:
        return True
    if "password" in names[:1] + names[2:]:
        raise InputError("the first line names a password column, but only 'username,password' is read")
    return False


def _username(field: str) -> str | None:
    """The first field as a username, or ``None`` when it could hold a password as well."""
    name = field.strip()
    if not name or len(name) > MAX_USERNAME or _SEPARATOR_LIKE.search(name):
        return None
    return name


def _unreadable(line: int, fields: list[str], username: str | None) -> AuditRow:
    """An ``error`` row. The user is named only when the line had more than one field, so the
    first cannot be the password alone or a username and password run together."""
    if len(fields) == 1:
        message = (
            "This line has no comma, so it is not 'username,password' (is the file separated by "
            "semicolons or tabs?). It was not checked, and is shown by line number only in case it "
            "holds a password."
        )
    elif username is None:
        message = (
            "The first field of this line is empty, too long, or holds a tab, ';', '|' or a line break, so it is "
            "not clearly a username. It was not checked, and is shown by line number only."
        )
    else:
        message = (
            "This line is not 'username,password' (quote a password that has a comma in it), so it "
            "was not checked."
        )
    shown = username if len(fields) > 1 else None
    return AuditRow(line, shown, "error", (Reason("unreadable_row", message),))
