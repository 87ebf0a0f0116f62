"""An in-process fake of Azure Resource Manager's Microsoft.Billing provider, api-version 2024-04-01.

The billing-subscription subset for Microsoft Customer Agreement (MCA) billing accounts, served over
real HTTP: list (billing account, billing profile, invoice section), get, PATCH with the documented
long-running-operation pattern, and optionally the billingSubscriptionAliases PUT/GET.

Strict on purpose, and an independent witness: every behaviour comes from Microsoft's published
specification or documentation, never from the product (reconciler/). Sources, cited by these ids
in the comments below (docs/commerce-apis.md, "Fake Azure Billing: choices", has the full list):

  AZ      github:Azure/azure-rest-api-specs, specification/billing/resource-manager/Microsoft.Billing/
          stable/2024-04-01/billingSubscription.json (paths, BillingSubscriptionProperties) and
          types.json (query parameters, name patterns), with examples/ in the same folder.
  AZ-CT   the same repository, specification/common-types/resource-management/v5/types.json
          (ErrorResponse, ErrorDetail, Resource: id/name/type/systemData read-only).
  RPC     the Azure Resource Manager resource-provider contract, github:Azure/azure-resource-manager-rpc
          v1.0/ (read through its fork anthony-c-martin/azure-resource-manager-rpc):
          async-api-reference.md, resource-api-reference.md, common-api-details.md.
  ARM     learn.microsoft.com/azure/azure-resource-manager/management/async-operations and
          .../request-limits-and-throttling.
  OBS     replies of the real service quoted in public issue threads (named where used).

Where the sources are silent or disagree, the fake takes the stricter reading for a client and says
so in a comment marked "choice". Random faults (throttling, 5xx, lost replies) come from one seeded
random generator; fail_next() and lose_next() give exact, deterministic faults.
"""

from __future__ import annotations

import base64
import copy
import http
import json
import random
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _word_tuple(text: str) -> tuple[str, ...]:
    return tuple(text.split())


API_VERSION = "2024-04-01"
NAMESPACE = "Microsoft.Billing"
SUBSCRIPTION_TYPE = "Microsoft.Billing/billingAccounts/billingSubscriptions"  # AZ examples/billingSubscriptionsGet.json
ALIAS_TYPE = (
    "Microsoft.Billing/billingAccounts/billingSubscriptionAliases"  # AZ examples/billingSubscriptionAliasGet.json
)
MAX_TOP = 50  # AZ types.json parameters.top: "The maximum supported value for top is 50."
# AZ types.json parameters.billingAccountName.pattern; an MCA account is "<guid>:<guid>_<yyyy-mm-dd>"
# (every MCA example, e.g. examples/billingSubscriptionsGet.json).
ACCOUNT_NAME = re.compile(
    r"^([0-9]+|([Pp][Cc][Nn]\.[A-Za-z0-9]+)|[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}"
    r"(:[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}_[0-9]{4}(-[0-9]{2}){2})?)$"
)
SECTION_NAME = re.compile(r"^[a-zA-Z\d\-_]{1,128}$")  # AZ types.json billingProfileName / invoiceSectionName
DURATION = re.compile(r"^P([1-9][0-9]?)([MY])$")  # "ISO8601 ... Example: P1M, P3M, P1Y" (AZ termDuration)
AUTO_RENEW = ("Off", "On")  # AZ BillingSubscriptionProperties.autoRenew enum
# AZ BillingSubscriptionProperties.status enum.
STATUSES = _word_tuple(
    "Other Unknown Active Disabled Deleted Warned Expiring Expired AutoRenew Cancelled Suspended Failed"
)
# Properties the schema marks readOnly (directly, or by a readOnly definition: NextBillingCycleDetails,
# RenewalTermDetails, Reseller, EnrollmentAccountSubscriptionDetails; SystemOverrides has only readOnly
# members). A PATCH naming any of them is refused (choice: RPC resource-api-reference.md would ignore a
# read-only value equal to the server's and refuse a different one; refusing both is stricter).
READ_ONLY = _words(
    "billingPolicies billingProfileDisplayName billingProfileName customerDisplayName customerName "
    "enrollmentAccountId enrollmentAccountDisplayName enrollmentAccountSubscriptionDetails "
    "invoiceSectionDisplayName invoiceSectionName lastMonthCharges monthToDateCharges "
    "nextBillingCycleDetails offerId productCategory productType purchaseDate reseller renewalTermDetails "
    "skuDescription systemOverrides resourceUri termStartDate termEndDate status operationStatus "
    "provisioningState subscriptionId suspensionReasons suspensionReasonDetails"
)
# Writable in the schema (no readOnly) but not documented as changeable on a Microsoft 365 seat-based
# subscription: refused (choice). consumptionCostCenter "is only available for consumption
# subscriptions"; billingProfileId/invoiceSectionId have their own `move` operation; the product, SKU,
# term and frequency have `split`/`merge`; nothing documents what a PATCH of them would do.
WRITABLE_UNSUPPORTED = _words(
    "beneficiaryTenantId beneficiary billingFrequency billingProfileId consumptionCostCenter customerId "
    "displayName invoiceSectionId productTypeId skuId termDuration provisioningTenantId"
)
# The keys a seed subscription may carry: BillingSubscriptionProperties names (plus "name").
SEED_KEYS = _words(
    "name displayName productTypeId productType productCategory skuId skuDescription quantity "
    "termDuration billingFrequency autoRenew status termStartDate termEndDate purchaseDate "
    "systemOverrides beneficiaryTenantId provisioningTenantId customerId"
)
ALIAS_KEYS = _words(
    "displayName skuId productTypeId quantity termDuration billingFrequency autoRenew billingProfileId "
    "invoiceSectionId beneficiaryTenantId"
)
# The property set of the one request example, AZ examples/billingSubscriptionAliasCreateOrUpdate.json.
ALIAS_REQUIRED = ("displayName", "skuId", "quantity", "termDuration", "billingFrequency")
# Seat reductions: the 7 days after purchase or renewal (Partner Center new-commerce rules,
# docs/commerce-apis.md 1.4); reported as systemOverrides.cancellationAllowedEndDate, "The end date in UTC
# time by when the self-serve cancellation ends" (AZ SystemOverrides; "cancellation or seat reduction").
CANCELLATION_WINDOW = timedelta(days=7)
FAULT_KEYS = _words(
    "throttle_rate retry_after error_rate lost_rate async_patch async_polls poll_retry_after page_size "
    "allow_quantity_patch enable_aliases azure_async_operation background_operations"
)
FAULT_KINDS = frozenset({"any", "read", "list", "get", "patch", "poll", "alias", "operation"})
# Default ARM codes for fail_next(); 429's is the code ARM gives a provider-level throttle
# ("ResourceRequestsThrottled", OBS github.com/Azure/alzlib/issues/168).
DEFAULT_CODES = {
    400: "BadRequest",
    404: "NotFound",
    409: "Conflict",
    429: "ResourceRequestsThrottled",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}
# Token buckets per tenant since 2024 (ARM request-limits-and-throttling): reads 250, writes 200.
READ_BUCKET, WRITE_BUCKET = 250, 200

# The fake's default MCA billing account: invented ids, in the formats of AZ's examples. The product
# ids are Partner Center NCE product/SKU ids (docs/commerce-apis.md 1.13); that an MCA billing
# subscription's productTypeId/skuId carry the same ids is a judgement (AZ examples use placeholders).
DEFAULT_ACCOUNT = "7c1e4d2a-9b3f-4e8a-a5d6-2f0b8c9e1a47:3d9a6b1c-4e2f-4a7b-8c5d-9e0f1a2b3c4d_2019-05-31"
DEFAULT_ACCOUNTS: dict[str, Any] = {
    DEFAULT_ACCOUNT: {
        "displayName": "Contoso Ltd",
        "billingProfiles": {
            "AB12-CD34-EF5-GH6": {
                "displayName": "Contoso billing",
                "invoiceSections": {
                    "JK78-LM90-NO1-PQ2": {
                        "displayName": "IT",
                        "subscriptions": [
                            {
                                "name": "5f0c3a1e-2b4d-4c6e-8a9b-0c1d2e3f4a5b",
                                "displayName": "Microsoft 365 E5",
                                "productTypeId": "CFQ7TTC0LFLZ",
                                "skuId": "0002",
                                "quantity": 25,
                                "termDuration": "P1Y",
                                "billingFrequency": "P1M",
                                "autoRenew": "On",
                            },
                            {
                                "name": "6a1d4b2f-3c5e-4d7f-9b0c-1d2e3f4a5b6c",
                                "displayName": "Microsoft 365 E3",
                                "productTypeId": "CFQ7TTC0LFLX",
                                "skuId": "0001",
                                "quantity": 10,
                                "termDuration": "P1M",
                                "billingFrequency": "P1M",
                                "autoRenew": "Off",
                            },
                        ],
                    },
                    "RS34-TU56-VW7-XY8": {
                        "displayName": "Telephony",
                        "subscriptions": [
                            {
                                "name": "7b2e5c3a-4d6f-4e8a-8c1d-2e3f4a5b6c7d",
                                "displayName": "Teams Phone with Calling Plan",
                                "productTypeId": "CFQ7TTC0HL73",
                                "skuId": "0001",
                                "quantity": 5,
                                "termDuration": "P1Y",
                                "billingFrequency": "P1Y",
                                "autoRenew": "On",
                            }
                        ],
                    },
                },
            }
        },
    }
}


