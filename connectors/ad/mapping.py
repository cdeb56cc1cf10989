"""Turning raw AD attribute values into enforcer's records.

Pure functions over ``{lower-case attribute: [raw bytes, ...]}`` so every special
case (FILETIME 0 and "never", userAccountControl bits, the effective password
policy, nested groups, BitLocker evidence) is testable without a server, as Graph's
mapping is; ``source.py`` only decides what to read. An attribute that is absent or
does not parse becomes ``None``: AD leaves out what the bind account may not read,
and that must stay "unknown", never a hopeful default.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from enforcer.identity import Classifier
from enforcer.model.values import Account, Device, DomainPolicy, Ownership, PasswordSettings, Platform, Role

Raw = Mapping[str, Sequence[bytes]]

# userAccountControl bits (MS-ADTS 2.2.16)
ACCOUNTDISABLE = 0x2
PASSWD_NOTREQD = 0x20
ENCRYPTED_TEXT_PWD_ALLOWED = 0x80
DONT_EXPIRE_PASSWORD = 0x10000

# pwdProperties bits (MS-ADTS 6.1.1.1 / MS-SAMR DOMAIN_PASSWORD_*)
DOMAIN_PASSWORD_COMPLEX = 0x1
DOMAIN_PASSWORD_STORE_CLEARTEXT = 0x10

NEVER = 0x7FFFFFFFFFFFFFFF
"""accountExpires "never" (as is 0)."""
_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)

NO_BITLOCKER_RIGHTS = (
    "no BitLocker recovery object is readable by the AD bind account; it needs read access "
    "to msFVE-RecoveryInformation objects, so encryption cannot be confirmed"
)
NOT_COLLECTED = "BitLocker evidence is switched off for this source (bitlocker: false)"
NOT_WINDOWS = "Active Directory holds disk-encryption evidence (BitLocker recovery keys) only for Windows"
NOT_IN_AD = "Active Directory does not record this; use an MDM source (Intune) for it"
_TICKS_PER_DAY = 864_000_000_000


def first(raw: Raw, name: str) -> bytes | None:
    values = raw.get(name.lower())
    return values[0] if values else None


def text(raw: Raw, name: str) -> str | None:
    value = first(raw, name)
    if value is None:
        return None
    return value.decode("utf-8", errors="replace")


def texts(raw: Raw, name: str) -> tuple[str, ...]:
    return tuple(v.decode("utf-8", errors="replace") for v in raw.get(name.lower(), ()))


def integer(raw: Raw, name: str) -> int | None:
    value = first(raw, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def boolean(raw: Raw, name: str) -> bool | None:
    value = text(raw, name)
    if value is None:
        return None
    return {"TRUE": True, "FALSE": False}.get(value.upper())


def guid(raw: Raw) -> str | None:
    value = first(raw, "objectGUID")
    if value is None or len(value) != 16:
        return None
    return str(uuid.UUID(bytes_le=value))


def filetime(ticks: int | None) -> datetime | None:
    """A FILETIME (100 ns since 1601) as an aware UTC datetime; 0 and "never" are None."""
    if ticks is None or ticks <= 0 or ticks >= NEVER:
        return None
    try:
        return _EPOCH + timedelta(microseconds=ticks // 10)
    except OverflowError:
        return None


def interval_days(value: int | None) -> int | None:
    """maxPwdAge-style intervals (negative 100 ns ticks) in whole days; "never" is 0."""
    if value is None:
        return None
    if value == 0 or value == -(2**63):
        return 0
    return round(abs(value) / _TICKS_PER_DAY)


def flag(uac: int | None, bit: int) -> bool | None:
    return None if uac is None else bool(uac & bit)


@dataclass(frozen=True, slots=True)
class PasswordFields:
    password_last_set: datetime | None
    must_change_password: bool | None


def password_fields(pwd_last_set: int | None) -> PasswordFields:
    """pwdLastSet 0 means "must change at next logon" and carries no date.

    The old date is gone once AD stores 0, so ``password_last_set`` is None
    then (unknown) and ``must_change_password`` is True; an absent attribute
    (unreadable) leaves both unknown.
    """
    if pwd_last_set is None:
        return PasswordFields(None, None)
    if pwd_last_set == 0:
        return PasswordFields(None, True)
    return PasswordFields(filetime(pwd_last_set), False)


def expiry(account_expires: int | None) -> tuple[bool | None, datetime | None]:
    """accountExpires 0 and 0x7FFFFFFFFFFFFFFF both mean "never"."""
    if account_expires is None:
        return None, None
    if account_expires == 0 or account_expires >= NEVER:
        return False, None
    return True, filetime(account_expires)


def platform(operating_system: str | None) -> Platform | None:
    if not operating_system:
        return None
    os_name = operating_system.casefold()
    if "windows" in os_name:
        return Platform.WINDOWS
    if "mac os" in os_name or "macos" in os_name or "os x" in os_name:
        return Platform.MACOS
    if any(
        w in os_name for w in ("linux", "ubuntu", "debian", "red hat", "rhel", "centos", "fedora", "suse")
    ):
        return Platform.LINUX
    if "chrome" in os_name:
        return Platform.CHROMEOS
    # An operatingSystem we do not recognise is unknown, not "other": "other" would let the
    # platform selectors skip encryption, anti-virus and firewall rules for a writable string.
    return None


_WINDOWS_BUILD = re.compile(r"^\s*(\d+)\.(\d+)\s*\((\d+)\)\s*$")


def os_version(raw: str | None) -> str | None:
    """Windows writes "10.0 (22631)"; make it "10.0.22631" like Intune, so one rule fits both."""
    if raw is None:
        return None
    match = _WINDOWS_BUILD.match(raw)
    return ".".join(match.groups()) if match else raw.strip() or None


def domain_policy(
    source: str,
    domain_dn: str,
    dns_name: str | None,
    raw: Raw,
    fine_grained: tuple[PasswordSettings, ...] | None,
) -> DomainPolicy:
    props = integer(raw, "pwdProperties")
    return DomainPolicy(
        source=source,
        id=domain_dn,
        name=dns_name or domain_dn,
        max_password_age_days=interval_days(integer(raw, "maxPwdAge")),
        min_password_length=integer(raw, "minPwdLength"),
        complexity_required=flag(props, DOMAIN_PASSWORD_COMPLEX),
        reversible_encryption=flag(props, DOMAIN_PASSWORD_STORE_CLEARTEXT),
        lockout_threshold=integer(raw, "lockoutThreshold"),
        history_length=integer(raw, "pwdHistoryLength"),
        fine_grained=fine_grained,
    )


@dataclass(frozen=True, slots=True)
class Pso:
    """A fine-grained policy plus what AD needs to pick the winner (its GUID breaks ties)."""

    settings: PasswordSettings
    dn: str
    guid: bytes


def pso(raw: Raw, dn: str) -> Pso:
    settings = PasswordSettings(
        name=text(raw, "cn") or dn,
        precedence=integer(raw, "msDS-PasswordSettingsPrecedence"),
        applies_to=tuple(sorted(texts(raw, "msDS-PSOAppliesTo"), key=str.casefold)),
        max_password_age_days=interval_days(integer(raw, "msDS-MaximumPasswordAge")),
        min_password_length=integer(raw, "msDS-MinimumPasswordLength"),
        complexity_required=boolean(raw, "msDS-PasswordComplexityEnabled"),
        reversible_encryption=boolean(raw, "msDS-PasswordReversibleEncryptionEnabled"),
        lockout_threshold=integer(raw, "msDS-LockoutThreshold"),
        history_length=integer(raw, "msDS-PasswordHistoryLength"),
    )
    return Pso(settings, dn, first(raw, "objectGUID") or b"")


def winning_pso(user_dn: str, groups: Iterable[str], psos: Sequence[Pso]) -> Pso | None:
    """AD's resultant-PSO rule (MS-ADTS 3.1.1.4.5.21 / "msDS-ResultantPSO").

    A PSO linked to the user directly beats any linked to its groups; within
    each tier the lowest precedence wins and equal precedence goes to the
    lowest objectGUID. ``groups`` must already include nested membership.
    """
    me = user_dn.casefold()
    mine = {g.casefold() for g in groups}
    direct = [p for p in psos if any(t.casefold() == me for t in p.settings.applies_to)]
    tier = direct or [p for p in psos if any(t.casefold() in mine for t in p.settings.applies_to)]
    if not tier:
        return None
    return min(
        tier, key=lambda p: (p.settings.precedence if p.settings.precedence is not None else 2**31, p.guid)
    )


def effective_policy(
    user_dn: str, groups: Iterable[str], policy: DomainPolicy, psos: Sequence[Pso] | None
) -> tuple[int | None, int | None]:
    """(max age days, min length) for one account; unknown when the PSOs could not be read."""
    if psos is None:
        return None, None
    winner = winning_pso(user_dn, groups, psos)
    if winner is None:
        return policy.max_password_age_days, policy.min_password_length
    return winner.settings.max_password_age_days, winner.settings.min_password_length


def dns_name(base: str) -> str | None:
    """``DC=school,DC=test`` -> ``school.test``: the domain's name in reports, not its DN."""
    parts = [p.split("=", 1)[1] for p in base.split(",") if p.strip().lower().startswith("dc=")]
    return ".".join(parts) or None


