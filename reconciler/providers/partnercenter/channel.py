"""A customer's new-commerce subscriptions through Partner Center: read, buy, resize, renew.

What Microsoft documents, and how tenantctl follows it (docs/commerce-apis.md, section in brackets):
- Read `GET /customers/{c}/subscriptions` [1.3]; a subscription is managed when its offer's
  `productId:skuId` maps to a SKU (`spec.offers` or the shipped ids), and is left alone otherwise.
- Buy: the SKU's availability for the customer [1.5], a cart with quantity, term and billing cycle,
  then checkout [1.6]. Never twice: the cart id is stored under the action's idempotency key before
  checkout, and both calls carry a request id derived from that key. After a crash or a lost answer
  the stored cart is read back, and only a cart still `Active` is checked out.
- Seats, auto-renew and the next term: PATCH of the whole subscription, with its ETag [1.7-1.9].
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ...domain import catalog
from ...domain.commerce import Commerce
from ...domain.errors import PermanentProviderError, TransientProviderError
from ...domain.model import (
    AUTO_RENEW,
    PAY_AS_YOU_GO,
    SCHEDULED,
    TERMS,
    RefundableSeats,
    ScheduledSeats,
    SubscriptionState,
    TenantState,
)
from ...support.crash_points import crash_point, current_action
from ..sqlitefiles import open_writer
from .client import PartnerCenterClient, PartnerCenterError

# What this channel reads that Graph cannot, and the action kinds it performs (the rest stay manual).
READABLE = frozenset({TERMS, SCHEDULED, AUTO_RENEW, PAY_AS_YOU_GO})
PERFORMS = frozenset(
    {"purchase_subscription", "set_seats", "schedule_seats", "set_term", "set_auto_renew", "set_pay_as_you_go"}
)
_KEYS = uuid.UUID("6f1f7a52-8c1e-4f0b-9a57-2e3d4c5b6a79")  # namespace of the request ids derived from keys
CARTS = """CREATE TABLE IF NOT EXISTS partner_center_carts (
    idempotency_key TEXT PRIMARY KEY, customer TEXT NOT NULL, cart_id TEXT NOT NULL, sku TEXT NOT NULL,
    created TEXT NOT NULL)"""
# How long an order of ours may take to show as a subscription before it is taken for gone (Microsoft:
# "a delay of up to 15 minutes before the order appears"; provisioning is asynchronous). Judgement.
PROVISIONING_GRACE = timedelta(days=1)


@dataclass(frozen=True)
class _Live:
    """One subscription as Partner Center returned it (the body a PATCH sends back whole)."""

    sku: str
    body: dict[str, Any]

    @property
    def product(self) -> tuple[str, str, str]:
        parts = (str(self.body.get("offerId", "")).split(":") + ["", "", ""])[:3]
        return parts[0], parts[1], parts[2]


class PartnerCenterChannel:
    """The commerce half of a tenant under NCE, bought through the partner's Partner Center."""

    def __init__(self, client: PartnerCenterClient, customer: str, commerce: Commerce, today: date, memory: Path):
        self.client, self.customer, self.commerce, self.today = client, customer, commerce, today
        self._memory = memory
        self._live: dict[str, _Live] = {}

    def close(self) -> None:
        """Release the connection pool."""
        self.client.close()

    # ---- reading

    def merge(self, state: TenantState) -> TenantState:
        """`state` (Graph's) with the mapped subscriptions as Partner Center has them; users from Graph."""
        self._live = self._read()
        current = self._overage()
        overage = bool(current.get("overageEnabled"))
        # Overage is billed to an Azure plan: with none set and none declared, a person picks one in
        # Partner Center (the plan's steps), rather than an apply that fails on it.
        performs = (
            PERFORMS
            if self.commerce.azure_entitlement_id or current.get("azureEntitlementId")
            else (PERFORMS - {"set_pay_as_you_go"})
        )
        # A SKU Partner Center can name is owned only if Partner Center has it: Graph also lists SKUs
        # with no seats left (ended, or bought elsewhere and gone).
        subscriptions = {k: v for k, v in state.subscriptions.items() if self.commerce.offer(k) is None}
        for sku, live in self._live.items():
            consumed = state.subscriptions[sku].consumed if sku in state.subscriptions else 0
            # Calling overage is per customer (new-commerce telco pay-as-you-go): every calling plan shows it.
            paygo = overage and catalog.lookup(sku) is not None and catalog.CATALOG[sku].pay_as_you_go
            subscriptions[sku] = replace(_state_of(live, consumed, self.today), pay_as_you_go=paygo)
        return replace(
            state,
            subscriptions=subscriptions,
            unknown=state.unknown - READABLE,
            manual=state.manual - performs,
        )

    def _read(self) -> dict[str, _Live]:
        items = self.client.get(f"/customers/{self.customer}/subscriptions").get("items") or []
        out: dict[str, _Live] = {}
        for item in items:
            sku = self.commerce.sku_of(str(item.get("offerId", "")))
            if sku is None or str(item.get("status", "")).lower() not in ("active", "expired"):
                continue  # unmapped, or cancelled/suspended: not the subscription the spec manages
            if sku in out and str(out[sku].body.get("status", "")).lower() == "active":
                if str(item.get("status", "")).lower() == "active":
                    raise PermanentProviderError(
                        f"the customer has two active {sku} subscriptions in Partner Center; tenantctl manages one "
                        "per SKU",
                        "merge them in Partner Center, or map one of them to another SKU in spec.offers",
                        "two_subscriptions",
                    )
                continue
            out[sku] = _Live(sku, item)
        return out

    # ---- writing

    def purchase_subscription(self, sku: str, seats: int, term: str, billing: str, key: str) -> bool:
        """Buy once per key: the cart is remembered before checkout and read back after a crash."""
        cart_id = self._remembered(key)
        if cart_id is None:
            if sku in self._fresh():
                return False  # owned already: never a second subscription of the SKU
            self._refuse_while_provisioning(sku)
            cart_id = self._create_cart(sku, seats, term, billing, key)
            self._remember(key, cart_id, sku)
        else:
            status = str(self.client.get(f"/customers/{self.customer}/carts/{cart_id}").get("status", "")).lower()
            if status == "ordered":  # checked out before the crash or the lost answer
                if sku in self._fresh():
                    return False
                raise _provisioning(sku, f"cart {cart_id}")
            if status != "active":
                raise PermanentProviderError(
                    f"the cart this purchase of {sku} made earlier ({cart_id}) is {status or 'unreadable'}",
                    "check the customer's orders in Partner Center before buying it again",
                    "cart_state",
                )
        try:
            result = self.client.call(
                "POST", f"/customers/{self.customer}/carts/{cart_id}/checkout", request_id=_derived(key, "checkout")
            )
        except PartnerCenterError as exc:
            if exc.code == "800065":  # "can't check out an already submitted cart": it was, by us
                return False
            raise
        crash_point(current_action.get(), "inside")  # test hook: ordered, the outcome not yet journaled
        errors = result.get("orderErrors") or []
        if errors or not result.get("orders"):
            detail = "; ".join(f"{e.get('code')}: {e.get('description')}" for e in errors) or "no order was created"
            raise PermanentProviderError(
                f"Partner Center did not order {sku}: {detail}", "see the order in Partner Center"
            )
        return True

    def set_seats(self, sku: str, seats: int) -> bool:
        """PATCH the quantity; a decrease only of seats still inside their window (else 800090)."""
        return self._patch(sku, lambda body: body.get("quantity") == seats, {"quantity": seats})

    def set_auto_renew(self, sku: str, enabled: bool) -> bool:
        """PATCH autoRenewEnabled."""
        return self._patch(
            sku, lambda body: bool(body.get("autoRenewEnabled")) == enabled, {"autoRenewEnabled": enabled}
        )

    def set_pay_as_you_go(self, sku: str, enabled: bool) -> bool:
        """The customer's calling overage (one setting for every calling plan), billed to an Azure plan
        entitlement: the spec's `azureEntitlementId`, else the one already set."""
        current = self._overage()
        if bool(current.get("overageEnabled")) == enabled:
            return False
        entitlement = self.commerce.azure_entitlement_id or current.get("azureEntitlementId")
        if not entitlement:
            raise PermanentProviderError(
                "Partner Center bills calling overage to the customer's Azure plan, and none is set yet",
                "declare metadata.commerce.azureEntitlementId: the Azure plan subscription id for overage",
                "overage_entitlement_missing",
            )
        body = {"azureEntitlementId": entitlement, "partnerId": current.get("partnerId", ""), "overageEnabled": enabled}
        self.client.call("PUT", f"/customers/{self.customer}/subscriptions/overage", body)
        return True

    def _overage(self) -> dict[str, Any]:
        items = self.client.get(f"/customers/{self.customer}/subscriptions/overage").get("items") or []
        phone = [i for i in items if str(i.get("type", "PhoneServices")).lower() == "phoneservices"]
        return phone[0] if phone else {}

    def schedule_seats(self, sku: str, seats: int) -> bool:
        """The seat count the subscription renews with (scheduled next-term instructions; auto-renew must be on)."""
        return self._schedule(sku, quantity=seats)

    def set_term(self, sku: str, term: str, billing: str) -> bool:
        """The term and billing cycle the subscription renews on (scheduled next-term instructions)."""
        return self._schedule(sku, term=term, billing=billing)

    # ---- helpers

    def _fresh(self) -> dict[str, _Live]:
        self._live = self._read()
        return self._live

    def _subscription(self, sku: str) -> _Live:
        live = self._fresh().get(sku)
        if live is None:
            raise PermanentProviderError(
                f"the customer has no {sku} subscription in Partner Center", f"buy {sku} first"
            )
        return live

    def _patch(self, sku: str, done: Any, change: dict[str, Any]) -> bool:
        live = self._subscription(sku)
        if done(live.body):
            return False
        body = {**live.body, **change}
        etag = (live.body.get("attributes") or {}).get("etag")
        path = f"/customers/{self.customer}/subscriptions/{live.body['id']}"
        try:
            self.client.call("PATCH", path, body, etag=etag)
        except TransientProviderError:
            if done(self._subscription(sku).body):  # the answer was lost, the change was made
                return True
            raise
        return True

    def _schedule(
        self, sku: str, quantity: int | None = None, term: str | None = None, billing: str | None = None
    ) -> bool:
        live = self._subscription(sku)
        body = live.body
        current = body.get("scheduledNextTermInstructions") or {}
        product_id, sku_id, availability = live.product
        product = {
            "productId": product_id,
            "skuId": sku_id,
            "availabilityId": availability,
            "billingCycle": str(body.get("billingCycle", "")).title(),
            "termDuration": body.get("termDuration"),
            **(current.get("product") or {}),
        }
        if term is not None and billing is not None:
            product.update(termDuration=term, billingCycle=billing.title())
        wanted = {
            "product": product,
            "quantity": quantity if quantity is not None else current.get("quantity", body.get("quantity")),
        }
        if current and current.get("quantity") == wanted["quantity"] and _same_product(current.get("product"), product):
            return False
        if not current and wanted["quantity"] == body.get("quantity") and term is None:
            return False  # nothing scheduled, and the renewal count is the count now
        return self._patch(
            sku, lambda b: b.get("scheduledNextTermInstructions") == wanted, {"scheduledNextTermInstructions": wanted}
        )

    def _create_cart(self, sku: str, seats: int, term: str, billing: str, key: str) -> str:
        offer = self.commerce.offer(sku) or ""
        product_id, sku_id = offer.split(":")
        found = self.client.get(f"/customers/{self.customer}/products/{product_id}/skus/{sku_id}/availabilities")
        items = found.get("items") if "items" in found else [found]
        catalog_item = next(
            (
                a["catalogItemId"]
                for a in items or []
                if a.get("isPurchasable", True)
                and any(
                    t.get("duration") == term and str(t.get("billingCycle", "")).lower() == billing
                    for t in a.get("terms") or []
                )
            ),
            None,
        )
        if catalog_item is None:
            raise PermanentProviderError(
                f"Partner Center offers {sku} ({offer}) to this customer on no {term} term billed {billing}",
                "choose another term or billing frequency in the spec, or check spec.offers",
                "not_available",
            )
        line = {
            "id": 0,
            "catalogItemId": catalog_item,
            "quantity": seats,
            "termDuration": term,
            "billingCycle": billing.title(),
        }
        # The partner attests to being the partner of record, as Partner Center's own checkout asks (D7).
        cart = {"lineItems": [line], "PartnerOnRecordAttestationAccepted": True}
        made = self.client.call("POST", f"/customers/{self.customer}/carts", cart, request_id=_derived(key, "cart"))
        return str(made["id"])

    @contextmanager
    def _carts(self) -> Iterator[sqlite3.Connection]:
        db = open_writer(self._memory)
        try:
            db.execute(CARTS)
            yield db
        finally:
            db.close()

    def _refuse_while_provisioning(self, sku: str) -> None:
        """An order of `sku` whose subscription does not show yet: buying again would buy twice (a re-plan
        after a crash has other idempotency keys when anything else changed meanwhile). Partner Center's
        own order list is asked, so a runner without this machine's memory is stopped too; the carts
        remembered here cover the minutes before a new order shows in that list."""
        since = datetime.now(UTC) - PROVISIONING_GRACE
        with self._carts() as db:
            carts = db.execute(
                "SELECT cart_id FROM partner_center_carts WHERE customer = ? AND sku = ? AND created >= ?",
                (self.customer, sku, since.isoformat()),
            ).fetchall()
        for (cart_id,) in carts:
            cart = self.client.get(f"/customers/{self.customer}/carts/{cart_id}")
            if str(cart.get("status", "")).lower() == "ordered":
                raise _provisioning(sku, f"cart {cart_id}")
        offer = (self.commerce.offer(sku) or "").upper()
        recent = datetime.combine(self.today, datetime.min.time(), UTC) - PROVISIONING_GRACE  # by the tenant's clock
        for order in self.client.get(f"/customers/{self.customer}/orders").get("items") or []:
            created = _moment(order.get("creationDate"))
            if created is None or created < recent or str(order.get("status", "")).lower() in ("cancelled", "error"):
                continue
            for line in order.get("lineItems") or []:
                if ":".join(str(line.get("offerId", "")).upper().split(":")[:2]) == offer:
                    raise _provisioning(sku, f"order {order.get('id')}")

    def _remembered(self, key: str) -> str | None:
        with self._carts() as db:
            row = db.execute("SELECT cart_id FROM partner_center_carts WHERE idempotency_key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def _remember(self, key: str, cart_id: str, sku: str) -> None:
        with self._carts() as db:
            db.execute(
                "INSERT INTO partner_center_carts VALUES (?, ?, ?, ?, ?)",
                (key, self.customer, cart_id, sku, datetime.now(UTC).isoformat()),
            )


def _provisioning(sku: str, what: str) -> PermanentProviderError:
    return PermanentProviderError(
        f"{sku} was ordered from Partner Center recently ({what}) and its subscription does not show yet; "
        "nothing was bought again",
        "Partner Center provisions orders asynchronously (up to minutes): plan and apply again later",
        "order_provisioning",
    )


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _derived(key: str, step: str) -> str:
    """The MS-RequestId of a step of a keyed action: the same on every retry and every re-run."""
    return str(uuid.uuid5(_KEYS, f"{key}:{step}"))


def _same_product(a: Any, b: dict[str, Any]) -> bool:
    a = a or {}
    fields = ("productId", "skuId", "termDuration")
    return (
        all(str(a.get(f, "")).lower() == str(b.get(f, "")).lower() for f in fields)
        and str(a.get("billingCycle", "")).lower() == str(b.get("billingCycle", "")).lower()
    )


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def _state_of(live: _Live, consumed: int, today: date) -> SubscriptionState:
    """Partner Center's subscription in tenantctl's terms. The term and billing are those it renews on
    (a scheduled change included), as the simulator shows a term change at once."""
    body = live.body
    end = _day(body.get("commitmentEndDate"))  # inclusive: the renewal is the day after
    renewal = end + timedelta(days=1) if end else None
    scheduled = body.get("scheduledNextTermInstructions") or {}
    product = scheduled.get("product") or {}
    term = str(product.get("termDuration") or body.get("termDuration") or "P1Y")
    billing = str(product.get("billingCycle") or body.get("billingCycle") or "monthly").lower()
    details = (body.get("refundableQuantity") or {}).get("details") or []
    refundable = tuple(
        RefundableSeats(int(d["quantity"]), until)
        for d in details
        if int(d.get("quantity", 0)) > 0 and (until := _day(d.get("allowedUntilDateTime"))) is not None
    )
    quantity = int(body.get("quantity", 0))
    expired = str(body.get("status", "")).lower() == "expired"
    return SubscriptionState(
        live.sku,
        0 if expired else quantity,
        term,
        "annual" if billing in ("annual", "triennial") else "monthly",
        consumed=consumed,
        term_end=renewal,
        refundable=refundable,
        scheduled=ScheduledSeats(int(scheduled["quantity"]), renewal)
        if "quantity" in scheduled and int(scheduled["quantity"]) != quantity
        else None,
        auto_renew=bool(body.get("autoRenewEnabled")) and not expired,
        offer_name=str(body.get("offerName") or body.get("friendlyName") or "") or None,
    )
