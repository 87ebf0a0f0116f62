"""Self-tests of the fake Partner Center, through real HTTP with requests (no product code)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from fakepartnercenter import FakePartnerCenter, default_catalog

CUST = "d6bf25b7-e0a8-4f2d-a31b-97b55cfc774d"
OTHER = "94cd6638-11b6-4323-8c9f-6ae3088adc59"
E3_SUB = "a4c1340d-6911-4758-bba3-0c4c6007d161"
E5_SUB = "83ef9d05-4169-4ef9-9657-0e86b1eab1de"
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
E5 = "CFQ7TTC0LFLZ:0002"
E3 = "CFQ7TTC0LFLX:0001"
SEED: dict[str, list[dict[str, Any]]] = {
    CUST: [
        # 20 seats bought 30 days ago: none can be reduced any more.
        {"id": E3_SUB, "offer": E3, "quantity": 20, "termDuration": "P1Y", "billingCycle": "Monthly"},
        # 5 seats bought 2 days ago on a monthly term: all 5 still reducible.
        {
            "id": E5_SUB,
            "offer": E5,
            "quantity": 5,
            "termDuration": "P1M",
            "billingCycle": "monthly",
            "effectiveStartDate": (NOW - timedelta(days=2)).isoformat(),
        },
    ],
    OTHER: [],
}


def call(
    fake: FakePartnerCenter,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = "fake-pc-token",
    request_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """One request with the headers Microsoft's examples send (P0 headers); a fresh MS-RequestId unless given."""
    sent = {
        "Accept": "application/json",
        "MS-Contract-Version": "v1",
        "MS-CorrelationId": str(uuid.uuid4()),
        "MS-RequestId": request_id or str(uuid.uuid4()),
    }
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    sent.update(headers or {})
    return requests.request(method, fake.base_url + path, json=body, headers=sent, timeout=10)


def code(resp: requests.Response) -> str:
    """The error code as a string: the fake sends it as a number or a string (D13)."""
    return str(resp.json()["code"])


@pytest.fixture
def pc() -> Iterator[FakePartnerCenter]:
    with FakePartnerCenter(customers=SEED, today=NOW) as fake:
        yield fake


def sub(fake: FakePartnerCenter, sub_id: str, customer: str = CUST) -> dict[str, Any]:
    resp = call(fake, "GET", f"/v1/customers/{customer}/subscriptions/{sub_id}")
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def patch(fake: FakePartnerCenter, sub_id: str, **changes: Any) -> requests.Response:
    """GET the subscription, change fields, PATCH the full resource back with If-Match."""
    current = sub(fake, sub_id)
    current.update(changes)
    return call(
        fake,
        "PATCH",
        f"/v1/customers/{CUST}/subscriptions/{sub_id}",
        current,
        headers={"If-Match": current["attributes"]["etag"]},
    )


def new_cart(fake: FakePartnerCenter, offer: str = E5, quantity: int = 3, **extra: Any) -> requests.Response:
    line = {"CatalogItemId": fake.catalog_item_id(offer), "Quantity": quantity, "TermDuration": "P1Y"}
    line["BillingCycle"] = "Monthly"
    line.update(extra)
    body = {"PartnerOnRecordAttestationAccepted": True, "LineItems": [line]}
    return call(fake, "POST", f"/v1/customers/{CUST}/carts", body)


def checkout(fake: FakePartnerCenter, cart_id: str, request_id: str | None = None) -> requests.Response:
    return call(fake, "POST", f"/v1/customers/{CUST}/carts/{cart_id}/checkout", request_id=request_id)


# ----- reading ---------------------------------------------------------------------------------------


