"""Devices of the demo school: Windows laptops and desktops, iPads, Chromebooks, phones.

Fields a management system does not report for a platform are left ``None``
(anti-virus is reported for Windows and Android, the firewall for Windows
only; jailbreak for iOS, Android and ChromeOS only); a pack narrows those rules by platform. Desktops
carry no tracking software (they are not mobile), which is a fact, not a gap.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from connectors.demo.people import Planter, few, new_id
from connectors.demo.settings import Settings
from enforcer.model.values import Device, FormFactor, Ownership, Platform


@dataclass(frozen=True)
class _Kind:
    key: str
    share: float
    platform: Platform | None  # None: alternate Android and iOS
    form: FormFactor
    prefix: str
    assigned: bool
    ownership: Ownership = Ownership.SCHOOL


_KINDS = (
    _Kind("staff-laptop", 0.24, Platform.WINDOWS, FormFactor.LAPTOP, "LT", True),
    _Kind("pupil-laptop", 0.12, Platform.WINDOWS, FormFactor.LAPTOP, "LTP", False),
    _Kind("desktop", 0.12, Platform.WINDOWS, FormFactor.DESKTOP, "PC", False),
    _Kind("ipad", 0.28, Platform.IOS, FormFactor.TABLET, "IPAD", False),
    _Kind("chromebook", 0.18, Platform.CHROMEOS, FormFactor.LAPTOP, "CB", False),
    _Kind("school-phone", 0.04, None, FormFactor.PHONE, "PH", True),
    _Kind("personal-phone", 0.02, None, FormFactor.PHONE, "BYOD", True, Ownership.PERSONAL),
)

_CURRENT = {
    Platform.WINDOWS: lambda r: r.choice(("10.0.22631.", "10.0.26100.")) + str(r.randint(4890, 4900)),
    Platform.IOS: lambda r: r.choice(("17.6.1", "17.7", "17.7.2")),
    Platform.CHROMEOS: lambda r: r.choice(("126.0.6478.222", "127.0.6533.103")),
    Platform.ANDROID: lambda r: r.choice(("14", "13")),
}
_OUTDATED = {
    Platform.WINDOWS: "10.0.19045.3803",
    Platform.IOS: "15.8.3",
    Platform.CHROMEOS: "103.0.5060.132",
    Platform.ANDROID: "9",
}


_AV_REPORTED = (Platform.WINDOWS, Platform.ANDROID)  # Defender / Play Protect report through MDM


def _counts(total: int) -> list[int]:
    raw = [total * k.share for k in _KINDS]
    counts = [int(v) for v in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _baseline(rng: random.Random, kind: _Kind, platform: Platform, ref: datetime) -> dict[str, Any]:
    windows = platform is Platform.WINDOWS
    return {
        "platform": platform,
        "form_factor": kind.form,
        "os_version": _CURRENT[platform](rng),
        "ownership": kind.ownership,
        "encrypted": True,
        "managed": True,
        "tracking": kind.form is not FormFactor.DESKTOP and kind.ownership is Ownership.SCHOOL,
        "antivirus_current": True if platform in _AV_REPORTED else None,
        "firewall_on": True if windows else None,
        "jailbroken": None if windows else False,
        "passcode_required": True,
        "last_check_in": ref - timedelta(hours=rng.uniform(0.5, 72)),
        "last_os_update": ref - timedelta(days=rng.uniform(1, 12)),
    }


def make_devices(
    settings: Settings, source: str, ref: datetime, staff: tuple[str, ...], planter: Planter
) -> tuple[Device, ...]:
    rng = random.Random(f"{settings.seed}:devices")
    initials = "".join(w[0] for w in settings.school.split() if w[:1].isalpha()).upper() or "DS"
    rows: list[dict[str, Any]] = []
    for kind, count in zip(_KINDS, _counts(settings.devices), strict=True):
        for i in range(count):
            platform = kind.platform or (Platform.ANDROID if i % 2 == 0 else Platform.IOS)
            row = _baseline(rng, kind, platform, ref)
            user = staff[(i * 7 + len(rows)) % len(staff)] if kind.assigned and staff else None
            name = f"{initials}-{kind.prefix}-{i + 1:03d}"
            if kind.ownership is Ownership.PERSONAL:
                name = f"{user or 'staff'}-{'iPhone' if platform is Platform.IOS else 'Android'}"
            row.update(source=source, id=new_id(rng), name=name, assigned_user=user, _kind=kind.key)
            rows.append(row)
    _plant(rng, rows, ref, planter)
    for r in rows:
        r["notes"] = MappingProxyType(r.get("notes", {}))
    return tuple(Device(**{k: v for k, v in r.items() if k != "_kind"}) for r in rows)


def _plant(rng: random.Random, rows: list[dict[str, Any]], ref: datetime, planter: Planter) -> None:
    used: set[int] = set()

    def pick(kinds: tuple[str, ...], k: int, platform: Platform | None = None) -> list[dict[str, Any]]:
        pool = [
            i
            for i, r in enumerate(rows)
            if r["_kind"] in kinds and i not in used and (platform is None or r["platform"] is platform)
        ]
        chosen = sorted(rng.sample(pool, min(k, len(pool))))
        used.update(chosen)
        return [rows[i] for i in chosen]

    def plant(
        name: str, kinds: tuple[str, ...], k: int, platform: Platform | None = None, **fields: Any
    ) -> None:
        for row in pick(kinds, k, platform):
            row.update(fields)
            planter.add(name, row["id"])

    computers = ("staff-laptop", "pupil-laptop", "desktop")
    mobile = ("ipad", "school-phone")
    n_comp = sum(1 for r in rows if r["_kind"] in computers)
    n_mob = sum(1 for r in rows if r["_kind"] in mobile)
    n_win = n_comp
    plant("computer_not_encrypted", computers, few(n_comp, 0.03), encrypted=False)
    plant(
        "unknown_device_encrypted",
        ("staff-laptop",),
        1,
        encrypted=None,
        notes={"encrypted": "no BitLocker status reported since the device was re-imaged"},
    )
    plant("mobile_not_managed", mobile, few(n_mob, 0.03), managed=False)
    plant(
        "unknown_device_managed",
        ("school-phone",),
        1,
        managed=None,
        notes={"managed": "enrolment is pending: the user has not accepted the MDM profile"},
    )
    plant("mobile_without_tracking", mobile, few(n_mob, 0.03), tracking=False)
    plant("unknown_device_tracking", ("ipad",), 1, tracking=None)
    plant("device_without_passcode", mobile, few(n_mob, 0.06), passcode_required=False)
    plant("unknown_device_passcode", ("ipad",), 1, passcode_required=None)
    for kinds, platform, k, age in (
        (computers, Platform.WINDOWS, 2, 400),
        (("ipad",), Platform.IOS, 2, 300),
        (("chromebook",), Platform.CHROMEOS, 1, 700),
        (("school-phone",), Platform.ANDROID, 1, 900),
    ):
        plant(
            "os_outdated",
            kinds,
            k,
            platform,
            os_version=_OUTDATED[platform],
            last_os_update=ref - timedelta(days=age),
        )
    plant(
        "unknown_device_os",
        computers,
        1,
        os_version=None,
        last_os_update=None,
        notes={"os_version": "the device has never completed an inventory scan"},
    )
    plant(
        "security_updates_overdue",
        computers + ("ipad", "chromebook"),
        few(len(rows), 0.02),
        last_os_update=ref - timedelta(days=rng.uniform(20, 45)),
    )
    plant("antivirus_not_current", computers, few(n_win, 0.025), antivirus_current=False)
    plant("unknown_device_antivirus", computers, 1, antivirus_current=None)
    plant("firewall_off", computers, few(n_win, 0.015), firewall_on=False)
    plant("unknown_device_firewall", computers, 1, firewall_on=None)
    plant("device_jailbroken", ("ipad",), 1, jailbroken=True)
    plant("device_jailbroken", ("personal-phone",), 1, jailbroken=True)
    plant("unknown_device_jailbroken", ("ipad",), 1, jailbroken=None)
    plant("device_not_checked_in_30_days", ("chromebook", "ipad"), 2, last_check_in=ref - timedelta(days=75))