def parent_dn(dn: str) -> str:
    """The DN without its first RDN, honouring escaped commas (``CN=Smith\\, J,...``)."""
    i = 0
    while i < len(dn):
        if dn[i] == "\\":
            i += 2
            continue
        if dn[i] == ",":
            return dn[i + 1 :]
        i += 1
    return ""


def sid_string(raw: bytes | None) -> str | None:
    """objectSid arrives binary; the admin groups are found by their well-known string SIDs."""
    if not raw or len(raw) < 8:
        return None
    count = raw[1]
    authority = int.from_bytes(raw[2:8], "big")
    subs = [int.from_bytes(raw[8 + 4 * i : 12 + 4 * i], "little") for i in range(count)]
    return "S-" + "-".join([str(raw[0]), str(authority), *map(str, subs)])


@dataclass(frozen=True, slots=True)
class Membership:
    """Nested membership of only the groups a rule or PSO depends on, read once per run.

    A user's direct ``memberOf`` joined with ``parents`` gives its groups at any depth
    without asking the DC to walk every user's chain.
    """

    parents: Mapping[str, tuple[str, ...]]
    """Casefolded group DN -> the groups of interest it is, or sits inside at any depth."""
    admin: frozenset[str]
    """Casefolded DNs of the built-in administrator groups."""
    admins_known: bool
    """False when the domain SID or those groups were not readable: admin rights stay unknown."""


