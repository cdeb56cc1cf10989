"""What the project's Graph server answers, without the HTTP: one tenant's data and the routes.

Split from ``graph_server.py`` so the Graph semantics the connector depends on (absolute
``@odata.nextLink``s, a page-size cap per endpoint, 120 for users with signInActivity,
``$select`` projection, where users without it lack accountEnabled and passwordPolicies,
Graph's error envelope, the action endpoints and user PATCHes) read apart from the
transport, the request log and the injected faults, which live in ``graph_server.py``.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

V = "/v1.0"
USER_DEFAULT = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)
PAGE_CAPS = {
    "/users": 999,
    "/education/users": 100,
    "/reports/authenticationMethods/userRegistrationDetails": 1000,
    "/domains": 1000,
    "/deviceManagement/managedDevices": 1000,
    "/deviceManagement/detectedApps": 50,
    "/deviceManagement/detectedApps/*/managedDevices": 200,
}
DEVICE_ACTIONS = ("syncDevice", "windowsDefenderUpdateSignatures", "remoteLock")
CODES = {
    400: "BadRequest",
    401: "InvalidAuthenticationToken",
    404: "Request_ResourceNotFound",
    429: "TooManyRequests",
    500: "InternalServerError",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


@dataclass
class Tenant:
    users: list[dict] = field(default_factory=list)
    education_users: list[dict] = field(default_factory=list)
    registrations: list[dict] = field(default_factory=list)
    domains: list[dict] = field(default_factory=list)
    devices: list[dict] = field(default_factory=list)
    protection: dict[str, dict] = field(default_factory=dict)
    detected_apps: list[dict] = field(default_factory=list)
    app_devices: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Tenant:
        return cls(**strip(json.loads(path.read_text(encoding="utf-8"))))


def strip(doc: Any) -> Any:
    """Drop annotation keys (``_note``, ``_source``) as the samples' README asks."""
    if isinstance(doc, dict):
        return {k: strip(v) for k, v in doc.items() if not k.startswith("_")}
    if isinstance(doc, list):
        return [strip(v) for v in doc]
    return doc


def envelope(status: int, message: str) -> dict:
    return {
        "error": {
            "code": CODES.get(status, "UnknownError"),
            "message": message,
            "innerError": {
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": str(uuid.uuid4()),
                "client-request-id": str(uuid.uuid4()),
            },
        }
    }


