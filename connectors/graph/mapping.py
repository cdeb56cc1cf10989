"""Graph JSON (as Graph sends it) to enforcer records. Pure functions, no SDK.

Fail closed: a property that is absent, null where null means nothing, of the wrong
type, or an enum value we do not know becomes ``None`` (unknown, an ``error`` finding),
never a hopeful default. Where Graph does not carry a fact at all (a device's passcode
or firewall state in v1.0) the field stays ``None`` on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

from enforcer.identity import Classifier, parse_year_group, year_group_from_birth
from enforcer.model.values import Account, Device, DomainPolicy, FormFactor, Ownership, Platform, Role

NEVER = datetime(1, 1, 1, tzinfo=UTC)
"""Graph's "0001-01-01T00:00:00Z": for sign-in activity it means "never signed in"."""
NEVER_EXPIRES = 2147483647
DEFAULT_VALIDITY_DAYS = 90
"""Graph: "If the property isn't set, a default value of 90 days is used" (domain resource)."""

USER_SELECT = (
    "id",
    "userPrincipalName",
    "displayName",
    "accountEnabled",
    "passwordPolicies",
    "lastPasswordChangeDateTime",
    "createdDateTime",
    "userType",
    "department",
    "jobTitle",
    "employeeType",
    "employeeId",
    "onPremisesSyncEnabled",
    "passwordProfile",
)
DEVICE_SELECT = (
    "id",
    "deviceName",
    "operatingSystem",
    "osVersion",
    "isEncrypted",
    "complianceState",
    "lastSyncDateTime",
    "jailBroken",
    "managementAgent",
    "managedDeviceOwnerType",
    "isSupervised",
    "serialNumber",
    "userPrincipalName",
    "deviceEnrollmentType",
    "model",
)
EDU_ATTRIBUTES = frozenset({"primaryRole"})

_PLATFORMS = {
    "windows": Platform.WINDOWS,
    "macos": Platform.MACOS,
    "ios": Platform.IOS,
    "ipados": Platform.IOS,
    "android": Platform.ANDROID,
    "androidforwork": Platform.ANDROID,
    "androidenterprise": Platform.ANDROID,
    "chromeos": Platform.CHROMEOS,
    "chrome os": Platform.CHROMEOS,
    "linux": Platform.LINUX,
}
_OWNERS = {"company": Ownership.SCHOOL, "personal": Ownership.PERSONAL}
# managementAgentType values that give Intune (or a partner MDM) remote lock and wipe.
_MDM = frozenset(
    {
        "mdm",
        "easmdm",
        "configurationmanagerclientmdm",
        "configurationmanagerclientmdmeas",
        "googleclouddevicepolicycontroller",
        "microsoft365managedmdm",
        "intuneaosp",
        "jamf",
    }
)
_NOT_MDM = frozenset({"eas", "intuneclient", "easintuneclient", "configurationmanagerclient", "mssense"})
_JAILBROKEN = {"true": True, "false": False}


