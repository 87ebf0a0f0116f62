"""`metadata.commerce` and `spec.offers`: the channel must sell under the spec's agreement, and every
subscription it manages must map to a product id the channel can buy (docs/commerce-apis.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..domain import catalog
from ..domain.commerce import AZURE_BILLING, CHANNEL_AGREEMENT, CHANNEL_NAMES, MANUAL, PARTNER_CENTER, Commerce

Fail = Callable[..., None]  # RuleChecker.fail: (where, message, hint="", key=False)


def commerce_of(
    meta: dict[str, Any], spec: dict[str, Any], subscriptions: list[tuple[int, str]], fail: Fail
) -> Commerce:
    """The spec's channel and offers, reporting what does not fit; `subscriptions` are (index, SKU)."""
    raw = meta.get("commerce") or {}
    channel = raw.get("channel", MANUAL)
    agreement = spec["agreement"]
    where = ("metadata", "commerce", "channel")
    if channel in CHANNEL_AGREEMENT and CHANNEL_AGREEMENT[channel] != agreement:
        fail(
            where,
            f"{CHANNEL_NAMES[channel]} sells under {CHANNEL_AGREEMENT[channel]}, "
            f"but the spec's agreement is {agreement}",
            f"use channel {_channel_for(agreement)}" if _channel_for(agreement) else "use channel manual",
        )
    if channel != MANUAL and "tenantId" not in meta:
        fail(("metadata",), f"channel {channel} needs metadata.tenantId: the customer tenant to buy for")
    if channel == AZURE_BILLING and "billingAccount" not in raw:
        fail(("metadata", "commerce"), "channel azureBilling needs billingAccount (the MCA billing account name)")
    for name in ("billingAccount", "billingProfile", "invoiceSection"):
        if name in raw and channel != AZURE_BILLING:
            fail(("metadata", "commerce", name), f"{name} is for channel azureBilling, not {channel}", key=True)
    if "azureEntitlementId" in raw and channel != PARTNER_CENTER:
        fail(
            ("metadata", "commerce", "azureEntitlementId"),
            f"azureEntitlementId is for channel partnerCenter (NCE calling overage), not {channel}",
            key=True,
        )
    if "invoiceSection" in raw and "billingProfile" not in raw:
        fail(
            ("metadata", "commerce", "invoiceSection"),
            "an invoice section belongs to a billing profile: add billingProfile",
        )
    offers: dict[str, str] = {}
    for name, pair in (spec.get("offers") or {}).items():
        if catalog.lookup(name) is None:
            near = catalog.suggest(name)
            fail(("spec", "offers", name), f"unknown SKU '{name}'", f"did you mean '{near}'?" if near else "", key=True)
            continue
        offers[catalog.canonical(name)] = pair.upper()
    commerce = Commerce(
        channel,
        raw.get("billingAccount"),
        raw.get("billingProfile"),
        raw.get("invoiceSection"),
        offers,
        raw.get("azureEntitlementId"),
    )
    if channel != MANUAL:
        taken: dict[str, str] = {}
        for index, sku in subscriptions:
            offer = commerce.offer(sku)
            if offer is not None and offer in taken:
                fail(
                    ("spec", "subscriptions", index, "sku"),
                    f"{sku} and {taken[offer]} map to the same product id {offer}: one of them would change or "
                    "buy the other's subscription",
                    "give each SKU its own id in spec.offers",
                )
            if offer is not None:
                taken.setdefault(offer, sku)
            if commerce.offer(sku) is None:
                fail(
                    ("spec", "subscriptions", index, "sku"),
                    f"no {CHANNEL_NAMES[channel]} product id is known for {sku}, so it cannot be bought or read there",
                    f"declare it: spec.offers: {{{sku}: '{_id_form(channel)}'}} ({_where_to_find(channel)})",
                )
    return commerce


def check_one_overage(spec: dict[str, Any], fail: Fail) -> None:
    """Under NCE, calling overage is one setting per customer, not per calling plan (docs/rules.md P11)."""
    if spec["agreement"] != "NCE":
        return
    first: tuple[int, bool] | None = None
    for index, raw in enumerate(spec.get("subscriptions") or []):
        if raw is None or "payAsYouGo" not in raw:
            continue
        if first is None:
            first = (index, raw["payAsYouGo"])
        elif raw["payAsYouGo"] != first[1]:
            fail(
                ("spec", "subscriptions", index, "payAsYouGo"),
                f"under NCE, calling overage is one setting for the customer, but spec.subscriptions[{first[0]}] "
                f"says payAsYouGo: {str(first[1]).lower()}",
                "give every calling plan the same payAsYouGo",
            )


def _malformed(spec: dict[str, Any], sku: str) -> bool:
    """True when the spec declares an offer for `sku` that the schema refused (reported there once)."""
    return any(catalog.lookup(name) is not None and catalog.canonical(name) == sku for name in spec.get("offers") or {})


def _channel_for(agreement: str) -> str | None:
    return next((c for c, a in CHANNEL_AGREEMENT.items() if a == agreement), None)


def _id_form(channel: str) -> str:
    return "PRODUCTID:SKUID" if channel == PARTNER_CENTER else "PRODUCTTYPEID:SKUID"


def _where_to_find(channel: str) -> str:
    if channel == PARTNER_CENTER:
        return "the product and SKU ids of the NCE price list in Partner Center"
    return "productTypeId and skuId of the billing subscription in the Azure portal's Cost Management + Billing"
