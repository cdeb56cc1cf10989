"""What ``enforcer config check`` asks a domain controller, one probe per thing the run reads.

Why a probe per capability: a bind proves only that the password is right. The run also needs
the domain root (the password policy), the users, the fine-grained password policies and the
BitLocker recovery objects, and an ordinary account is allowed the first two but silently
shown nothing of the last two, so the night's report would say "unknown" on every computer.
Each probe asks for one entry at most (the PSO probe reuses the run's own reading, which is
small), so the check stays cheap on a large directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import ldap3

from connectors.ad import mapping as m
from connectors.ad.client import Client, NotVisible
from connectors.ad.settings import Settings
from enforcer.sources.interface import CheckResult


class ADSource(Protocol):
    """What the probes use of :class:`connectors.ad.source.ADSource` (which imports this module)."""

    settings: Settings
    client: Client

    def base_dn(self) -> str: ...

    def read_psos(self, base: str) -> list[m.Pso] | None: ...


UNREADABLE_BASE = "the run fails for this source (incomplete, exit 3)"
ENCRYPTION_UNKNOWN = "encryption unknown on every Windows computer"


def check(source: ADSource, root_attributes: Sequence[str], user_filter: str) -> list[CheckResult]:
    """Bind and read the domain root even when ``base_dn`` is configured, then probe each part.

    Raises :class:`SourceError` when the DC cannot be reached or the bind is refused.
    """
    s, client = source.settings, source.client
    client.connection()  # connect, TLS, bind: raises SourceError with the reason
    out = [CheckResult("bind", True, f"bound to {s.host}:{s.effective_port} ({s.tls})")]
    base = source.base_dn()
    try:
        root = client.first(base, "(objectClass=*)", root_attributes, scope=ldap3.BASE)
    except NotVisible:
        root = None
    if root is None:
        return [*out, CheckResult("domain root", False, f"{base} is not readable", UNREADABLE_BASE)]
    out.append(CheckResult("domain root", True, f"{base} readable"))
    out.append(_domain_policy(root.raw))
    out.append(_users(source, s.user_base or base, user_filter))
    out.append(_psos(source, base))
    out.append(_bitlocker(source, s.computer_base or base))
    return out


def _domain_policy(raw: m.Raw) -> CheckResult:
    if m.integer(raw, "maxPwdAge") is None or m.integer(raw, "minPwdLength") is None:
        return CheckResult(
            "domain password policy",
            False,
            "maxPwdAge / minPwdLength not readable on the domain root",
            "domain password rules unknown for every account",
        )
    return CheckResult("domain password policy", True, "readable")


def _users(source: ADSource, base: str, flt: str) -> CheckResult:
    try:
        found = source.client.first(base, flt, ["sAMAccountName"])
    except NotVisible:
        return CheckResult("users", False, f"{base} is not readable", UNREADABLE_BASE)
    if found is None:
        return CheckResult(
            "users", False, f"no user objects visible under {base}", "no account is checked at all"
        )
    return CheckResult("users", True, f"readable under {base}")


def _psos(source: ADSource, base: str) -> CheckResult:
    """The run's own PSO reading: it already tells hidden policies from none (back-links)."""
    psos = source.read_psos(base)
    if psos is None:
        return CheckResult(
            "fine-grained password policies (PSOs)",
            False,
            "not readable: the Password Settings Container or a PSO that applies to accounts "
            "is hidden from the bind account",
            "effective password age unknown for every account a PSO applies to",
        )
    return CheckResult("fine-grained password policies (PSOs)", True, f"{len(psos)} readable")


def _bitlocker(source: ADSource, base: str) -> CheckResult:
    what = "BitLocker recovery objects (msFVE-RecoveryInformation)"
    if not source.settings.bitlocker:
        return CheckResult(what, True, "not read (bitlocker: false)", ENCRYPTION_UNKNOWN)
    try:
        found = source.client.first(base, "(objectClass=msFVE-RecoveryInformation)")
    except NotVisible:
        found = None
    if found is None:
        # AD answers "nothing" rather than "denied" to an account without the right.
        return CheckResult(
            what, False, "none visible: either none escrowed or not readable", ENCRYPTION_UNKNOWN
        )
    return CheckResult(what, True, f"visible under {base}")