@dataclass
class Recorded:
    """One request as the fake saw it; status is filled in once the answer is known."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class Reply:
    """A response before it is written to the wire."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class ArmError(Exception):
    """Raised by handlers; turned into ARM's error envelope (AZ-CT ErrorResponse)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        target: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.target = status, code, message, target
        self.headers = dict(headers or {})


@dataclass
class _Sub:
    name: str
    account: str
    profile: str
    section: str
    props: dict[str, Any]  # seedable string/int properties under their swagger names
    term_start: datetime
    term_end: datetime
    purchase: datetime
    cancel_end: datetime
    modified: datetime
    locked_by: str | None = None  # the operation that holds it LockedForUpdate


@dataclass
class _Section:
    name: str
    display: str


@dataclass
class _Profile:
    name: str
    display: str
    sections: dict[str, _Section]  # lower-case name -> section


@dataclass
class _Alias:
    name: str
    request: dict[str, Any]  # the properties the PUT sent, to tell a repeat from a conflict
    sub: str  # the billing subscription's name


@dataclass
class _Account:
    name: str
    display: str
    profiles: dict[str, _Profile]
    subs: dict[str, _Sub] = field(default_factory=dict)  # lower-case name -> subscription
    aliases: dict[str, _Alias] = field(default_factory=dict)


@dataclass
class _Operation:
    id: str  # the last segment of the operationResults URL
    account: str
    kind: str  # "patch" or "alias"
    target: str  # the billing subscription's (patch) or alias's (alias) name
    changes: dict[str, Any]
    started: datetime
    status: str = "InProgress"
    polls: int = 0
    ended: datetime | None = None
    error: tuple[int, str, str] | None = None  # set when the operation is to fail (fail_next "operation")
    alias_sub: _Sub | None = None  # the subscription an alias operation creates on success


@dataclass
class _Rule:
    left: int
    kind: str
    status: int
    code: str
    message: str


def _iso(moment: datetime) -> str:
    # Seven fractional digits and a Z, as every AZ example writes dates ("2023-01-05T22:39:34.2606750Z").
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond:06d}0Z"


def _moment(value: Any, what: str) -> datetime:
    """A seed date: a date, a datetime or an ISO 8601 string; naive values are UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(0, 0))
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{what}: not an ISO 8601 date: {value!r}") from None
    else:
        raise ValueError(f"{what}: not a date: {value!r}")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _add(moment: datetime, duration: str, times: int = 1) -> datetime:
    """moment + duration (P<n>M or P<n>Y), the day clamped to the month's last day."""
    found = DURATION.match(duration)
    if not found:
        raise ValueError(f"not a supported ISO 8601 duration: {duration!r}")
    months = int(found.group(1)) * (12 if found.group(2) == "Y" else 1) * times
    total = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last))


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def _bad(message: str, target: str | None = None, code: str = "BadRequest") -> ArmError:
    return ArmError(400, code, message, target)


def _error_body(err: ArmError) -> dict[str, Any]:
    # AZ-CT ErrorResponse: {"error": ErrorDetail{code, message, target?, details?, additionalInfo?}};
    # RPC common-api-details.md: "The resource providers must return the *code* and *message* fields".
    inner: dict[str, Any] = {"code": err.code, "message": err.message}
    if err.target is not None:
        inner["target"] = err.target
    return {"error": inner}


def _single(query: dict[str, list[str]], name: str) -> str | None:
    values = set(query.get(name, []))
    if len(values) > 1:  # identical repeats are tolerated (a nextLink already carries api-version)
        raise _bad(f"The query parameter '{name}' was given more than once with different values.", name)
    return values.pop() if values else None


def _lower_query(query: dict[str, list[str]]) -> dict[str, list[str]]:
    # Query parameter names are matched without regard to case (RPC common-api-details.md, "Case
    # Insensitivity for Requests", applies it to names in the URL; choice: the same for parameter names).
    merged: dict[str, list[str]] = {}
    for key, values in query.items():
        merged.setdefault(key.lower(), []).extend(values)
    return merged


def _flag(query: dict[str, list[str]], name: str) -> bool:
    raw = _single(query, name.lower())
    if raw is None:
        return False
    if raw.lower() not in ("true", "false"):
        raise _bad(f"The value '{raw}' is not valid for the boolean query parameter '{name}'.", name)
    return raw.lower() == "true"


def _count(query: dict[str, list[str]], name: str, low: int, high: int | None) -> int | None:
    raw = _single(query, name)
    if raw is None:
        return None
    if not raw.strip().isdigit() or int(raw) < low or (high is not None and int(raw) > high):
        upper = f" and {high}" if high is not None else " or more"
        raise _bad(f"The value '{raw}' of the query parameter '{name}' must be a whole number {low}{upper}.", name)
    return int(raw)


def _encode_token(offset: int, scope: str) -> str:
    raw = json.dumps({"o": offset, "s": scope}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, scope: str) -> int:
    # RPC resource-api-reference.md, Pagination: "The $skipToken present in the nextLink MUST only be
    # usable within the original scope that it was used."
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if isinstance(data, dict) and data.get("s") == scope and isinstance(data.get("o"), int) and data["o"] >= 0:
            return int(data["o"])
    except (ValueError, TypeError):
        pass
    raise _bad("The $skipToken is invalid or was issued for another scope.", "$skipToken")