def test_list_subscriptions_has_the_collection_and_new_commerce_fields(pc: FakePartnerCenter) -> None:
    resp = call(pc, "GET", f"/v1/customers/{CUST}/subscriptions")
    assert resp.status_code == 200
    body = resp.json()
    assert body["totalCount"] == 2 and len(body["items"]) == 2
    assert body["attributes"] == {"objectType": "Collection"}
    assert body["links"]["self"]["uri"] == f"/customers/{CUST}/subscriptions"
    e3 = next(s for s in body["items"] if s["id"] == E3_SUB)
    product, sku, availability = e3["offerId"].split(":")
    assert f"{product}:{sku}" == E3 and availability
    assert e3["quantity"] == 20 and e3["billingCycle"] == "monthly" and e3["termDuration"] == "P1Y"
    assert e3["status"] == "active" and e3["autoRenewEnabled"] is True and e3["unitType"] == "Licenses"
    assert e3["productType"]["id"] == "OnlineServicesNCE"
    assert e3["refundableQuantity"] == {"totalQuantity": 0, "details": []}
    assert "scheduledNextTermInstructions" not in e3
    assert set(e3["links"]) == {"product", "sku", "availability", "self"}
    assert e3["attributes"]["objectType"] == "Subscription" and e3["attributes"]["etag"]
    # Seeded 30 days before 2026-11-21; a year's term ends on the inclusive day before the anniversary.
    assert (e3["effectiveStartDate"], e3["commitmentEndDate"]) == ("2026-10-22T00:00:00Z", "2027-10-21T00:00:00Z")
    assert e3["commitmentEndDateTime"] == "2027-10-21T23:59:59Z"
    e5 = next(s for s in body["items"] if s["id"] == E5_SUB)
    assert e5["refundableQuantity"]["totalQuantity"] == 5
    assert e5["refundableQuantity"]["details"][0]["allowedUntilDateTime"].startswith("2026-11-26")


def test_get_subscription_by_id_and_the_documented_refusals(pc: FakePartnerCenter) -> None:
    assert sub(pc, E3_SUB.upper())["id"] == E3_SUB  # ids compare case-insensitively, as in Microsoft's example
    missing = call(pc, "GET", f"/v1/customers/{CUST}/subscriptions/{uuid.uuid4()}")
    assert missing.status_code == 404 and code(missing) == "20003"
    assert set(missing.json()) == {"code", "description", "data", "source"}
    assert missing.json()["source"] == "PartnerFD" and missing.json()["data"] == []
    stranger = call(pc, "GET", f"/v1/customers/{uuid.uuid4()}/subscriptions")
    assert stranger.status_code == 403 and code(stranger) == "20002"
    assert "no commerce relationship" in stranger.json()["description"]


def test_auth_headers_and_echoes(pc: FakePartnerCenter) -> None:
    path = f"/v1/customers/{CUST}/subscriptions"
    no_token = call(pc, "GET", path, token=None)
    assert no_token.status_code == 401 and code(no_token) == "800001"
    assert no_token.headers["WWW-Authenticate"].startswith("OAuth realm=")
    refused = call(pc, "POST", f"/v1/customers/{CUST}/carts", {"lineItems": []}, token=None)
    assert refused.status_code == 401 and pc.requests[-1].body == {"lineItems": []}  # logged all the same
    wrong = call(pc, "GET", path, token="nope")
    assert wrong.status_code == 401 and code(wrong) == "400"
    ok = call(pc, "GET", path, headers={"MS-RequestId": "r-1", "MS-CorrelationId": "c-1"})
    assert ok.headers["MS-RequestId"] == "r-1" and ok.headers["MS-CorrelationId"] == "c-1"
    assert pc.requests[-1].headers["MS-CorrelationId"] == "c-1" and pc.requests[-1].status == 200
    no_version = call(pc, "GET", path, headers={"MS-Contract-Version": ""})
    assert no_version.status_code == 400 and code(no_version) == "800002"
    pc.configure(require_contract_version=False)
    assert call(pc, "GET", path, headers={"MS-Contract-Version": ""}).status_code == 200