class GraphRoutes:
    """Graph's answer to one request as ``(status, headers, body)``; ``$batch`` items come here too."""

    def __init__(self, tenant: Tenant, caps: dict[str, int] | None = None) -> None:
        self.tenant = tenant
        self.caps = {**PAGE_CAPS, **(caps or {})}
        self.empty_pages: dict[str, set[int]] = {}
        """Collection path -> offsets where an empty page with a nextLink comes first."""

    @property
    def base_url(self) -> str:
        """Absolute nextLinks and contexts need the served address, which only the server knows."""
        raise NotImplementedError

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, dict, Any]:
        if not path.startswith(V + "/"):
            return 404, {}, envelope(404, f"Resource '{path}' does not exist")
        p = path[len(V) :]
        t = self.tenant
        if method == "GET":
            collections = {
                "/users": t.users,
                "/education/users": t.education_users,
                "/reports/authenticationMethods/userRegistrationDetails": t.registrations,
                "/domains": t.domains,
                "/deviceManagement/managedDevices": t.devices,
                "/deviceManagement/detectedApps": t.detected_apps,
            }
            if p in collections:
                return self._page(p, p, collections[p], query)
            m = re.fullmatch(r"/deviceManagement/detectedApps/([^/]+)/managedDevices", p)
            if m:
                ids = set(t.app_devices.get(m.group(1), ()))
                rows = [d for d in t.devices if d["id"] in ids]
                return self._page(p, "/deviceManagement/detectedApps/*/managedDevices", rows, query)
            m = re.fullmatch(r"/deviceManagement/managedDevices/([^/]+)/windowsProtectionState", p)
            if m:
                state = t.protection.get(m.group(1))
                if state is None:
                    return 404, {}, envelope(404, "windowsProtectionState not found")
                return (
                    200,
                    {},
                    {"@odata.context": f"{self.base_url}/$metadata#windowsProtectionState/$entity", **state},
                )
            m = re.fullmatch(r"/users/([^/]+)", p)
            if m:
                user = self._user(m.group(1))
                if user is None:
                    return 404, {}, envelope(404, f"Resource '{m.group(1)}' does not exist")
                return 200, {}, _project(user, query.get("$select"), USER_DEFAULT)
        if method == "POST":
            m = re.fullmatch(r"/deviceManagement/managedDevices/([^/]+)/(\w+)", p)
            if m and m.group(2) in DEVICE_ACTIONS:
                if not any(d["id"] == m.group(1) for d in t.devices):
                    return 404, {}, envelope(404, f"managedDevice '{m.group(1)}' not found")
                return 204, {}, None
            m = re.fullmatch(r"/users/([^/]+)/revokeSignInSessions", p)
            if m:
                if self._user(m.group(1)) is None:
                    return 404, {}, envelope(404, f"Resource '{m.group(1)}' does not exist")
                return 200, {}, {"@odata.context": f"{self.base_url}/$metadata#Edm.Boolean", "value": True}
        if method == "PATCH":
            m = re.fullmatch(r"/users/([^/]+)", p)
            if m:
                user = self._user(m.group(1))
                if user is None:
                    return 404, {}, envelope(404, f"Resource '{m.group(1)}' does not exist")
                if not isinstance(body, dict):
                    return 400, {}, envelope(400, "a JSON object is required")
                for k, v in body.items():
                    if k == "passwordProfile" and isinstance(v, dict):
                        user.setdefault("passwordProfile", {}).update(
                            {kk: vv for kk, vv in v.items() if not kk.startswith("@")}
                        )
                    elif not k.startswith("@"):
                        user[k] = v
                return 204, {}, None
        return 404, {}, envelope(404, f"Resource '{p}' does not exist for {method}")

    def _user(self, key: str) -> dict | None:
        return next((u for u in self.tenant.users if key in (u.get("id"), u.get("userPrincipalName"))), None)

    def _page(
        self, path: str, cap_key: str, rows: list[dict], query: dict[str, str]
    ) -> tuple[int, dict, Any]:
        select = query.get("$select")
        cap = self.caps[cap_key]
        if path == "/users" and select and "signinactivity" in select.casefold():
            cap = min(cap, 120)
        try:
            top = int(query.get("$top", cap))
        except ValueError:
            return 400, {}, envelope(400, "Invalid $top")
        size = max(1, min(top, cap))
        token = query.get("$skiptoken", "o0")
        offset = int(token[1:])
        if token[0] == "o" and offset in self.empty_pages.get(path, ()):
            return (
                200,
                {},
                {
                    "@odata.context": self.base_url + "/$metadata",
                    "value": [],
                    "@odata.nextLink": self._link(path, query, f"e{offset}"),
                },
            )
        chunk = rows[offset : offset + size]
        doc: dict[str, Any] = {
            "@odata.context": f"{self.base_url}/$metadata#{path.lstrip('/')}",
            "value": [_project(r, select, USER_DEFAULT if path == "/users" else None) for r in chunk],
        }
        if offset + size < len(rows):
            doc["@odata.nextLink"] = self._link(path, query, f"o{offset + size}")
        return 200, {}, doc

    def _link(self, path: str, query: dict[str, str], token: str) -> str:
        keep = {k: v for k, v in query.items() if k in ("$select", "$top")}
        keep["$skiptoken"] = token
        return f"{self.base_url}{path}?" + "&".join(f"{k}={v}" for k, v in keep.items())


def _project(row: dict, select: str | None, default: tuple[str, ...] | None) -> dict:
    if select:
        wanted = {s.strip() for s in select.split(",")} | {"id"}
    elif default is not None:
        wanted = set(default)
    else:
        return dict(row)
    return {k: v for k, v in row.items() if k in wanted or k.startswith("@odata.type")}
