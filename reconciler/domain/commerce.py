"""The commerce channel a spec buys through (`metadata.commerce`) and the product ids it buys by.

Microsoft Graph has no commerce API. Partner Center (CSP, new commerce: NCE) and Azure Billing
(Microsoft Customer Agreement: MCA) do, and speak in their own product ids, not Graph's
skuPartNumbers. A spec names its channel; the SKUs it manages are mapped to product ids by
`spec.offers`, over the few ids Microsoft prints next to a product name (docs/commerce-apis.md 1.13).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

MANUAL, PARTNER_CENTER, AZURE_BILLING = "manual", "partnerCenter", "azureBilling"
CHANNELS = (MANUAL, PARTNER_CENTER, AZURE_BILLING)
# The one agreement each API sells under: Partner Center's new commerce is NCE, Azure Billing's
# billing accounts for Microsoft 365 are MCA (docs/commerce-apis.md 1 and 2).
CHANNEL_AGREEMENT = {PARTNER_CENTER: "NCE", AZURE_BILLING: "MCA"}
CHANNEL_NAMES = {PARTNER_CENTER: "Partner Center", AZURE_BILLING: "Azure Billing", MANUAL: "manual"}

# Partner Center `productId:skuId` printed by Microsoft beside the product's name; nothing else is
# shipped (a guessed id would buy the wrong product). Sources: docs/commerce-apis.md 1.13.
PARTNER_CENTER_OFFERS: Mapping[str, str] = {
    "SPE_E5": "CFQ7TTC0LFLZ:0002",  # "Microsoft 365 E5", April 2023 NCE price list announcement
    "SPE_E3": "CFQ7TTC0LFLX:0001",  # "Microsoft 365 E3", same
    "ENTERPRISEPREMIUM_NOPSTNCONF": "CFQ7TTC0LF8S:0001",  # checkout-a-cart's NCE order example
    "MCOTEAMS_ESSENTIALS": "CFQ7TTC0HL73:0001",  # "Teams Phone with Calling Plan", pricing-and-offers
}
SHIPPED_OFFERS: Mapping[str, Mapping[str, str]] = {PARTNER_CENTER: PARTNER_CENTER_OFFERS, AZURE_BILLING: {}}


@dataclass(frozen=True)
class Commerce:
    """Where money actions go: `manual` (admin-center steps), Partner Center or Azure Billing.

    `offers` is the spec's own `productId:skuId` per SKU (Azure Billing: `productTypeId:skuId`);
    `offer()` falls back to the shipped ids of the channel.
    """

    channel: str = MANUAL
    billing_account: str | None = None
    billing_profile: str | None = None
    invoice_section: str | None = None
    offers: Mapping[str, str] = field(default_factory=dict)
    azure_entitlement_id: str | None = None  # Partner Center: where calling overage is billed

    @property
    def automated(self) -> bool:
        """True when an API carries out the subscription actions."""
        return self.channel != MANUAL

    def offer(self, sku: str) -> str | None:
        """The channel's `product:sku` id for a SKU: declared, else shipped, else None."""
        return self.offers.get(sku) or SHIPPED_OFFERS.get(self.channel, {}).get(sku)

    def sku_of(self, offer: str) -> str | None:
        """The SKU a channel's `product:sku` id (or a longer id starting with it) stands for, if mapped."""
        wanted = ":".join(offer.upper().split(":")[:2])
        mapped = {**SHIPPED_OFFERS.get(self.channel, {}), **self.offers}
        return next((sku for sku, pair in sorted(mapped.items()) if pair.upper() == wanted), None)

    def to_dict(self) -> dict[str, str]:
        """The `metadata.commerce` form (offers live in `spec.offers`)."""
        scopes = (
            ("billingAccount", self.billing_account),
            ("billingProfile", self.billing_profile),
            ("invoiceSection", self.invoice_section),
            ("azureEntitlementId", self.azure_entitlement_id),
        )
        return {"channel": self.channel, **{name: value for name, value in scopes if value is not None}}