def test_availabilities_by_customer_get_or_post(pc: FakePartnerCenter) -> None:
    path = f"/v1/customers/{CUST}/products/CFQ7TTC0LFLZ/skus/0002/availabilities"
    for method in ("GET", "POST"):  # D4: the table says POST, the example GET
        resp = call(pc, method, path)
        assert resp.status_code == 200
        item = resp.json()["items"][0]
        assert item["catalogItemId"] == "CFQ7TTC0LFLZ:0002:CFQ7TTC0K4TS"
        assert item["isPurchasable"] is True and item["isRenewable"] is True
        assert {(t["duration"], t["billingCycle"]) for t in item["terms"]} == {
            ("P1Y", "Annual"),
            ("P1Y", "Monthly"),
            ("P1M", "Monthly"),
        }
    assert call(pc, "GET", path + "?country=GB").json()["totalCount"] == 0
    unknown = call(pc, "GET", f"/v1/customers/{CUST}/products/NOPE/skus/0001/availabilities")
    assert unknown.status_code == 404 and code(unknown) == "400013"
    by_country = call(pc, "GET", "/v1/products/CFQ7TTC0LFLX/skus/0001/availabilities?country=US")
    assert by_country.json()["items"][0]["catalogItemId"] == pc.catalog_item_id(E3)
    assert call(pc, "GET", "/v1/products/CFQ7TTC0LFLX/skus/0001/availabilities").status_code == 400


# ----- purchase --------------------------------------------------------------------------------------