def parse_dt(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return None if dt.year <= 1 else dt


def _bool(raw: Mapping[str, Any], key: str) -> bool | None:
    v = raw.get(key)
    return v if isinstance(v, bool) else None


def _str(raw: Mapping[str, Any], key: str) -> str | None:
    v = raw.get(key)
    return v if isinstance(v, str) and v else None


def lookup(raw: Mapping[str, Any], dotted: str) -> str | None:
    """``department`` or ``onPremisesExtensionAttributes.extensionAttribute1``; strings only."""
    cur: Any = raw
    for part in dotted.split("."):
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(part)
    return cur if isinstance(cur, str) and cur else None


def domain_max_age(raw: Mapping[str, Any]) -> int | None:
    """Days a password is valid in this domain; 0 = never expires; None = not reported."""
    if "passwordValidityPeriodInDays" not in raw:
        return None
    v = raw["passwordValidityPeriodInDays"]
    if v is None:
        return DEFAULT_VALIDITY_DAYS
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        return None
    return 0 if v >= NEVER_EXPIRES else v


def map_domain(source: str, raw: Mapping[str, Any]) -> DomainPolicy:
    return DomainPolicy(
        source=source, id=str(raw["id"]), name=str(raw["id"]), max_password_age_days=domain_max_age(raw)
    )


@dataclass(frozen=True, slots=True)
class UserContext:
    source: str
    classifier: Classifier
    today: date
    domains: Mapping[str, int | None] | None
    """Domain name (lower case) to its maximum password age; None when domains were not read."""
    mfa: Mapping[str, Mapping[str, Any]] | None
    """userRegistrationDetails by user id; None when not read."""
    education: Mapping[str, Mapping[str, Any]] | None
    attributes: tuple[str, ...]
    year_group_from: tuple[str, ...]
    grade_offset: int = 0
    sign_in: bool = False


def _never_expires(raw: Mapping[str, Any]) -> bool | None:
    if "passwordPolicies" not in raw:
        return None  # not returned (e.g. no $select): unknown, not "expires"
    v = raw["passwordPolicies"]
    if v is None:
        return False
    if not isinstance(v, str):
        return None
    return "disablepasswordexpiration" in {p.strip().casefold() for p in v.split(",")}


def _must_change(raw: Mapping[str, Any]) -> bool | None:
    profile = raw.get("passwordProfile")
    return _bool(profile, "forceChangePasswordNextSignIn") if isinstance(profile, Mapping) else None


def _last_sign_in(raw: Mapping[str, Any]) -> datetime | None:
    if "signInActivity" not in raw or not isinstance(raw["signInActivity"], Mapping):
        return None
    act = raw["signInActivity"]
    keys = ("lastSignInDateTime", "lastNonInteractiveSignInDateTime", "lastSuccessfulSignInDateTime")
    if not any(k in act for k in keys):
        return None
    seen = [d for d in (parse_dt(act.get(k)) for k in keys) if d is not None]
    return max(seen) if seen else NEVER


def _year_group(ctx: UserContext, attrs: Mapping[str, str], edu: Mapping[str, Any] | None) -> int | None:
    student = edu.get("student") if edu else None
    student = student if isinstance(student, Mapping) else {}
    for where in ctx.year_group_from:
        value: int | None = None
        if where == "birth_date" and isinstance(student.get("birthDate"), str):
            try:
                value = year_group_from_birth(date.fromisoformat(student["birthDate"]), ctx.today)
            except ValueError:
                value = None
        elif where == "grade" and isinstance(student.get("grade"), str):
            parsed = parse_year_group(student["grade"])
            value = None if parsed is None else parsed + ctx.grade_offset
        elif where == "attribute":
            value = ctx.classifier.year_group(attrs)
        if value is not None:
            return value
    return None


def map_user(raw: Mapping[str, Any], ctx: UserContext) -> Account:
    uid = str(raw["id"])
    upn = _str(raw, "userPrincipalName")
    edu = ctx.education.get(uid) if ctx.education is not None else None
    attrs: dict[str, str] = {}
    for name in ctx.attributes:
        value = lookup(edu, name) if name in EDU_ATTRIBUTES and edu else lookup(raw, name)
        if value is not None:
            attrs[name] = value
    department = _str(raw, "department")
    role = ctx.classifier.role(department, None, attrs)
    never = _never_expires(raw)
    max_age: int | None = None
    if never is True:
        max_age = 0
    elif never is False and upn and "@" in upn and ctx.domains is not None:
        max_age = ctx.domains.get(upn.rsplit("@", 1)[1].casefold())
    reg = ctx.mfa.get(uid) if ctx.mfa is not None else None
    return Account(
        source=ctx.source,
        id=uid,
        upn=upn,
        display_name=_str(raw, "displayName"),
        username=upn.split("@", 1)[0] if upn else None,
        role=role,
        year_group=_year_group(ctx, attrs, edu) if role is Role.PUPIL else None,
        enabled=_bool(raw, "accountEnabled"),
        password_last_set=parse_dt(raw.get("lastPasswordChangeDateTime")),
        must_change_password=_must_change(raw),
        password_never_expires=never,
        password_max_age_days=max_age,
        last_logon=_last_sign_in(raw) if ctx.sign_in else None,
        mfa_registered=_bool(reg, "isMfaRegistered") if reg is not None else None,
        is_admin=_bool(reg, "isAdmin") if reg is not None else None,
        external_id=_str(raw, "employeeId"),
        container=department,
        attributes=MappingProxyType(attrs),
    )


def _form_factor(platform: Platform | None, os_name: str, model: str) -> FormFactor | None:
    m = model.casefold()
    if os_name == "ipados" or (platform is Platform.IOS and "ipad" in m):
        return FormFactor.TABLET
    if platform is Platform.IOS and "iphone" in m:
        return FormFactor.PHONE
    if platform is Platform.MACOS:
        if "macbook" in m:
            return FormFactor.LAPTOP
        if any(w in m for w in ("imac", "mac mini", "macmini", "mac pro", "macpro", "mac studio")):
            return FormFactor.DESKTOP
    return None  # Windows, Android and ChromeOS do not say in v1.0


def antivirus_current(state: Any) -> bool | None:
    """From windowsProtectionState: protection on and signatures not overdue."""
    if not isinstance(state, Mapping):
        return None
    rt, mp = _bool(state, "realTimeProtectionEnabled"), _bool(state, "malwareProtectionEnabled")
    overdue = _bool(state, "signatureUpdateOverdue")
    if rt is False or mp is False or overdue is True:
        return False
    if rt is True and mp is True and overdue is False:
        return True
    return None


def map_device(
    source: str,
    raw: Mapping[str, Any],
    protection: Any = None,
    tracked: frozenset[str] | None = None,
    inventoried: frozenset[str] | None = None,
) -> Device:
    """``tracked``: devices where a named tracking app was detected; ``inventoried``: devices whose
    app inventory was read. Tracking is False only for an inventoried device without the app."""
    did = str(raw["id"])
    os_name = (_str(raw, "operatingSystem") or "").casefold()
    platform = _PLATFORMS.get(os_name)
    agent = (_str(raw, "managementAgent") or "").casefold()
    jb = _str(raw, "jailBroken")
    tracking: bool | None = None
    if tracked is not None and did in tracked:
        tracking = True
    elif tracked is not None and inventoried is not None and did in inventoried:
        tracking = False
    return Device(
        source=source,
        id=did,
        name=_str(raw, "deviceName"),
        platform=platform,
        form_factor=_form_factor(platform, os_name, _str(raw, "model") or ""),
        os_version=_str(raw, "osVersion"),
        ownership=_OWNERS.get((_str(raw, "managedDeviceOwnerType") or "").casefold()),
        assigned_user=_str(raw, "userPrincipalName"),
        encrypted=_bool(raw, "isEncrypted"),
        managed=True if agent in _MDM else False if agent in _NOT_MDM else None,
        tracking=tracking,
        antivirus_current=antivirus_current(protection) if platform is Platform.WINDOWS else None,
        jailbroken=_JAILBROKEN.get(jb.casefold()) if jb else None,
        last_check_in=parse_dt(raw.get("lastSyncDateTime")),
    )
