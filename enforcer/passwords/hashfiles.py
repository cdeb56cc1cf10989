"""Reading stored hashes from the exports schools actually have.

- LDIF (``ldapsearch ... userPassword``): ``userPassword:`` / ``userPassword::`` (base64)
  values under each ``dn:``, with folded lines; ``sambaNTPassword`` / ``sambaLMPassword`` too;
- htpasswd and /etc/shadow style ``user:hash[:...]`` lines;
- pwdump (``user:rid:LM:NT:::``, as AD extraction tools write it);
- CSV ``username,hash`` (a header row is recognised).

Each entry is classified at once and only the verdict is kept: the stored value
is dropped here, so no report can print it.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
from dataclasses import dataclass
from enum import StrEnum

from enforcer.model.errors import InputError
from enforcer.passwords.hashes import Scheme, Storage, classify


class HashFormat(StrEnum):
    AUTO = "auto"
    LDIF = "ldif"
    HTPASSWD = "htpasswd"
    PWDUMP = "pwdump"
    CSV = "csv"


@dataclass(frozen=True, slots=True)
class HashResult:
    line: int
    account: str
    scheme: str
    storage: Storage
    why: str

    @property
    def flagged(self) -> bool:
        return self.storage.flagged

    def to_dict(self) -> dict[str, object]:
        return {
            "line": self.line,
            "account": self.account,
            "scheme": self.scheme,
            "storage": self.storage.value,
            "flagged": self.flagged,
            "why": self.why,
        }


_PWDUMP = re.compile(r"^([^:]*):(\d+):([0-9a-fA-F]{32}|[*A-Z0-9_]{3,32}):([0-9a-fA-F]{32}|[*A-Z0-9_]{3,32}):")
_LDIF_START = re.compile(r"^(dn|version)::?\s", re.IGNORECASE)
_LDIF_ATTRS = {"userpassword": None, "sambantpassword": "nthash", "sambalmpassword": "lmhash"}


def _result(line: int, account: str, scheme: Scheme) -> HashResult:
    return HashResult(line, account, scheme.label, scheme.storage, scheme.why)


def detect(lines: list[str]) -> HashFormat:
    data = [ln for ln in lines if ln.strip() and not ln.startswith("#")]
    if not data:
        return HashFormat.CSV
    if any(_LDIF_START.match(ln) for ln in data[:50]):
        return HashFormat.LDIF
    first = data[0]
    if _PWDUMP.match(first):
        return HashFormat.PWDUMP
    colon, comma = first.find(":"), first.find(",")
    if colon != -1 and (comma == -1 or colon < comma):
        return HashFormat.HTPASSWD
    return HashFormat.CSV


def parse(text: str, fmt: HashFormat = HashFormat.AUTO, source: str = "<input>") -> list[HashResult]:
    lines = text.splitlines()
    if fmt is HashFormat.AUTO:
        fmt = detect(lines)
    if fmt is HashFormat.LDIF:
        return _ldif(lines, source)
    if fmt is HashFormat.PWDUMP:
        return _pwdump(lines, source)
    if fmt is HashFormat.HTPASSWD:
        return _htpasswd(lines, source)
    return _csv(text, source)


def _ldif(lines: list[str], source: str) -> list[HashResult]:
    out: list[HashResult] = []
    logical: list[tuple[int, str]] = []
    for n, raw in enumerate(lines, start=1):
        if raw.startswith(" ") and logical:
            start, text = logical[-1]
            logical[-1] = (start, text + raw[1:])
        elif not raw.startswith("#"):
            logical.append((n, raw))
    dn = "?"
    for n, text in logical:
        if not text.strip():
            dn = "?"
            continue
        name, sep, value = text.partition(":")
        if not sep:
            raise InputError("not an LDIF line (attribute: value)", source, n)
        attr = name.split(";", 1)[0].strip().lower()
        encoded = value.startswith(":")
        value = value[1:].strip() if encoded else value.strip()
        if encoded:
            try:
                value = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                if attr in _LDIF_ATTRS:
                    out.append(
                        HashResult(
                            n,
                            dn,
                            "undecodable",
                            Storage.UNKNOWN,
                            "the base64 value could not be decoded: check it by hand",
                        )
                    )
                continue
        if attr == "dn":
            dn = value
        elif attr in _LDIF_ATTRS:
            out.append(_result(n, dn, classify(value, _LDIF_ATTRS[attr])))
    return out


def _htpasswd(lines: list[str], source: str) -> list[HashResult]:
    out: list[HashResult] = []
    for n, raw in enumerate(lines, start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        user, sep, rest = raw.partition(":")
        if not sep:
            raise InputError("not a 'user:hash' line", source, n)
        # shadow lines carry more colon-separated fields after the hash; htpasswd hashes have no colon
        value = rest.split(":", 1)[0] if rest.count(":") >= 6 else rest
        out.append(_result(n, user.strip(), classify(value)))
    return out


def _pwdump(lines: list[str], source: str) -> list[HashResult]:
    out: list[HashResult] = []
    for n, raw in enumerate(lines, start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        m = _PWDUMP.match(raw)
        if not m:
            raise InputError("not a pwdump line (user:rid:LM:NT:::)", source, n)
        user, lm, nt = m.group(1), m.group(3), m.group(4)
        if _is_hex32(lm):
            out.append(_result(n, f"{user} (LM)", classify(lm, "lmhash")))
        if _is_hex32(nt):
            out.append(_result(n, f"{user} (NT)", classify(nt, "nthash")))
    return out


def _is_hex32(v: str) -> bool:
    return len(v) == 32 and all(c in "0123456789abcdefABCDEF" for c in v)


def _csv(text: str, source: str) -> list[HashResult]:
    out: list[HashResult] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    for fields in reader:
        n = reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue
        if n == 1 and fields[0].strip().lower() in ("username", "user", "account", "dn"):
            continue
        if len(fields) < 2:
            raise InputError("not a 'username,hash' line", source, n)
        # a SCRAM value contains commas: everything after the first field is the hash
        out.append(_result(n, fields[0].strip(), classify(",".join(fields[1:]).strip())))
    return out
