"""What ``enforcer config check`` asks Graph: one small request per area the reader reads.

Why per area: each area needs its own application permission (docs/graph.md), and a token
that reads users may still get 403 on Intune. The reader fails the whole source on any such
refusal, so each area is probed on its own and reported with what its loss costs. A 401, a
refused token or no connection at all means nothing can be read: that raises, as ``collect``
would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from connectors.graph.client import GraphClient, GraphRequestError
from enforcer.sources.interface import CheckResult

FAILS_RUN = "the run fails this source (incomplete, exit 3)"


@dataclass(frozen=True, slots=True)
class Area:
    name: str
    path: str
    params: dict[str, Any]
    permission: str


USERS = Area("users", "/users", {"$select": "id", "$top": 1}, "User.Read.All")
AREAS = {
    "users": USERS,
    "sign_in_activity": Area(
        "sign-in activity", "/users", {"$select": "id,signInActivity", "$top": 1}, "AuditLog.Read.All"
    ),
    "education": Area(
        "education users", "/education/users", {"$select": "id", "$top": 1}, "EduRoster.Read.All"
    ),
    "mfa": Area(
        "MFA registration details",
        "/reports/authenticationMethods/userRegistrationDetails",
        {"$select": "id", "$top": 1},
        "AuditLog.Read.All",
    ),
    "domains": Area("domains", "/domains", {"$select": "id"}, "Domain.Read.All"),
    "devices": Area(
        "managed devices",
        "/deviceManagement/managedDevices",
        {"$select": "id", "$top": 1},
        "DeviceManagementManagedDevices.Read.All",
    ),
    "detected_apps": Area(
        "detected apps",
        "/deviceManagement/detectedApps",
        {"$select": "id", "$top": 1},
        "DeviceManagementManagedDevices.Read.All",
    ),
}


def areas(client: GraphClient, tracking_apps: Sequence[str]) -> list[Area]:
    """The areas ``reader.read_all`` will read with these settings, in the same conditions."""
    r = client.settings.read
    wanted = []
    if r.users:
        wanted.append("users")
        wanted += [k for k in ("sign_in_activity", "education", "mfa") if getattr(r, k)]
    if r.domains:
        wanted.append("domains")
    if r.devices:
        wanted.append("devices")
        if r.detected_apps and tracking_apps:
            wanted.append("detected_apps")
    return [AREAS[k] for k in wanted]


async def check(client: GraphClient, tracking_apps: Sequence[str]) -> list[CheckResult]:
    """A token line, then one line per area; the token is proved by the first area's answer."""
    wanted = areas(client, tracking_apps)
    if not wanted:
        return [CheckResult("token", True, "not tried: the settings read nothing")]
    out: list[CheckResult] = []
    for area in wanted:
        try:
            await client.get(area.path, area.params)
        except GraphRequestError as exc:
            if exc.status is None or exc.status == 401:
                raise  # no connection, or the token itself is refused: nothing is readable
            out.append(CheckResult(area.name, False, f"{exc} (needs {area.permission})", FAILS_RUN))
        else:
            out.append(CheckResult(area.name, True, "readable"))
    token = CheckResult("token", True, f"accepted by {client.settings.base_url}")
    return [token, *out]
