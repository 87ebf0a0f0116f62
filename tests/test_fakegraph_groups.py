"""Self-tests of the fake Graph's group-based licensing (tests/fakegraph_groups.py), through real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fakegraph_catalog
import pytest
from fakegraph import FakeGraph, from_snapshot
from fakegraph_catalog import group_id
from fakegraph_groups import GROUP_ID
from fakegraph_plans import SKUS as PLAN_SKUS
from test_fakegraph import call

TENANT = "2f1c0b5e-7a4d-4c1e-9f55-3c2a9d1e8b70"
E5, E3 = PLAN_SKUS["ENTERPRISEPREMIUM"].sku_id, PLAN_SKUS["ENTERPRISEPACK"].sku_id
MCOEV, PSTN1, PSTN2 = (PLAN_SKUS[p].sku_id for p in ("MCOEV", "MCOPSTN1", "MCOPSTN2"))
PAYG_PART = "Microsoft_Teams_Calling_Plan_pay_as_you_go_(country_zone_1_US)"
PAYG = PLAN_SKUS[PAYG_PART].sku_id
PHONE_PLAN, PSTN1_PLAN = "4828c8ec-dc2e-4779-b502-87ac9ce28ab7", "4ed3ff63-69d7-4fb7-b984-5aec7f605ca8"
SWAY, YAMMER = "a23b959c-7ce8-4e57-9140-b90eb88a9e97", "7547a3fe-08ee-4ccb-b430-5077c5041653"
SKUS = [
    ("ENTERPRISEPREMIUM", E5, 2),
    ("ENTERPRISEPACK", E3, 10),
    ("MCOEV", MCOEV, 10),
    ("MCOPSTN1", PSTN1, 10),
    ("MCOPSTN2", PSTN2, 10),
    (PAYG_PART, PAYG, 10),
]
NAMES = ("alice", "bob", "carol", "dave", "erin", "frank")
USERS: list[dict[str, Any]] = [
    {"userPrincipalName": "alice@x.example", "usageLocation": "US", "licenses": ["ENTERPRISEPREMIUM"]},
    {"userPrincipalName": "bob@x.example", "usageLocation": "US"},
    {"userPrincipalName": "carol@x.example", "usageLocation": "GB"},
    {"userPrincipalName": "dave@x.example", "usageLocation": "DE"},
    {"userPrincipalName": "erin@x.example"},  # no usage location
    {"userPrincipalName": "frank@x.example", "usageLocation": "US", "licenses": ["MCOEV", "MCOPSTN1"]},
]
ADVANCED = {"ConsistencyLevel": "eventual"}
LICENSED = "$filter=assignedLicenses/$count%20ne%200"


def upn(name: str) -> str:
    return f"{name}@x.example"


@pytest.fixture
def tenant() -> Iterator[FakeGraph]:
    """Six users; an unlicensed security group "Sales" of everyone; "Inner", nested in "Outer"."""
    groups: list[dict[str, Any]] = [
        {"displayName": "Sales", "members": [upn(n) for n in NAMES]},
        {"displayName": "Inner", "members": ["carol@x.example"]},
        {"displayName": "Outer", "licenses": ["ENTERPRISEPACK"], "members": ["bob@x.example", "Inner"]},
        {"displayName": "Mail", "securityEnabled": False, "mailEnabled": True, "groupTypes": ["Unified"]},
    ]
    with FakeGraph(tenant_id=TENANT, skus=SKUS, users=USERS, groups=groups) as fake:
        yield fake


def gid(fake: FakeGraph, name: str) -> str:
    return fake._group_named(name).id


def assign_group(fake: FakeGraph, name: str, add: list[dict[str, Any]], remove: list[str]) -> tuple[int, Any]:
    status, _, body = call(
        f"{fake.base_url}/groups/{gid(fake, name)}/assignLicense",
        "POST",
        {"addLicenses": add, "removeLicenses": remove},
    )
    return status, body


def user(fake: FakeGraph, name: str) -> dict[str, Any]:
    props = "id,usageLocation,assignedLicenses,licenseAssignmentStates"
    status, _, body = call(f"{fake.base_url}/users/{upn(name)}?$select={props}")
    assert status == 200 and isinstance(body, dict)
    return body


def follow(url: str | None, headers: dict[str, str] | None = None) -> tuple[list[dict[str, Any]], int]:
    seen, pages = [], 0
    while url:
        status, _, body = call(url, headers=headers)
        assert status == 200, body
        seen += body["value"]
        pages += 1
        url = body.get("@odata.nextLink")
    return seen, pages


# ----- the group resource and its listings (G1-G3) ----------------------------------------------------------
def test_group_resource_default_and_selected_properties(tenant: FakeGraph) -> None:
    status, _, body = call(f"{tenant.base_url}/groups/{gid(tenant, 'Outer')}")
    assert status == 200 and set(body) - {"@odata.context"} == {
        "id",
        "displayName",
        "securityEnabled",
        "mailEnabled",
        "groupTypes",
    }
    url = f"{tenant.base_url}/groups/{gid(tenant, 'Outer')}?$select=id,assignedLicenses,licenseProcessingState"
    body = call(url)[2]
    assert body["assignedLicenses"] == [{"skuId": E3, "disabledPlans": []}]
    assert body["licenseProcessingState"] == {"state": "ProcessingComplete"}
    assert call(f"{tenant.base_url}/groups/{group_id('nope')}")[0] == 404
    status, _, body = call(f"{tenant.base_url}/groups/Sales")
    assert status == 400 and body["error"]["message"] == "Invalid object identifier 'Sales'."
    assert call(f"{tenant.base_url}/groups/{gid(tenant, 'Outer')}?$select=owners")[0] == 400
    body = call(f"{tenant.base_url}/groups/{gid(tenant, 'Outer')}?$select=id,hasMembersWithLicenseErrors")[2]
    assert set(body) == {"@odata.context", "id"}  # filterable, never returned


def test_licensed_groups_are_an_advanced_query(tenant: FakeGraph) -> None:
    status, _, body = call(f"{tenant.base_url}/groups?{LICENSED}")
    assert status == 400 and body["error"]["code"] == "Request_UnsupportedQuery"
    assert "ConsistencyLevel:eventual" in body["error"]["message"] and "'ne'" in body["error"]["message"]
    assert call(f"{tenant.base_url}/groups?{LICENSED}", headers=ADVANCED)[0] == 400  # $count=true missing
    assert call(f"{tenant.base_url}/groups?{LICENSED}&$count=true")[0] == 400  # header missing
    status, _, body = call(f"{tenant.base_url}/groups?{LICENSED}&$count=true&$select=id,displayName", headers=ADVANCED)
    assert status == 200 and body["@odata.count"] == 1 and [g["displayName"] for g in body["value"]] == ["Outer"]
    body = call(f"{tenant.base_url}/groups?$count=true")[2]  # $count without the header: silently ignored
    assert "@odata.count" not in body and len(body["value"]) == 4


def test_licensed_groups_page_with_next_link(tenant: FakeGraph) -> None:
    for n in range(5):
        tenant.add_group({"displayName": f"Team {n}", "licenses": ["ENTERPRISEPACK"]})
    url = f"{tenant.base_url}/groups?{LICENSED}&$count=true&$top=2&$select=id,displayName,assignedLicenses"
    seen, pages = follow(url, ADVANCED)
    assert pages == 3 and [g["displayName"] for g in seen] == ["Outer"] + [f"Team {n}" for n in range(5)]
    second = call(url, headers=ADVANCED)[2]["@odata.nextLink"]
    assert call(second)[0] == 400  # every page of an advanced query needs the header again


def test_groups_with_license_errors_filter_is_not_advanced(tenant: FakeGraph) -> None:
    tenant.set_sku("ENTERPRISEPACK", E3, 0)
    assert assign_group(tenant, "Sales", [{"skuId": E3}], [])[0] == 202
    status, _, body = call(
        f"{tenant.base_url}/groups?$filter=hasMembersWithLicenseErrors%20eq%20true&$select=displayName"
    )
    assert status == 200 and [g["displayName"] for g in body["value"]] == ["Sales"]
    url = f"{tenant.base_url}/groups?$filter=hasMembersWithLicenseErrors%20eq%20true&$count=true"
    assert call(url, headers=ADVANCED)[0] == 400


def test_members_page_and_cast_to_users(tenant: FakeGraph) -> None:
    url = f"{tenant.base_url}/groups/{gid(tenant, 'Sales')}/members/microsoft.graph.user"
    seen, pages = follow(url + "?$top=4&$select=id,userPrincipalName")
    assert pages == 2 and [u["userPrincipalName"] for u in seen] == [upn(n) for n in NAMES]
    assert set(seen[0]) == {"id", "userPrincipalName"}
    body = call(f"{tenant.base_url}/groups/{gid(tenant, 'Outer')}/members")[2]
    assert [(m["@odata.type"], m.get("userPrincipalName", m["displayName"])) for m in body["value"]] == [
        ("#microsoft.graph.user", "bob@x.example"),
        ("#microsoft.graph.group", "Inner"),
    ]
    body = call(
        f"{tenant.base_url}/groups/{gid(tenant, 'Outer')}/members/microsoft.graph.user?$count=true", headers=ADVANCED
    )[2]
    assert [u["userPrincipalName"] for u in body["value"]] == ["bob@x.example"] and body["@odata.count"] == 1


def test_a_nested_group_does_not_license_its_members(tenant: FakeGraph) -> None:
    assert tenant.licenses()["bob@x.example"] == {"ENTERPRISEPACK"}
    assert tenant.licenses()["carol@x.example"] == set() and user(tenant, "carol")["licenseAssignmentStates"] == []
    assert tenant.members("Outer") == ["bob@x.example", "Inner"]


# ----- group assignLicense (G5) ------------------------------------------------------------------------------
def test_group_assign_license_validation(tenant: FakeGraph) -> None:
    status, body = assign_group(tenant, "Sales", [{"skuId": E3, "disabledPlans": [PHONE_PLAN]}], [])
    assert status == 400 and PHONE_PLAN in body["error"]["message"]  # Phone System is no plan of Office 365 E3
    status, _, body = call(
        f"{tenant.base_url}/groups/{gid(tenant, 'Sales')}/assignLicense", "POST", {"addLicenses": []}
    )
    assert status == 400 and "removeLicenses" in body["error"]["message"]
    status, body = assign_group(tenant, "Sales", [{"skuId": "11111111-2222-3333-4444-555555555555"}], [])
    assert status == 400 and "does not correspond to a valid company License" in body["error"]["message"]
    assert assign_group(tenant, "Sales", [], [E5])[0] == 400  # the group has no E5
    assert assign_group(tenant, "Mail", [{"skuId": E3}], [])[0] == 400  # not security-enabled
    status, body = assign_group(tenant, "Sales", [{"skuId": PSTN1}], [])  # an add-on without its prerequisite
    assert status == 400 and body["error"]["message"].startswith(
        f"License assignment failed because service plan {PSTN1_PLAN}"
    )
    assert tenant.groups()["Sales"] == {}


def test_readding_a_sku_replaces_its_disabled_plans(tenant: FakeGraph) -> None:
    status, body = assign_group(tenant, "Outer", [{"skuId": E3, "disabledPlans": [SWAY]}], [])
    assert status == 202 and body["assignedLicenses"] == [{"skuId": E3, "disabledPlans": [SWAY]}]
    assert tenant.groups()["Outer"] == {"ENTERPRISEPACK": ["SWAY"]}
    assert user(tenant, "bob")["assignedLicenses"] == [{"skuId": E3, "disabledPlans": [SWAY]}]
    assert assign_group(tenant, "Outer", [], [E3])[0] == 202
    assert tenant.licenses()["bob@x.example"] == set() and tenant.sku_counts()["ENTERPRISEPACK"] == (10, 0)


def test_group_assign_license_in_a_batch(tenant: FakeGraph) -> None:
    reqs = [
        {
            "id": "1",
            "method": "POST",
            "url": f"/groups/{gid(tenant, 'Sales')}/assignLicense",
            "headers": {"Content-Type": "application/json"},
            "body": {"addLicenses": [{"skuId": E3, "disabledPlans": []}], "removeLicenses": []},
        },
        {"id": "2", "method": "GET", "url": f"/users/{upn('erin')}?$select=assignedLicenses", "dependsOn": ["1"]},
    ]
    status, _, body = call(f"{tenant.base_url}/$batch", "POST", {"requests": reqs})
    by_id = {r["id"]: r for r in body["responses"]}
    assert status == 200 and by_id["1"]["status"] == 202
    assert by_id["2"]["body"]["assignedLicenses"] == [{"skuId": E3, "disabledPlans": []}]  # processed at once


# ----- asynchronous processing (G6, C1) -------------------------------------------------------------------------
def test_manual_processing_licenses_members_only_when_processed(tenant: FakeGraph) -> None:
    tenant.configure(group_processing="manual")
    status, body = assign_group(tenant, "Sales", [{"skuId": E3}], [])
    assert status == 202 and body["assignedLicenses"] == [{"skuId": E3, "disabledPlans": []}]
    url = f"{tenant.base_url}/groups/{gid(tenant, 'Sales')}?$select=licenseProcessingState"
    assert call(url)[2]["licenseProcessingState"] == {"state": "QueuedForProcessing"}
    assert user(tenant, "erin")["assignedLicenses"] == [] and "erin@x.example" in tenant.pending()
    assert tenant.process_groups() == 6
    assert call(url)[2]["licenseProcessingState"] == {"state": "ProcessingComplete"}
    [state] = user(tenant, "erin")["licenseAssignmentStates"]
    assert state["assignedByGroup"] == gid(tenant, "Sales") and (state["state"], state["error"]) == ("Active", "None")
    assert state["skuId"] == E3 and state["lastUpdatedDateTime"].endswith("Z")
    assert user(tenant, "erin")["usageLocation"] is None  # group licensing never sets it (G8)


def test_membership_changed_out_of_band_waits_for_processing(tenant: FakeGraph) -> None:
    tenant.configure(group_processing="manual")
    tenant.add_member("Outer", "dave@x.example")
    tenant.remove_member("Outer", "bob@x.example")
    assert tenant.licenses()["dave@x.example"] == set() and tenant.licenses()["bob@x.example"] == {"ENTERPRISEPACK"}
    assert sorted(tenant.pending()) == ["bob@x.example", "dave@x.example"]
    tenant.configure(group_processing="immediate")  # back to immediate: the queue is processed
    assert tenant.licenses()["dave@x.example"] == {"ENTERPRISEPACK"} and tenant.licenses()["bob@x.example"] == set()
    assert tenant.pending() == []


# ----- units, errors and reprocessing (G7, G9, G11, G12) -------------------------------------------------------
def test_count_violation_and_reprocessing_after_seats_are_added(tenant: FakeGraph) -> None:
    assert assign_group(tenant, "Sales", [{"skuId": E5}], [])[0] == 202  # 2 seats; alice already holds one
    errors = {
        n for n in NAMES if any(s["error"] == "CountViolation" for s in user(tenant, n)["licenseAssignmentStates"])
    }
    assert errors == {"carol", "dave", "erin", "frank"}
    assert "ENTERPRISEPREMIUM" in tenant.licenses()["bob@x.example"]
    assert tenant.sku_counts()["ENTERPRISEPREMIUM"] == (2, 2)
    body = call(f"{tenant.base_url}/subscribedSkus")[2]
    assert next(s for s in body["value"] if s["skuId"] == E5)["consumedUnits"] == 2
    url = f"{tenant.base_url}/groups/{gid(tenant, 'Sales')}/membersWithLicenseErrors?$select=userPrincipalName"
    assert len(call(url)[2]["value"]) == 4
    tenant.set_sku("ENTERPRISEPREMIUM", E5, 4)  # freed or bought seats do not retry failed members (G9)
    assert tenant.licenses()["carol@x.example"] == set()
    status, _, body = call(f"{tenant.base_url}/users/{upn('carol')}/reprocessLicenseAssignment", "POST")
    assert status == 200 and body["assignedLicenses"] == [{"skuId": E5, "disabledPlans": []}]
    tenant.reprocess_group("Sales")
    states = {
        n: [(s["state"], s["error"]) for s in tenant.license_states(upn(n)) if s["group"] == "Sales"] for n in NAMES
    }
    assert states["dave"] == [("Active", "None")] and states["erin"] == [("Error", "CountViolation")]
    assert tenant.sku_counts()["ENTERPRISEPREMIUM"] == (4, 4)


def test_removing_the_direct_copy_keeps_the_inherited_license(tenant: FakeGraph) -> None:
    tenant.set_sku("ENTERPRISEPREMIUM", E5, 5)
    assert assign_group(tenant, "Sales", [{"skuId": E5}], [])[0] == 202
    assert tenant.sku_counts()["ENTERPRISEPREMIUM"] == (5, 5)  # alice: direct and inherited, one unit
    assert [s["assignedByGroup"] for s in user(tenant, "alice")["licenseAssignmentStates"]] == [
        None,
        gid(tenant, "Sales"),
    ]
    url = f"{tenant.base_url}/users/{upn('alice')}/assignLicense"
    status, _, body = call(url, "POST", {"addLicenses": [], "removeLicenses": [E5]})
    assert status == 200 and body["assignedLicenses"] == [{"skuId": E5, "disabledPlans": []}]
    assert [s["assignedByGroup"] for s in user(tenant, "alice")["licenseAssignmentStates"]] == [gid(tenant, "Sales")]
    assert tenant.sku_counts()["ENTERPRISEPREMIUM"] == (5, 5)
    status, _, body = call(url, "POST", {"addLicenses": [], "removeLicenses": [E5]})
    assert status == 400 and "inherited from a group membership" in body["error"]["message"]


def test_a_plan_is_enabled_if_any_assignment_enables_it(tenant: FakeGraph) -> None:
    assert assign_group(tenant, "Sales", [{"skuId": E5, "disabledPlans": [SWAY, YAMMER]}], [])[0] == 202
    url = f"{tenant.base_url}/users/{upn('alice')}/assignLicense"
    assert (
        call(url, "POST", {"addLicenses": [{"skuId": E5, "disabledPlans": [YAMMER]}], "removeLicenses": []})[0] == 200
    )
    assert user(tenant, "alice")["assignedLicenses"] == [{"skuId": E5, "disabledPlans": [YAMMER]}]


def test_leaving_a_group_that_a_direct_add_on_depends_on(tenant: FakeGraph) -> None:
    tenant.add_group({"displayName": "Phones", "licenses": ["MCOEV"], "members": ["frank@x.example"]})
    url = f"{tenant.base_url}/users/{upn('frank')}/assignLicense"
    assert call(url, "POST", {"addLicenses": [], "removeLicenses": [MCOEV]})[0] == 200  # Phones still gives it
    tenant.remove_member("Phones", "frank@x.example")  # the calling plan depends on Phone System
    [state] = [s for s in tenant.license_states(upn("frank")) if s["group"] == "Phones"]
    assert (state["state"], state["error"]) == ("ActiveWithError", "DependencyViolation")
    assert tenant.licenses()["frank@x.example"] == {"MCOEV", "MCOPSTN1"}


def test_usage_location_and_the_directory_default(tenant: FakeGraph) -> None:
    members = [upn(n) for n in ("bob", "carol", "dave")]
    tenant.add_group({"displayName": "Callers", "licenses": ["MCOEV", PAYG_PART], "members": members})
    assert tenant.licenses()["carol@x.example"] == {"MCOEV", PAYG_PART} <= tenant.licenses()["bob@x.example"]
    assert [(s["sku"], s["state"], s["error"]) for s in tenant.license_states(upn("dave"))] == [
        ("MCOEV", "Error", "Other"),  # nothing of a group is assigned when one of its products fails (C2)
        (PAYG_PART, "Error", "ProhibitedInUsageLocationViolation"),
    ]
    assert call(f"{tenant.base_url}/organization")[2]["value"][0]["countryLetterCode"] == "US"
    tenant.configure(country_letter_code="DE")  # erin has no usage location: she gets the directory's
    tenant.add_member("Callers", "erin@x.example")
    assert tenant.licenses()["erin@x.example"] == set()
    tenant.configure(country_letter_code="CA")
    tenant.reprocess_group("Callers")
    assert tenant.licenses()["erin@x.example"] == {"MCOEV", PAYG_PART} and user(tenant, "erin")["usageLocation"] is None


def test_mutually_exclusive_calling_plans(tenant: FakeGraph) -> None:
    tenant.add_group({"displayName": "Intl", "licenses": ["MCOEV", "MCOPSTN2"], "members": ["frank@x.example"]})
    assert [(s["sku"], s["error"]) for s in tenant.license_states(upn("frank")) if s["group"] == "Intl"] == [
        ("MCOEV", "Other"),
        ("MCOPSTN2", "MutuallyExclusiveViolation"),
    ]
    url = f"{tenant.base_url}/users/{upn('frank')}/assignLicense"
    status, _, body = call(url, "POST", {"addLicenses": [{"skuId": PSTN2}], "removeLicenses": []})
    assert status == 400 and "mutually exclusive" in body["error"]["message"]
    assert call(url, "POST", {"addLicenses": [], "removeLicenses": [PSTN1]})[0] == 200
    assert tenant.licenses()["frank@x.example"] == {"MCOEV"}  # no automatic retry
    assert call(f"{tenant.base_url}/users/{upn('frank')}/reprocessLicenseAssignment", "POST")[0] == 200
    assert tenant.licenses()["frank@x.example"] == {"MCOEV", "MCOPSTN2"}


def test_exclusive_skus_knob() -> None:
    users = [{"userPrincipalName": "a@x.example", "usageLocation": "US", "licenses": ["ENTERPRISEPACK"]}]
    groups = [{"displayName": "E5", "licenses": ["ENTERPRISEPREMIUM"], "members": ["a@x.example"]}]
    pair = [("ENTERPRISEPACK", "ENTERPRISEPREMIUM")]
    with FakeGraph(tenant_id=TENANT, skus=SKUS, users=users, groups=groups, exclusive_skus=pair) as fake:
        assert [s["error"] for s in fake.license_states("a@x.example")] == ["None", "MutuallyExclusiveViolation"]


# ----- subscribedSkus.servicePlans and snapshots -------------------------------------------------------------
def test_subscribed_skus_list_service_plans(tenant: FakeGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = call(f"{tenant.base_url}/subscribedSkus?$select=skuPartNumber,servicePlans")[2]
    plans = {s["skuPartNumber"]: s["servicePlans"] for s in body["value"]}
    assert plans["MCOEV"] == [
        {"servicePlanId": PHONE_PLAN, "servicePlanName": "MCOEV", "provisioningStatus": "Success", "appliesTo": "User"}
    ]
    assert len(plans["ENTERPRISEPREMIUM"]) == len(PLAN_SKUS["ENTERPRISEPREMIUM"].plans)
    csv_file = tmp_path / "licensing-service-plans.csv"
    row = "CSV-only product,CSV_ONLY_SKU,0f0e0d0c-0b0a-4909-8807-060504030201"  # made up
    csv_file.write_text(
        "\ufeffProduct_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,"
        "Service_Plans_Included_Friendly_Names\n"
        f"{row},ONEDRIVE_BASIC,da792a53-cbc0-4184-a10d-e544dd34b3c1,OneDrive\n"
        f"{row},VISIOONLINE,2bdbaf8f-738f-4ac7-9234-3c3ee2ce7d0f,Visio\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(fakegraph_catalog, "CSV_PATH", csv_file)
    fakegraph_catalog._csv_plans.cache_clear()
    try:
        tenant.set_sku("CSV_ONLY_SKU", "0f0e0d0c-0b0a-4909-8807-060504030201", 1)
        body = call(f"{tenant.base_url}/subscribedSkus?$select=skuPartNumber,servicePlans")[2]
        csv_only = next(s for s in body["value"] if s["skuPartNumber"] == "CSV_ONLY_SKU")
        assert [p["servicePlanName"] for p in csv_only["servicePlans"]] == ["ONEDRIVE_BASIC", "VISIOONLINE"]
    finally:
        fakegraph_catalog._csv_plans.cache_clear()


def test_from_snapshot_with_groups(tmp_path: Path) -> None:
    snapshot = tmp_path / "g.snapshot.yaml"
    snapshot.write_text(
        """apiVersion: tenantctl/v1
