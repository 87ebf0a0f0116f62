"""Self-tests of the fake Graph server, through real HTTP with urllib."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import EXAMPLES
from fakegraph import FakeGraph, from_snapshot, plan_rules

TENANT = "2f1c0b5e-7a4d-4c1e-9f55-3c2a9d1e8b70"
E5 = "c7df2760-2c81-4ef7-b578-5b5392b571df"
E3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"
MCOEV = "e43b5b99-8dfb-405f-9987-dc307f34bcbd"
PSTN1 = "0dab259f-bf13-4952-b7f8-7db8f131b28d"
SKUS = [("ENTERPRISEPREMIUM", E5, 2), ("ENTERPRISEPACK", E3, 5), ("MCOEV", MCOEV, 5), ("MCOPSTN1", PSTN1, 5)]
USERS: list[dict[str, Any]] = [
    {"userPrincipalName": "alice@contoso.com", "usageLocation": "US", "licenses": ["ENTERPRISEPREMIUM"]},
    {"userPrincipalName": "bob@contoso.com", "usageLocation": "US", "licenses": ["ENTERPRISEPACK"]},
    {"userPrincipalName": "carol@contoso.com", "usageLocation": "US", "licenses": []},
    {"userPrincipalName": "dave@contoso.com", "usageLocation": "GB", "licenses": ["ENTERPRISEPACK"]},
    {"userPrincipalName": "grace@contoso.com"},
]


def call(
    url: str,
    method: str = "GET",
    body: Any = None,
    token: str | None = "fake-token",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    """One HTTP request; returns (status, headers, parsed JSON body or None)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status, hdrs, raw = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        status, hdrs, raw = err.code, dict(err.headers), err.read()
    return status, hdrs, json.loads(raw) if raw else None


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    """A small tenant with five users; E5 has 2 seats, one taken."""
    with FakeGraph(tenant_id=TENANT, skus=SKUS, users=USERS) as fake:
        yield fake


def assign(graph: FakeGraph, upn: str, add: list[str], remove: list[str]) -> tuple[int, dict[str, str], Any]:
    body = {"addLicenses": [{"skuId": s, "disabledPlans": []} for s in add], "removeLicenses": remove}
    return call(f"{graph.base_url}/users/{upn}/assignLicense", "POST", body)


def test_paging_follows_next_link_to_the_end(graph: FakeGraph) -> None:
    url: str | None = f"{graph.base_url}/users?$select=id,userPrincipalName,usageLocation,assignedLicenses&$top=2"
    seen, pages = [], 0
    while url:
        status, _, body = call(url)
        assert status == 200
        seen += body["value"]
        pages += 1
        url = body.get("@odata.nextLink")
    assert pages == 3
    assert [u["userPrincipalName"] for u in seen] == [u["userPrincipalName"] for u in USERS]
    assert set(seen[0]) == {"id", "userPrincipalName", "usageLocation", "assignedLicenses"}
    assert seen[4]["usageLocation"] is None
    assert seen[0]["assignedLicenses"] == [{"skuId": E5, "disabledPlans": []}]


def test_default_projection_and_page(graph: FakeGraph) -> None:
    status, _, body = call(f"{graph.base_url}/users")
    assert status == 200 and "@odata.nextLink" not in body
    assert set(body["value"][0]) == {"id", "userPrincipalName", "displayName"}


@pytest.mark.parametrize("top", ["1000", "0", "abc"])
def test_bad_page_size_is_rejected(graph: FakeGraph, top: str) -> None:
    status, _, body = call(f"{graph.base_url}/users?$top={top}")
    assert status == 400
    assert body["error"]["code"] == "Request_UnsupportedQuery"
    assert f"'{top}'" in body["error"]["message"]
    assert {"date", "request-id", "client-request-id"} <= set(body["error"]["innerError"])


def test_missing_or_wrong_token_is_401(graph: FakeGraph) -> None:
    status, _, body = call(f"{graph.base_url}/subscribedSkus", token=None)
    assert status == 401 and body["error"]["message"] == "Access token is empty."
    status, _, body = call(f"{graph.base_url}/subscribedSkus", token="nope")
    assert status == 401 and body["error"]["code"] == "InvalidAuthenticationToken"


