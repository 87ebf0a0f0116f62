"""Self-tests of the fake Graph server, through real HTTP with urllib."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from fakegraph import FakeGraph, catalog_rules, from_snapshot
from conftest import EXAMPLES

TENANT = "2f1c0b5e-7a4d-4c1e-9f55-3c2a9d1e8b70"
E5 = "c7df2760-2c81-4ef7-b578-5b5392b571df"
E3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"
MCOEV = "e43b5b99-8dfb-405f-9987-dc307f34bcbd"
PSTN1 = "0dab259f-bf13-4952-b7f8-7db8f131b28d"
SKUS = [("ENTERPRISEPREMIUM", E5, 2), ("ENTERPRISEPACK", E3, 5), ("MCOEV", MCOEV, 5), ("MCOPSTN1", PSTN1, 5)]
USERS: list[dict[str, Any]] = [{"userPrincipalName": "alice@contoso.com", "usageLocation": "US", "licenses": ["ENTERPRISEPREMIUM"]},
         {"userPrincipalName": "bob@contoso.com", "usageLocation": "US", "licenses": ["ENTERPRISEPACK"]},
         {"userPrincipalName": "carol@contoso.com", "usageLocation": "US", "licenses": []},
         {"userPrincipalName": "dave@contoso.com", "usageLocation": "GB", "licenses": ["ENTERPRISEPACK"]},
         {"userPrincipalName": "grace@contoso.com"}]


def call(url: str, method: str = "GET", body: Any = None, token: str | None = "fake-token",
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
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
    status, _, body = assign(graph, "bob@contoso.com", [PSTN1], [])
    assert status == 400 and "depend on Teams Phone" in body["error"]["message"]
    assert assign(graph, "bob@contoso.com", [MCOEV, PSTN1], [])[0] == 200
    assert catalog_rules({"MCOEV", "MCOPSTN1"}) is None


def test_batch_of_21_is_rejected(graph: FakeGraph) -> None:
    reqs = [{"id": str(i), "method": "GET", "url": "/organization"} for i in range(21)]
    status, _, body = call(f"{graph.base_url}/$batch", "POST", {"requests": reqs})
    assert status == 400 and body["error"]["code"] == "BadRequest"
    dup = [{"id": "1", "method": "GET", "url": "/organization"}] * 2
    assert call(f"{graph.base_url}/$batch", "POST", {"requests": dup})[0] == 400


def test_batch_matches_by_id_shuffles_and_honours_depends_on(graph: FakeGraph) -> None:
    hdr = {"Content-Type": "application/json"}
    reqs: list[dict[str, Any]] = [
        {"id": f"g{i}", "method": "GET", "url": "/organization"} for i in range(8)]
    reqs += [
        {"id": "bad", "method": "POST", "url": "/users/grace@contoso.com/assignLicense", "headers": hdr,
         "body": {"addLicenses": [{"skuId": E3}], "removeLicenses": []}},
        {"id": "after", "method": "POST", "url": "/users/carol@contoso.com/assignLicense", "headers": hdr,
         "body": {"addLicenses": [{"skuId": E3}], "removeLicenses": []}, "dependsOn": ["bad"]},
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
        reqs = [{"id": "1", "method": "PATCH", "url": "/users/grace@contoso.com",
                 "headers": {"Content-Type": "application/json"}, "body": {"usageLocation": "US"}}]
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
