"""Self-tests of the fake Azure Billing (Microsoft.Billing 2024-04-01) server, through real HTTP with requests."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
import requests
from fakeazurebilling import API_VERSION, FakeAzureBilling

TOKEN = "fake-arm-token"
TODAY = date(2026, 1, 5)
ACCOUNT = "0b6c1f0e-3a2d-4e5f-9a8b-7c6d5e4f3a2b:1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f_2019-05-31"
PROFILE, OTHER_PROFILE = "BP11-AA22-BB3-CC4", "BP55-DD66-EE7-FF8"
SECTION, OTHER_SECTION = "IS11-AA22-BB3-CC4", "IS99-ZZ88-YY7-XX6"
E5 = "11111111-aaaa-4bbb-8ccc-000000000001"
E3 = "11111111-aaaa-4bbb-8ccc-000000000002"
PHONE = "11111111-aaaa-4bbb-8ccc-000000000003"
BASIC = "11111111-aaaa-4bbb-8ccc-000000000004"
DELETED = "11111111-aaaa-4bbb-8ccc-000000000005"


def seat(name: str, display: str, **extra: Any) -> dict[str, Any]:
    sub = {
        "name": name,
        "displayName": display,
        "productTypeId": "CFQ7TTC0LFLZ",
        "skuId": "0002",
        "quantity": 10,
        "termDuration": "P1Y",
        "billingFrequency": "P1M",
        "autoRenew": "On",
        "termStartDate": "2025-06-01",
        "beneficiaryTenantId": "2f1c0b5e-7a4d-4c1e-9f55-3c2a9d1e8b70",
    }
    sub.update(extra)
    return sub


ACCOUNTS: dict[str, Any] = {
    ACCOUNT: {
        "displayName": "Contoso",
        "billingProfiles": {
            PROFILE: {
                "displayName": "Contoso billing",
                "invoiceSections": {
                    SECTION: {
                        "displayName": "IT",
                        "subscriptions": [
                            seat(E5, "Microsoft 365 E5"),
                            seat(
                                E3, "Microsoft 365 E3", autoRenew="Off", termDuration="P1M", termStartDate="2026-01-01"
                            ),
                        ],
                    },
                    OTHER_SECTION: {
                        "displayName": "Telephony",
                        "subscriptions": [seat(PHONE, "Teams Phone", productTypeId="CFQ7TTC0HL73", skuId="0001")],
                    },
                },
            },
            OTHER_PROFILE: {
                "displayName": "Branch",
                "invoiceSections": {
                    "IS00-BR11-CC2-DD3": {
                        "subscriptions": [
                            seat(BASIC, "Microsoft 365 Business Basic", termStartDate="2025-12-30"),
                            seat(DELETED, "Old", status="Deleted"),
                        ]
                    }
                },
            },
        },
    }
}


@pytest.fixture
def fake() -> Iterator[FakeAzureBilling]:
    with FakeAzureBilling(token=TOKEN, accounts=ACCOUNTS, today=TODAY, poll_retry_after=0) as server:
        yield server


def url(fake: FakeAzureBilling, tail: str = "", **query: str) -> str:
    query.setdefault("api-version", API_VERSION)
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return f"{fake.base_url}/providers/Microsoft.Billing/billingAccounts/{ACCOUNT}{tail}?{qs}"


def call(
    method: str,
    target: str,
    body: Any = None,
    token: str | None = TOKEN,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    return requests.request(method, target, json=body, headers=sent, timeout=10)


def error_code(resp: requests.Response) -> str:
    body = resp.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
    return str(body["error"]["code"])


def patch(fake: FakeAzureBilling, name: str, props: dict[str, Any]) -> requests.Response:
    return call("PATCH", url(fake, f"/billingSubscriptions/{name}"), {"properties": props})


def read_all(fake: FakeAzureBilling, first: str) -> tuple[list[dict[str, Any]], int]:
    items, pages, link = [], 0, first
    while link:
        resp = call("GET", link)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        items += body["value"]
        pages += 1
        link = body.get("nextLink")
    return items, pages


# ----- reading ---------------------------------------------------------------------------------------
def test_account_list_pages_by_next_link_and_hides_deleted(fake: FakeAzureBilling) -> None:
    items, pages = read_all(fake, url(fake, "/billingSubscriptions"))
    assert [i["name"] for i in items] == [E5, E3, PHONE, BASIC]  # DELETED only with includeDeleted
    assert pages == 2  # page size 2: a client must follow nextLink
    with_deleted, _ = read_all(fake, url(fake, "/billingSubscriptions", includeDeleted="true"))
    assert DELETED in [i["name"] for i in with_deleted]


def test_profile_and_invoice_section_scopes(fake: FakeAzureBilling) -> None:
    by_profile, _ = read_all(fake, url(fake, f"/billingProfiles/{PROFILE}/billingSubscriptions"))
    assert {i["name"] for i in by_profile} == {E5, E3, PHONE}
    by_section, pages = read_all(
        fake, url(fake, f"/billingProfiles/{PROFILE.lower()}/invoiceSections/{SECTION}/billingSubscriptions")
    )
    assert [i["name"] for i in by_section] == [E5, E3] and pages == 1
    assert call("GET", url(fake, "/billingProfiles/NOPE-0000-000-000/billingSubscriptions")).status_code == 404


def test_top_skip_count_and_scoped_skip_token(fake: FakeAzureBilling) -> None:
    resp = call("GET", url(fake, "/billingSubscriptions", top="3", skip="1", count="true"))
    body = resp.json()
    assert body["totalCount"] == 4 and [i["name"] for i in body["value"]] == [E3, PHONE]
    assert "top=3" in body["nextLink"] and "api-version" in body["nextLink"]
    rest = call("GET", body["nextLink"]).json()
    assert [i["name"] for i in rest["value"]] == [BASIC] and "nextLink" not in rest
    token = body["nextLink"].split("$skipToken=")[1]
    other_scope = url(fake, f"/billingProfiles/{PROFILE}/billingSubscriptions", **{"$skipToken": token})
    assert call("GET", other_scope).status_code == 400
    assert call("GET", url(fake, "/billingSubscriptions", **{"$skipToken": "garbage"})).status_code == 400
    assert call("GET", url(fake, "/billingSubscriptions", top="51")).status_code == 400
    for refused in ({"filter": "x"}, {"$top": "2"}, {"orderBy": "name"}, {"bogus": "1"}):
        resp = call("GET", url(fake, "/billingSubscriptions", **refused))
        assert resp.status_code == 400 and error_code(resp) == "BadRequest"


def test_get_one_has_the_swagger_shape(fake: FakeAzureBilling) -> None:
    resp = call("GET", url(fake, f"/billingSubscriptions/{E5.upper()}"))  # names match without regard to case
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/json") and resp.headers["x-ms-request-id"]
    body = resp.json()
    assert set(body) == {"id", "name", "type", "properties", "systemData"}
    assert body["type"] == "Microsoft.Billing/billingAccounts/billingSubscriptions"
    assert body["id"] == f"/providers/Microsoft.Billing/billingAccounts/{ACCOUNT}/billingSubscriptions/{E5}"
    props = body["properties"]
    assert props["autoRenew"] == "On" and props["quantity"] == 10 and props["status"] == "Active"
    assert props["termDuration"] == "P1Y" and props["billingFrequency"] == "P1M"
    assert props["termStartDate"] == "2025-06-01T00:00:00.0000000Z"
    assert props["termEndDate"] == "2026-06-01T00:00:00.0000000Z"
    assert props["invoiceSectionName"] == SECTION and props["billingProfileName"] == PROFILE
    assert props["operationStatus"] == "None" and props["productCategory"] == "SeatBased"
    assert props["renewalTermDetails"]["termEndDate"] == "2027-06-01T00:00:00.0000000Z"
    assert props["systemOverrides"] == {"cancellationAllowedEndDate": "2025-06-08T00:00:00.0000000Z"}
    off = call("GET", url(fake, f"/billingSubscriptions/{E3}")).json()["properties"]
    assert "renewalTermDetails" not in off  # no next term is coming


def test_unknown_ids_are_404(fake: FakeAzureBilling) -> None:
    missing = call("GET", url(fake, "/billingSubscriptions/99999999-0000-4000-8000-000000000000"))
    assert missing.status_code == 404 and error_code(missing) == "NotFound"
    other = ACCOUNT.replace("0b6c", "0b6d")
    resp = call("GET", url(fake).replace(ACCOUNT, other).replace("?", "/billingSubscriptions?"))
    assert resp.status_code == 404
    assert error_code(call("GET", url(fake, "/products"))) == "InvalidResourceType"


# ----- authentication and api-version ----------------------------------------------------------------
def test_missing_or_wrong_token_is_401(fake: FakeAzureBilling) -> None:
    none = call("GET", url(fake, "/billingSubscriptions"), token=None)
    assert none.status_code == 401 and error_code(none) == "AuthenticationFailed"
    assert "WWW-Authenticate" in none.headers
    wrong = call("GET", url(fake, "/billingSubscriptions"), token="stolen")
    assert wrong.status_code == 401 and error_code(wrong) == "InvalidAuthenticationToken"
    basic = call("GET", url(fake, "/billingSubscriptions"), token=None, headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401


def test_api_version_is_required_and_exact(fake: FakeAzureBilling) -> None:
    bare = f"{fake.base_url}/providers/Microsoft.Billing/billingAccounts/{ACCOUNT}/billingSubscriptions"
    missing = call("GET", bare)
    assert missing.status_code == 400 and error_code(missing) == "MissingApiVersionParameter"
    old = call("GET", url(fake, "/billingSubscriptions", **{"api-version": "2021-10-01"}))
    assert old.status_code == 404 and error_code(old) == "InvalidResourceType"
    assert "2024-04-01" in old.json()["error"]["message"]


# ----- PATCH: the long-running operation ---------------------------------------------------------------
def test_patch_auto_renew_through_the_location_pattern(fake: FakeAzureBilling) -> None:
    fake.configure(async_polls=2)
    resp = patch(fake, E5, {"autoRenew": "Off"})
    assert resp.status_code == 202 and resp.content == b""
    location = resp.headers["Location"]
    assert location.startswith(fake.base_url) and f"/operationResults/manageBillingSubscription_{E5}:" in location
    assert resp.headers["Retry-After"] == "0" and "Azure-AsyncOperation" not in resp.headers
    during = call("GET", url(fake, f"/billingSubscriptions/{E5}")).json()["properties"]
    assert during["autoRenew"] == "On" and during["operationStatus"] == "LockedForUpdate"
    blocked = patch(fake, E5, {"autoRenew": "On"})
    assert blocked.status_code == 409  # "When LockedForUpdate, write operations will be blocked"
    statuses = []
    while True:
        poll = call("GET", location)
        statuses.append(poll.status_code)
        if poll.status_code != 202:
            break
        assert poll.content == b"" and poll.headers["Location"] == location
    assert statuses == [202, 202, 200]
    assert poll.json()["properties"]["autoRenew"] == "Off"
    after = call("GET", url(fake, f"/billingSubscriptions/{E5}")).json()["properties"]
    assert after["autoRenew"] == "Off" and after["operationStatus"] == "None"
    assert "renewalTermDetails" not in after
    assert call("GET", location).status_code == 200  # a finished operation keeps its answer
    [op] = fake.operations
    assert op["status"] == "Succeeded" and op["changes"] == {"autoRenew": "Off"} and op["polls"] == 4


def test_azure_async_operation_status_url_when_enabled(fake: FakeAzureBilling) -> None:
    fake.configure(azure_async_operation=True)
    resp = patch(fake, E5, {"autoRenew": "Off"})
    status_url = resp.headers["Azure-AsyncOperation"]
    first = call("GET", status_url).json()
    assert first["status"] == "InProgress" and first["name"] in status_url
    second = call("GET", status_url).json()
    assert second["status"] == "Succeeded" and "endTime" in second
    assert fake.subscription(E5, ACCOUNT)["properties"]["autoRenew"] == "Off"


def test_synchronous_patch_answers_200_with_the_subscription(fake: FakeAzureBilling) -> None:
    fake.configure(async_patch=False)
    resp = patch(fake, E3, {"autoRenew": "On"})
    assert resp.status_code == 200 and resp.json()["properties"]["autoRenew"] == "On"
    assert fake.subscription(E3, ACCOUNT)["properties"]["renewalTermDetails"]["termDuration"] == "P1M"


def test_failed_operation_reports_the_error_and_changes_nothing(fake: FakeAzureBilling) -> None:
    fake.fail_next(1, kind="operation", status=400, code="BadRequest", message="Renewal cannot be changed now.")
    resp = patch(fake, E5, {"autoRenew": "Off"})
    assert resp.status_code == 202
    assert call("GET", resp.headers["Location"]).status_code == 202
    final = call("GET", resp.headers["Location"])
    assert final.status_code == 400 and final.json()["error"]["message"] == "Renewal cannot be changed now."
    props = fake.subscription(E5, ACCOUNT)["properties"]
    assert props["autoRenew"] == "On" and props["operationStatus"] == "None"
    assert call("GET", resp.headers["Location"].replace(E5, PHONE)).status_code == 404


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"properties": {"autoRenew": "on"}}, "properties.autoRenew"),
        ({"properties": {"autoRenew": True}}, "properties.autoRenew"),
        ({"properties": {"status": "Active"}}, "properties.status"),
        ({"properties": {"termEndDate": "2027-01-01T00:00:00Z"}}, "properties.termEndDate"),
        ({"properties": {"quantity": 12}}, "properties.quantity"),
        ({"properties": {"displayName": "Renamed"}}, "properties.displayName"),
        ({"properties": {"autoRenewal": "Off"}}, "properties.autoRenewal"),
        ({"properties": {"autoRenew": "Off"}, "name": E5}, "name"),
        ({"properties": {"autoRenew": "Off"}, "tags": {"a": "b"}}, "tags"),
        ({"autoRenew": "Off"}, "autoRenew"),
        ({"properties": {}}, "properties"),
        ([], None),
    ],
)
def test_patch_body_is_validated_strictly(fake: FakeAzureBilling, body: Any, target: str | None) -> None:
    before = fake.subscriptions(ACCOUNT)
    resp = call("PATCH", url(fake, f"/billingSubscriptions/{E5}"), body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"].get("target") == target
    assert fake.subscriptions(ACCOUNT) == before and fake.operations == []


def test_patch_needs_a_json_body(fake: FakeAzureBilling) -> None:
    target = url(fake, f"/billingSubscriptions/{E5}")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    text = requests.patch(target, data="autoRenew=Off", headers={**auth, "Content-Type": "text/plain"}, timeout=10)
    assert text.status_code == 415
    broken = requests.patch(target, data="{", headers={**auth, "Content-Type": "application/json"}, timeout=10)
    assert broken.status_code == 400 and error_code(broken) == "InvalidRequestContent"
    assert requests.patch(target, headers=auth, timeout=10).status_code == 400


def test_quantity_only_behind_the_flag_and_decrease_only_in_the_window(fake: FakeAzureBilling) -> None:
    fake.configure(allow_quantity_patch=True, async_patch=False)
    assert patch(fake, E5, {"quantity": 15}).json()["properties"]["quantity"] == 15
    refused = patch(fake, E5, {"quantity": 9})  # term began 2025-06-01: the 7-day window is long closed
    assert refused.status_code == 400 and refused.json()["error"]["target"] == "properties.quantity"
    assert patch(fake, E3, {"quantity": 4}).json()["properties"]["quantity"] == 4  # term began 2026-01-01
    assert patch(fake, E3, {"quantity": 0}).status_code == 400


def test_concurrent_patches_one_wins_the_lock(fake: FakeAzureBilling) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = sorted(pool.map(lambda _: patch(fake, E5, {"autoRenew": "Off"}).status_code, range(6)))
    assert codes == [202, 409, 409, 409, 409, 409] and len(fake.operations) == 1


def test_an_admin_change_behind_the_api_shows(fake: FakeAzureBilling) -> None:
    fake.set_subscription(E5, ACCOUNT, autoRenew="Off", quantity=30)
    props = call("GET", url(fake, f"/billingSubscriptions/{E5}")).json()["properties"]
    assert (props["autoRenew"], props["quantity"]) == ("Off", 30)
    with pytest.raises(ValueError):
        fake.set_subscription(E5, ACCOUNT, autoRenew="off")
    with pytest.raises(ValueError):
        fake.set_subscription(E5, ACCOUNT, name="other")


# ----- faults --------------------------------------------------------------------------------------------
def test_lost_reply_applies_the_change(fake: FakeAzureBilling) -> None:
    fake.lose_next(1)
    resp = patch(fake, E5, {"autoRenew": "Off"})
    assert resp.status_code == 504 and error_code(resp) == "GatewayTimeout"
    props = call("GET", url(fake, f"/billingSubscriptions/{E5}")).json()["properties"]
    assert props["autoRenew"] == "Off" and props["operationStatus"] == "None"
    again = patch(fake, E5, {"autoRenew": "Off"})  # the client's retry is harmless
    assert again.status_code == 202
    fake.configure(lost_rate=1.0, async_patch=False)
    assert patch(fake, E3, {"autoRenew": "On"}).status_code == 504
    assert fake.subscription(E3, ACCOUNT)["properties"]["autoRenew"] == "On"


def test_throttling_answers_429_with_retry_after(fake: FakeAzureBilling) -> None:
    fake.configure(throttle_rate=1.0, retry_after=7)
    resp = call("GET", url(fake, "/billingSubscriptions"))
    assert resp.status_code == 429 and error_code(resp) == "ResourceRequestsThrottled"
    assert resp.headers["Retry-After"] == "7" and resp.headers["x-ms-ratelimit-remaining-tenant-reads"] == "0"
    assert patch(fake, E5, {"autoRenew": "Off"}).status_code == 429
    assert fake.subscription(E5, ACCOUNT)["properties"]["autoRenew"] == "On"
    fake.configure(throttle_rate=0.0)
    ok = call("GET", url(fake, "/billingSubscriptions"))
    assert ok.status_code == 200 and int(ok.headers["x-ms-ratelimit-remaining-tenant-reads"]) > 0


def test_deterministic_and_seeded_errors_change_nothing(fake: FakeAzureBilling) -> None:
    fake.fail_next(2, kind="patch", status=503)
    for _ in range(2):
        resp = patch(fake, E5, {"autoRenew": "Off"})
        assert resp.status_code == 503 and error_code(resp) == "ServiceUnavailable" and resp.headers["Retry-After"]
    assert call("GET", url(fake, f"/billingSubscriptions/{E5}")).status_code == 200  # reads were not hit
    fake.fail_next(1, kind="read", status=500)
    assert call("GET", url(fake, "/billingSubscriptions")).status_code == 500
    fake.configure(error_rate=1.0)
    assert patch(fake, E5, {"autoRenew": "Off"}).status_code in (500, 503)
    assert fake.subscription(E5, ACCOUNT)["properties"]["autoRenew"] == "On" and fake.operations == []


def test_random_faults_repeat_with_the_seed() -> None:
    def run(seed: int) -> list[int]:
        with FakeAzureBilling(token=TOKEN, accounts=ACCOUNTS, today=TODAY, seed=seed, throttle_rate=0.4) as f:
            return [call("GET", url(f, f"/billingSubscriptions/{E5}")).status_code for _ in range(12)]

    first = run(3)
    assert first == run(3) and {200, 429} == set(first)


# ----- the clock -------------------------------------------------------------------------------------------
def test_advance_renews_with_auto_renew_on_and_expires_with_off(fake: FakeAzureBilling) -> None:
    fake.advance(27)  # 2026-02-01: E3's one-month term (from 2026-01-01) has ended; E5's has not
    e3 = fake.subscription(E3, ACCOUNT)["properties"]
    assert e3["status"] == "Expired" and e3["termEndDate"] == "2026-02-01T00:00:00.0000000Z"
    assert patch(fake, E3, {"autoRenew": "On"}).status_code == 409  # an ended subscription cannot be changed
    fake.advance(120)  # 2026-06-01: E5's year ends, and it renews
    e5 = fake.subscription(E5, ACCOUNT)["properties"]
    assert e5["status"] == "Active"
    assert (e5["termStartDate"], e5["termEndDate"]) == ("2026-06-01T00:00:00.0000000Z", "2027-06-01T00:00:00.0000000Z")
    assert e5["systemOverrides"]["cancellationAllowedEndDate"] == "2026-06-08T00:00:00.0000000Z"
    assert fake.today == date(2026, 6, 1)


def test_advance_completes_pending_operations(fake: FakeAzureBilling) -> None:
    resp = patch(fake, E5, {"autoRenew": "Off"})
    fake.advance(0)
    assert fake.subscription(E5, ACCOUNT)["properties"]["autoRenew"] == "Off"
    assert call("GET", resp.headers["Location"]).status_code == 200


# ----- aliases, routes, seeding ------------------------------------------------------------------------------
def test_aliases_are_an_unknown_type_unless_enabled(fake: FakeAzureBilling) -> None:
    body = {
        "properties": {
            "billingFrequency": "P1M",
            "displayName": "Subscription 3",
            "quantity": 1,
            "skuId": "0001",
            "termDuration": "P1M",
        }
    }  # AZ examples/billingSubscriptionAliasCreateOrUpdate.json
    alias = url(fake, "/billingSubscriptionAliases/c356b7c7-7545-4686-b843-c1a49cf853fc")
    off = call("PUT", alias, body)
    assert off.status_code == 404 and error_code(off) == "InvalidResourceType"
    fake.configure(enable_aliases=True)
    accepted = call("PUT", alias, body)
    assert accepted.status_code == 202 and "putBillingSubscriptionAlias_" in accepted.headers["Location"]
    assert call("GET", alias).status_code == 404  # not visible before the operation completes
    assert call("PUT", alias, body).headers["Location"] == accepted.headers["Location"]  # a repeat buys nothing
    done = call("GET", accepted.headers["Location"])
    done = call("GET", accepted.headers["Location"]) if done.status_code == 202 else done
    assert (
        done.status_code == 200
        and done.json()["type"] == "Microsoft.Billing/billingAccounts/billingSubscriptionAliases"
    )
    sub_name = done.json()["properties"]["billingSubscriptionId"]
    assert call("GET", url(fake, f"/billingSubscriptions/{sub_name}")).json()["properties"]["quantity"] == 1
    assert call("PUT", alias, body).status_code == 200
    assert len(fake.subscriptions(ACCOUNT)) == 6
    body["properties"]["quantity"] = 2
    assert call("PUT", alias, body).status_code == 409


def test_swagger_operations_the_fake_lacks_or_mca_cannot_use(fake: FakeAzureBilling) -> None:
    assert call("DELETE", url(fake, f"/billingSubscriptions/{E5}")).status_code == 501
    assert call("POST", url(fake, f"/billingSubscriptions/{E5}/merge"), {}).status_code == 501
    ea_only = call("GET", url(fake, f"/billingProfiles/{PROFILE}/billingSubscriptions/{E5}"))
    assert ea_only.status_code == 400
    assert call("POST", url(fake, "/billingSubscriptions"), {}).status_code == 405


def test_requests_are_recorded(fake: FakeAzureBilling) -> None:
    patch(fake, E5, {"autoRenew": "Off"})
    rec = fake.requests[-1]
    assert (rec.method, rec.status, rec.body) == ("PATCH", 202, {"properties": {"autoRenew": "Off"}})
    assert rec.path.endswith(f"/billingSubscriptions/{E5}") and rec.query["api-version"] == [API_VERSION]
    assert rec.headers["Authorization"] == f"Bearer {TOKEN}"


def test_seeding_is_checked() -> None:
    with pytest.raises(ValueError, match="pattern"):
        FakeAzureBilling(accounts={"not-an-account": {}})
    bad_key = {ACCOUNT: {"billingProfiles": {PROFILE: {"invoiceSections": {SECTION: {"subscriptions": [{"qty": 1}]}}}}}}
    with pytest.raises(ValueError, match="swagger names"):
        FakeAzureBilling(accounts=bad_key)
    bad_renew = {
        ACCOUNT: {
            "billingProfiles": {PROFILE: {"invoiceSections": {SECTION: {"subscriptions": [{"autoRenew": True}]}}}}
        }
    }
    with pytest.raises(ValueError, match="autoRenew"):
        FakeAzureBilling(accounts=bad_renew)
    default = FakeAzureBilling(today=TODAY)
    assert len(default.subscriptions()) == 3
    with pytest.raises(TypeError):
        default.configure(nonsense=1)