def test_subscribed_skus_count_consumption(graph: FakeGraph) -> None:
    status, _, body = call(f"{graph.base_url}/subscribedSkus")
    e5 = next(s for s in body["value"] if s["skuPartNumber"] == "ENTERPRISEPREMIUM")
    assert status == 200 and e5["id"] == f"{TENANT}_{E5}"
    assert e5["consumedUnits"] == 1 and e5["prepaidUnits"]["enabled"] == 2


def test_assign_license_requires_both_arrays(graph: FakeGraph) -> None:
    url = f"{graph.base_url}/users/carol@contoso.com/assignLicense"
    status, _, body = call(url, "POST", {"addLicenses": [{"skuId": E3}]})
    assert status == 400 and body["error"]["code"] == "Request_BadRequest"
    assert "removeLicenses" in body["error"]["message"]
    assert graph.licenses()["carol@contoso.com"] == set()


def test_usage_location_and_unknown_user(graph: FakeGraph) -> None:
    status, _, body = assign(graph, "grace@contoso.com", [E3], [])
    assert status == 400 and "invalid usage location" in body["error"]["message"]
    status, _, body = assign(graph, "nobody@contoso.com", [E3], [])
    assert status == 404 and body["error"]["code"] == "Request_ResourceNotFound"


def test_no_available_licenses(graph: FakeGraph) -> None:
    assert assign(graph, "bob@contoso.com", [E5], [E3])[0] == 200
    status, _, body = assign(graph, "carol@contoso.com", [E5], [])
    assert status == 400
    assert body["error"]["message"] == f"Subscription with SKU {E5} does not have any available licenses."
    assert graph.sku_counts()["ENTERPRISEPREMIUM"] == (2, 2)


def test_add_and_remove_are_atomic(graph: FakeGraph) -> None:
    # Adding E5 would succeed alone, but removing a license bob lacks fails the whole call.
    status, _, body = assign(graph, "bob@contoso.com", [E5], [MCOEV])
    assert status == 400 and body["error"]["message"] == "User does not have a corresponding license."
    assert graph.licenses()["bob@contoso.com"] == {"ENTERPRISEPACK"}
    status, _, body = assign(graph, "bob@contoso.com", [E5], [E3])
    assert status == 200 and body["assignedLicenses"] == [{"skuId": E5, "disabledPlans": []}]
    assert graph.licenses()["bob@contoso.com"] == {"ENTERPRISEPREMIUM"}


def test_prerequisite_rule(graph: FakeGraph) -> None:
    # Microsoft's wording, at the service-plan level: MCOPSTN1's plan depends on MCOEV's Phone System plan.
    status, _, body = assign(graph, "bob@contoso.com", [PSTN1], [])
    assert status == 400 and body["error"]["code"] == "Request_BadRequest"
    assert body["error"]["message"] == (
        f"License assignment failed because service plan {PSTN1_PLAN} depends on "
        f"the service plan(s) {PHONE_SYSTEM_PLAN}"
    )
    assert graph.licenses()["bob@contoso.com"] == {"ENTERPRISEPACK"}
    assert assign(graph, "bob@contoso.com", [MCOEV, PSTN1], [])[0] == 200
    assert plan_rules([("MCOEV", []), ("MCOPSTN1", [])]) is None


def test_batch_of_21_is_rejected(graph: FakeGraph) -> None:
    reqs = [{"id": str(i), "method": "GET", "url": "/organization"} for i in range(21)]
    status, _, body = call(f"{graph.base_url}/$batch", "POST", {"requests": reqs})
    assert status == 400 and body["error"]["code"] == "BadRequest"
    dup = [{"id": "1", "method": "GET", "url": "/organization"}] * 2
    assert call(f"{graph.base_url}/$batch", "POST", {"requests": dup})[0] == 400


def test_batch_matches_by_id_shuffles_and_honours_depends_on(graph: FakeGraph) -> None:
    hdr = {"Content-Type": "application/json"}
    reqs: list[dict[str, Any]] = [{"id": f"g{i}", "method": "GET", "url": "/organization"} for i in range(8)]
    reqs += [
        {
            "id": "bad",
            "method": "POST",
            "url": "/users/grace@contoso.com/assignLicense",
            "headers": hdr,
            "body": {"addLicenses": [{"skuId": E3}], "removeLicenses": []},
        },
        {
            "id": "after",
            "method": "POST",
            "url": "/users/carol@contoso.com/assignLicense",
            "headers": hdr,
            "body": {"addLicenses": [{"skuId": E3}], "removeLicenses": []},
            "dependsOn": ["bad"],
        },
        {"id": "noct", "method": "PATCH", "url": "/users/grace@contoso.com", "body": {"usageLocation": "US"}},
    ]
    status, _, body = call(f"{graph.base_url}/$batch", "POST", {"requests": reqs})
    assert status == 200
    by_id = {r["id"]: r for r in body["responses"]}
    assert [r["id"] for r in body["responses"]] != [r["id"] for r in reqs]
    assert set(by_id) == {r["id"] for r in reqs}
    assert by_id["g3"]["status"] == 200 and by_id["g3"]["body"]["value"][0]["id"] == TENANT
    assert by_id["bad"]["status"] == 400
    assert by_id["after"]["status"] == 424 and by_id["after"]["body"]["error"]["code"] == "FailedDependency"
    assert by_id["noct"]["status"] == 400
    assert graph.licenses()["carol@contoso.com"] == set() and graph.locations()["grace@contoso.com"] is None
    assert len(graph.requests) == 1 and len(graph.inner_requests) == len(reqs)


def test_throttling_leaves_state_alone() -> None:
    with FakeGraph(tenant_id=TENANT, skus=SKUS, users=USERS, throttle_rate=1.0, retry_after=7) as graph:
        status, headers, body = assign(graph, "carol@contoso.com", [E3], [])
        assert status == 429 and headers["Retry-After"] == "7"
        assert body["error"]["code"] == "TooManyRequests"
        assert graph.licenses()["carol@contoso.com"] == set()
        graph.configure(throttle_rate=0.0, batch_throttle_rate=1.0)
        reqs = [
            {
                "id": "1",
                "method": "PATCH",
                "url": "/users/grace@contoso.com",
                "headers": {"Content-Type": "application/json"},
                "body": {"usageLocation": "US"},
            }
        ]
        assert call(f"{graph.base_url}/$batch", "POST", {"requests": reqs})[0] == 429
        assert graph.locations()["grace@contoso.com"] is None
        assert [r.status for r in graph.inner_requests] == [429]  # the throttled batch ran nothing inside


def test_lost_reply_still_applies_the_change() -> None:
    with FakeGraph(tenant_id=TENANT, skus=SKUS, users=USERS, lost_rate=1.0) as graph:
        status, _, _ = assign(graph, "carol@contoso.com", [E3], [])
        assert status >= 500
        assert graph.licenses()["carol@contoso.com"] == {"ENTERPRISEPACK"}
        assert graph.requests[-1].status == status


def test_patch_sets_usage_location(graph: FakeGraph) -> None:
    url = f"{graph.base_url}/users/grace@contoso.com"
    assert call(url, "PATCH", {"usageLocation": "us"})[0] == 400
    assert call(url, "PATCH", {"usageLocation": "DE", "city": "Berlin"})[0] == 400
    status, _, body = call(url, "PATCH", {"usageLocation": "DE"})
    assert status == 204 and body is None
    assert graph.locations()["grace@contoso.com"] == "DE"
    assert assign(graph, "grace@contoso.com", [E3], [])[0] == 200


def test_from_snapshot_contoso() -> None:
    graph = from_snapshot(EXAMPLES / "contoso.snapshot.yaml", TENANT)
    counts = graph.sku_counts()
    assert counts["ENTERPRISEPREMIUM"] == (10, 7) and counts["MCOPSTNC"] == (10000, 2)
    assert graph.locations()["grace@contoso.com"] is None


