"""Reading Entra ID and Intune through the real msgraph-sdk pipeline, against the project's server."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import httpx
import pytest

from enforcer.model.values import Account, Device, DomainPolicy, FormFactor, Ownership, Platform, Role
from tests.services.graph_server import GraphServer

pytestmark = pytest.mark.graph


def by_name(records: list) -> dict:
    out = {}
    for r in records:
        key = r.upn.split("@")[0] if isinstance(r, Account) else r.name
        out[key] = r
    return out


def test_reads_every_collection_and_maps_it(make_source):
    records = list(make_source().collect())
    kinds = [type(r).__name__ for r in records]
    assert kinds.count("DomainPolicy") == 3 and kinds.count("Account") == 9 and kinds.count("Device") == 9
    r = by_name(records)

    domains = {d.id: d.max_password_age_days for d in records if isinstance(d, DomainPolicy)}
    assert domains == {
        "stexampleprimary.onmicrosoft.com": 90,
        "stexample.sch.uk": 90,
        "legacy.stexample.org.uk": 0,
    }

    jane, tom, head = r["jane.smith"], r["tom.brown"], r["admin.head"]
    assert (jane.role, jane.enabled, jane.password_never_expires, jane.password_max_age_days) == (
        Role.STAFF,
        True,
        False,
        90,
    )
    assert jane.password_last_set == datetime(2024, 12, 1, 8, tzinfo=UTC)
    assert jane.last_logon == datetime(2025, 1, 14, 9, tzinfo=UTC)  # the later of the two sign-ins
    assert (jane.mfa_registered, jane.is_admin, jane.container, jane.must_change_password) == (
        True,
        False,
        "Teaching",
        False,
    )
    assert (tom.password_never_expires, tom.password_max_age_days) == (True, 0)
    assert (head.password_never_expires, head.password_max_age_days, head.is_admin, head.mfa_registered) == (
        False,
        0,
        True,
        False,
    )  # "None" policies; the legacy domain never expires

    amy, leo, mia = r["amy.r"], r["leo.k"], r["mia.o"]
    assert (amy.role, amy.year_group) == (Role.PUPIL, 0)  # born March 2020: Reception in 2024/25
    assert (leo.role, leo.year_group) == (Role.PUPIL, 4)
    assert (mia.role, mia.year_group) == (Role.PUPIL, None)  # no birth date, no year-group attribute
    assert amy.attributes["primaryRole"] == "student"
    assert amy.last_logon == datetime(1, 1, 1, tzinfo=UTC)  # Graph's 0001-01-01: never signed in
    assert r["wifi.visitor"].role is Role.UNKNOWN
    assert r["sam.leaver"].enabled is False

    laptop, staff_lt, office = r["STU-LT-0142"], r["STAFF-LT-0007"], r["OFFICE-PC-02"]
    assert (laptop.platform, laptop.form_factor, laptop.ownership, laptop.encrypted, laptop.managed) == (
        Platform.WINDOWS,
        None,
        Ownership.SCHOOL,
        False,
        True,
    )
    assert (laptop.antivirus_current, staff_lt.antivirus_current, office.antivirus_current) == (
        False,
        True,
        None,
    )
    assert (laptop.tracking, staff_lt.tracking) == (False, True)
    ipad7, ipad8, phone = r["Classroom-3B-iPad-07"], r["Classroom-3B-iPad-08"], r["Tom's iPhone"]
    assert (ipad7.platform, ipad7.form_factor, ipad7.jailbroken, ipad7.tracking) == (
        Platform.IOS,
        FormFactor.TABLET,
        False,
        False,
    )
    assert (ipad8.form_factor, ipad8.tracking) == (FormFactor.TABLET, True)  # "iOS" + iPad model
    assert (phone.form_factor, phone.ownership) == (FormFactor.PHONE, Ownership.PERSONAL)
    tab, mac = r["Nursery-Tab-01"], r["HEAD-MBA"]
    assert (tab.platform, tab.managed, tab.jailbroken, tab.tracking, tab.form_factor) == (
        Platform.ANDROID,
        True,
        None,
        None,
        None,
    )  # no app inventory read for it: unknown
    assert (mac.platform, mac.form_factor, mac.encrypted) == (Platform.MACOS, FormFactor.LAPTOP, True)
    for d in records:
        if isinstance(d, Device):
            assert d.passcode_required is None and d.firewall_on is None  # v1.0 does not say


def test_unknown_enum_values_and_missing_properties_are_none(make_source):
    r = by_name(list(make_source().collect()))
    mystery = r["MYSTERY-01"]
    assert (
        mystery.platform,
        mystery.ownership,
        mystery.managed,
        mystery.jailbroken,
        mystery.encrypted,
        mystery.last_check_in,
        mystery.os_version,
    ) == (None,) * 7
    odd = r["odd.one"]
    assert (
        odd.enabled,
        odd.password_never_expires,
        odd.password_max_age_days,
        odd.password_last_set,
        odd.last_logon,
        odd.mfa_registered,
        odd.must_change_password,
    ) == (None,) * 7


def test_select_is_sent_on_every_collection(make_source, server: GraphServer):
    list(make_source().collect())
    gets = [s for s in server.seen if s.method == "GET" and not s.path.endswith("windowsProtectionState")]
    assert gets and all("$select" in s.query for s in gets), [s.path for s in gets]
    users = server.requests_to(r"/v1.0/users$")[0].query["$select"].split(",")
    assert {"accountEnabled", "passwordPolicies", "signInActivity"} <= set(users)


def test_users_without_select_lack_account_enabled(server: GraphServer, auth: dict):
    """The pitfall the connector designs around, reproduced by the server."""
    reply = httpx.get(server.base_url + "/users", headers=auth).json()
    assert reply["value"] and all(
        "accountEnabled" not in u and "passwordPolicies" not in u for u in reply["value"]
    )


def test_sign_in_activity_only_when_configured(make_source, server: GraphServer):
    records = list(make_source(read={"sign_in_activity": False}).collect())
    query = server.requests_to(r"/v1.0/users$")[0].query
    assert "signInActivity" not in query["$select"] and query["$top"] == "999"
    assert all(a.last_logon is None for a in records if isinstance(a, Account))


def test_sign_in_pages_are_capped_at_120(make_source, server: GraphServer, tenant):
    base = tenant.users[0]
    tenant.users.extend(
        dict(copy.deepcopy(base), id=f"bulk-{i}", userPrincipalName=f"bulk{i}@stexample.sch.uk")
        for i in range(250)
    )
    records = list(make_source(read={"devices": False}).collect())
    assert sum(isinstance(r, Account) for r in records) == 259
    assert len(server.requests_to(r"/v1.0/users$")) == 3  # 120 + 120 + 19


def test_paging_follows_next_link_to_the_end_even_across_empty_pages(make_source, server: GraphServer):
    server.caps.update({"/deviceManagement/managedDevices": 2, "/users": 4})
    server.empty_pages["/deviceManagement/managedDevices"] = {0, 4, 8}
    server.empty_pages["/users"] = {4}
    records = list(make_source(read={"sign_in_activity": False}).collect())
    assert sum(isinstance(r, Device) for r in records) == 9
    assert sum(isinstance(r, Account) for r in records) == 9
    device_gets = server.requests_to(r"/v1.0/deviceManagement/managedDevices$")
    assert len(device_gets) == 5 + 3  # five pages of two, three empty pages carrying a nextLink
    assert all(s.query.get("$select") for s in device_gets)  # nextLinks keep the $select
    assert len(server.requests_to(r"/v1.0/users$")) == 3 + 1


def test_protection_state_is_batched_with_relative_urls(make_source, server: GraphServer, tenant):
    base = tenant.devices[1]
    for i in range(45):
        dev = dict(copy.deepcopy(base), id=f"win-{i:03d}", deviceName=f"LAB-PC-{i:03d}")
        tenant.devices.append(dev)
        tenant.protection[dev["id"]] = dict(tenant.protection[base["id"]], signatureUpdateOverdue=i % 2 == 0)
    records = [r for r in make_source().collect() if isinstance(r, Device)]
    batches = [s for s in server.seen if s.path == "/v1.0/$batch"]
    sizes = [len(b.body["requests"]) for b in batches]
    assert max(sizes) <= 20 and sum(sizes) == 48  # 3 Windows fixtures + 45 lab PCs
    assert all(item["url"].startswith("/deviceManagement/") for b in batches for item in b.body["requests"])
    lab = {d.name: d.antivirus_current for d in records if d.name and d.name.startswith("LAB-PC-")}
    assert lab == {f"LAB-PC-{i:03d}": i % 2 == 1 for i in range(45)}
    assert not server.requests_to("windowsProtectionState") or all(
        s.in_batch for s in server.requests_to("windowsProtectionState")
    )


def test_server_rejects_absolute_batch_urls_item_by_item(server: GraphServer, tenant, auth: dict):
    body = {
        "requests": [
            {
                "id": "1",
                "method": "GET",
                "url": server.base_url + f"/deviceManagement/managedDevices/{tenant.devices[0]['id']}"
                "/windowsProtectionState",
            }
        ]
    }
    reply = httpx.post(server.base_url + "/$batch", json=body, headers=auth).json()
    assert reply["responses"][0]["status"] == 400


def test_throttled_batch_items_are_retried(make_source, server: GraphServer):
    server.inject(r"windowsProtectionState$", status=429, retry_after="0", times=2)
    records = by_name(list(make_source().collect()))
    assert records["STAFF-LT-0007"].antivirus_current is True
    assert len([s for s in server.seen if s.path == "/v1.0/$batch"]) >= 2


def test_tracking_is_unknown_when_the_pack_names_no_software(make_source, server: GraphServer):
    records = list(make_source(tracking=()).collect())  # devices stream page by page here
    devices = by_name([d for d in records if isinstance(d, Device)])
    assert len(devices) == 9 and all(d.tracking is None for d in devices.values())
    assert (devices["STAFF-LT-0007"].antivirus_current, devices["STU-LT-0142"].antivirus_current) == (
        True,
        False,
    )
    assert sum(isinstance(r, Account) for r in records) == 9
    assert not server.requests_to("detectedApps")


def test_no_inventory_probe_means_no_false(make_source):
    records = by_name(list(make_source(inventory_probe_apps=0).collect()))
    assert records["STAFF-LT-0007"].tracking is True
    assert records["Classroom-3B-iPad-07"].tracking is None  # never shown absent: unknown, not False


def test_check_reports_the_connection(make_source, server: GraphServer):
    results = make_source().check()
    assert results[0].capability == "token" and all(r.ok for r in results)
    assert server.requests_to(r"/v1.0/users$")[0].query == {"$select": "id", "$top": "1"}


def test_collect_works_when_called_from_async_code(make_source):
    import asyncio

    async def inside_a_loop() -> list:
        return list(make_source().collect())

    records = asyncio.run(inside_a_loop())
    assert (
        sum(isinstance(r, Device) for r in records) == 9 and sum(isinstance(r, Account) for r in records) == 9
    )