kind: TenantSnapshot
metadata: {name: groupy}
state:
  agreement: EA
  defaultUsageLocation: GB
  subscriptions:
    - {sku: ENTERPRISEPACK, seats: 3}
    - {sku: MCOEV, seats: 5}
  users:
    - {upn: a@groupy.example, usageLocation: US, licenses: [{sku: ENTERPRISEPACK, disabledPlans: [SWAY]}]}
    - {upn: b@groupy.example}
    - {upn: c@groupy.example, usageLocation: FR}
  groups:
    - name: Office
      members: [a@groupy.example, b@groupy.example, Phones]
      licenses: [{sku: ENTERPRISEPACK, disabledPlans: [YAMMER_ENTERPRISE]}]
    - name: Phones
      id: 0b5c2f6e-8d1a-4c3b-9e7f-1a2b3c4d5e6f
      members: [c@groupy.example]
      licenses: [MCOEV]
    - {name: Plain, securityEnabled: false, members: [c@groupy.example]}
""",
        encoding="utf-8",
    )
    fake = from_snapshot(snapshot, TENANT)
    assert fake.groups() == {"Office": {"ENTERPRISEPACK": ["YAMMER_ENTERPRISE"]}, "Phones": {"MCOEV": []}, "Plain": {}}
    assert fake.members("Office") == ["a@groupy.example", "b@groupy.example", "Phones"]
    assert fake._group_named("Office").id == group_id("Office")
    assert fake._group_named("Phones").id == "0b5c2f6e-8d1a-4c3b-9e7f-1a2b3c4d5e6f"
    assert fake.licenses() == {
        "a@groupy.example": {"ENTERPRISEPACK"},
        "b@groupy.example": {"ENTERPRISEPACK"},
        "c@groupy.example": {"MCOEV"},
    }
    assert fake.sku_counts() == {"ENTERPRISEPACK": (3, 2), "MCOEV": (5, 1)}
    assert fake.pending() == []  # the snapshot's state counts as processed
    with fake:
        a = call(f"{fake.base_url}/users/a@groupy.example?$select=assignedLicenses")[2]
        assert a["assignedLicenses"] == [{"skuId": E3, "disabledPlans": []}]  # SWAY and Yammer each enabled once
        assert call(f"{fake.base_url}/organization")[2]["value"][0]["countryLetterCode"] == "GB"


def test_the_group_licenses_user_knob_is_a_group() -> None:
    users = [
        {
            "userPrincipalName": "a@x.example",
            "usageLocation": "US",
            "licenses": ["MCOEV"],
            "groupLicenses": ["MCOPSTN1"],
        },
        {"userPrincipalName": "b@x.example", "groupLicenses": ["MCOEV"]},
    ]
    fake = FakeGraph(tenant_id=TENANT, skus=SKUS, users=users)
    assert fake.groups() == {"Licensing group": {"MCOPSTN1": []}, "Licensing group 2": {"MCOEV": []}}
    assert fake.license_states("a@x.example")[1] == {
        "sku": "MCOPSTN1",
        "group": "Licensing group",
        "state": "Active",
        "error": "None",
        "disabledPlans": [],
    }
    assert fake._group_named("Licensing group").id == GROUP_ID
    assert fake.licenses() == {"a@x.example": {"MCOEV", "MCOPSTN1"}, "b@x.example": {"MCOEV"}}