def test_concurrent_requests_are_counted() -> None:
    with FakeGraph(tenant_id=TENANT, skus=SKUS, users=USERS, latency=0.2) as graph:
        threads = [threading.Thread(target=call, args=(f"{graph.base_url}/organization",)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert graph.max_in_flight > 1 and [r.status for r in graph.requests] == [200] * 6


# ----- service-plan dependencies (tests/fakegraph_plans.py) ---------------------------------------------
PHONE_SYSTEM_PLAN = "4828c8ec-dc2e-4779-b502-87ac9ce28ab7"  # MCOEV's plan, also inside E5
PSTN1_PLAN = "4ed3ff63-69d7-4fb7-b984-5aec7f605ca8"  # MCOPSTN1's plan
CONFERENCING_PLAN = "3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40"  # MCOMEETADV's plan, also inside Office 365 E5
PPM_PLAN = "bb038288-76ab-49d6-afc1-eaa6c222c65a"  # MCOMEETACPEA's plan
CREDITS_PLAN = "505e180f-f7e0-4b65-91d4-00d670bbd18c"  # MCOPSTNC's plan
E5_NOCONF = "26d45bd9-adf1-46cd-a9e1-51e9a5524128"
M365_E3 = "05e9a617-0261-4cee-bb44-138d3ef5d965"
CREDITS = "47794cd0-f0e5-45c5-9033-2eb6b5fc84e0"
CONFERENCING = "0c266dff-15dd-4b49-8397-2bb16070ed52"
PPM = "df9561a4-4969-4e6a-8e73-c601b68ec077"
VOICE_SKUS = [
    ("ENTERPRISEPREMIUM", E5, 5),
    ("ENTERPRISEPREMIUM_NOPSTNCONF", E5_NOCONF, 5),
    ("SPE_E3", M365_E3, 5),
    ("MCOEV", MCOEV, 5),
    ("MCOPSTN1", PSTN1, 5),
    ("MCOPSTNC", CREDITS, 100),
    ("MCOMEETADV", CONFERENCING, 5),
    ("MCOMEETACPEA", PPM, 5),
]
VOICE_USERS: list[dict[str, Any]] = [
    {"userPrincipalName": "e5@voice.example", "usageLocation": "US", "licenses": ["ENTERPRISEPREMIUM"]},
    {"userPrincipalName": "noconf@voice.example", "usageLocation": "US", "licenses": ["ENTERPRISEPREMIUM_NOPSTNCONF"]},
    {"userPrincipalName": "e3@voice.example", "usageLocation": "US", "licenses": ["SPE_E3"]},
    {"userPrincipalName": "caller@voice.example", "usageLocation": "US", "licenses": ["SPE_E3", "MCOEV", "MCOPSTN1"]},
]


def depends(plan: str, *needs: str) -> str:
    return (
        f"License assignment failed because service plan {plan} depends on the service plan(s) "
        f"{', '.join(sorted(needs))}"
    )


@pytest.fixture
def voice() -> Iterator[FakeGraph]:
    with FakeGraph(tenant_id=TENANT, skus=VOICE_SKUS, users=VOICE_USERS) as fake:
        yield fake


def assign_body(graph: FakeGraph, upn: str, body: Any) -> tuple[int, dict[str, str], Any]:
    return call(f"{graph.base_url}/users/{upn}/assignLicense", "POST", body)


def test_a_disabled_phone_system_plan_strands_the_calling_plan(graph: FakeGraph) -> None:
    # Graph works on service plans, not SKUs: E5 holds Phone System only while that plan is enabled.
    assert assign(graph, "alice@contoso.com", [PSTN1], [])[0] == 200
    body = {"addLicenses": [{"skuId": E5, "disabledPlans": [PHONE_SYSTEM_PLAN]}], "removeLicenses": []}
    status, _, reply = assign_body(graph, "alice@contoso.com", body)
    assert status == 400 and reply["error"]["message"] == depends(PSTN1_PLAN, PHONE_SYSTEM_PLAN)
    body["addLicenses"].append({"skuId": MCOEV, "disabledPlans": []})  # the standalone plan stands in for it
    status, _, reply = assign_body(graph, "alice@contoso.com", body)
    assert status == 200
    assert {"skuId": E5, "disabledPlans": [PHONE_SYSTEM_PLAN]} in reply["assignedLicenses"]


def test_removing_teams_phone_under_a_calling_plan_is_refused(voice: FakeGraph) -> None:
    status, _, body = assign(voice, "caller@voice.example", [], [MCOEV])
    assert status == 400 and body["error"]["message"] == depends(PSTN1_PLAN, PHONE_SYSTEM_PLAN)
    assert voice.licenses()["caller@voice.example"] == {"SPE_E3", "MCOEV", "MCOPSTN1"}
    assert assign(voice, "caller@voice.example", [], [MCOEV, PSTN1])[0] == 200


def test_communications_credits_need_audio_conferencing_or_a_calling_plan(voice: FakeGraph) -> None:
    status, _, body = assign(voice, "e3@voice.example", [CREDITS], [])
    assert status == 400 and body["error"]["message"].startswith(
        f"License assignment failed because service plan {CREDITS_PLAN} depends on the service plan(s) "
    )
    assert CONFERENCING_PLAN in body["error"]["message"] and PSTN1_PLAN in body["error"]["message"]
    # Office 365 E5 without Audio Conferencing has Phone System but neither prerequisite.
    assert assign(voice, "noconf@voice.example", [CREDITS], [])[0] == 400
    assert assign(voice, "e5@voice.example", [CREDITS], [])[0] == 200  # E5 includes MCOMEETADV
    assert assign(voice, "caller@voice.example", [CREDITS], [])[0] == 200  # a calling plan
    assert assign(voice, "e3@voice.example", [CONFERENCING, CREDITS], [])[0] == 200
    assert voice.sku_counts()["MCOPSTNC"] == (100, 3)


def test_pay_per_minute_conferencing_is_audio_conferencing_for_credits(voice: FakeGraph) -> None:
    # Microsoft's pay-per-minute article contradicts itself on a per-user credits license, so pay-per-minute
    # alone is accepted; it does count as "an Audio Conferencing license" that Communications Credits need.
    assert assign(voice, "e3@voice.example", [PPM], [])[0] == 200
    assert assign(voice, "e3@voice.example", [CREDITS], [])[0] == 200
    status, _, body = assign(voice, "e3@voice.example", [], [PPM])
    assert status == 400 and body["error"]["message"].startswith(
        f"License assignment failed because service plan {CREDITS_PLAN} depends on the service plan(s) "
    )
    assert PPM_PLAN in body["error"]["message"]
    assert voice.licenses()["e3@voice.example"] == {"SPE_E3", "MCOMEETACPEA", "MCOPSTNC"}


def test_the_table_is_microsofts(voice: FakeGraph) -> None:
    # Bundles that carry their own prerequisites need nothing else; unknown SKUs have no known plans.
    for bundle in (
        "MCOTEAMS_ESSENTIALS",
        "BUSINESS_VOICE_MED2",
        "BUSINESS_VOICE_MED2_TELCO",
        "BUSINESS_VOICE",
        "SPE_E5_CALLINGMINUTES",
        "Microsoft_365_E5_EEA_(no_Teams)_with_Calling_Minutes",
    ):
        assert plan_rules([(bundle, [])]) is None, bundle
    assert plan_rules([("POWER_BI_PRO_TRIAL", [])]) is None
    payg = "Microsoft_Teams_Calling_Plan_pay_as_you_go_(country_zone_1_US)"
    assert plan_rules([(payg, [])]) == depends("156a1efe-17cd-4b03-9f17-2eb512298fb3", PHONE_SYSTEM_PLAN)
    assert plan_rules([("SPE_E3", []), ("MCOEV", []), (payg, [])]) is None
    assert plan_rules([("SPE_E5", [PHONE_SYSTEM_PLAN]), ("MCOPSTN2", [])]) == depends(
        "5a10155d-f5c1-411a-a8ec-e99aae125390", PHONE_SYSTEM_PLAN
    )
    # A plan stays enabled if any assignment enables it.
    assert plan_rules([("SPE_E5", [PHONE_SYSTEM_PLAN]), ("MCOEV", []), ("MCOPSTN2", [])]) is None


def test_rules_none_accepts_any_combination() -> None:
    with FakeGraph(tenant_id=TENANT, skus=SKUS, users=USERS, rules=None) as fake:
        assert assign(fake, "bob@contoso.com", [PSTN1], [])[0] == 200


# ----- assignLicense bodies -------------------------------------------------------------------------------
def test_missing_disabled_plans_means_none(graph: FakeGraph) -> None:
    status, _, body = assign_body(graph, "carol@contoso.com", {"addLicenses": [{"skuId": E3}], "removeLicenses": []})
    assert status == 200 and body["assignedLicenses"] == [{"skuId": E3, "disabledPlans": []}]


def test_null_disabled_plans_is_refused(graph: FakeGraph) -> None:
    body = {"addLicenses": [{"skuId": E3, "disabledPlans": None}], "removeLicenses": []}
    status, _, reply = assign_body(graph, "carol@contoso.com", body)
    assert status == 400 and reply["error"]["code"] == "Request_BadRequest"
    assert reply["error"]["message"].startswith("A null value was found for the property named 'disabledPlans'")
    assert graph.licenses()["carol@contoso.com"] == set()
    batch = {
        "requests": [
            {
                "id": "1",
                "method": "POST",
                "url": "/users/carol@contoso.com/assignLicense",
                "headers": {"Content-Type": "application/json"},
                "body": body,
            }
        ]
    }
    status, _, reply = call(f"{graph.base_url}/$batch", "POST", batch)
    assert status == 200 and reply["responses"][0]["status"] == 400
    assert graph.licenses()["carol@contoso.com"] == set()


# ----- deterministic faults -------------------------------------------------------------------------------
def test_lose_writes_applies_then_answers_with_the_status(graph: FakeGraph) -> None:
    graph.lose_writes(2, status=503)
    assert call(f"{graph.base_url}/users")[0] == 200  # reads are never lost
    status, headers, body = assign(graph, "carol@contoso.com", [E3], [])
    assert status == 503 and body["error"]["code"] == "serviceNotAvailable" and "Retry-After" in headers
    assert graph.licenses()["carol@contoso.com"] == {"ENTERPRISEPACK"}
    assert assign(graph, "dave@contoso.com", [], [E5])[0] == 400  # a refused write is not a lost reply
    assert graph.lost_writes_left == 1
    status, _, body = call(f"{graph.base_url}/users/grace@contoso.com", "PATCH", {"usageLocation": "FR"})
    assert status == 503 and graph.locations()["grace@contoso.com"] == "FR"
    assert graph.lost_writes_left == 0
    assert call(f"{graph.base_url}/users/grace@contoso.com", "PATCH", {"usageLocation": "DE"})[0] == 204
    assert [r.status for r in graph.requests if r.method != "GET"] == [503, 400, 503, 204]


@pytest.mark.parametrize("lost", [408, 500, 504])
def test_lose_writes_inside_a_batch(graph: FakeGraph, lost: int) -> None:
    graph.configure(lose_writes=(1, lost))
    hdr = {"Content-Type": "application/json"}
    reqs = [
        {
            "id": "a",
            "method": "POST",
            "url": "/users/carol@contoso.com/assignLicense",
            "headers": hdr,
            "body": {"addLicenses": [{"skuId": E3, "disabledPlans": []}], "removeLicenses": []},
        },
        {
            "id": "b",
            "method": "PATCH",
            "url": "/users/grace@contoso.com",
            "headers": hdr,
            "body": {"usageLocation": "US"},
        },
    ]
    status, _, body = call(f"{graph.base_url}/$batch", "POST", {"requests": reqs})
    assert status == 200
    statuses = sorted(r["status"] for r in body["responses"])
    assert statuses in (sorted([lost, 200]), sorted([lost, 204]))  # exactly one reply lost, the other intact
    assert graph.licenses()["carol@contoso.com"] == {"ENTERPRISEPACK"}  # both writes were applied
    assert graph.locations()["grace@contoso.com"] == "US"
    assert graph.lost_writes_left == 0


def test_lose_writes_counts_exactly_across_threads() -> None:
    users = [{"userPrincipalName": f"u{i}@contoso.com"} for i in range(12)]
    with FakeGraph(tenant_id=TENANT, skus=SKUS, users=users) as fake:
        fake.lose_writes(5, 500)
        results: list[int] = []
        lock = threading.Lock()

        def patch(i: int) -> None:
            status = call(f"{fake.base_url}/users/u{i}@contoso.com", "PATCH", {"usageLocation": "US"})[0]
            with lock:
                results.append(status)

        threads = [threading.Thread(target=patch, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [204] * 7 + [500] * 5
        assert set(fake.locations().values()) == {"US"} and fake.lost_writes_left == 0


def test_lose_writes_rejects_nonsense(graph: FakeGraph) -> None:
    with pytest.raises(ValueError):
        graph.lose_writes(1, status=200)
    with pytest.raises(ValueError):
        graph.lose_writes(-1)


def test_next_link_base_moves_only_the_host(graph: FakeGraph) -> None:
    url = f"{graph.base_url}/users?$select=id,userPrincipalName&$top=2"
    own = call(url)[2]["@odata.nextLink"]
    graph.configure(next_link_base="https://evil.example:8443")
    moved = call(url)[2]["@odata.nextLink"]
    assert moved.startswith("https://evil.example:8443/v1.0/users?")
    assert moved.split("/v1.0/", 1)[1] == own.split("/v1.0/", 1)[1]
    graph.next_link_base = None
    assert call(url)[2]["@odata.nextLink"] == own
    with pytest.raises(ValueError):
        graph.configure(next_link_base="evil.example")
    with FakeGraph(tenant_id=TENANT, skus=SKUS, users=USERS, next_link_base="http://127.0.0.2:1") as other:
        assert call(f"{other.base_url}/users?$top=1")[2]["@odata.nextLink"].startswith("http://127.0.0.2:1/v1.0/users?")
