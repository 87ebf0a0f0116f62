"""An in-process fake of Microsoft's Partner Center REST API (CSP, new commerce), served over real HTTP.

One partner, a few customers: subscriptions (read, PATCH quantity / auto-renew / scheduled next-term
changes), availabilities, carts, checkout, orders, and telco overage, under `/v1/...` exactly as
Microsoft documents them. Strict on purpose: where Microsoft's pages disagree, the fake does what a
careless client would fail against, and says so beside the rule.

Every rule cites its source. "P0 <page>" is the English Partner Center docs as a git repo
(github:kvamseek/partner-center @ 85eb3c40f4925934e4e7100d4a97d951aa679052, path developer/<page>.md,
published at https://learn.microsoft.com/en-us/partner-center/developer/<page>); "PL <url>" is a live
learn.microsoft.com page. docs/commerce-apis.md (section 1, disagreements D1..D17, and "Fake Partner
Center: choices") collects the same facts.

Written from Microsoft's documentation only, never from the product (reconciler/): the fake is an
independent witness for the Partner Center client that will be tested against it.
"""

from __future__ import annotations

import base64
import calendar
import contextlib
import hashlib
import json
import random
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

# The partner the fake acts for (invented: Microsoft's docs show no partner tenant id in these examples).
DEFAULT_PARTNER_ID = "7b1f3c2e-5d4a-4e8b-9c6f-0a1b2c3d4e5f"

# "License quantity can only be reduced within 7 days of purchase or renewal of a subscription ...
# licenses added at midterm can also only be reduced within 7 days" (P0 change-the-quantity-of-a-subscription,
# ms.date 2023-10-10; P0 new-commerce-cancellation-policy). Older localized copies said 72 hours (D2).
REFUND_WINDOW = timedelta(days=7)
# "Carts expire 7 days from initial creation." (P0 create-a-cart and checkout-a-cart; PL
# https://learn.microsoft.com/en-us/partner-center/developer/checkout-a-cart). An older example shows a
# 15-minute expirationTimestamp (D8); the fake follows the stated rule.
CART_LIFETIME = timedelta(days=7)
# "The Subscription resource has a rate limit of 500 requests per minute per tenant identifier."
# (P0 subscription-resources)
SUBSCRIPTION_RATE_LIMIT = 500
# Terms the docs name: "P1M (1 month), P1Y (1 year) and P3Y (3 years)" (P0 subscription-resources, cart-resources).
TERM_MONTHS = {"P1M": 1, "P1Y": 12, "P3Y": 36}
# BillingCycleType member names (P0 product-resources): JSON spells them lower case in subscriptions,
# carts and orders ("monthly", "one_time") and capitalized in availability terms ("Annual") (D6). Input
# is accepted in any case; output uses each resource's example spelling.
CYCLE_MONTHS = {"monthly": 1, "annual": 12, "triennial": 36}
CYCLE_TITLE = {"monthly": "Monthly", "annual": "Annual", "triennial": "Triennial"}
# Every field present in all of Microsoft's new commerce PATCH request examples (P0
# change-the-quantity-of-a-subscription, update-autorenew-for-an-azure-marketplace-subscription,
# create-scheduled-changes). "A full Subscription resource is required in the request body" (same pages);
# a body lacking any of these is not a full resource, and is refused.
FULL_RESOURCE_FIELDS = (
    "id",
    "offerId",
    "friendlyName",
    "quantity",
    "unitType",
    "creationDate",
    "effectiveStartDate",
    "commitmentEndDate",
    "status",
    "autoRenewEnabled",
    "billingCycle",
    "termDuration",
    "orderId",
    "attributes",
)
KINDS = ("cart", "checkout", "patch", "overage", "get", "availabilities")
FAULT_KEYS = {
    "throttle_rate",
    "retry_after",
    "error_rate",
    "lost_rate",
    "repeat_checkout",
    "order_list_delay",
    "provisioning_reads",
    "subscription_rate_limit",
    "rate_window",
    "checkout_latency",
    "require_attestation",
    "require_contract_version",
    "require_if_match",
    "stale_etag_status",
    "error_code_style",
}


def default_catalog() -> list[dict[str, Any]]:
    """The products the fake sells by default: Microsoft's ids for the SKUs tenantctl models.

    productId:skuId pairs are the ones docs/commerce-apis.md section 1.13 cites from Microsoft's pages.
    Availability ids: CFQ7TTC0K4TS (Microsoft 365 E5, P0 create-a-cart NCE example), CFQ7TTC0N81H (Office
    365 E5 without Audio Conferencing, P0 checkout-a-cart NCE example) and CFQ7TTC0K971 (Business Basic,
    P0 get-a-subscription-by-id) are Microsoft's; every other availability id is INVENTED (12 characters
    like Microsoft's, ending in "FAKE"). Terms and quantity limits are invented too (Microsoft publishes
    them only through the availabilities API); Business Basic's 300 is the documented Business-plan cap.
    """
    three = [
        {"duration": "P1Y", "billingCycle": "Annual"},
        {"duration": "P1Y", "billingCycle": "Monthly"},
        {"duration": "P1M", "billingCycle": "Monthly"},
    ]
    rows = [
        ("CFQ7TTC0LFLZ", "0002", "Microsoft 365 E5", "CFQ7TTC0K4TS", 10000),
        ("CFQ7TTC0LFLX", "0001", "Microsoft 365 E3", "CFQ7TTC0FAKE", 10000),
        ("CFQ7TTC0LF8S", "0001", "Office 365 E5 without Audio Conferencing", "CFQ7TTC0N81H", 10000),
        ("CFQ7TTC0HL73", "0001", "Teams Phone with Calling Plan", "CFQ7TTC1FAKE", 10000),
        ("CFQ7TTC0LHXJ", "0017", "Microsoft Teams Domestic Calling Plan", "CFQ7TTC2FAKE", 10000),
        ("CFQ7TTC0LH18", "0001", "Microsoft 365 Business Basic", "CFQ7TTC0K971", 300),
    ]
    return [
        {
            "productId": p,
            "skuId": s,
            "title": title,
            "availabilityId": a,
            "terms": [dict(t) for t in three],
            "minQuantity": 1,
            "maxQuantity": top,
            "renewable": True,
        }
        for p, s, title, a, top in rows
    ]


@dataclass
class Recorded:
    """One request as the fake saw it; status is filled in once the answer is known (0: connection dropped).

    note: "" or what the fake did instead of a plain answer: "replayed" (same MS-RequestId as an earlier
    write), "lost" (applied, reply replaced by an error), "dropped" (applied, connection closed), "injected"
    (fail_next), "throttled", "rate-limited", "fault".
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int = 0
    note: str = ""


@dataclass
class Reply:
    """A response before it is written to the wire; drop=True closes the connection with no answer."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


