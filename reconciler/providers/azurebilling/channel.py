"""An MCA tenant's Microsoft 365 subscriptions through Azure Billing: read them, and set auto-renew.

The billing subscriptions of the spec's billing account (narrowed to its billing profile and invoice
section when given) are read for the SKUs whose `productTypeId:skuId` the spec maps: seats, term,
billing frequency, auto-renew, renewal date and the seat count the next term carries. Auto-renew
is written by PATCH (documented as writable). Purchases and seat changes stay manual: the alias and
quantity calls exist in the API specification but Microsoft does not document them for Microsoft 365
seat-based products (docs/commerce-apis.md section 2; README "Commerce channels").
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from ...domain.commerce import Commerce
from ...domain.errors import PermanentProviderError, TransientProviderError
from ...domain.model import AUTO_RENEW, SCHEDULED, TERMS, ScheduledSeats, SubscriptionState, TenantState
from ..commerce import not_automated
from .client import AzureBillingClient

READABLE = frozenset({TERMS, SCHEDULED, AUTO_RENEW})
PERFORMS = frozenset({"set_auto_renew"})
_FREQUENCY = {"P1M": "monthly", "P1Y": "annual", "P3Y": "annual"}


class AzureBillingChannel:
    """The commerce half of an MCA tenant, read through its billing account."""

    def __init__(self, client: AzureBillingClient, tenant: str, commerce: Commerce, today: date) -> None:
        self.client, self.tenant, self.commerce, self.today = client, tenant, commerce, today
        self._live: dict[str, dict[str, Any]] = {}

    def close(self) -> None:
        """Release the connection pool."""
        self.client.close()

    def merge(self, state: TenantState) -> TenantState:
        """`state` (Graph's) with the mapped subscriptions as Azure Billing has them."""
        self._live = self._read()
        subscriptions = {k: v for k, v in state.subscriptions.items() if self.commerce.offer(k) is None}
        for sku, item in self._live.items():
            consumed = state.subscriptions[sku].consumed if sku in state.subscriptions else 0
            subscriptions[sku] = _state_of(sku, item, consumed)
        return replace(
            state, subscriptions=subscriptions, unknown=state.unknown - READABLE, manual=state.manual - PERFORMS
        )

    def set_auto_renew(self, sku: str, enabled: bool) -> bool:
        """PATCH `autoRenew` On/Off, following the operation to its end."""
        item = self._subscription(sku)
        wanted = "On" if enabled else "Off"
        if item["properties"].get("autoRenew") == wanted:
            return False
        try:
            self.client.patch(self._path(item), {"properties": {"autoRenew": wanted}})
        except TransientProviderError:
            if self._subscription(sku)["properties"].get("autoRenew") == wanted:
                return True  # the answer was lost, the change was made
            raise
        return True

    def purchase_subscription(self, sku: str, seats: int, term: str, billing: str, key: str) -> bool:
        """Not automated for Microsoft 365 under MCA (see the module's docstring)."""
        raise not_automated("Azure Billing", "buy subscriptions")

    def set_seats(self, sku: str, seats: int) -> bool:
        """Not automated (see the module's docstring)."""
        raise not_automated("Azure Billing", "change seat counts")

    def schedule_seats(self, sku: str, seats: int) -> bool:
        """Not automated (see the module's docstring)."""
        raise not_automated("Azure Billing", "schedule seat changes")

    def set_term(self, sku: str, term: str, billing: str) -> bool:
        """Not automated (see the module's docstring)."""
        raise not_automated("Azure Billing", "change terms")

    def set_pay_as_you_go(self, sku: str, enabled: bool) -> bool:
        """The MCA pay-as-you-go option is an admin-center setting only."""
        raise not_automated("Azure Billing", "toggle pay-as-you-go")

    def _subscription(self, sku: str) -> dict[str, Any]:
        self._live = self._read()
        if sku not in self._live:
            raise PermanentProviderError(f"the billing account has no {sku} subscription", f"buy {sku} first")
        return self._live[sku]

    def _path(self, item: dict[str, Any]) -> str:
        return f"/billingAccounts/{self.commerce.billing_account}/billingSubscriptions/{item['name']}"

    def _scope(self) -> str:
        path = f"/billingAccounts/{self.commerce.billing_account}"
        if self.commerce.billing_profile:
            path += f"/billingProfiles/{self.commerce.billing_profile}"
            if self.commerce.invoice_section:
                path += f"/invoiceSections/{self.commerce.invoice_section}"
        return path + "/billingSubscriptions"

    def _read(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for item in self.client.listed(self._scope()):
            props = item.get("properties") or {}
            tenant = props.get("provisioningTenantId") or props.get("beneficiaryTenantId")
            if tenant and str(tenant).lower() != self.tenant.lower():
                continue  # another tenant's, billed to the same account
            sku = self.commerce.sku_of(f"{props.get('productTypeId', '')}:{props.get('skuId', '')}")
            status = str(props.get("status", "")).lower()
            if sku is None or status not in ("active", "expired"):
                continue
            if sku in out and status == "active" and str(out[sku]["properties"].get("status", "")).lower() == "active":
                raise PermanentProviderError(
                    f"the billing account has two active {sku} subscriptions; tenantctl manages one per SKU",
                    "narrow metadata.commerce to a billing profile or invoice section, or map one to another SKU",
                    "two_subscriptions",
                )
            if sku not in out or status == "active":
                out[sku] = item
        return out


def _day(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def _state_of(sku: str, item: dict[str, Any], consumed: int) -> SubscriptionState:
    """A billing subscription in tenantctl's terms; `termEndDate` is the moment the next term starts."""
    props = item.get("properties") or {}
    expired = str(props.get("status", "")).lower() == "expired"
    quantity = int(props.get("quantity", 0))
    renewal = props.get("renewalTermDetails") or {}
    end = _day(props.get("termEndDate"))
    upcoming = renewal.get("quantity")
    return SubscriptionState(
        sku,
        0 if expired else quantity,
        str(props.get("termDuration") or "P1Y"),
        _FREQUENCY.get(str(props.get("billingFrequency")), "monthly"),
        consumed=consumed,
        term_end=end,
        scheduled=ScheduledSeats(int(upcoming), end) if upcoming is not None and int(upcoming) != quantity else None,
        auto_renew=props.get("autoRenew") == "On" and not expired,
        offer_name=str(props.get("displayName") or "") or None,
    )