def test_purchase_cart_checkout_order_subscription(pc: FakePartnerCenter) -> None:
    created = new_cart(pc)
    assert created.status_code == 201, created.text
    cart = created.json()
    assert cart["status"] == "Active" and cart["attributes"]["objectType"] == "Cart"
    made = datetime.fromisoformat(cart["creationTimestamp"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(cart["expirationTimestamp"].replace("Z", "+00:00")) - made == timedelta(days=7)
    line = cart["lineItems"][0]
    assert line["catalogItemId"] == pc.catalog_item_id(E5) and line["quantity"] == 3
    assert line["billingCycle"] == "monthly" and line["termDuration"] == "P1Y" and line["orderGroup"] == "0"
    assert call(pc, "GET", f"/v1/customers/{CUST}/carts/{cart['id']}").json()["status"] == "Active"

    done = checkout(pc, cart["id"])
    assert done.status_code == 201, done.text
    result = done.json()
    assert result["orderErrors"] == [] and len(result["orders"]) == 1
    order = result["orders"][0]
    assert order["status"] == "pending" and order["attributes"]["objectType"] == "Order"
    new_id = order["lineItems"][0]["subscriptionId"]
    assert order["lineItems"][0]["offerId"] == pc.catalog_item_id(E5)

    assert call(pc, "GET", f"/v1/customers/{CUST}/carts/{cart['id']}").json()["status"] == "Ordered"
    bought = sub(pc, new_id)
    assert bought["quantity"] == 3 and bought["orderId"] == order["id"] and bought["termDuration"] == "P1Y"
    assert bought["refundableQuantity"]["totalQuantity"] == 3
    assert bought["refundableQuantity"]["details"][0]["allowedUntilDateTime"] == "2026-11-28T09:00:00Z"
    got = call(pc, "GET", f"/v1/customers/{CUST}/orders/{order['id']}").json()
    assert got["status"] == "completed" and got["lineItems"][0]["subscriptionId"] == new_id
    listed = call(pc, "GET", f"/v1/customers/{CUST}/orders").json()
    assert [o["id"] for o in listed["items"]] == [order["id"]]
    assert call(pc, "GET", f"/v1/customers/{CUST}/orders/nope").status_code == 404
    assert pc.checkouts == {cart["id"]: 1} and len(pc.orders(CUST)) == 1


def test_cart_refusals(pc: FakePartnerCenter) -> None:
    bare = call(
        pc,
        "POST",
        f"/v1/customers/{CUST}/carts",
        {
            "PartnerOnRecordAttestationAccepted": True,
            "lineItems": [{"catalogItemId": E5, "quantity": 1, "termDuration": "P1M", "billingCycle": "monthly"}],
        },
    )
    assert bare.status_code == 201  # the line carries the error; the cart exists
    assert bare.json()["lineItems"][0]["error"]["errorCode"] == "CatalogItemIdIsNotValid"
    refused = checkout(pc, bare.json()["id"])
    assert refused.status_code == 400 and code(refused) == "800009"
    assert new_cart(pc, quantity=10001).status_code == 400 and code(new_cart(pc, quantity=0)) == "900275"
    assert code(new_cart(pc, TermDuration="P3Y")) == "800121"
    assert code(new_cart(pc, TermDuration="P1M", BillingCycle="Annual")) == "900270"
    no_attest = call(
        pc,
        "POST",
        f"/v1/customers/{CUST}/carts",
        {
            "LineItems": [
                {
                    "CatalogItemId": pc.catalog_item_id(E5),
                    "Quantity": 1,
                    "TermDuration": "P1M",
                    "BillingCycle": "Monthly",
                }
            ]
        },
    )
    assert no_attest.status_code == 400 and code(no_attest) == "900206"
    assert call(pc, "POST", f"/v1/customers/{CUST}/carts", {"lineItems": []}).status_code == 400
    assert len(pc.carts(CUST)) == 1 and pc.orders(CUST) == []


def test_repeated_checkout_errors_by_default(pc: FakePartnerCenter) -> None:
    cart_id = new_cart(pc).json()["id"]
    assert checkout(pc, cart_id).status_code == 201
    again = checkout(pc, cart_id)
    assert again.status_code == 400 and code(again) == "800065" and cart_id in again.json()["description"]
    assert len(pc.orders(CUST)) == 1 and pc.checkouts[cart_id] == 2


def test_repeated_checkout_replays_when_asked() -> None:
    with FakePartnerCenter(customers=SEED, today=NOW, repeat_checkout="replay") as pc:
        cart_id = new_cart(pc).json()["id"]
        first = checkout(pc, cart_id)
        again = checkout(pc, cart_id)
        assert again.status_code == 201 and again.json() == first.json()
        assert len(pc.orders(CUST)) == 1


def test_concurrent_checkout_gets_409(pc: FakePartnerCenter) -> None:
    cart_id = new_cart(pc).json()["id"]
    pc.configure(checkout_latency=0.3)
    answers: list[requests.Response] = []
    threads = [threading.Thread(target=lambda: answers.append(checkout(pc, cart_id))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [201, 409]
    assert code(next(a for a in answers if a.status_code == 409)) == "800064"
    assert len(pc.orders(CUST)) == 1


def test_expired_cart_is_gone_and_a_rotated_availability_fails_checkout(pc: FakePartnerCenter) -> None:
    old = new_cart(pc).json()["id"]
    pc.advance(7)
    for resp in (call(pc, "GET", f"/v1/customers/{CUST}/carts/{old}"), checkout(pc, old)):
        assert resp.status_code == 404 and code(resp) == "800008"
    stale = new_cart(pc).json()["id"]
    before = pc.catalog_item_id(E5)
    pc.rotate_availabilities(E5)
    assert pc.catalog_item_id(E5) != before
    refused = checkout(pc, stale)
    assert refused.status_code == 404 and code(refused) == "400019"
    assert new_cart(pc).json()["lineItems"][0]["catalogItemId"] == pc.catalog_item_id(E5)


def test_failed_order_leaves_the_cart_active_for_a_retry(pc: FakePartnerCenter) -> None:
    cart_id = new_cart(pc).json()["id"]
    pc.fail_orders_next(1)
    failed = checkout(pc, cart_id).json()
    assert failed["orders"] == [] and failed["orderErrors"][0]["code"] == 800005
    assert call(pc, "GET", f"/v1/customers/{CUST}/carts/{cart_id}").json()["status"] == "Active"
    assert checkout(pc, cart_id).status_code == 201 and len(pc.orders(CUST)) == 1


def test_order_list_delay_and_provisioning() -> None:
    with FakePartnerCenter(customers=SEED, today=NOW, order_list_delay=2, provisioning_reads=1) as pc:
        result = checkout(pc, new_cart(pc).json()["id"]).json()
        order = result["orders"][0]
        assert "subscriptionId" not in order["lineItems"][0]  # not provisioned yet
        assert len(call(pc, "GET", f"/v1/customers/{CUST}/subscriptions").json()["items"]) == 2
        assert call(pc, "GET", f"/v1/customers/{CUST}/orders").json()["totalCount"] == 0
        assert call(pc, "GET", f"/v1/customers/{CUST}/orders").json()["totalCount"] == 0
        first = call(pc, "GET", f"/v1/customers/{CUST}/orders").json()["items"][0]  # third list: there; one read
        assert first["status"] == "pending"
        second = call(pc, "GET", f"/v1/customers/{CUST}/orders/{order['id']}").json()
        assert second["status"] == "completed" and second["lineItems"][0]["subscriptionId"]
        assert len(call(pc, "GET", f"/v1/customers/{CUST}/subscriptions").json()["items"]) == 3


# ----- changing subscriptions ------------------------------------------------------------------------


def test_quantity_increase_then_decrease_only_within_the_window(pc: FakePartnerCenter) -> None:
    up = patch(pc, E3_SUB, quantity=25)
    assert up.status_code == 200 and up.json()["quantity"] == 25
    assert up.json()["refundableQuantity"]["totalQuantity"] == 5  # the 5 added seats, for 7 days
    assert patch(pc, E3_SUB, quantity=22).json()["refundableQuantity"]["totalQuantity"] == 2
    refused = patch(pc, E3_SUB, quantity=19)
    assert refused.status_code == 400
    assert {**refused.json(), "code": code(refused)} == {
        "code": "800090",
        "description": "Subscription quantity cannot be decreased.",
        "data": [],
        "source": "PartnerFD",
    }
    pc.advance(7)
    assert patch(pc, E3_SUB, quantity=21).status_code == 400  # the added seats' window has closed
    assert sub(pc, E3_SUB)["quantity"] == 22


def test_partial_or_stale_patch_is_refused(pc: FakePartnerCenter) -> None:
    path = f"/v1/customers/{CUST}/subscriptions/{E3_SUB}"
    etag = sub(pc, E3_SUB)["attributes"]["etag"]
    partial = call(pc, "PATCH", path, {"quantity": 30}, headers={"If-Match": etag})
    assert (
        partial.status_code == 400
        and code(partial) == "800002"
        and "full Subscription" in partial.json()["description"]
    )
    full = sub(pc, E3_SUB)
    full["quantity"] = 30
    assert call(pc, "PATCH", path, full).status_code == 400  # no If-Match
    assert (
        call(pc, "PATCH", path, full, headers={"If-Match": "stale"}).json()["description"] == "Etag is no longer valid"
    )
    pc.configure(stale_etag_status=412)
    stale = call(pc, "PATCH", path, full, headers={"If-Match": "stale"})
    assert stale.status_code == 412 and code(stale) == "2055"
    assert sub(pc, E3_SUB)["quantity"] == 20
    pascal = {k[0].upper() + k[1:]: v for k, v in full.items()}  # the legacy example's spelling
    assert call(pc, "PATCH", path, pascal, headers={"If-Match": etag}).json()["quantity"] == 30
    assert call(pc, "PATCH", path, full, headers={"If-Match": etag}).status_code == 412  # that etag is used up


def test_patch_limits_and_read_only_fields(pc: FakePartnerCenter) -> None:
    assert code(patch(pc, E3_SUB, quantity=0)) == "2002"
    assert code(patch(pc, E3_SUB, billingCycle="annual")) == "2054"
    assert code(patch(pc, E3_SUB, termDuration="P1M")) == "800122"
    assert code(patch(pc, E3_SUB, offerId=pc.catalog_item_id(E5))) == "3000"
    assert call(pc, "PATCH", f"/v1/customers/{CUST}/subscriptions/{uuid.uuid4()}", {}).status_code == 400


def test_auto_renew_toggle_and_an_offer_that_does_not_renew() -> None:
    catalog = default_catalog()
    catalog[0]["renewable"] = False  # Microsoft 365 E5
    with FakePartnerCenter(customers=SEED, catalog=catalog, today=NOW) as pc:
        off = patch(pc, E3_SUB, autoRenewEnabled=False)
        assert off.status_code == 200 and off.json()["autoRenewEnabled"] is False
        assert patch(pc, E3_SUB, autoRenewEnabled=True).json()["autoRenewEnabled"] is True
        assert patch(pc, E5_SUB, autoRenewEnabled=False).status_code == 200
        assert code(patch(pc, E5_SUB, autoRenewEnabled=True)) == "800093"


def test_scheduled_next_term_instructions_apply_at_renewal(pc: FakePartnerCenter) -> None:
    e5 = sub(pc, E5_SUB)
    avail = e5["offerId"].split(":")[2]
    product = {
        "productId": "CFQ7TTC0LFLZ",
        "skuId": "0002",
        "availabilityId": avail,
        "billingCycle": "Annual",
        "termDuration": "P1Y",
    }
    instructions: dict[str, Any] = {"product": product, "quantity": 8}
    refused = patch(pc, E5_SUB, autoRenewEnabled=False, scheduledNextTermInstructions=instructions)
    assert refused.status_code == 400
    bad = {**instructions, "product": {**product, "availabilityId": "NOPE"}}
    assert code(patch(pc, E5_SUB, scheduledNextTermInstructions=bad)) == "400019"
    bad = {**instructions, "product": {**product, "termDuration": "P3Y"}}
    assert code(patch(pc, E5_SUB, scheduledNextTermInstructions=bad)) == "800121"
    ok = patch(pc, E5_SUB, scheduledNextTermInstructions=instructions)
    assert ok.status_code == 200 and ok.json()["scheduledNextTermInstructions"]["quantity"] == 8
    # An immediate (midterm) quantity change deletes the scheduled changes.
    assert "scheduledNextTermInstructions" not in patch(pc, E5_SUB, quantity=6).json()
    # Switching auto-renew off while echoing the instructions back drops them; switching it on again keeps none.
    assert "scheduledNextTermInstructions" in patch(pc, E5_SUB, scheduledNextTermInstructions=instructions).json()
    assert "scheduledNextTermInstructions" not in patch(pc, E5_SUB, autoRenewEnabled=False).json()
    assert "scheduledNextTermInstructions" not in patch(pc, E5_SUB, autoRenewEnabled=True).json()
    assert patch(pc, E5_SUB, scheduledNextTermInstructions=instructions).status_code == 200
    end = datetime.fromisoformat(sub(pc, E5_SUB)["commitmentEndDate"].replace("Z", "+00:00"))
    pc.advance((end.date() - NOW.date()).days + 1)  # past the inclusive last day: renewed at 00:00 UTC
    renewed = sub(pc, E5_SUB)
    assert renewed["status"] == "active" and renewed["quantity"] == 8
    assert renewed["termDuration"] == "P1Y" and renewed["billingCycle"] == "annual"
    assert "scheduledNextTermInstructions" not in renewed
    assert renewed["effectiveStartDate"] == (end + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")
    assert renewed["refundableQuantity"]["totalQuantity"] == 8  # a new 7-day window from renewal


def test_a_term_without_auto_renew_expires(pc: FakePartnerCenter) -> None:
    assert patch(pc, E5_SUB, autoRenewEnabled=False).status_code == 200
    pc.advance(40)
    assert sub(pc, E5_SUB)["status"] == "expired"
    assert sub(pc, E3_SUB)["status"] == "active"  # a year's term, auto-renew on
    assert code(patch(pc, E5_SUB, quantity=6)) == "800012"
    pc.advance(365)
    e3 = sub(pc, E3_SUB)
    assert e3["status"] == "active" and e3["commitmentEndDate"].startswith("2028-10-21")


def test_accepted_patch_answers_202_with_location(pc: FakePartnerCenter) -> None:
    pc.accept_next(1)
    resp = patch(pc, E3_SUB, quantity=21)
    assert resp.status_code == 202 and resp.headers["Location"].endswith(f"/subscriptions/{E3_SUB}")
    assert sub(pc, E3_SUB)["quantity"] == 21


# ----- faults and idempotency ------------------------------------------------------------------------


def test_lost_replies_still_apply_the_write(pc: FakePartnerCenter) -> None:
    cart_id = new_cart(pc).json()["id"]
    pc.lose_next(1, "checkout")
    lost = checkout(pc, cart_id)
    assert lost.status_code == 504 and pc.requests[-1].note == "lost"
    assert call(pc, "GET", f"/v1/customers/{CUST}/carts/{cart_id}").json()["status"] == "Ordered"
    assert len(pc.orders(CUST)) == 1
    pc.lose_next(1, "patch", status=None)
    with pytest.raises(requests.ConnectionError):
        patch(pc, E3_SUB, quantity=26)
    assert sub(pc, E3_SUB)["quantity"] == 26
    pc.lose_next(1, "cart")
    assert new_cart(pc).status_code == 504 and len(pc.carts(CUST)) == 2


def test_same_request_id_replays_the_first_reply(pc: FakePartnerCenter) -> None:
    rid = str(uuid.uuid4())
    pc.lose_next(1, "cart")
    assert call(pc, "POST", f"/v1/customers/{CUST}/carts", {}, request_id=rid).status_code == 400  # not lost: refused
    rid = str(uuid.uuid4())
    body = {
        "PartnerOnRecordAttestationAccepted": True,
        "lineItems": [
            {"catalogItemId": pc.catalog_item_id(E5), "quantity": 1, "termDuration": "P1M", "billingCycle": "monthly"}
        ],
    }
    assert call(pc, "POST", f"/v1/customers/{CUST}/carts", body, request_id=rid).status_code == 504
    retry = call(pc, "POST", f"/v1/customers/{CUST}/carts", body, request_id=rid)
    assert retry.status_code == 201 and pc.requests[-1].note == "replayed" and len(pc.carts(CUST)) == 1
    cart_id = retry.json()["id"]
    rid = str(uuid.uuid4())
    pc.lose_next(1, "checkout", status=None)
    with pytest.raises(requests.ConnectionError):
        checkout(pc, cart_id, request_id=rid)
    replay = checkout(pc, cart_id, request_id=rid)
    assert replay.status_code == 201 and replay.json()["orders"][0]["id"] == pc.orders(CUST)[0]["id"]
    assert checkout(pc, cart_id).status_code == 400  # a new request id: a second checkout, refused
    assert len(pc.orders(CUST)) == 1 and pc.checkouts[cart_id] == 2


def test_faults_before_anything_is_done_do_not_consume_the_request_id(pc: FakePartnerCenter) -> None:
    rid = str(uuid.uuid4())
    pc.fail_next(1, "cart", 500, 800003)
    assert new_cart(pc).status_code == 500 and pc.carts(CUST) == []
    pc.configure(throttle_rate=1.0, retry_after=3)
    throttled = call(pc, "POST", f"/v1/customers/{CUST}/carts", {}, request_id=rid)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "3"
    assert throttled.json() == {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 3 seconds."}
    pc.configure(throttle_rate=0.0, error_rate=1.0)
    assert call(pc, "GET", f"/v1/customers/{CUST}/subscriptions").status_code in (500, 503)
    pc.configure(error_rate=0.0, lost_rate=1.0)
    assert new_cart(pc).status_code == 504 and len(pc.carts(CUST)) == 1
    assert call(pc, "POST", f"/v1/customers/{CUST}/carts", {}, request_id=rid).status_code == 400


def test_seeded_faults_repeat() -> None:
    def statuses(seed: int) -> list[int]:
        with FakePartnerCenter(customers=SEED, today=NOW, seed=seed, throttle_rate=0.3, error_rate=0.3) as pc:
            return [call(pc, "GET", f"/v1/customers/{CUST}/subscriptions").status_code for _ in range(12)]

    first = statuses(7)
    assert first == statuses(7) and set(first) - {200} and 200 in first


def test_subscription_rate_limit_per_customer() -> None:
    clock = [1000.0]
    with FakePartnerCenter(customers=SEED, today=NOW, subscription_rate_limit=3, monotonic=lambda: clock[0]) as pc:
        for _ in range(3):
            assert call(pc, "GET", f"/v1/customers/{CUST}/subscriptions").status_code == 200
        clock[0] += 20
        limited = call(pc, "GET", f"/v1/customers/{CUST}/subscriptions/{E3_SUB}")
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "40"
        assert limited.json()["statusCode"] == 429
        assert call(pc, "GET", f"/v1/customers/{OTHER}/subscriptions").status_code == 200
        assert call(pc, "GET", f"/v1/customers/{CUST}/orders").status_code == 200  # not the Subscription resource
        clock[0] += 40
        assert call(pc, "GET", f"/v1/customers/{CUST}/subscriptions").status_code == 200


def test_fail_next_injects_an_exact_documented_error(pc: FakePartnerCenter) -> None:
    cart_id = new_cart(pc).json()["id"]
    pc.fail_next(1, "checkout", 409, 800060, "Your order is in progress. Check your order history.")
    busy = checkout(pc, cart_id)
    assert busy.status_code == 409 and code(busy) == "800060" and pc.orders(CUST) == []
    pc.fail_next(1, "patch", 400, 900257)
    assert code(patch(pc, E5_SUB, quantity=4)) == "900257" and sub(pc, E5_SUB)["quantity"] == 5
    with pytest.raises(ValueError):
        pc.fail_next(1, "nope", 400, 1)


def test_error_codes_alternate_between_number_and_string(pc: FakePartnerCenter) -> None:
    path = f"/v1/customers/{CUST}/subscriptions/{uuid.uuid4()}"
    first, second = call(pc, "GET", path).json()["code"], call(pc, "GET", path).json()["code"]
    assert (first, second) == (20003, "20003")
    pc.configure(error_code_style="string")
    assert call(pc, "GET", path).json()["code"] == "20003"


# ----- overage ---------------------------------------------------------------------------------------


def test_overage_get_and_put() -> None:
    entitlement = "ea1c26b7-8c99-42bb-ba7d-c535831fae8e"
    with FakePartnerCenter(
        customers=SEED, today=NOW, azure_entitlements={CUST: [entitlement]}, overage_elsewhere=[OTHER]
    ) as pc:
        path = f"/v1/customers/{CUST}/subscriptions/overage"
        assert call(pc, "GET", path).json()["items"] == []
        body = {"azureEntitlementId": entitlement, "partnerId": "5357563", "overageEnabled": True}
        put = call(pc, "PUT", path, body)
        assert put.status_code == 200 and put.json()["type"] == "PhoneServices" and put.json()["overageEnabled"] is True
        got = call(pc, "GET", path).json()
        assert got["totalCount"] == 1 and got["items"][0]["azureEntitlementId"] == entitlement
        unknown = call(pc, "PUT", path, {**body, "azureEntitlementId": str(uuid.uuid4())})
        assert unknown.status_code == 404 and code(unknown) == "800111"
        taken = call(pc, "PUT", f"/v1/customers/{OTHER}/subscriptions/overage", body)
        assert taken.status_code == 403 and code(taken) == "800115"