class PCError(Exception):
    """Raised by handlers; turned into Partner Center's error body."""

    def __init__(self, status: int, code: int | str, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status, self.code, self.description = status, code, description
        self.headers = headers or {}


@dataclass
class _Entry:
    product_id: str
    sku_id: str
    title: str
    availability_id: str
    terms: list[tuple[str, str]]  # (duration, billing cycle in lower case)
    min_q: int
    max_q: int
    renewable: bool
    purchasable: bool
    country: str
    segment: str
    currency: str

    @property
    def key(self) -> str:
        return f"{self.product_id}:{self.sku_id}".upper()

    @property
    def catalog_item_id(self) -> str:
        return f"{self.product_id}:{self.sku_id}:{self.availability_id}"


@dataclass
class _Batch:
    quantity: int
    at: datetime  # seats added (purchase, renewal, or midterm add): reducible until at + 7 days


@dataclass
class _Sub:
    id: str
    customer: str
    entry: _Entry
    availability_id: str
    friendly_name: str
    quantity: int
    term: str
    cycle: str
    auto_renew: bool
    created: datetime
    start: date
    end: date  # inclusive last day of the term
    window_start: datetime  # purchase or last renewal: cancellationAllowedUntilDate counts from it
    status: str
    order_id: str
    batches: list[_Batch]
    scheduled: dict[str, Any] | None = None
    version: int = 1
    provisioned: bool = True


@dataclass
class _Cart:
    id: str
    customer: str
    created: datetime
    expires: datetime
    line_items: list[dict[str, Any]]
    status: str = "Active"
    result: dict[str, Any] | None = None
    busy: bool = False


@dataclass
class _Order:
    id: str
    customer: str
    created: datetime
    cycle: str
    lines: list[dict[str, Any]]  # lineItemNumber, offerId, friendlyName, quantity, termDuration, subscriptionId
    status: str = "pending"
    reads_left: int = 0
    list_misses_left: int = 0


def _ci(obj: Any) -> dict[str, Any]:
    """A JSON object with lower-cased keys, so PascalCase and camelCase bodies read alike.

    Microsoft's examples send both: the NCE create-cart example is PascalCase ("LineItems", "CatalogItemId"),
    the general one camelCase (P0 create-a-cart, D7); the legacy PATCH example is PascalCase (P0
    change-the-quantity-of-a-subscription).
    """
    if not isinstance(obj, dict):
        return {}
    return {str(k).lower(): v for k, v in obj.items()}


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def _as_datetime(value: date | datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _day(d: date) -> str:
    return f"{d.isoformat()}T00:00:00Z"


def _add_months(d: date, months: int) -> date:
    total = d.month - 1 + months
    year, month = d.year + total // 12, total % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _term_end(start: date, term: str) -> date:
    # "End dates are inclusive, meaning the end of the term is at the end of the full day." (P0
    # subscription-resources); the NCE example starts 2021-01-14 with P1Y and ends "2022-01-13T00:00:00Z"
    # with commitmentEndDateTime "2022-01-13T23:59:59Z" (P0 get-a-subscription-by-id).
    return _add_months(start, TERM_MONTHS[term]) - timedelta(days=1)


def _link(uri: str, method: str = "GET") -> dict[str, Any]:
    return {"uri": uri, "method": method, "headers": []}


def _cycle(value: Any) -> str | None:
    """A billing cycle in the lower-case member name the JSON uses, from any spelling (D6)."""
    if not isinstance(value, str):
        return None
    low = value.strip().lower().replace("_", "")
    return {"monthly": "monthly", "annual": "annual", "triennial": "triennial", "onetime": "one_time"}.get(low)


class FakePartnerCenter:
    """A fake Partner Center for one partner behind a ThreadingHTTPServer on 127.0.0.1.

    Seeding: `catalog` (default default_catalog()) lists what is sold; `customers` maps a customer tenant id
    to its initial subscriptions (see _seed_subscription for the keys). `today` pins the fake's business
    clock (a date means midnight UTC); advance() moves it, renewing or expiring subscriptions whose term has
    ended and expiring carts.

    Random faults from one generator seeded by `seed`: throttle_rate (429 + Retry-After: retry_after),
    error_rate (500 or 503 before anything is done), lost_rate (a successful write applied, then answered
    504). Deterministic: fail_next(n, kind, status, code), lose_next(n, kind, status=504 | None for a
    dropped connection), accept_next(n) (PATCH answered 202), fail_orders_next(n).

    configure() changes the knobs in FAULT_KEYS at runtime, and seed.
    """

    def __init__(
        self,
        *,
        token: str = "fake-pc-token",
        customers: dict[str, list[dict[str, Any]]] | None = None,
        catalog: list[dict[str, Any]] | None = None,
        today: date | datetime | None = None,
        seed: int = 0,
        throttle_rate: float = 0.0,
        retry_after: int = 1,
        error_rate: float = 0.0,
        lost_rate: float = 0.0,
        repeat_checkout: str = "error",
        order_list_delay: int = 0,
        provisioning_reads: int = 0,
        subscription_rate_limit: int = SUBSCRIPTION_RATE_LIMIT,
        rate_window: float = 60.0,
        checkout_latency: float = 0.0,
        require_attestation: bool = True,
        require_contract_version: bool = True,
        require_if_match: bool = True,
        stale_etag_status: int = 400,
        error_code_style: str = "mixed",
        partner_id: str = DEFAULT_PARTNER_ID,
        azure_entitlements: dict[str, list[str]] | None = None,
        overage_elsewhere: Iterable[str] = (),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token, self.partner_id = token, partner_id
        self.throttle_rate, self.retry_after = throttle_rate, retry_after
        self.error_rate, self.lost_rate = error_rate, lost_rate
        self.repeat_checkout = repeat_checkout
        self.order_list_delay, self.provisioning_reads = order_list_delay, provisioning_reads
        self.subscription_rate_limit, self.rate_window = subscription_rate_limit, rate_window
        self.checkout_latency = checkout_latency
        self.require_attestation = require_attestation
        self.require_contract_version = require_contract_version
        self.require_if_match = require_if_match
        self.stale_etag_status = stale_etag_status
        self.error_code_style = error_code_style
        self._check_knobs()
        self._lock = threading.RLock()  # guards all state, the generators, the logs and the counters
        self._rng = random.Random(seed)  # faults only: drawn only when a fault rate is above zero
        self._ids = random.Random(f"fakepartnercenter-ids:{seed}")  # ids, so fault draws never shift them
        self._monotonic = monotonic
        self._now = _as_datetime(today) if today is not None else datetime.now(UTC).replace(microsecond=0)
        self._catalog: dict[str, _Entry] = {}
        for raw in default_catalog() if catalog is None else catalog:
            entry = self._make_entry(raw)
            self._catalog[entry.key] = entry
        self._retired: dict[str, _Entry] = {}  # catalogItemId (upper) of rotated availabilities -> entry
        self._customers: dict[str, dict[str, _Sub]] = {}
        self._carts: dict[str, _Cart] = {}
        self._orders: dict[str, _Order] = {}
        self._overage: dict[str, dict[str, Any]] = {}
        self._entitlements = {c.lower(): [e.lower() for e in es] for c, es in (azure_entitlements or {}).items()}
        self._overage_elsewhere = {c.lower() for c in overage_elsewhere}
        for customer, subs in (customers or {}).items():
            bucket = self._customers.setdefault(customer.lower(), {})
            for raw in subs:
                sub = self._seed_subscription(customer.lower(), raw)
                bucket[sub.id.lower()] = sub
        self._fail_next: dict[str, deque[tuple[int, int | str, str | None]]] = {k: deque() for k in KINDS}
        self._lose_next: dict[str, deque[int | None]] = {k: deque() for k in KINDS}
        self._accept_next = 0
        self._order_failures = 0
        self._replies: dict[str, Reply] = {}  # MS-RequestId of a write -> the reply it got
        self._inflight: dict[str, threading.Event] = {}
        self._hits: dict[str, deque[float]] = {}  # customer -> monotonic times of Subscription requests
        self._errors_sent = 0
        self.checkouts: dict[str, int] = {}  # cart id -> checkout requests that reached the cart
        self.requests: list[Recorded] = []
        self._server: ThreadingHTTPServer | None = None
        self._base = ""
        self._roll_time()  # seeded terms already over renew or expire now, as they would have

    def _check_knobs(self) -> None:
        if self.repeat_checkout not in ("error", "replay"):
            raise ValueError(f"repeat_checkout must be 'error' or 'replay', not {self.repeat_checkout!r}")
        if self.error_code_style not in ("mixed", "number", "string"):
            raise ValueError(f"error_code_style must be 'mixed', 'number' or 'string', not {self.error_code_style!r}")
        if self.stale_etag_status not in (400, 412):
            raise ValueError(f"stale_etag_status must be 400 or 412, not {self.stale_etag_status!r}")

    # ----- seeding ---------------------------------------------------------------------------------
    def _make_entry(self, raw: dict[str, Any]) -> _Entry:
        terms: list[tuple[str, str]] = []
        for t in raw.get("terms") or []:
            cycle = _cycle(t.get("billingCycle"))
            if t.get("duration") not in TERM_MONTHS or cycle is None:
                raise ValueError(
                    f"catalog term {t!r}: duration must be one of {sorted(TERM_MONTHS)}, with a billingCycle"
                )
            terms.append((t["duration"], cycle))
        if not terms:
            raise ValueError(f"catalog entry {raw.get('productId')}:{raw.get('skuId')} needs terms")
        return _Entry(
            product_id=str(raw["productId"]),
            sku_id=str(raw["skuId"]),
            title=str(raw.get("title") or f"{raw['productId']}:{raw['skuId']}"),
            availability_id=str(
                raw.get("availabilityId") or self._invent_availability(raw["productId"], raw["skuId"], 0)
            ),
            terms=terms,
            min_q=int(raw.get("minQuantity", 1)),
            max_q=int(raw.get("maxQuantity", 10000)),
            renewable=bool(raw.get("renewable", True)),
            purchasable=bool(raw.get("purchasable", True)),
            country=str(raw.get("country", "US")),
            segment=str(raw.get("segment", "commercial")),
            currency=str(raw.get("currency", "USD")),
        )

    @staticmethod
    def _invent_availability(product_id: str, sku_id: str, generation: int) -> str:
        # INVENTED availability ids: 12 upper-case characters like Microsoft's, stable per product:SKU.
        digest = hashlib.sha256(f"{product_id}:{sku_id}:{generation}".encode()).hexdigest().upper()
        return "CFQ7TTC" + digest[:5]

    def _new_guid(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def _new_order_id(self) -> str:
        # New commerce order ids look like "a68736758d9c" (P0 checkout-a-cart NCE example).
        with self._lock:
            return f"{self._ids.getrandbits(48):012x}"

    def _entry(self, offer: str) -> _Entry:
        entry = self._catalog.get(offer.upper())
        if entry is None:
            raise ValueError(f"offer {offer!r} is not in the fake's catalog ({sorted(self._catalog)})")
        return entry

    def _seed_subscription(self, customer: str, raw: dict[str, Any]) -> _Sub:
        """A subscription from the fake's own seeding format (not Microsoft's resource):

        offer: "productId:skuId" in the catalog (required); quantity: int (required);
        termDuration: "P1M"|"P1Y"|"P3Y" (default: the entry's first term); billingCycle: any case (default:
        the first cycle the entry offers for that term); autoRenewEnabled (default True);
        effectiveStartDate: date/datetime/ISO string (default today - 30 days); creationDate (default: the
        start); commitmentEndDate (default: start + term - 1 day, inclusive); seatsAdded: [{"quantity": n,
        "date": ...}] midterm additions already counted in quantity, each reducible for 7 days from its date;
        status (default "active"); id, orderId, friendlyName (optional); scheduledNextTermInstructions
        (optional, Microsoft's shape).
        """
        entry = self._entry(str(raw["offer"]))
        term = raw.get("termDuration") or entry.terms[0][0]
        cycle = _cycle(raw.get("billingCycle")) or next((c for d, c in entry.terms if d == term), None)
        if term not in TERM_MONTHS or cycle is None:
            raise ValueError(f"subscription {raw!r}: unknown termDuration or billingCycle")
        start_dt = _as_datetime(raw.get("effectiveStartDate") or (self._now - timedelta(days=30)).date())
        created = _as_datetime(raw.get("creationDate") or start_dt)
        start = start_dt.date()
        end = _as_datetime(raw["commitmentEndDate"]).date() if raw.get("commitmentEndDate") else _term_end(start, term)
        quantity = int(raw["quantity"])
        added = [_Batch(int(a["quantity"]), _as_datetime(a["date"])) for a in raw.get("seatsAdded") or []]
        first = quantity - sum(b.quantity for b in added)
        if first < 0:
            raise ValueError(f"subscription {raw!r}: seatsAdded exceed quantity")
        # Seats are reducible for 7 days from purchase or renewal: the current term's start, or the
        # creation if later (a seeded subscription whose term began before its creation is a new purchase).
        window_start = max(created, start_dt)
        batches = [_Batch(first, window_start), *added] if first else added
        return _Sub(
            id=str(raw.get("id") or self._new_guid()),
            customer=customer,
            entry=entry,
            availability_id=entry.availability_id,
            friendly_name=str(raw.get("friendlyName") or entry.title),
            quantity=quantity,
            term=term,
            cycle=cycle,
            auto_renew=bool(raw.get("autoRenewEnabled", True)),
            created=created,
            start=start,
            end=end,
            window_start=window_start,
            status=str(raw.get("status", "active")),
            order_id=str(raw.get("orderId") or self._new_order_id()),
            batches=batches,
            scheduled=raw.get("scheduledNextTermInstructions"),
        )

    # ----- lifecycle -------------------------------------------------------------------------------
    def start(self) -> str:
        """Start serving on a free port in a daemon thread; returns the base URL (no /v1)."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._base = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self._base

    def stop(self) -> None:
        """Stop the server and close its socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakePartnerCenter:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The stand-in for https://api.partnercenter.microsoft.com, e.g. http://127.0.0.1:PORT (paths add /v1/...)."""
        if not self._base:
            raise RuntimeError("FakePartnerCenter is not started")
        return self._base

    # ----- clock -----------------------------------------------------------------------------------
    @property
    def now(self) -> datetime:
        """The fake's business clock (UTC)."""
        with self._lock:
            return self._now

    def advance(self, days: float = 0, *, hours: float = 0) -> None:
        """Move the business clock on; terms that ended renew or expire, pending orders are provisioned."""
        with self._lock:
            self._now += timedelta(days=days, hours=hours)
            for order in self._orders.values():
                order.reads_left = 0
                self._provision(order)
            self._roll_time()

    def _roll_time(self) -> None:
        # "Renewals are processed after the final day of a term, starting at 12:00 AM UTC the following day.
        # Renewals are processed in a queue and may take up to 24-hours" (P0 create-scheduled-changes). The
        # fake renews at 00:00 UTC of the day after commitmentEndDate, with no queue delay.
        with self._lock:
            for subs in self._customers.values():
                for sub in subs.values():
                    while sub.status == "active" and self._now.date() > sub.end:
                        self._renew_or_expire(sub)

    def _renew_or_expire(self, sub: _Sub) -> None:
        if not sub.auto_renew or not sub.entry.renewable:
            sub.status = (
                "expired"  # status value "expired" (P0 subscription-resources; example in get-a-subscription-by-id)
            )
            sub.scheduled = None
            sub.version += 1
            return
        sched = _ci(sub.scheduled) if sub.scheduled else None
        if sched is not None:
            # The scheduled next-term instructions take effect at renewal: product, term, cycle and quantity
            # together (P0 create-scheduled-changes).
            product = _ci(sched.get("product"))
            entry = self._catalog.get(f"{product.get('productid')}:{product.get('skuid')}".upper(), sub.entry)
            sub.entry = entry
            sub.availability_id = entry.availability_id
            sub.term = str(product.get("termduration") or sub.term)
            sub.cycle = _cycle(product.get("billingcycle")) or sub.cycle
            sub.quantity = int(sched.get("quantity") or sub.quantity)
            sub.friendly_name = entry.title
        renewed = datetime(sub.end.year, sub.end.month, sub.end.day, tzinfo=UTC) + timedelta(days=1)
        sub.start = renewed.date()
        sub.end = _term_end(sub.start, sub.term)
        sub.window_start = renewed
        sub.batches = [_Batch(sub.quantity, renewed)]  # "within 7 days of purchase or renewal"
        sub.scheduled = None
        sub.version += 1

    # ----- inspection and admin --------------------------------------------------------------------
    def subscriptions(self, customer: str) -> list[dict[str, Any]]:
        """The customer's subscriptions as Partner Center would show them (unprovisioned ones too)."""
        with self._lock:
            return [self._sub_json(s) for s in self._customers.get(customer.lower(), {}).values()]

    def orders(self, customer: str) -> list[dict[str, Any]]:
        """The customer's orders, newest last, as GET order by id shows them (without counting as a read)."""
        with self._lock:
            return [self._order_json(o) for o in self._orders.values() if o.customer == customer.lower()]

    def carts(self, customer: str) -> list[dict[str, Any]]:
        """The customer's carts, expired ones included."""
        with self._lock:
            return [self._cart_json(c) for c in self._carts.values() if c.customer == customer.lower()]

    def catalog_item_id(self, offer: str) -> str:
        """The current catalogItemId (productId:skuId:availabilityId) for "productId:skuId"."""
        with self._lock:
            return self._entry(offer).catalog_item_id

    def rotate_availabilities(self, offer: str | None = None) -> None:
        """Reissue availability ids (all, or one "productId:skuId"'s): old catalogItemIds stop being valid.

        "Availability IDs are mutable and dynamic, they're reissued on a regular basis" (PL
        https://learn.microsoft.com/en-us/partner-center/developer/get-an-availability-by-id); "This ID can
        change over time" (P0 product-resources). A cart holding the old id fails checkout with 404 400019
        (P0 error-codes).
        """
        with self._lock:
            for entry in [self._entry(offer)] if offer else list(self._catalog.values()):
                self._retired[entry.catalog_item_id.upper()] = entry
                generation = sum(1 for e in self._retired.values() if e is entry)
                entry.availability_id = self._invent_availability(entry.product_id, entry.sku_id, generation)

    def provision(self) -> None:
        """Finish provisioning every pending order now (as if Microsoft's queue caught up)."""
        with self._lock:
            for order in self._orders.values():
                order.reads_left = 0
                self._provision(order)

    def configure(self, **kwargs: Any) -> None:
        """Change knobs at runtime: any of FAULT_KEYS, or seed."""
        with self._lock:
            for key, value in kwargs.items():
                if key == "seed":
                    self._rng.seed(value)
                elif key in FAULT_KEYS:
                    setattr(self, key, value)
                else:
                    raise TypeError(f"configure() got an unexpected keyword argument '{key}'")
            self._check_knobs()

    def fail_next(self, n: int, kind: str, status: int, code: int | str, description: str | None = None) -> None:
        """Answer the next n requests of `kind` with this documented error, before anything is done.

        kind: "cart" (POST carts), "checkout", "patch" (PATCH subscription), "overage" (PUT overage),
        "availabilities", or "get" (any other GET). Errors with status 429 carry Retry-After.
        """
        self._check_kind(kind, n)
        with self._lock:
            self._fail_next[kind].extend([(status, code, description)] * n)

    def lose_next(self, n: int, kind: str, status: int | None = 504) -> None:
        """Apply the next n successful writes of `kind`, then lose each reply: answer `status` instead
        (408, 500, 503, 504, ...), or with status=None close the connection without any answer."""
        self._check_kind(kind, n)
        if status is not None and not 400 <= status <= 599:
            raise ValueError(f"a lost reply needs an error status (400-599) or None, not {status!r}")
        with self._lock:
            self._lose_next[kind].extend([status] * n)

    def accept_next(self, n: int) -> None:
        """Answer the next n successful subscription PATCHes with 202 and a Location header (change applied).

        "When the patch operation takes longer than the expected time, the Partner Center sends an HTTP
        status 202 status code and a location header that points to where to retrieve the subscription."
        (P0 change-the-quantity-of-a-subscription)
        """
        self._check_kind("patch", n)
        with self._lock:
            self._accept_next += n

    def fail_orders_next(self, n: int) -> None:
        """The next n checkouts create no order: 201 with orders [] and orderErrors [...]; the cart stays Active.

        CartCheckoutResult has orderErrors {orderGroupId, code, description} (P0 cart-resources); "In a
        scenario where an order fails due to error, the call can be made again to re-attempt checkout." (P0
        checkout-a-cart). Code 800005 "Create order isn't successful" (P0 error-codes).
        """
        self._check_kind("checkout", n)
        with self._lock:
            self._order_failures += n

    @staticmethod
    def _check_kind(kind: str, n: int) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"need a count >= 0, not {n!r}")

    def _roll(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    # ----- request execution -----------------------------------------------------------------------
    def _error(self, err: PCError) -> Reply:
        """Partner Center's error body: {"code", "description", "data", "source"} (P0 error-codes).

        D13: the schema types code as a string ("code | string | Always returned"), the new commerce example
        sends a number ({"code": 800090, ...}, P0 change-the-quantity-of-a-subscription). With
        error_code_style "mixed" (the default) the fake alternates, number first, so a client must accept both.
        """
        with self._lock:
            self._errors_sent += 1
            as_string = self.error_code_style == "string" or (
                self.error_code_style == "mixed" and self._errors_sent % 2 == 0
            )
        code: int | str = str(err.code) if as_string else (int(err.code) if str(err.code).isdigit() else err.code)
        body: dict[str, Any] = {"code": code, "description": err.description, "data": [], "source": "PartnerFD"}
        return Reply(err.status, body, dict(err.headers))

    def _throttled(self, seconds: int) -> Reply:
        # "use the HTTP error code 429 to detect throttling. The failed response includes the Retry-After
        # response header"; example body {"statusCode": 429, "message": "Rate limit is exceeded. Try again
        # in 57 seconds."} (P0 api-throttling-guidance) - not the {code, description} shape (D13).
        body = {"statusCode": 429, "message": f"Rate limit is exceeded. Try again in {seconds} seconds."}
        return Reply(429, body, {"Retry-After": str(seconds)})

    def serve(self, rec: Recorded, raw: bytes) -> Reply:
        """Answer one HTTP request."""
        try:
            self._admit(rec, raw)
            kind, handler, customer = self._route(rec)
        except PCError as err:
            return self._error(err)
        write = rec.method in ("POST", "PATCH", "PUT")
        rid = (_header(rec.headers, "MS-RequestId") or "").strip().lower()
        if not (write and rid):
            return self._execute(rec, kind, handler, customer, write)
        # MS-RequestId: "A unique identifier for the call, used to ensure id-potency. If there's a timeout,
        # the retry call should include the same value. Upon receiving a response (success or business
        # failure), the value should be reset for the next call." (P0 headers). The REST reference adds
        # that without it "the server generates a new one for each request" (PL
        # https://learn.microsoft.com/en-us/rest/api/partner-center/manage-orders/check-out-an-existing-cart).
        # So a write that was processed (its reply lost or not) is answered again, unchanged, when the same
        # id comes back, and is not done twice. Keyed on the id alone, partner-wide: a client that reuses an
        # id for a different call gets the first call's reply (it broke the "reset for the next call" rule).
        # Faults that happen before anything is done (401, 429, 5xx, fail_next) do not consume the id.
        while True:
            with self._lock:
                stored = self._replies.get(rid)
                if stored is not None:
                    rec.note = "replayed"
                    return Reply(stored.status, json.loads(json.dumps(stored.body)), dict(stored.headers))
                waiting = self._inflight.get(rid)
                if waiting is None:
                    done = self._inflight[rid] = threading.Event()
                    break
            waiting.wait(10)
        try:
            return self._execute(rec, kind, handler, customer, write, rid)
        finally:
            with self._lock:
                self._inflight.pop(rid, None)
            done.set()

    def _admit(self, rec: Recorded, raw: bytes) -> None:
        bad_json = False
        if raw:  # parsed first, so the log holds the body even of a request refused below
            try:
                rec.body = json.loads(raw)
            except ValueError:
                rec.body, bad_json = raw.decode("utf-8", "replace"), True
        # "Authorization: Required. The authorization token in the form Bearer <token>." (P0 headers). Error
        # table: 401 800001 "Partner Token missing in request context", 401 400 "Access denied"; the error
        # sample carries "WWW-Authenticate: OAuth realm=urn:cpsvc:cpid:{some cid}" (P0 error-codes).
        auth = _header(rec.headers, "Authorization") or ""
        scheme, _, token = auth.partition(" ")
        challenge = {"WWW-Authenticate": f"OAuth realm=urn:cpsvc:cpid:{self.partner_id}"}
        if not auth.strip():
            raise PCError(401, 800001, "Partner Token missing in request context", challenge)
        if scheme.lower() != "bearer" or token.strip() != self.token:
            raise PCError(401, 400, "Access denied", challenge)
        # "MS-Contract-Version: Required. Specifies the version of the API requested; generally api-version:
        # v1" (P0 headers) - though most request examples omit it (D10). Strict by default: required, "v1".
        if self.require_contract_version:
            version = (_header(rec.headers, "MS-Contract-Version") or "").strip().lower()
            if version not in ("v1", "api-version: v1", "api-version:v1", "api-version=v1"):
                raise PCError(400, 800002, "Invalid request input: the MS-Contract-Version header (v1) is required.")
        if bad_json:
            raise PCError(400, 800002, "Invalid request input: the body is not valid JSON.")

    def _execute(
        self,
        rec: Recorded,
        kind: str,
        handler: Callable[[], Reply],
        customer: str | None,
        write: bool,
        rid: str = "",
    ) -> Reply:
        with self._lock:
            injected = self._fail_next[kind].popleft() if self._fail_next[kind] else None
        if injected is not None:
            status, code, description = injected
            rec.note = "injected"
            if status == 429:
                return self._throttled(self.retry_after)
            extra = {"Retry-After": str(self.retry_after)} if status == 503 else {}
            return self._error(PCError(status, code, description or "Injected by fakepartnercenter.", extra))
        if customer is not None and rec.path.lower().startswith(f"/v1/customers/{customer}/subscriptions"):
            wait = self._rate_limit(customer)
            if wait is not None:
                rec.note = "rate-limited"
                return self._throttled(wait)
        if self._roll(self.throttle_rate):
            rec.note = "throttled"
            return self._throttled(self.retry_after)
        if self._roll(self.error_rate):
            rec.note = "fault"
            with self._lock:
                status = self._rng.choice((500, 503))
            if status == 500:
                return self._error(PCError(500, 800003, "Unexpected service error"))
            return self._error(PCError(503, 0, "Service unavailable", {"Retry-After": str(self.retry_after)}))
        try:
            reply = handler()
        except PCError as err:
            reply = self._error(err)
        if rid:
            with self._lock:
                self._replies[rid] = Reply(reply.status, json.loads(json.dumps(reply.body)), dict(reply.headers))
        if write and reply.status < 300:
            with self._lock:
                queued = bool(self._lose_next[kind])
                lost = self._lose_next[kind].popleft() if queued else 504
            if queued or self._roll(self.lost_rate):
                if lost is None:
                    rec.note = "dropped"
                    return Reply(0, drop=True)
                rec.note = "lost"
                extra = {"Retry-After": str(self.retry_after)} if lost == 503 else {}
                return self._error(PCError(lost, 0, "The operation timed out.", extra))
        return reply

    def _rate_limit(self, customer: str) -> int | None:
        """Seconds to wait, or None: the Subscription resource's 500 requests per minute per tenant."""
        now = self._monotonic()
        with self._lock:
            hits = self._hits.setdefault(customer, deque())
            while hits and hits[0] <= now - self.rate_window:
                hits.popleft()
            if len(hits) >= self.subscription_rate_limit:
                return max(1, int(hits[0] + self.rate_window - now + 0.999))
            hits.append(now)
            return None

    def _route(self, rec: Recorded) -> tuple[str, Callable[[], Reply], str | None]:
        parts = [p for p in rec.path.split("/") if p]
        low = [p.lower() for p in parts]
        method = rec.method
        if not low or low[0] != "v1":
            raise PCError(404, 1000, "Not found")
        rest, lrest = parts[1:], low[1:]
        # Catalog by country: GET /v1/products/{product-id}/skus/{sku-id}/availabilities?country={country}
        # (P0 get-a-list-of-availabilities-for-a-sku; country required).
        if len(lrest) == 5 and lrest[0] == "products" and lrest[2] == "skus" and lrest[4] == "availabilities":
            self._allow(method, "GET")
            return "availabilities", lambda: self._availabilities(rec, None, rest[1], rest[3]), None
        if len(lrest) < 2 or lrest[0] != "customers":
            raise PCError(404, 1000, "Not found")
        customer = lrest[1]
        with self._lock:
            known = customer in self._customers
        if not known:
            # 403 20002 "The partner ID {0} has no commerce relationship with the customer ID {1}." (P0 error-codes)
            raise PCError(
                403,
                20002,
                f"The partner ID {self.partner_id} has no commerce relationship with the customer ID {rest[1]}.",
            )
        tail, ltail = rest[2:], lrest[2:]
        c = customer
        if ltail == ["subscriptions"]:
            self._allow(method, "GET")
            return "get", lambda: self._list_subscriptions(c), c
        if ltail == ["subscriptions", "overage"]:
            self._allow(method, "GET", "PUT")
            if method == "PUT":
                return "overage", lambda: self._put_overage(c, rec), c
            return "get", lambda: self._get_overage(c), c
        if len(ltail) == 2 and ltail[0] == "subscriptions":
            self._allow(method, "GET", "PATCH")
            if method == "PATCH":
                return "patch", lambda: self._patch_subscription(c, tail[1], rec), c
            return "get", lambda: self._get_subscription(c, tail[1]), c
        if len(ltail) == 5 and ltail[0] == "products" and ltail[2] == "skus" and ltail[4] == "availabilities":
            # The table says POST, the example GET (P0 get-a-list-of-availabilities-for-a-sku-by-customer;
            # the live page's table still says POST): D4. Both are accepted; the log shows which was used.
            self._allow(method, "GET", "POST")
            return "availabilities", lambda: self._availabilities(rec, c, tail[1], tail[3]), c
        if ltail == ["carts"]:
            self._allow(method, "POST")
            return "cart", lambda: self._create_cart(c, rec), c
        if len(ltail) == 2 and ltail[0] == "carts":
            if method == "PUT":  # documented (P0 update-a-cart) but not modeled
                raise PCError(501, 0, "fakepartnercenter does not model updating a cart (PUT).")
            self._allow(method, "GET")
            return "get", lambda: self._get_cart(c, tail[1]), c
        if len(ltail) == 3 and ltail[0] == "carts" and ltail[2] == "checkout":
            self._allow(method, "POST")
            return "checkout", lambda: self._checkout(c, tail[1]), c
        if ltail == ["orders"]:
            self._allow(method, "GET")
            return "get", lambda: self._list_orders(c), c
        if len(ltail) == 2 and ltail[0] == "orders":
            self._allow(method, "GET")
            return "get", lambda: self._get_order(c, tail[1]), c
        raise PCError(404, 1000, "Not found")

    @staticmethod
    def _allow(method: str, *methods: str) -> None:
        if method not in methods:
            raise PCError(405, 0, f"The HTTP method '{method}' is not allowed here.")

    # ----- JSON shapes -----------------------------------------------------------------------------
    def _refundable(self, sub: _Sub) -> list[_Batch]:
        return [b for b in sub.batches if b.quantity > 0 and self._now < b.at + REFUND_WINDOW]

    def _etag(self, sub: _Sub) -> str:
        return base64.b64encode(f"{sub.id}:{sub.version}".encode()).decode()

    def _sub_json(self, sub: _Sub) -> dict[str, Any]:
        """A new commerce Subscription, field names as in P0 get-a-subscription-by-id ("Response example for a
        new commerce subscription") and change-the-quantity-of-a-subscription, with refundableQuantity
        ("Added refundableQuantity to Get Subscription by ID API", P0 api-change-log)."""
        e, a = sub.entry, sub.availability_id
        refundable = self._refundable(sub)
        cancel_until = sub.window_start + REFUND_WINDOW
        body: dict[str, Any] = {
            "id": sub.id,
            "offerId": f"{e.product_id}:{e.sku_id}:{a}",
            "offerName": e.title,
            "friendlyName": sub.friendly_name,
            "productType": {"id": "OnlineServicesNCE", "displayName": "OnlineServicesNCE"},
            "quantity": sub.quantity,
            "unitType": "Licenses",
            "hasPurchasableAddons": False,
            "creationDate": _iso(sub.created),
            "effectiveStartDate": _day(sub.start),
            "commitmentEndDate": _day(sub.end),
            "commitmentEndDateTime": f"{sub.end.isoformat()}T23:59:59Z",
            "cancellationAllowedUntilDate": _iso(cancel_until),
            "status": sub.status,
            "autoRenewEnabled": sub.auto_renew,
            "isTrial": False,
            "billingType": "license",
            "billingCycle": sub.cycle,
            "termDuration": sub.term,
            "renewalTermDuration": "",
            "refundOptions": [{"type": "Full", "expiresAt": _iso(cancel_until)}],
            "isMicrosoftProduct": True,
            "partnerId": "",
            "attentionNeeded": False,
            "actionTaken": False,
            "contractType": "subscription",
            "links": {
                "product": _link(f"/products/{e.product_id}?country={e.country}"),
                "sku": _link(f"/products/{e.product_id}/skus/{e.sku_id}?country={e.country}"),
                "availability": _link(
                    f"/products/{e.product_id}/skus/{e.sku_id}/availabilities/{a}?country={e.country}"
                ),
                "self": _link(f"/customers/{sub.customer}/subscriptions/{sub.id}"),
            },
            "publisherName": "Microsoft Corporation",
            "refundableQuantity": {
                "totalQuantity": sum(b.quantity for b in refundable),
                "details": [
                    {"quantity": b.quantity, "allowedUntilDateTime": _iso(b.at + REFUND_WINDOW)} for b in refundable
                ],
            },
            "orderId": sub.order_id,
            "attributes": {"etag": self._etag(sub), "objectType": "Subscription"},
        }
        if sub.scheduled:
            # "Only present if scheduled changes are set or for all trial subscriptions." (P0 subscription-resources)
            body["scheduledNextTermInstructions"] = json.loads(json.dumps(sub.scheduled))
        return body

    def _availability_json(self, e: _Entry) -> dict[str, Any]:
        """An Availability as in P0 get-a-list-of-availabilities-for-a-sku-by-customer (new commerce example)."""
        terms = []
        for duration, cycle in e.terms:
            term_id = hashlib.sha256(f"{e.key}:{duration}:{cycle}".encode()).hexdigest()[:12]  # invented ids
            terms.append(
                {
                    "id": term_id,
                    "duration": duration,
                    "description": f"{duration} commitment, {CYCLE_TITLE.get(cycle, cycle)} billing",
                    "billingCycle": CYCLE_TITLE.get(cycle, cycle),
                    "cancellationPolicies": [
                        {"refundOptions": [{"sequenceId": 0, "type": "Full", "expiresAfter": "P7D"}]}
                    ],
                }
            )
        body: dict[str, Any] = {
            "id": e.availability_id,
            "productId": e.product_id,
            "skuId": e.sku_id,
            "catalogItemId": e.catalog_item_id,
            "defaultCurrency": {"code": e.currency, "symbol": "$" if e.currency == "USD" else e.currency},
            "segment": e.segment,
            "country": e.country,
            "isPurchasable": e.purchasable,
            "isRenewable": e.renewable,
            "renewalInstructions": [
                {
                    "applicableTermIds": [t["id"] for t in terms],
                    "renewalOptions": [{"renewToId": f"{e.product_id}:{e.sku_id}", "isAutoRenewable": e.renewable}],
                }
            ],
            "terms": terms,
            "links": {
                "self": _link(
                    f"/products/{e.product_id}/skus/{e.sku_id}/availabilities/{e.availability_id}?country={e.country}"
                )
            },
        }
        return body

    def _cart_json(self, cart: _Cart) -> dict[str, Any]:
        """A Cart as in P0 create-a-cart (new commerce response example) and cart-resources."""
        return {
            "id": cart.id,
            "creationTimestamp": _iso(cart.created),
            "lastModifiedTimestamp": _iso(cart.created),
            "expirationTimestamp": _iso(cart.expires),
            "lastModifiedUser": self.partner_id,
            "status": cart.status,
            "lineItems": json.loads(json.dumps(cart.line_items)),
            "links": {"self": _link(f"/customers/{cart.customer}/carts/{cart.id}")},
            "attributes": {"objectType": "Cart"},
        }

    def _order_json(self, order: _Order) -> dict[str, Any]:
        """An Order as in P0 checkout-a-cart ("Response example for a new commerce license-based subscription")."""
        lines = []
        for line in order.lines:
            product, sku, avail = line["offerId"].split(":")
            item = {k: v for k, v in line.items() if k != "subscriptionId"}
            # "subscription ID values will only appear in the REST response if the corresponding subscriptions
            # have been provisioned at the time of the API call" (P0 checkout-a-cart).
            if order.status == "completed" or line.get("provisioned"):
                item["subscriptionId"] = line["subscriptionId"]
            item.pop("provisioned", None)
            item["links"] = {
                "product": _link(f"/products/{product}?country=US"),
                "sku": _link(f"/products/{product}/skus/{sku}?country=US"),
                "availability": _link(f"/products/{product}/skus/{sku}/availabilities/{avail}?country=US"),
            }
            lines.append(item)
        base = f"/customers/{order.customer}/orders/{order.id}"
        return {
            "id": order.id,
            "alternateId": order.id,
            "referenceCustomerId": order.customer,
            "billingCycle": order.cycle,
            "currencyCode": "USD",
            "currencySymbol": "$",
            "lineItems": lines,
            "creationDate": _iso(order.created),
            "status": order.status,
            "transactionType": "UserPurchase",
            "links": {
                "self": _link(base),
                "provisioningStatus": _link(f"{base}/provisioningstatus"),
                "patchOperation": _link(base, "PATCH"),
            },
            "attributes": {"objectType": "Order"},
        }

    @staticmethod
    def _collection(items: list[dict[str, Any]], self_uri: str | None) -> dict[str, Any]:
        # {"totalCount", "items", "links", "attributes": {"objectType": "Collection"}} (P0
        # get-all-of-a-customer-s-subscriptions); no paging parameters are documented for these lists.
        body: dict[str, Any] = {"totalCount": len(items), "items": items}
        if self_uri is not None:
            body["links"] = {"self": _link(self_uri)}
        body["attributes"] = {"objectType": "Collection"}
        return body

    # ----- subscriptions ---------------------------------------------------------------------------
    def _find_sub(self, customer: str, sub_id: str) -> _Sub:
        sub = self._customers[customer].get(sub_id.lower())
        if sub is None or not sub.provisioned:
            # 404 20003 "Subscription with ID {0} not found." (P0 error-codes)
            raise PCError(404, 20003, f"Subscription with ID {sub_id} not found.")
        return sub

    def _list_subscriptions(self, customer: str) -> Reply:
        with self._lock:
            items = [self._sub_json(s) for s in self._customers[customer].values() if s.provisioned]
        return Reply(200, self._collection(items, f"/customers/{customer}/subscriptions"))

    def _get_subscription(self, customer: str, sub_id: str) -> Reply:
        with self._lock:
            return Reply(200, self._sub_json(self._find_sub(customer, sub_id)))

    def _patch_subscription(self, customer: str, sub_id: str, rec: Recorded) -> Reply:
        """PATCH {baseURL}/v1/customers/{customer-tenant-id}/subscriptions/{subscription-id} (P0
        change-the-quantity-of-a-subscription, update-autorenew-for-an-azure-marketplace-subscription,
        create-scheduled-changes): one call for quantity, auto-renew and scheduled next-term changes."""
        body = rec.body
        if not isinstance(body, dict):
            raise PCError(400, 800002, "Invalid request input: a full Subscription resource is required in the body.")
        raw = _ci(body)
        # "A full Subscription resource is required in the request body." (all three pages)
        missing = [f for f in FULL_RESOURCE_FIELDS if f.lower() not in raw]
        if missing:
            raise PCError(
                400,
                800002,
                "Invalid request input: a full Subscription resource is required in the request body; "
                f"missing {', '.join(missing)}.",
            )
        with self._lock:
            sub = self._find_sub(customer, sub_id)
            if str(raw["id"]).lower() != sub.id.lower():
                raise PCError(400, 800002, "Invalid request input: the body's id is not the subscription in the URL.")
            self._check_etag(sub, rec)
            if sub.status != "active":
                # 2011 "Subscription with ID {0} and deleted status can't be updated"; 800091 "Can't update a
                # subscription with suspended status"; 800012 "This subscription isn't an active subscription"
                # (P0 error-codes).
                if sub.status == "deleted":
                    raise PCError(400, 2011, f"Subscription with ID {sub.id} and deleted status can't be updated.")
                if sub.status == "suspended":
                    raise PCError(400, 800091, "Can't update a subscription with suspended status")
                raise PCError(400, 800012, "This subscription isn't an active subscription")
            current = self._sub_json(sub)
            quantity, auto_renew, scheduled = self._read_patch(sub, raw, current)
            changed = quantity != sub.quantity or auto_renew != sub.auto_renew or scheduled != sub.scheduled
            if quantity != sub.quantity:
                self._change_quantity(sub, quantity)
                # "If you make a mid-term (immediate) change before your renewal date, all scheduled changes
                # that were previously scheduled to occur at renewal are deleted." (PL
                # https://learn.microsoft.com/en-us/partner-center/developer/create-scheduled-changes; not in
                # the 2023 P0 copy.) The quantity change wins over instructions sent in the same body.
                scheduled = None
            if not auto_renew:
                scheduled = None  # judgement: instructions need auto-renew on, so switching it off drops them
            sub.auto_renew, sub.scheduled = auto_renew, scheduled
            if changed:
                sub.version += 1
            result = self._sub_json(sub)
            accepted = self._accept_next > 0
            if accepted:
                self._accept_next -= 1
        if accepted:
            return Reply(202, None, {"Location": f"/v1/customers/{customer}/subscriptions/{sub.id}"})
        return Reply(200, result)

    def _check_etag(self, sub: _Sub, rec: Recorded) -> None:
        # "If-Match: Used for concurrency control. Some API calls require passing the ETag via the If-Match
        # header." (P0 headers). The auto-renew and scheduled-change examples send "If-Match: <etag>", the
        # quantity examples do not; the same PATCH serves all three. Strict by default: required.
        # A stale one: 2055 "Etag is no longer valid", listed as 400 (P0 error-codes, which also lists HTTP
        # 412 "Precondition failed"); stale_etag_status picks 400 (default, the table's pairing) or 412.
        given = _header(rec.headers, "If-Match")
        if given is None:
            if self.require_if_match:
                raise PCError(
                    400,
                    800002,
                    "Invalid request input: the If-Match header with the subscription's ETag is required.",
                )
            return
        if given.strip().strip('"') != self._etag(sub) and given.strip() != "*":
            raise PCError(self.stale_etag_status, 2055, "Etag is no longer valid")

    def _read_patch(
        self, sub: _Sub, raw: dict[str, Any], current: dict[str, Any]
    ) -> tuple[int, bool, dict[str, Any] | None]:
        """The requested quantity, autoRenewEnabled and scheduled instructions; refuses read-only changes."""
        quantity = raw["quantity"]
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise PCError(400, 800002, "Invalid request input: quantity must be an integer.")
        auto_renew = raw["autorenewenabled"]
        if not isinstance(auto_renew, bool):
            raise PCError(400, 800002, "Invalid request input: autoRenewEnabled must be true or false.")
        if str(raw["offerid"]).upper() != current["offerId"].upper():
            # Changing the product is an upgrade (a transition), not this PATCH: 3000 "Invalid property"
            # (P0 error-codes).
            raise PCError(400, 3000, "Invalid property: offerId can't be changed by updating the subscription.")
        if _cycle(raw["billingcycle"]) != sub.cycle:
            # 2054 "The billing cycle for an existing subscription can't be updated using update-subscription
            # operation. Use update-Order operation" (P0 error-codes).
            raise PCError(
                400,
                2054,
                "The billing cycle for an existing subscription can't be updated using update-subscription "
                "operation. Use update-Order operation",
            )
        term = raw["termduration"]
        if term != sub.term:
            if term not in TERM_MONTHS or all(d != term for d, _ in sub.entry.terms):
                raise PCError(400, 800121, "The term duration provided is invalid.")  # P0 error-codes
            if TERM_MONTHS[term] < TERM_MONTHS[sub.term]:
                # 800122 (P0 error-codes); midterm term changes go only "to a longer term" (P0
                # new-commerce-promotions).
                raise PCError(400, 800122, "The target term duration cannot be shorter than the current term duration.")
            raise PCError(501, 0, "fakepartnercenter does not model midterm changes to a longer term.")
        if str(raw["status"]).lower() != sub.status:
            raise PCError(501, 0, "fakepartnercenter does not model status changes (suspend, cancel).")
        scheduled = raw.get("schedulednextterminstructions")
        if scheduled is not None and scheduled != sub.scheduled:
            if not auto_renew:
                # "To schedule changes for your subscription, ensure that the AutoRenewEnabled property has been
                # set to true." (P0 create-scheduled-changes). No error code is documented for it: 800002.
                # Instructions merely echoed back unchanged while auto-renew is switched off are dropped instead.
                raise PCError(
                    400,
                    800002,
                    "Invalid request input: scheduledNextTermInstructions need autoRenewEnabled set to true.",
                )
            self._check_scheduled(scheduled)
        # Full-resource semantics: a body without scheduledNextTermInstructions (or with null) has none.
        # Microsoft documents no removal call (D12); this is the fake's reading of "full resource".
        if auto_renew and not sub.auto_renew and not sub.entry.renewable:
            # 800093 "The subscription isn't eligible to be auto-renewed" (P0 error-codes); the availability
            # says isRenewable false.
            raise PCError(400, 800093, "The subscription isn't eligible to be auto-renewed")
        if quantity != sub.quantity and not sub.entry.min_q <= quantity <= sub.entry.max_q:
            raise PCError(400, 2002, "Subscription quantity isn't within minimum and maximum allowed quantity")
        return quantity, auto_renew, scheduled if isinstance(scheduled, dict) else None

    def _check_scheduled(self, scheduled: Any) -> None:
        """scheduledNextTermInstructions: {"product": {productId, skuId, availabilityId, billingCycle,
        termDuration}, "quantity"} (P0 create-scheduled-changes, subscription-resources)."""
        sched = _ci(scheduled)
        product = _ci(sched.get("product"))
        if not isinstance(scheduled, dict) or not product or "quantity" not in sched:
            raise PCError(
                400, 800002, "Invalid request input: scheduledNextTermInstructions needs a product and a quantity."
            )
        for name in ("productid", "skuid", "availabilityid", "billingcycle", "termduration"):
            if not isinstance(product.get(name), str) or not product[name]:
                raise PCError(
                    400, 800002, f"Invalid request input: scheduledNextTermInstructions.product.{name} is required."
                )
        entry = self._catalog.get(f"{product['productid']}:{product['skuid']}".upper())
        if entry is None:
            if not any(e.product_id.upper() == product["productid"].upper() for e in self._catalog.values()):
                raise PCError(404, 400013, "Product wasn't found")  # P0 error-codes
            raise PCError(404, 400018, "SKU wasn't found")
        if product["availabilityid"].upper() != entry.availability_id.upper():
            raise PCError(404, 400019, "Availability not found.")
        term, cycle = product["termduration"], _cycle(product["billingcycle"])
        if all(d != term for d, _ in entry.terms):
            raise PCError(400, 800121, "The term duration provided is invalid.")
        if cycle is None or (term, cycle) not in entry.terms:
            if cycle in CYCLE_MONTHS and CYCLE_MONTHS[cycle] > TERM_MONTHS.get(term, 0):
                raise PCError(400, 900270, "The billing cycle cannot be longer than the term.")
            raise PCError(400, 900269, "The billing cycle is invalid.")
        qty = sched["quantity"]
        if isinstance(qty, bool) or not isinstance(qty, int) or not entry.min_q <= qty <= entry.max_q:
            raise PCError(400, 2002, "Subscription quantity isn't within minimum and maximum allowed quantity")

    def _change_quantity(self, sub: _Sub, quantity: int) -> None:
        if quantity > sub.quantity:
            # Seats added midterm are reducible for 7 days from when they were added (P0
            # change-the-quantity-of-a-subscription): a new refundableQuantity.details entry.
            sub.batches.append(_Batch(quantity - sub.quantity, self._now))
        else:
            drop = sub.quantity - quantity
            refundable = self._refundable(sub)
            if drop > sum(b.quantity for b in refundable):
                # "Sample API response when attempting to reduce license quantities for new commerce
                # subscriptions outside of the 7 day cancellation window": {"code": 800090, "description":
                # "Subscription quantity cannot be decreased.", "data": [], "source": "PartnerFD"} (P0
                # change-the-quantity-of-a-subscription). The error table also has 900257 "You have passed your
                # {0}-day window for reducing seats"; fail_next can inject that one.
                raise PCError(400, 800090, "Subscription quantity cannot be decreased.")
            for batch in sorted(refundable, key=lambda b: b.at, reverse=True):  # newest seats go first
                take = min(batch.quantity, drop)
                batch.quantity -= take
                drop -= take
            sub.batches = [b for b in sub.batches if b.quantity > 0]
        sub.quantity = quantity

    # ----- overage ---------------------------------------------------------------------------------
    def _overage_json(self, customer: str, item: dict[str, Any]) -> dict[str, Any]:
        return {
            **item,
            "type": "PhoneServices",
            "links": {"overage": _link(f"/customers/{customer}/subscriptions/overage")},
            "attributes": {"objectType": "Overage"},
        }

    def _get_overage(self, customer: str) -> Reply:
        # GET .../subscriptions/overage -> {"totalCount", "items": [Overage], "attributes"} (P0
        # get-subscription-overage). A customer with none: an empty collection (judgement; not documented).
        with self._lock:
            item = self._overage.get(customer)
            items = [self._overage_json(customer, item)] if item else []
        return Reply(200, {"totalCount": len(items), "items": items, "attributes": {"objectType": "Collection"}})

    def _put_overage(self, customer: str, rec: Recorded) -> Reply:
        # PUT with {azureEntitlementId, partnerId, overageEnabled} -> the Overage (P0 update-subscription-overage).
        # "Only one overage subscription can be assigned at a time" (P0 new-commerce-telco-payg): a PUT replaces it.
        raw = _ci(rec.body)
        entitlement, enabled = raw.get("azureentitlementid"), raw.get("overageenabled")
        if not isinstance(entitlement, str) or not isinstance(enabled, bool):
            raise PCError(400, 800002, "Invalid request input: azureEntitlementId and overageEnabled are required.")
        try:
            uuid.UUID(entitlement)
        except ValueError:
            raise PCError(400, 800002, "Invalid request input: azureEntitlementId must be a GUID.") from None
        if customer in self._overage_elsewhere:
            raise PCError(
                403,
                800115,
                "Overage is already assigned to another tenant. Contact your customer to resolve ownership questions.",
            )
        known = self._entitlements.get(customer)
        if known is not None and entitlement.lower() not in known:
            raise PCError(404, 800111, "Azure subscription with the given entitlement ID isn't found.")
        item = {
            "azureEntitlementId": entitlement,
            "partnerId": str(raw.get("partnerid") or ""),
            "overageEnabled": enabled,
        }
        with self._lock:
            self._overage[customer] = item
            return Reply(200, self._overage_json(customer, item))

    # ----- catalog ---------------------------------------------------------------------------------
    def _availabilities(self, rec: Recorded, customer: str | None, product_id: str, sku_id: str) -> Reply:
        country = next(iter(rec.query.get("country", [])), None)
        if customer is None and not country:
            raise PCError(400, 800002, "Invalid request input: the country query parameter is required.")
        with self._lock:
            if not any(e.product_id.upper() == product_id.upper() for e in self._catalog.values()):
                # 404 400013 "The parent product was not found." (P0 get-a-list-of-availabilities-for-a-sku-by-customer)
                raise PCError(404, 400013, "The parent product was not found.")
            entry = self._catalog.get(f"{product_id}:{sku_id}".upper())
            if entry is None:
                raise PCError(404, 400018, "SKU wasn't found")  # P0 error-codes
            items = [] if country and country.upper() != entry.country.upper() else [self._availability_json(entry)]
        # The by-customer page's example shows one bare Availability, but its title, description ("a collection
        # of availabilities") and the by-country page return a collection: the fake returns the collection.
        uri = f"/products/{entry.product_id}/skus/{entry.sku_id}/availabilities?country={entry.country}"
        return Reply(200, self._collection(items, uri))

    # ----- carts and checkout ----------------------------------------------------------------------
    def _create_cart(self, customer: str, rec: Recorded) -> Reply:
        """POST {baseURL}/v1/customers/{customer-id}/carts -> 201 Cart (P0 create-a-cart, cart-resources)."""
        raw = _ci(rec.body)
        items = raw.get("lineitems")
        if not isinstance(items, list) or not items:
            # "You must have at least one cart line item." (P0 create-a-cart)
            raise PCError(400, 800002, "Invalid request input: lineItems must hold at least one cart line item.")
        # D7: the request table marks PartnerOnRecordAttestationAccepted "Required: Yes" and the C# request sample
        # sends it, the REST and new commerce examples do not; 900206 "Partner Attestation is missing" (P0
        # error-codes). Strict by default: required and true.
        if self.require_attestation and raw.get("partneronrecordattestationaccepted") is not True:
            raise PCError(400, 900206, "Partner Attestation is missing")
        lines: list[dict[str, Any]] = []
        groups: dict[str, str] = {}
        with self._lock:
            for number, item in enumerate(items):
                lines.append(self._cart_line(number, _ci(item), groups))
            cart = _Cart(self._new_guid(), customer, self._now, self._now + CART_LIFETIME, lines)
            self._carts[cart.id.lower()] = cart
            return Reply(201, self._cart_json(cart))

    def _cart_line(self, number: int, item: dict[str, Any], groups: dict[str, str]) -> dict[str, Any]:
        catalog_item = item.get("catalogitemid")
        if not isinstance(catalog_item, str) or not catalog_item:
            raise PCError(400, 900142, "The catalog item ID isn't present")  # P0 error-codes
        quantity, term, cycle = item.get("quantity"), item.get("termduration"), _cycle(item.get("billingcycle"))
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise PCError(400, 800002, f"Invalid request input: quantity of line item {number} must be an integer.")
        if cycle is None:
            raise PCError(400, 900269, "The billing cycle is invalid.")
        entry = next((e for e in self._catalog.values() if e.catalog_item_id.upper() == catalog_item.upper()), None)
        line: dict[str, Any] = {
            "id": number,
            "catalogItemId": catalog_item,
            "quantity": quantity,
            "currencyCode": entry.currency if entry else "USD",
            "billingCycle": cycle,  # lower case, as the NCE response example echoes "Monthly" (D6)
            "termDuration": term,
            "provisioningContext": {},
            "orderGroup": groups.setdefault(cycle, str(len(groups))),
        }
        if isinstance(item.get("friendlyname"), str):
            line["friendlyName"] = item["friendlyname"]
        if entry is None or not entry.purchasable:
            # A bare productId:skuId, a stale or unknown availability: the line carries a CartError ("Applied
            # after cart is created if an error occurred", 10001 CatalogItemIdIsNotValid, P0 cart-resources);
            # the cart is created and its checkout fails with 400 800009 "Error in Cart item(s)" (P0 error-codes).
            line["error"] = {
                "errorCode": "CatalogItemIdIsNotValid",
                "errorDescription": f"Catalog item ID {catalog_item} isn't valid",
            }
            return line
        if not isinstance(term, str) or all(d != term for d, _ in entry.terms):
            raise PCError(400, 800121, "The term duration provided is invalid.")
        if (term, cycle) not in entry.terms:
            if cycle in CYCLE_MONTHS and CYCLE_MONTHS[cycle] > TERM_MONTHS[term]:
                raise PCError(400, 900270, "The billing cycle cannot be longer than the term.")
            raise PCError(400, 900269, "The billing cycle is invalid.")
        if not entry.min_q <= quantity <= entry.max_q:
            # 900275 "The requested quantity for line item {0} is not within the allowed quantity for this offer."
            raise PCError(
                400,
                900275,
                f"The requested quantity for line item {number} is not within the allowed quantity for this offer.",
            )
        return line

    def _live_cart(self, customer: str, cart_id: str) -> _Cart:
        cart = self._carts.get(cart_id.lower())
        if cart is None or cart.customer != customer or self._now >= cart.expires:
            # 404 800008 "Unable to retrieve cart ID" (P0 error-codes); an expired cart is gone (judgement:
            # "Carts expire 7 days from initial creation" says nothing of what a late call gets).
            raise PCError(404, 800008, "Unable to retrieve cart ID")
        return cart

    def _get_cart(self, customer: str, cart_id: str) -> Reply:
        # GET {baseURL}/v1/customers/{customer_id}/carts/{cart_id} -> 200 Cart (PL
        # https://learn.microsoft.com/en-us/rest/api/partner-center/manage-orders/get-a-cart-by-id).
        with self._lock:
            return Reply(200, self._cart_json(self._live_cart(customer, cart_id)))

    def _checkout(self, customer: str, cart_id: str) -> Reply:
        """POST .../carts/{cart-id}/checkout -> 201 CartCheckoutResult {orders, orderErrors} (P0 checkout-a-cart,
        cart-resources). The new commerce example shows a bare Order (D9); the resource page's wrapper wins."""
        with self._lock:
            cart = self._live_cart(customer, cart_id)
            self.checkouts[cart.id] = self.checkouts.get(cart.id, 0) + 1
            if cart.busy:
                raise PCError(409, 800064, f"Cart {cart.id} is being processed by another request")  # P0 error-codes
            if cart.status == "Ordered":
                # D11. Live page: "This API is idempotent ... If a cart was successfully checked out previously
                # and an additional checkout call is made to that same cart, the API response will re-iterate
                # the information returned after initial checkout." (P0 checkout-a-cart; PL same). Error table:
                # 400 800065 "can't check out an already submitted cart {0}." (P0 error-codes). Default
                # "error" (a client that re-checks-out blindly fails against it); "replay" answers the first result.
                if self.repeat_checkout == "replay" and cart.result is not None:
                    return Reply(201, json.loads(json.dumps(cart.result)))
                raise PCError(400, 800065, f"can't check out an already submitted cart {cart.id}.")
            if any("error" in line for line in cart.line_items):
                raise PCError(400, 800009, "Error in Cart item(s)")
            for line in cart.line_items:
                if line["catalogItemId"].upper() in self._retired:
                    # 404 400019 "Availability not found. This error can occur when checking out a cart. Partners
                    # that get this error should issue a new GET to ensure they have the current availability
                    # ID and retry the cart check out." (P0 error-codes)
                    raise PCError(
                        404,
                        400019,
                        "Availability not found. Issue a new GET to ensure you have the current availability ID "
                        "and retry the cart check out.",
                    )
            cart.busy = True
            latency = self.checkout_latency
        try:
            if latency:
                time.sleep(latency)  # the cart is in flight: a concurrent checkout gets 409 800064
            with self._lock:
                return Reply(201, self._place_orders(cart))
        finally:
            with self._lock:
                cart.busy = False

    def _place_orders(self, cart: _Cart) -> dict[str, Any]:
        by_group: dict[str, list[dict[str, Any]]] = {}
        for line in cart.line_items:
            by_group.setdefault(line["orderGroup"], []).append(line)
        if self._order_failures > 0:
            self._order_failures -= 1
            errors = [
                {"orderGroupId": g, "code": 800005, "description": "Create order isn't successful"} for g in by_group
            ]
            return {"orders": [], "orderErrors": errors}
        orders = []
        for lines in by_group.values():
            order = _Order(
                self._new_order_id(),
                cart.customer,
                self._now,
                lines[0]["billingCycle"],
                [],
                reads_left=self.provisioning_reads,
                list_misses_left=self.order_list_delay,
            )
            for number, line in enumerate(lines):
                entry = next(
                    e for e in self._catalog.values() if e.catalog_item_id.upper() == line["catalogItemId"].upper()
                )
                sub = _Sub(
                    id=self._new_guid(),
                    customer=cart.customer,
                    entry=entry,
                    availability_id=entry.availability_id,
                    friendly_name=line.get("friendlyName") or entry.title,
                    quantity=line["quantity"],
                    term=line["termDuration"],
                    cycle=line["billingCycle"],
                    auto_renew=entry.renewable,  # judgement: NCE subscriptions are bought with auto-renew on
                    created=self._now,
                    start=self._now.date(),
                    end=_term_end(self._now.date(), line["termDuration"]),
                    window_start=self._now,
                    status="active",
                    order_id=order.id,
                    batches=[_Batch(line["quantity"], self._now)],  # refundable for 7 days from purchase
                    provisioned=False,
                )
                self._customers[cart.customer][sub.id.lower()] = sub
                order.lines.append(
                    {
                        "lineItemNumber": number,
                        "offerId": entry.catalog_item_id,
                        "subscriptionId": sub.id,
                        "termDuration": line["termDuration"],
                        "transactionType": "New",
                        "friendlyName": sub.friendly_name,
                        "quantity": line["quantity"],
                    }
                )
            self._orders[order.id] = order
            # The checkout reply shows the order "pending" (as Microsoft's new commerce example does); with
            # provisioning_reads 0 its subscriptions are already provisioned and their ids in the reply.
            if order.reads_left <= 0:
                for sub_line in order.lines:
                    sub_line["provisioned"] = True
                    self._customers[cart.customer][sub_line["subscriptionId"].lower()].provisioned = True
            orders.append(self._order_json(order))
        cart.status = "Ordered"
        cart.result = {"orders": orders, "orderErrors": []}
        copy: dict[str, Any] = json.loads(json.dumps(cart.result))
        return copy

    def _provision(self, order: _Order) -> None:
        if order.reads_left > 0:
            return
        order.status = "completed"
        for line in order.lines:
            line["provisioned"] = True
            sub = self._customers[order.customer].get(line["subscriptionId"].lower())
            if sub is not None:
                sub.provisioned = True

    def _read_order(self, order: _Order) -> dict[str, Any]:
        if order.reads_left > 0:
            order.reads_left -= 1
        else:
            self._provision(order)
        return self._order_json(order)

    def _list_orders(self, customer: str) -> Reply:
        # "After you submit an order, there is a delay of up to 15 minutes before the order appears in that
        # customer's order list." (P0 purchase-new-commerce-license-based): order_list_delay list calls.
        with self._lock:
            items = []
            for order in self._orders.values():
                if order.customer != customer:
                    continue
                if order.list_misses_left > 0:
                    order.list_misses_left -= 1
                    continue
                items.append(self._read_order(order))
        return Reply(200, self._collection(items, f"/customers/{customer}/orders"))

    def _get_order(self, customer: str, order_id: str) -> Reply:
        with self._lock:
            order = self._orders.get(order_id)
            if order is None or order.customer != customer:
                raise PCError(404, 20000, "Order ID not found")  # P0 error-codes
            return Reply(200, self._read_order(order))


class _Handler(BaseHTTPRequestHandler):
    """Turns HTTP into Recorded requests and Replies into HTTP; keep-alive friendly."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once (see tests/fakegraph.py)
    fake: FakePartnerCenter

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: test output should not fill with access logs."""

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while (size := int(self.rfile.readline().strip() or b"0", 16)) > 0:
                data += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            return data
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _handle(self) -> None:
        fake = self.fake
        raw = self._read_body()
        split = urlsplit(self.path)
        rec = Recorded(
            self.command,
            unquote(split.path),
            parse_qs(split.query, keep_blank_values=True),
            dict(self.headers.items()),
            None,
        )
        with fake._lock:
            fake.requests.append(rec)
        try:
            reply = fake.serve(rec, raw)
        except Exception as exc:  # a bug in the fake must still answer, not hang the client
            reply = Reply(
                500, {"code": 800003, "description": f"fakepartnercenter: {exc!r}", "data": [], "source": "PartnerFD"}
            )
        rec.status = reply.status
        if reply.drop:  # the write was applied; the caller never hears back
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        # Response headers echo MS-RequestId and MS-CorrelationId (P0 headers; every response example); the
        # server makes a request id up when the call has none (PL REST reference, see FakePartnerCenter.serve).
        ids = {
            "MS-RequestId": self.headers.get("MS-RequestId") or str(uuid.uuid4()),
            "MS-CorrelationId": self.headers.get("MS-CorrelationId") or str(uuid.uuid4()),
        }
        data = b"" if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        if reply.body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in {**ids, **reply.headers}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle
