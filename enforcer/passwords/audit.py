"""Checking a list of passwords a school already issued (``username,password`` CSV).

The report is built from usernames and reasons only: no field of a result holds
the password or any part of it, so the report can be mailed to the head teacher.
A row that cannot be read becomes an ``error`` result with its line number,
never a silent skip and never a pass.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from enforcer.model.errors import InputError, file_error
from enforcer.passwords.check import Reason, UserDetails, Verdict, check_password
from enforcer.passwords.policy import PasswordPolicy

MAX_AUDIT_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class AuditRow:
    line: int
    username: str
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
        if line == 1 and [f.strip().lower() for f in fields[:2]] == ["username", "password"]:
            continue
        if len(fields) != 2 or not fields[0].strip():
            user = fields[0].strip() if fields and len(fields[0]) < 200 else "?"
            rows.append(
                AuditRow(
                    line,
                    user,
                    "error",
                    (
                        Reason(
                            "unreadable_row",
                            "This line is not 'username,password' (quote a password that has a comma "
                            "in it), so it was not checked.",
                        ),
                    ),
                )
            )
            continue
        username, password = fields[0].strip(), fields[1]
        verdict: Verdict = check_password(password, policy, UserDetails(username=username, school=school))
        rows.append(AuditRow(line, username, "accept" if verdict.accepted else "refuse", verdict.reasons))
    return rows