@dataclass(frozen=True, slots=True)
class UserContext:
    """What every account of one read shares, so ``map_user`` needs nothing else."""

    source: str
    classifier: Classifier
    policy: DomainPolicy
    psos: tuple[Pso, ...] | None
    """None when the fine-grained policies could not all be read (effective ages unknown)."""
    membership: Membership
    kept: tuple[str, ...]
    """Attributes the identity rules or the settings name, kept raw on each account."""


def map_user(dn: str, raw: Raw, ctx: UserContext) -> Account:
    uac = integer(raw, "userAccountControl")
    pw = password_fields(integer(raw, "pwdLastSet"))
    has_expiry, expires = expiry(integer(raw, "accountExpires"))
    direct = texts(raw, "memberOf")
    found = {g.casefold(): g for g in direct}
    for g in direct:
        for outer in ctx.membership.parents.get(g.casefold(), ()):
            found.setdefault(outer.casefold(), outer)
    groups = tuple(sorted(found.values(), key=str.casefold))
    attributes = {n: v for n in ctx.kept if (v := text(raw, n)) is not None}
    role = ctx.classifier.role(dn, groups, attributes)
    max_age, min_len = effective_policy(dn, groups, ctx.policy, ctx.psos)
    admin = ctx.membership.admin
    return Account(
        source=ctx.source,
        id=guid(raw) or dn,
        username=text(raw, "sAMAccountName"),
        upn=text(raw, "userPrincipalName"),
        display_name=text(raw, "displayName"),
        role=role,
        year_group=ctx.classifier.year_group(attributes) if role is Role.PUPIL else None,
        enabled=None if uac is None else not uac & ACCOUNTDISABLE,
        password_last_set=pw.password_last_set,
        must_change_password=pw.must_change_password,
        password_never_expires=flag(uac, DONT_EXPIRE_PASSWORD),
        reversible_encryption=flag(uac, ENCRYPTED_TEXT_PWD_ALLOWED),
        password_not_required=flag(uac, PASSWD_NOTREQD),
        password_max_age_days=max_age,
        password_min_length=min_len,
        last_logon=filetime(integer(raw, "lastLogonTimestamp")),
        has_expiry=has_expiry,
        account_expires=expires,
        groups=groups,
        is_admin=any(g.casefold() in admin for g in groups) if ctx.membership.admins_known else None,
        external_id=text(raw, "employeeID"),
        container=dn,
        attributes=attributes,
    )


def is_disabled(raw: Raw) -> bool:
    """Only a readable ACCOUNTDISABLE bit counts: an unreadable computer is still reported."""
    uac = integer(raw, "userAccountControl")
    return uac is not None and bool(uac & ACCOUNTDISABLE)


def map_computer(
    source: str, dn: str, raw: Raw, escrowed: Set[str] | None, *, bitlocker: bool = True
) -> Device:
    """``escrowed``: casefolded DNs of computers with a BitLocker recovery object, or None
    when none was visible; ``bitlocker`` says whether they were asked for, for the note."""
    os_platform = platform(text(raw, "operatingSystem"))
    encrypted: bool | None = None
    notes = {
        "managed": NOT_IN_AD,
        "tracking": NOT_IN_AD,
        "antivirus_current": NOT_IN_AD,
        "firewall_on": NOT_IN_AD,
        "passcode_required": NOT_IN_AD,
    }
    if os_platform is not Platform.WINDOWS:
        notes["encrypted"] = NOT_WINDOWS
    elif escrowed is None:
        notes["encrypted"] = NO_BITLOCKER_RIGHTS if bitlocker else NOT_COLLECTED
    else:
        encrypted = dn.casefold() in escrowed
    return Device(
        source=source,
        id=guid(raw) or dn,
        name=text(raw, "name"),
        platform=os_platform,
        os_version=os_version(text(raw, "operatingSystemVersion")),
        ownership=Ownership.SCHOOL,
        encrypted=encrypted,
        last_check_in=filetime(integer(raw, "lastLogonTimestamp")),
        notes=notes,
    )