class FakeAzureBilling:
    """A fake ARM Microsoft.Billing endpoint for MCA billing accounts, on 127.0.0.1 in a daemon thread.

    `accounts` seeds billing account -> billing profiles -> invoice sections -> billing subscriptions:

        {"<billingAccountName>": {                      # AZ types.json pattern; MCA: "<guid>:<guid>_<date>"
            "displayName": "...",
            "billingProfiles": {"<billingProfileName>": {
                "displayName": "...",
                "invoiceSections": {"<invoiceSectionName>": {
                    "displayName": "...",
                    "subscriptions": [{                  # BillingSubscriptionProperties names
                        "name": "<guid>",               # default: derived from account and displayName
                        "displayName": "Microsoft 365 E5",
                        "productTypeId": "CFQ7TTC0LFLZ", "skuId": "0002",
                        "productType": ..., "productCategory": "SeatBased", "skuDescription": ...,
                        "quantity": 25,
                        "termDuration": "P1Y",           # P<n>M or P<n>Y
                        "billingFrequency": "P1M",
                        "autoRenew": "On",               # "On" | "Off"
                        "status": "Active",              # the schema's enum
                        "termStartDate": "2026-01-05",   # default: today; termEndDate default: start + term
                        "purchaseDate": ..., "systemOverrides": {"cancellationAllowedEndDate": ...},
                        "beneficiaryTenantId": ..., "provisioningTenantId": ..., "customerId": ...}]}}}}}}

    None seeds DEFAULT_ACCOUNTS (one account, invented ids). Names are matched without regard to case.

    Behaviour knobs (all changeable with configure()): async_patch (202 + Location, else 200),
    async_polls (polls that answer "in progress" before an operation completes), poll_retry_after (the
    Retry-After of a 202, 10 as in AZ's example), azure_async_operation (also send an
    Azure-AsyncOperation status URL; AZ declares only Location), page_size (items per page; small so a
    client must follow nextLink), allow_quantity_patch (accept `quantity` in a PATCH),
    enable_aliases (billingSubscriptionAliases PUT/GET).

    Random faults from one random.Random(seed): throttle_rate (429 + Retry-After: retry_after),
    error_rate (500, or 503 + Retry-After, before anything is done), lost_rate (a successful PATCH or
    alias PUT applied, then answered 504 GatewayTimeout). Deterministic faults: fail_next(), lose_next().
    """

    def __init__(
        self,
        *,
        token: str = "fake-arm-token",
        accounts: dict[str, Any] | None = None,
        today: date | None = None,
        seed: int = 0,
        throttle_rate: float = 0.0,
        retry_after: int = 1,
        error_rate: float = 0.0,
        lost_rate: float = 0.0,
        async_patch: bool = True,
        async_polls: int = 1,
        poll_retry_after: int = 10,
        azure_async_operation: bool = False,
        page_size: int = 2,
        allow_quantity_patch: bool = False,
        enable_aliases: bool = False,
    ) -> None:
        self.token = token
        self.throttle_rate, self.retry_after, self.error_rate, self.lost_rate = (
            throttle_rate,
            retry_after,
            error_rate,
            lost_rate,
        )
        self.async_patch, self.async_polls, self.poll_retry_after = async_patch, async_polls, poll_retry_after
        # Off: an operation moves only when its Location is polled (exact tests of a client's polling).
        # On: every other request is time passing too, as on ARM, where an operation whose 202 was lost
        # still completes (added by the client's author for that case; default off keeps the tests above).
        self.background_operations = False
        self.azure_async_operation, self.page_size = azure_async_operation, page_size
        self.allow_quantity_patch, self.enable_aliases = allow_quantity_patch, enable_aliases
        self._lock = threading.RLock()  # guards state, the rng, the logs and the fault queues
        self._rng = random.Random(seed)
        self._now = datetime.combine(today or datetime.now(UTC).date(), time(0, 0), tzinfo=UTC)
        self._accounts: dict[str, _Account] = {}
        for name, raw in (DEFAULT_ACCOUNTS if accounts is None else accounts).items():
            self._add_account(name, raw)
        self._ops: dict[str, _Operation] = {}
        self._op_count = 0
        self._fail_rules: list[_Rule] = []
        self._lose_rules: list[_Rule] = []
        self.requests: list[Recorded] = []
        self._server: ThreadingHTTPServer | None = None
        self._base = ""

    # ----- seeding -----------------------------------------------------------------------------
    def _add_account(self, name: str, raw: dict[str, Any]) -> None:
        if not ACCOUNT_NAME.match(name):
            raise ValueError(f"billing account name {name!r} does not match the pattern of AZ types.json")
        if name.lower() in self._accounts:
            raise ValueError(f"billing account {name!r} is seeded twice")
        unknown = set(raw) - {"displayName", "billingProfiles"}
        if unknown:
            raise ValueError(f"billing account {name!r}: unknown keys {sorted(unknown)}")
        account = _Account(name, str(raw.get("displayName", name)), {})
        self._accounts[name.lower()] = account
        for bp_name, bp_raw in (raw.get("billingProfiles") or {}).items():
            if not SECTION_NAME.match(bp_name) or bp_name.lower() in account.profiles:
                raise ValueError(f"billing profile name {bp_name!r} is invalid or repeated")
            if set(bp_raw) - {"displayName", "invoiceSections"}:
                raise ValueError(f"billing profile {bp_name!r}: unknown keys {sorted(set(bp_raw) - {'displayName'})}")
            profile = _Profile(bp_name, str(bp_raw.get("displayName", bp_name)), {})
            account.profiles[bp_name.lower()] = profile
            for is_name, is_raw in (bp_raw.get("invoiceSections") or {}).items():
                if not SECTION_NAME.match(is_name) or is_name.lower() in profile.sections:
                    raise ValueError(f"invoice section name {is_name!r} is invalid or repeated")
                if set(is_raw) - {"displayName", "subscriptions"}:
                    raise ValueError(f"invoice section {is_name!r}: unknown keys")
                profile.sections[is_name.lower()] = _Section(is_name, str(is_raw.get("displayName", is_name)))
                for sub_raw in is_raw.get("subscriptions") or []:
                    sub = self._make_sub(account, profile.name, is_name, sub_raw)
                    if sub.name.lower() in account.subs:
                        raise ValueError(f"billing subscription {sub.name!r} is seeded twice")
                    account.subs[sub.name.lower()] = sub

    def _make_sub(self, account: _Account, profile: str, section: str, raw: dict[str, Any]) -> _Sub:
        unknown = set(raw) - SEED_KEYS
        if unknown:
            raise ValueError(f"billing subscription seed: unknown keys {sorted(unknown)} (use swagger names)")
        display = str(raw.get("displayName", "Seat-based subscription"))
        name = str(raw.get("name") or uuid.uuid5(uuid.NAMESPACE_URL, f"{account.name}/{display}"))
        props: dict[str, Any] = {
            "displayName": display,
            "productTypeId": raw.get("productTypeId"),
            "productType": raw.get("productType", display),
            "productCategory": raw.get("productCategory", "SeatBased"),  # as AZ examples/billingSubscriptionsGet.json
            "skuId": raw.get("skuId"),
            "skuDescription": raw.get("skuDescription", display),
            "quantity": raw.get("quantity", 1),
            "termDuration": raw.get("termDuration", "P1M"),
            "billingFrequency": raw.get("billingFrequency", "P1M"),
            "autoRenew": raw.get("autoRenew", "On"),
            "status": raw.get("status", "Active"),
        }
        for key in ("beneficiaryTenantId", "provisioningTenantId", "customerId"):
            if raw.get(key) is not None:
                props[key] = str(raw[key])
        self._check_props(name, props)
        start = _moment(raw["termStartDate"], "termStartDate") if "termStartDate" in raw else self._now
        end = _moment(raw["termEndDate"], "termEndDate") if "termEndDate" in raw else _add(start, props["termDuration"])
        if end <= start:
            raise ValueError(f"billing subscription {name!r}: termEndDate is not after termStartDate")
        purchase = _moment(raw["purchaseDate"], "purchaseDate") if "purchaseDate" in raw else start
        overrides = raw.get("systemOverrides") or {}
        if set(overrides) - {"cancellationAllowedEndDate"}:
            raise ValueError("systemOverrides: only cancellationAllowedEndDate can be seeded")
        cancel_end = (
            _moment(overrides["cancellationAllowedEndDate"], "cancellationAllowedEndDate")
            if "cancellationAllowedEndDate" in overrides
            else start + CANCELLATION_WINDOW
        )
        return _Sub(name, account.name, profile, section, props, start, end, purchase, cancel_end, purchase)

    @staticmethod
    def _check_props(name: str, props: dict[str, Any]) -> None:
        if props["autoRenew"] not in AUTO_RENEW:
            raise ValueError(f"billing subscription {name!r}: autoRenew must be 'On' or 'Off'")
        if props["status"] not in STATUSES:
            raise ValueError(f"billing subscription {name!r}: status {props['status']!r} is not in the schema's enum")
        quantity = props["quantity"]
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise ValueError(f"billing subscription {name!r}: quantity must be a whole number >= 1")
        for key in ("termDuration", "billingFrequency"):
            if not isinstance(props[key], str) or not DURATION.match(props[key]):
                raise ValueError(f"billing subscription {name!r}: {key} must be P<n>M or P<n>Y")

    # ----- lifecycle -----------------------------------------------------------------------------
    def start(self) -> str:
        """Start serving on a free port in a daemon thread; returns the ARM host stand-in base URL."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._base = f"http://127.0.0.1:{self._server.server_address[1]}"
        # A short poll interval keeps stop() (and so each test teardown) fast.
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self._base

    def stop(self) -> None:
        """Stop the server and close its socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeAzureBilling:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT, standing in for https://management.azure.com (only after start)."""
        if not self._base:
            raise RuntimeError("FakeAzureBilling is not started")
        return self._base

    # ----- inspection and admin ----------------------------------------------------------------
    @property
    def today(self) -> date:
        """The fake's clock (UTC midnight of this day)."""
        with self._lock:
            return self._now.date()

    def advance(self, days: int) -> None:
        """Let `days` pass: pending operations complete, and terms that end renew or expire.

        Past termEndDate a subscription with autoRenew "On" starts a new term of the same termDuration
        at the old end (AZ examples: termEndDate = termStartDate + termDuration, same time of day), with a
        new seat-reduction window; one with "Off" gets status "Expired" (choice: of the schema's enum,
        "Expired" names a term that ran out; "Cancelled" would name a cancellation, which nobody made).
        """
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ValueError(f"advance() needs a whole number of days >= 0, not {days!r}")
        with self._lock:
            self._now += timedelta(days=days)
            for op in list(self._ops.values()):
                if op.status == "InProgress":
                    self._finish(op)
            for account in self._accounts.values():
                for sub in account.subs.values():
                    self._age(sub)

    def _age(self, sub: _Sub) -> None:
        while sub.props["status"] == "Active" and self._now >= sub.term_end:
            if sub.props["autoRenew"] == "On":
                sub.term_start, sub.term_end = sub.term_end, _add(sub.term_end, sub.props["termDuration"])
                sub.cancel_end = sub.term_start + CANCELLATION_WINDOW
            else:
                sub.props["status"] = "Expired"
            sub.modified = self._now

    def subscriptions(self, account: str | None = None) -> list[dict[str, Any]]:
        """The billing subscriptions of an account (default: the only one), as GET returns them."""
        with self._lock:
            acct = self._account_for(account)
            return [self._sub_json(s) for s in sorted(acct.subs.values(), key=lambda s: s.name.lower())]

    def subscription(self, name: str, account: str | None = None) -> dict[str, Any]:
        """One billing subscription, as GET returns it."""
        with self._lock:
            acct = self._account_for(account)
            sub = acct.subs.get(name.lower())
            if sub is None:
                raise KeyError(name)
            return self._sub_json(sub)

    def set_subscription(self, name: str, account: str | None = None, /, **properties: Any) -> None:
        """Change a subscription behind the API's back, as an admin in the portal would (seed names)."""
        with self._lock:
            acct = self._account_for(account)
            sub = acct.subs.get(name.lower())
            if sub is None:
                raise KeyError(name)
            refused = (set(properties) - SEED_KEYS) | ({"name"} & set(properties))
            if refused:
                raise ValueError(f"set_subscription: cannot set {sorted(refused)}")
            props = dict(sub.props)
            dates = {k: properties.pop(k) for k in ("termStartDate", "termEndDate", "purchaseDate") if k in properties}
            overrides = properties.pop("systemOverrides", None)
            props.update(properties)
            self._check_props(sub.name, props)
            sub.props = props
            if "termStartDate" in dates:
                sub.term_start = _moment(dates["termStartDate"], "termStartDate")
            if "termEndDate" in dates:
                sub.term_end = _moment(dates["termEndDate"], "termEndDate")
            if "purchaseDate" in dates:
                sub.purchase = _moment(dates["purchaseDate"], "purchaseDate")
            if overrides:
                sub.cancel_end = _moment(overrides["cancellationAllowedEndDate"], "cancellationAllowedEndDate")
            sub.modified = self._now

    @property
    def operations(self) -> list[dict[str, Any]]:
        """Every long-running operation so far, oldest first, as plain dicts."""
        with self._lock:
            return [
                {
                    "id": op.id,
                    "kind": op.kind,
                    "account": op.account,
                    "target": op.target,
                    "changes": copy.deepcopy(op.changes),
                    "status": op.status,
                    "polls": op.polls,
                    "location": self._location(op),
                }
                for op in self._ops.values()
            ]

    def configure(self, **kwargs: Any) -> None:
        """Change knobs at runtime: the FAULT_KEYS, and seed (reseeds the random generator)."""
        with self._lock:
            for key, value in kwargs.items():
                if key == "seed":
                    self._rng.seed(value)
                elif key in FAULT_KEYS:
                    setattr(self, key, value)
                else:
                    raise TypeError(f"configure() got an unexpected keyword argument '{key}'")

    def fail_next(
        self, n: int, kind: str = "any", status: int = 503, code: str | None = None, message: str | None = None
    ) -> None:
        """Answer the next n requests of `kind` with an ARM error, before anything is done.

        kind: any, read (list and get), list, get, patch, poll, alias, or operation: the next n accepted
        PATCHes (or alias PUTs) end Failed, nothing applied; with async_patch their Location answers
        the error when the operation completes, without it the PATCH itself does. 429 and 503 carry
        Retry-After: retry_after.
        """
        self._queue(self._fail_rules, n, kind, status, code, message)

    def lose_next(self, n: int, kind: str = "patch", status: int = 504) -> None:
        """Apply the next n successful writes of `kind` (patch, alias, any), then answer `status`.

        The change is made (an asynchronous operation completes at once) and the caller sees only an
        error, as when ARM gives up on the provider: "the client will receive a 504 (timeout) error
        code and will not see the response from the RP" (RPC common-api-details.md).
        """
        if kind not in ("patch", "alias", "any"):
            raise ValueError(f"lose_next kind must be patch, alias or any, not {kind!r}")
        self._queue(self._lose_rules, n, kind, status, None, None)

    def _queue(self, rules: list[_Rule], n: int, kind: str, status: int, code: str | None, message: str | None) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"a fault count must be a whole number >= 0, not {n!r}")
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {sorted(FAULT_KINDS)}")
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError(f"a fault needs an error status (400-599), not {status!r}")
        phrase = _phrase(status)
        with self._lock:
            rules.append(_Rule(n, kind, status, code or DEFAULT_CODES.get(status, "Error"), message or f"{phrase}."))

    @staticmethod
    def _take(rules: list[_Rule], kind: str) -> _Rule | None:
        # Checked and decremented in one step under the lock: n concurrent requests meet exactly n faults.
        read = kind in ("list", "get")
        for rule in rules:
            if kind == "operation":  # only a rule for operations fails an operation
                matched = rule.kind == "operation"
            else:
                matched = rule.kind in ("any", kind) or (rule.kind == "read" and read)
            if rule.left > 0 and matched:
                rule.left -= 1
                return rule
        return None

    def _chance(self, rate: float) -> bool:
        # Draw only when the fault is enabled, so fault-free runs keep the generator's sequence.
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def _account_for(self, account: str | None) -> _Account:
        if account is None:
            if len(self._accounts) != 1:
                raise ValueError("name the billing account: the fake holds more than one")
            return next(iter(self._accounts.values()))
        found = self._accounts.get(account.lower())
        if found is None:
            raise KeyError(account)
        return found

    # ----- JSON shapes ---------------------------------------------------------------------------
    def _account_path(self, account: str) -> str:
        return f"/providers/{NAMESPACE}/billingAccounts/{account}"

    def _sub_json(self, sub: _Sub) -> dict[str, Any]:
        """A BillingSubscription as AZ examples/billingSubscriptionsGet.json shows a seat-based one."""
        acct = self._account_path(sub.account)
        profile = self._accounts[sub.account.lower()].profiles[sub.profile.lower()]
        section = profile.sections[sub.section.lower()]
        sub_id = f"{acct}/billingSubscriptions/{sub.name}"
        p = sub.props
        props: dict[str, Any] = {"autoRenew": p["autoRenew"]}
        if "beneficiaryTenantId" in p:
            props["beneficiaryTenantId"] = p["beneficiaryTenantId"]
        props.update(
            {
                "billingFrequency": p["billingFrequency"],
                "billingProfileId": f"{acct}/billingProfiles/{profile.name}",
                "billingProfileDisplayName": profile.display,
                "billingProfileName": profile.name,
            }
        )
        if "customerId" in p:
            props["customerId"] = p["customerId"]
        props.update(
            {
                "displayName": p["displayName"],
                "invoiceSectionId": f"{acct}/billingProfiles/{profile.name}/invoiceSections/{section.name}",
                "invoiceSectionDisplayName": section.display,
                "invoiceSectionName": section.name,
                # "When LockedForUpdate, write operations will be blocked" (AZ operationStatus).
                "operationStatus": "LockedForUpdate" if sub.locked_by else "None",
                "productCategory": p["productCategory"],
                "productType": p["productType"],
                "productTypeId": p["productTypeId"],
            }
        )
        if "provisioningTenantId" in p:
            props["provisioningTenantId"] = p["provisioningTenantId"]
        props.update({"purchaseDate": _iso(sub.purchase), "quantity": p["quantity"]})
        if p["autoRenew"] == "On" and p["status"] == "Active":
            # "Details for the next renewal term of a subscription" (AZ RenewalTermDetails): only when a
            # next term will come (choice: absent with autoRenew Off, so a client cannot lean on it).
            props["renewalTermDetails"] = {
                "billingFrequency": p["billingFrequency"],
                "productTypeId": p["productTypeId"],
                "skuId": p["skuId"],
                "termDuration": p["termDuration"],
                "quantity": p["quantity"],
                "termEndDate": _iso(_add(sub.term_end, p["termDuration"])),
            }
        props.update(
            {
                "resourceUri": sub_id,
                "skuId": p["skuId"],
                "skuDescription": p["skuDescription"],
                "systemOverrides": {"cancellationAllowedEndDate": _iso(sub.cancel_end)},
                "termDuration": p["termDuration"],
                "termStartDate": _iso(sub.term_start),
                "termEndDate": _iso(sub.term_end),
                "status": p["status"],
            }
        )
        return {
            "id": sub_id,
            "name": sub.name,
            "properties": props,
            "type": SUBSCRIPTION_TYPE,
            "systemData": {"createdAt": _iso(sub.purchase), "lastModifiedAt": _iso(sub.modified)},
        }

    def _alias_json(self, account: _Account, alias: _Alias) -> dict[str, Any]:
        """A BillingSubscriptionAlias as AZ examples/billingSubscriptionAliasGet.json shows it."""
        sub = self._sub_json(account.subs[alias.sub.lower()])
        return {
            "id": f"{self._account_path(account.name)}/billingSubscriptionAliases/{alias.name}",
            "name": alias.name,
            "properties": {"billingSubscriptionId": alias.sub, **sub["properties"]},
            "type": ALIAS_TYPE,
            "systemData": sub["systemData"],
        }

    def _location(self, op: _Operation) -> str:
        # AZ examples/billingSubscriptionsUpdate.json, 202: an absolute URL (RPC: "Location header should
        # be absolute URI") ".../billingAccounts/{a}/operationResults/manageBillingSubscription_{name}:{guid}
        # ?api-version=2024-04-01".
        return f"{self._base}{self._account_path(op.account)}/operationResults/{op.id}?api-version={API_VERSION}"

    def _status_url(self, op: _Operation) -> str:
        return f"{self._base}{self._account_path(op.account)}/operationStatuses/{op.id}?api-version={API_VERSION}"

    # ----- request execution -------------------------------------------------------------------
    def serve(self, rec: Recorded, raw: bytes) -> Reply:
        """Answer one HTTP request (called by the handler thread)."""
        try:
            self._authenticate(rec)
            self._check_api_version(rec)
        except ArmError as err:
            return self._fail(err)
        kind, run = self._route(rec)
        if self.background_operations and kind != "poll":
            self._advance_operations()
        if self._chance(self.throttle_rate):
            return self._fail(self._throttled())
        with self._lock:
            rule = self._take(self._fail_rules, kind)
        if rule is not None:
            return self._fail(ArmError(rule.status, rule.code, rule.message))
        if self._chance(self.error_rate):
            with self._lock:
                busy = self._rng.random() < 0.5
            if busy:
                return self._fail(ArmError(503, "ServiceUnavailable", "The service is temporarily unavailable."))
            return self._fail(ArmError(500, "InternalServerError", "An internal error occurred."))
        if raw:  # the log keeps what was sent, parsed where it parses
            try:
                rec.body = json.loads(raw)
            except ValueError:
                rec.body = raw.decode("utf-8", errors="replace")
        try:
            if kind in ("patch", "alias") and rec.method in ("PATCH", "PUT"):
                rec.body = self._decode_body(rec, raw)
            reply = run()
        except ArmError as err:
            return self._fail(err)
        if kind in ("patch", "alias") and rec.method != "GET" and reply.status < 300:
            with self._lock:
                lost = self._take(self._lose_rules, kind)
            if lost is not None or self._chance(self.lost_rate):
                status = lost.status if lost is not None else 504
                self._settle(reply)  # the change is made; only the reply is lost
                return self._fail(self._lost(status))
        return reply

    def _settle(self, reply: Reply) -> None:
        op_id = reply.headers.get("x-fake-operation")
        if op_id is not None:
            with self._lock:
                op = self._ops[op_id.lower()]
                if op.status == "InProgress":
                    self._finish(op)

    @staticmethod
    def _lost(status: int) -> ArmError:
        if status == 504:
            # RPC common-api-details.md: a provider that does not answer within 60 s leaves the client a
            # 504. The message is a judgement (ARM's wording was not found in a citable source).
            return ArmError(
                504,
                "GatewayTimeout",
                f"The gateway did not receive a response from '{NAMESPACE}' within the specified time period.",
            )
        phrase = _phrase(status)
        return ArmError(status, DEFAULT_CODES.get(status, "Error"), f"{phrase}.")

    def _throttled(self) -> ArmError:
        # ARM request-limits-and-throttling: "you receive the HTTP status code 429 Too many requests. The
        # response includes a Retry-After value". Code and wording of a provider throttle as observed
        # (OBS github.com/Azure/alzlib/issues/168: "ResourceRequestsThrottled", "Number of requests for
        # Microsoft.Authorization exceeded the limit of '120' for time interval '00:01:00'. Please try
        # again after '5' seconds.").
        return ArmError(
            429,
            "ResourceRequestsThrottled",
            f"Number of requests for {NAMESPACE} exceeded the limit of '{READ_BUCKET}' for time interval "
            f"'00:01:00'. Please try again after '{self.retry_after}' seconds.",
        )

    def _fail(self, err: ArmError) -> Reply:
        headers = dict(err.headers)
        if err.status in (429, 503) and "Retry-After" not in headers:
            headers["Retry-After"] = str(self.retry_after)
        if err.status == 429:
            headers["x-ms-ratelimit-remaining-tenant-reads"] = "0"
            headers["x-ms-ratelimit-remaining-tenant-writes"] = "0"
        return Reply(err.status, _error_body(err), headers)

    def _authenticate(self, rec: Recorded) -> None:
        auth = _header(rec.headers, "Authorization")
        # A request with no Authorization header: 401 AuthenticationFailed, "Authentication failed. The
        # 'Authorization' header is missing." (OBS github.com/hashicorp/terraform-provider-azurerm/issues/3612).
        # A token ARM does not accept: 401 InvalidAuthenticationToken, "The access token is invalid."
        # (OBS github.com/Azure/azure-powershell/issues/27882). "x-ms-failure-cause: gateway" as ARM's own
        # 401 carries (OBS github.com/Azure/azure-powershell/issues/12544).
        challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"', "x-ms-failure-cause": "gateway"}
        if not auth:
            raise ArmError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
                None,
                challenge,
            )
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ArmError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is provided in an invalid format.",
                None,
                challenge,
            )
        if token.strip() != self.token:
            raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.", None, challenge)

    def _check_api_version(self, rec: Recorded) -> None:
        values = set(_lower_query(rec.query).get("api-version", []))
        if not values:
            # OBS github.com/MicrosoftDocs/feedback/issues/2279 (and others): 400
            # {"error":{"code":"MissingApiVersionParameter","message":"The api-version query parameter
            # (?api-version=) is required for all requests."}}
            raise ArmError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        if values != {API_VERSION}:
            # What ARM answers Microsoft.Billing for a version the provider lacks (OBS
            # github.com/Azure/azure-sdk-for-python/issues/15986, a ResourceNotFoundError, i.e. 404, and
            # github.com/MicrosoftDocs/azure-docs/issues/102934): InvalidResourceType, "The resource type
            # 'billingAccounts' could not be found in the namespace 'Microsoft.Billing' for api version
            # '2019-10-01'. The supported api-versions are '...'." The fake supports one version.
            shown = ",".join(sorted(values))
            raise ArmError(
                404,
                "InvalidResourceType",
                f"The resource type 'billingAccounts' could not be found in the namespace '{NAMESPACE}' for api "
                f"version '{shown}'. The supported api-versions are '{API_VERSION}'.",
            )

    def _decode_body(self, rec: Recorded, raw: bytes) -> Any:
        if not raw:
            raise _bad(
                "The request content was invalid and could not be deserialized: the body is empty.",
                None,
                "InvalidRequestContent",
            )
        ctype = (_header(rec.headers, "Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            # RPC common-api-details.md: Content-Type "Set to application/json"; AZ "consumes":
            # ["application/json"]. Status 415 is the fake's choice.
            raise ArmError(
                415,
                "UnsupportedMediaType",
                f"The content media type '{ctype or '(none)'}' is not supported. Only 'application/json' is supported.",
            )
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise _bad(
                f"The request content was invalid and could not be deserialized: {exc}.", None, "InvalidRequestContent"
            ) from None

    # ----- routing -----------------------------------------------------------------------------
    def _route(self, rec: Recorded) -> tuple[str, Callable[[], Reply]]:
        """(kind, handler) for a request; an unknown route's handler raises the ARM error."""
        segs = rec.path.split("/")[1:]
        low = [s.lower() for s in segs]
        method = rec.method

        def refuse(err: ArmError) -> Callable[[], Reply]:
            def run() -> Reply:
                raise err

            return run

        if low[:3] != ["providers", NAMESPACE.lower(), "billingaccounts"] or len(segs) < 4:
            return "other", refuse(ArmError(404, "NotFound", f"fakeazurebilling has no resource at '{rec.path}'."))
        acct, rest, lrest = segs[3], segs[4:], low[4:]

        def only(allowed: str, kind: str, handler: Callable[[], Reply]) -> tuple[str, Callable[[], Reply]]:
            if method != allowed:
                return kind, refuse(self._method_not_allowed(method))
            return kind, handler

        unimplemented = refuse(
            ArmError(501, "NotImplemented", f"fakeazurebilling does not implement {method} {rec.path}.")
        )
        if lrest == ["billingsubscriptions"]:
            return only("GET", "list", lambda: self._list(rec, acct, None, None))
        if len(lrest) == 2 and lrest[0] == "billingsubscriptions":
            if method == "GET":
                return "get", lambda: self._get(rec, acct, rest[1])
            if method == "PATCH":
                return "patch", lambda: self._patch(rec, acct, rest[1])
            if method == "DELETE":  # AZ BillingSubscriptions_Delete: exists, not faked (cancelling is manual)
                return "other", unimplemented
            return "other", refuse(self._method_not_allowed(method))
        if len(lrest) == 3 and lrest[0] == "billingsubscriptions":
            # merge, split, cancel, move, validateMoveEligibility (AZ): exist, not faked.
            return "other", unimplemented
        if len(lrest) == 3 and lrest[0] == "billingprofiles" and lrest[2] == "billingsubscriptions":
            return only("GET", "list", lambda: self._list(rec, acct, rest[1], None))
        if (
            len(lrest) == 5
            and lrest[0] == "billingprofiles"
            and lrest[2:5:2] == ["invoicesections", "billingsubscriptions"]
        ):
            return only("GET", "list", lambda: self._list(rec, acct, rest[1], rest[3]))
        if len(lrest) == 4 and lrest[0] == "billingprofiles" and lrest[2] == "billingsubscriptions":
            # AZ BillingSubscriptions_GetByBillingProfile: "supported for billing accounts with agreement
            # type Enterprise Agreement".
            return "get", refuse(
                _bad(
                    "The operation is supported for billing accounts with agreement type Enterprise Agreement.",
                    code="UnsupportedOperation",
                )
            )
        if "customers" in lrest or "enrollmentaccounts" in lrest:
            # AZ: the customer-scoped lists are "supported only for billing accounts with agreement type
            # Microsoft Partner Agreement", enrollment accounts are Enterprise Agreement.
            return "list", refuse(
                _bad(
                    "The operation is not supported for a Microsoft Customer Agreement billing account.",
                    code="UnsupportedOperation",
                )
            )
        if len(lrest) == 2 and lrest[0] in ("operationresults", "operationstatuses"):
            style = lrest[0]
            return only("GET", "poll", lambda: self._poll(acct, rest[1], style))
        if lrest[:1] == ["billingsubscriptionaliases"] and self.enable_aliases:
            if len(lrest) == 2 and method == "PUT":
                return "alias", lambda: self._alias_put(rec, acct, rest[1])
            if len(lrest) == 2:
                return only("GET", "get", lambda: self._alias_get(acct, rest[1]))
            return "other", unimplemented
        kind = rest[0] if rest else "billingAccounts"
        if not rest:
            return "other", unimplemented
        # A resource type the provider does not have (or billingSubscriptionAliases while disabled): the
        # reply ARM gives for an unknown type of a namespace (see _check_api_version).
        return "other", refuse(
            ArmError(
                404,
                "InvalidResourceType",
                f"The resource type '{kind}' could not be found in the namespace '{NAMESPACE}' for api version "
                f"'{API_VERSION}'.",
            )
        )

    @staticmethod
    def _method_not_allowed(method: str) -> ArmError:
        return ArmError(405, "MethodNotAllowed", f"The requested resource does not support http method '{method}'.")

    def _find_account(self, name: str) -> _Account:
        found = self._accounts.get(name.lower())
        if found is None:
            # RPC resource-api-reference.md, Get Resource: "If the resource does not exist, 404 (NotFound)
            # should be returned." No Microsoft.Billing 404 body was found; the code is the fake's choice.
            raise ArmError(404, "NotFound", f"Billing account '{name}' was not found.")
        return found

    def _find_sub(self, account: _Account, name: str) -> _Sub:
        sub = account.subs.get(name.lower())
        if sub is None:
            raise ArmError(404, "NotFound", f"Billing subscription '{name}' was not found.")
        return sub

    # ----- handlers ----------------------------------------------------------------------------
    def _check_query(self, query: dict[str, list[str]], allowed: Iterable[str]) -> dict[str, list[str]]:
        low = _lower_query(query)
        known = {a.lower() for a in allowed} | {"api-version"}
        for name in low:
            if name in ("filter", "orderby", "search", "$filter", "$orderby", "$search", "$top", "$skip"):
                # AZ types.json defines filter/orderBy/search (spelled without '$') but not their grammar:
                # refused rather than ignored, so a client cannot rely on a guess (choice).
                raise _bad(
                    f"fakeazurebilling does not support the query parameter '{name}': AZ documents no grammar for "
                    "it, filter on the client (and AZ spells top/skip without '$').",
                    name,
                )
            if name not in known:
                raise _bad(f"The query parameter '{name}' is not supported by this operation.", name)
        return low

    def _list(self, rec: Recorded, acct_name: str, bp_name: str | None, is_name: str | None) -> Reply:
        """AZ BillingSubscriptions_ListByBillingAccount / _ListByBillingProfile / _ListByInvoiceSection."""
        allowed = ["includeDeleted", "expand", "top", "skip", "count", "$skipToken"]
        if bp_name is None:
            allowed += ["includeTenantSubscriptions", "includeFailed"]  # account scope only (AZ)
        query = self._check_query(rec.query, allowed)
        self._check_expand(query)
        include_deleted, include_failed = _flag(query, "includeDeleted"), _flag(query, "includeFailed")
        _flag(query, "includeTenantSubscriptions")  # MOSP accounts only (AZ): validated, no effect on MCA
        top = _count(query, "top", 1, MAX_TOP)
        skip = _count(query, "skip", 0, None) or 0
        counted = _flag(query, "count")
        with self._lock:
            account = self._find_account(acct_name)
            profile = section = None
            if bp_name is not None:
                profile = account.profiles.get(bp_name.lower())
                if profile is None:
                    raise ArmError(404, "NotFound", f"Billing profile '{bp_name}' was not found.")
            if is_name is not None and profile is not None:
                section = profile.sections.get(is_name.lower())
                if section is None:
                    raise ArmError(404, "NotFound", f"Invoice section '{is_name}' was not found.")
            scope = "|".join(x.lower() for x in (account.name, bp_name or "", is_name or ""))
            raw_token = _single(query, "$skiptoken")
            offset = _decode_token(raw_token, scope) if raw_token is not None else 0
            items = [
                s
                for s in sorted(account.subs.values(), key=lambda s: s.name.lower())
                if (profile is None or s.profile.lower() == profile.name.lower())
                and (section is None or s.section.lower() == section.name.lower())
                # "includeDeleted: Can be used to get deleted billing subscriptions", default false;
                # "includeFailed: Can be used to get failed billing subscriptions", default false, and a
                # parameter of the account-scope list only (AZ).
                and (include_deleted or s.props["status"] != "Deleted")
                and (include_failed or bp_name is not None or s.props["status"] != "Failed")
            ]
            window = items[skip : skip + top if top is not None else None]
            page = [self._sub_json(s) for s in window[offset : offset + self.page_size]]
            more = offset + self.page_size < len(window)
        # AZ BillingSubscriptionListResult {value, nextLink, totalCount}; x-ms-pageable nextLinkName
        # "nextLink". totalCount only when count=true ("allows clients to request a count of the matching
        # resources included with the resources in the response", AZ types.json count).
        body: dict[str, Any] = {"value": page}
        if counted:
            body["totalCount"] = len(items)
        if more:
            # RPC Pagination: nextLink "{refererHeaderUrl}?$skipToken={opaqueString}", which "may include all
            # the query parameters ... used by the client in the first query".
            keep = [(k, v[0]) for k, v in rec.query.items() if k.lower() != "$skiptoken" and v]
            keep.append(("$skipToken", _encode_token(offset + self.page_size, scope)))
            body["nextLink"] = f"{self._base}{rec.path}?{urlencode(keep, safe='$')}"
        return Reply(200, body)

    @staticmethod
    def _check_expand(query: dict[str, list[str]]) -> None:
        raw = _single(query, "expand")
        if raw is None:
            return
        # "Can be used to expand `Reseller`, `ConsumptionCostCenter`, `LastMonthCharges` and
        # `MonthToDateCharges`" (AZ): accepted; all four are absent from a seat-based MCA subscription
        # (charges are for usage-based ones, the cost center for consumption ones, reseller not MCA direct).
        valid = {"reseller", "consumptioncostcenter", "lastmonthcharges", "monthtodatecharges"}
        for part in (p.strip() for p in raw.split(",")):
            if part.lower() not in valid:
                raise _bad(f"The value '{part}' is not valid for the query parameter 'expand'.", "expand")

    def _get(self, rec: Recorded, acct_name: str, name: str) -> Reply:
        """AZ BillingSubscriptions_Get."""
        query = self._check_query(rec.query, ["expand"])
        self._check_expand(query)
        with self._lock:
            return Reply(200, self._sub_json(self._find_sub(self._find_account(acct_name), name)))

    def _patch(self, rec: Recorded, acct_name: str, name: str) -> Reply:
        """AZ BillingSubscriptions_Update: 200 with the subscription, or 202 + Location + Retry-After."""
        self._check_query(rec.query, [])
        changes = self._patch_changes(rec.body)
        with self._lock:
            account = self._find_account(acct_name)
            sub = self._find_sub(account, name)
            if sub.locked_by is not None:
                # AZ operationStatus: "When LockedForUpdate, write operations will be blocked on the Billing
                # Subscription." 409 is the fake's choice of status.
                raise ArmError(
                    409,
                    "Conflict",
                    f"Billing subscription '{sub.name}' is LockedForUpdate by operation '{sub.locked_by}'; "
                    "write operations are blocked until it completes.",
                )
            if sub.props["status"] != "Active":
                raise ArmError(
                    409,
                    "Conflict",
                    f"Billing subscription '{sub.name}' is {sub.props['status']}; it cannot be changed.",
                )
            self._check_quantity(sub, changes)
            failure = self._take(self._fail_rules, "operation")
            self._op_count += 1
            op_id = f"manageBillingSubscription_{sub.name}:{uuid.uuid5(uuid.NAMESPACE_URL, f'op/{self._op_count}')}"
            op = _Operation(op_id, account.name, "patch", sub.name, changes, self._now)
            if failure is not None:
                op.error = (failure.status, failure.code, failure.message)
            self._ops[op_id.lower()] = op
            if not self.async_patch:
                self._finish(op)
                if op.error is not None:
                    raise ArmError(*op.error)
                return Reply(200, self._sub_json(sub), {"x-fake-operation": op.id})
            sub.locked_by = op.id
            return Reply(202, None, self._accepted_headers(op))

    def _accepted_headers(self, op: _Operation) -> dict[str, str]:
        # AZ: 202 "returns a 'Location' header that the client can poll", headers Location and Retry-After
        # (integer); RPC async-api-reference.md: "The 202 Accepted should return no response body".
        headers = {"Location": self._location(op), "Retry-After": str(self.poll_retry_after), "x-fake-operation": op.id}
        if self.azure_async_operation:
            # ARM async-operations: clients look first for Azure-AsyncOperation; AZ does not declare it for
            # Microsoft.Billing, so it is off by default (choice) and a client must work from Location.
            headers["Azure-AsyncOperation"] = self._status_url(op)
        return headers

    def _patch_changes(self, body: Any) -> dict[str, Any]:
        """Validate a BillingSubscriptionPatch body; returns the properties to change."""
        if not isinstance(body, dict):
            raise _bad(
                "The request content was invalid and could not be deserialized: expected a JSON object.",
                None,
                "InvalidRequestContent",
            )
        for key in body:
            if key in ("id", "name", "type", "systemData"):
                # AZ-CT Resource: id, name, type and systemData are readOnly; RPC Patch Resource: "a user can
                # *not* change the location, type or name of their resource with a PATCH call".
                raise _bad(f"The property '{key}' is read-only and cannot be set in a PATCH request.", key)
            if key == "tags":
                # ProxyResourceWithTags has tags (AZ types.json), but no source says tags on an MCA billing
                # subscription do anything: refused (choice).
                raise _bad("fakeazurebilling does not accept 'tags' on a billing subscription.", "tags")
            if key != "properties":
                raise _bad(f"Could not find member '{key}' on object of type 'BillingSubscriptionPatch'.", key)
        props = body.get("properties")
        if not isinstance(props, dict) or not props:
            # RPC Patch Resource: "The request body can contain one to many of the properties".
            raise _bad("The request body must set at least one property under 'properties'.", "properties")
        changes: dict[str, Any] = {}
        for key, value in props.items():
            target = f"properties.{key}"
            if key in READ_ONLY:
                raise _bad(f"The property '{key}' is read-only and cannot be set in a PATCH request.", target)
            if key == "autoRenew":
                # AZ enum ["Off", "On"]; modelAsString, but matched exactly (choice: case as documented).
                if value not in AUTO_RENEW:
                    raise _bad(
                        f"The value {json.dumps(value)} is not valid for 'autoRenew': use 'On' or 'Off'.", target
                    )
                changes[key] = value
            elif key == "quantity":
                if not self.allow_quantity_patch:
                    # AZ marks quantity writable, but no Microsoft page confirms that a PATCH changes the seats
                    # of a Microsoft 365 product under MCA (docs/commerce-apis.md 2.3): off unless asked for.
                    raise _bad(
                        "Changing 'quantity' of a seat-based billing subscription is not supported; change seats "
                        "in the Microsoft 365 admin center.",
                        target,
                    )
                if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**63:
                    raise _bad(f"The value {json.dumps(value)} is not valid for 'quantity' (int64 >= 1).", target)
                changes[key] = value
            elif key in WRITABLE_UNSUPPORTED:
                raise _bad(f"The property '{key}' cannot be changed on a seat-based billing subscription.", target)
            else:
                raise _bad(f"Could not find member '{key}' on object of type 'BillingSubscriptionProperties'.", target)
        return changes

    def _check_quantity(self, sub: _Sub, changes: dict[str, Any]) -> None:
        wanted = changes.get("quantity")
        if wanted is None or wanted >= sub.props["quantity"]:
            return
        # SystemOverrides: "whether the self-serve cancellation or seat reduction is allowed" and
        # cancellationAllowedEndDate "by when the self-serve cancellation ends" (AZ).
        if self._now > sub.cancel_end:
            raise _bad(
                f"The quantity of billing subscription '{sub.name}' cannot be reduced after "
                f"{_iso(sub.cancel_end)} (systemOverrides.cancellationAllowedEndDate).",
                "properties.quantity",
            )

    def _finish(self, op: _Operation) -> None:
        """Complete an operation: apply its change (unless it is to fail) and unlock its subscription."""
        account = self._accounts[op.account.lower()]
        op.ended = self._now
        if op.kind == "patch":
            sub = account.subs.get(op.target.lower())
            if sub is not None:
                if op.error is None:
                    sub.props.update(op.changes)
                    sub.modified = self._now
                sub.locked_by = None
        elif op.error is None and op.alias_sub is not None:
            sub = op.alias_sub
            account.subs[sub.name.lower()] = sub
            account.aliases[op.target.lower()] = _Alias(op.target, op.changes, sub.name)
        op.status = "Failed" if op.error is not None else "Succeeded"

    def _advance_operations(self) -> None:
        """One tick for every operation in progress, as if it were polled (background_operations)."""
        with self._lock:
            for op in self._ops.values():
                if op.status == "InProgress":
                    op.polls += 1
                    if op.polls > self.async_polls:
                        self._finish(op)

    def _poll(self, acct_name: str, op_id: str, style: str) -> Reply:
        """GET on a Location (operationresults) or Azure-AsyncOperation (operationstatuses) URL."""
        with self._lock:
            account = self._find_account(acct_name)
            op = self._ops.get(op_id.lower())
            if op is None or op.account.lower() != account.name.lower():
                # RPC async-api-reference.md, Operation result rules: "If the operation ID does not exist in
                # the tenant and/or subscription the resource provider should return a 404 response."
                raise ArmError(404, "NotFound", f"Operation '{op_id}' was not found.")
            if style == "operationstatuses" and not self.azure_async_operation:
                raise ArmError(404, "NotFound", f"Operation status '{op_id}' was not found.")
            op.polls += 1
            if op.status == "InProgress" and op.polls > self.async_polls:
                self._finish(op)
            if style == "operationstatuses":
                # RPC "Azure-AsyncOperation Resource format": always 200, {id, name, status, startTime,
                # endTime?, error?}; non-terminal status is provider-defined ("InProgress", ARM async-operations).
                body: dict[str, Any] = {
                    "id": f"{self._account_path(account.name)}/operationStatuses/{op.id}",
                    "name": op.id,
                    "status": op.status,
                    "startTime": _iso(op.started),
                }
                if op.ended is not None:
                    body["endTime"] = _iso(op.ended)
                if op.error is not None:
                    body["error"] = {"code": op.error[1], "message": op.error[2]}
                headers = {"Retry-After": str(self.poll_retry_after)} if op.status == "InProgress" else {}
                return Reply(200, body, headers)
            if op.status == "InProgress":
                # RPC: "Location URI should return 202 Accepted with no response body while operation is in
                # progress", "return 202 (Accepted) again with Location header and optionally an updated
                # Retry-After header".
                return Reply(202, None, {"Location": self._location(op), "Retry-After": str(self.poll_retry_after)})
            if op.error is not None:
                # RPC: "If the operation failed, the response will be formatted as per the Error Response".
                raise ArmError(*op.error)
            # RPC: "If the operation is complete, return the exact same response that would have been returned
            # had the operation been executed synchronously"; AZ final-state-via "location": the resource.
            if op.kind == "patch":
                return Reply(200, self._sub_json(self._find_sub(account, op.target)))
            return Reply(200, self._alias_json(account, account.aliases[op.target.lower()]))

    # ----- billingSubscriptionAliases (enable_aliases) ------------------------------------------
    def _alias_get(self, acct_name: str, alias_name: str) -> Reply:
        """AZ BillingSubscriptionsAliases_Get."""
        with self._lock:
            account = self._find_account(acct_name)
            alias = account.aliases.get(alias_name.lower())
            if alias is None:
                # RPC: a resource whose creation answered 202 "should *not* be visible until the async
                # operation completes (i.e. GETs on the resource should return 404".
                raise ArmError(404, "NotFound", f"Billing subscription alias '{alias_name}' was not found.")
            return Reply(200, self._alias_json(account, alias))

    def _alias_put(self, rec: Recorded, acct_name: str, alias_name: str) -> Reply:
        """AZ BillingSubscriptionsAliases_CreateOrUpdate, kept minimal: purchases stay manual for MCA."""
        self._check_query(rec.query, [])
        wanted = self._alias_body(rec.body)
        with self._lock:
            account = self._find_account(acct_name)
            existing = account.aliases.get(alias_name.lower())
            if existing is not None:
                # Repeat semantics are undocumented (docs/commerce-apis.md 2.4): the same request answers the
                # alias already made and buys nothing; a different one is a conflict (choice).
                if existing.request != wanted:
                    raise ArmError(
                        409, "Conflict", f"Billing subscription alias '{alias_name}' exists with other properties."
                    )
                return Reply(200, self._alias_json(account, existing))
            pending = next(
                (
                    op
                    for op in self._ops.values()
                    if op.kind == "alias" and op.status == "InProgress" and op.target.lower() == alias_name.lower()
                ),
                None,
            )
            if pending is not None:
                if pending.changes != wanted:
                    raise ArmError(409, "Conflict", f"Billing subscription alias '{alias_name}' is being created.")
                return Reply(202, None, self._accepted_headers(pending))
            profile, section = self._alias_place(account, wanted)
            raw = {k: v for k, v in wanted.items() if k not in ("billingProfileId", "invoiceSectionId")}
            raw["name"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{account.name}/alias/{alias_name.lower()}"))
            try:
                sub = self._make_sub(account, profile, section, raw)
            except ValueError as exc:
                raise _bad(str(exc), "properties") from None
            failure = self._take(self._fail_rules, "operation")
            self._op_count += 1
            op_id = (
                f"putBillingSubscriptionAlias_{alias_name}:{sub.name}:"
                f"{uuid.uuid5(uuid.NAMESPACE_URL, f'op/{self._op_count}')}"
            )  # the shape of AZ examples/billingSubscriptionAliasCreateOrUpdate.json's 202 location
            op = _Operation(op_id, account.name, "alias", alias_name, wanted, self._now, alias_sub=sub)
            if failure is not None:
                op.error = (failure.status, failure.code, failure.message)
            self._ops[op_id.lower()] = op
            if not self.async_patch:
                self._finish(op)
                if op.error is not None:
                    raise ArmError(*op.error)
                reply = self._alias_json(account, account.aliases[alias_name.lower()])
                return Reply(201, reply, {"x-fake-operation": op.id})
            return Reply(202, None, self._accepted_headers(op))

    def _alias_body(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or set(body) - {"properties"} or not isinstance(body.get("properties"), dict):
            raise _bad('The request body must be {"properties": {...}}.', None, "InvalidRequestContent")
        props: dict[str, Any] = body["properties"]
        for key in props:
            if key in READ_ONLY or key == "billingSubscriptionId":
                raise _bad(f"The property '{key}' is read-only.", f"properties.{key}")
            if key not in ALIAS_KEYS:
                raise _bad(
                    f"fakeazurebilling does not accept '{key}' in a billing subscription alias.", f"properties.{key}"
                )
        missing = [k for k in ALIAS_REQUIRED if k not in props]
        if missing:
            raise _bad(f"The alias request lacks {', '.join(missing)}.", "properties")
        return copy.deepcopy(props)

    def _alias_place(self, account: _Account, wanted: dict[str, Any]) -> tuple[str, str]:
        """The billing profile and invoice section an alias buys in: the ids sent, else the first ones."""
        section_id = wanted.get("invoiceSectionId")
        for profile in sorted(account.profiles.values(), key=lambda p: p.name.lower()):
            profile_id = f"{self._account_path(account.name)}/billingProfiles/{profile.name}"
            if "billingProfileId" in wanted and str(wanted["billingProfileId"]).lower() != profile_id.lower():
                continue
            for section in sorted(profile.sections.values(), key=lambda s: s.name.lower()):
                full = f"{profile_id}/invoiceSections/{section.name}"
                if section_id is None or str(section_id).lower() == full.lower():
                    return profile.name, section.name
        raise _bad("No invoice section of this billing account matches the request.", "properties.invoiceSectionId")


class _Handler(BaseHTTPRequestHandler):
    """Turns HTTP into Recorded requests and Replies into HTTP; keep-alive friendly."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out separately; without TCP_NODELAY, Nagle holds the body back for the client's
    # delayed ACK (40 ms), a stall per response that the real service does not have.
    disable_nagle_algorithm = True
    fake: FakeAzureBilling

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: test output should not fill with access logs."""

    def _read_body(self) -> bytes:
        # Always drain the body, even for requests that are refused, or the kept-alive stream desyncs.
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
            reply = Reply(500, _error_body(ArmError(500, "InternalServerError", f"fakeazurebilling: {exc!r}")))
        rec.status = reply.status
        self._send(reply, rec.method == "GET")

    def _send(self, reply: Reply, read: bool) -> None:
        # RPC common-api-details.md: every response carries x-ms-request-id; x-ms-correlation-request-id is
        # the caller's, or one ARM makes; x-ms-client-request-id comes back when the caller asks for it.
        headers = {
            "x-ms-request-id": str(uuid.uuid4()),
            "x-ms-correlation-request-id": self.headers.get("x-ms-correlation-request-id") or str(uuid.uuid4()),
        }
        if (self.headers.get("x-ms-return-client-request-id") or "").lower() == "true":
            headers["x-ms-client-request-id"] = self.headers.get("x-ms-client-request-id") or ""
        # ARM request-limits-and-throttling: the remaining requests of the tenant's bucket, per response.
        bucket = "reads" if read else "writes"
        headers[f"x-ms-ratelimit-remaining-tenant-{bucket}"] = str((READ_BUCKET if read else WRITE_BUCKET) - 1)
        headers.update({k: v for k, v in reply.headers.items() if k != "x-fake-operation"})
        data = b"" if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        if reply.body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle
