"""A commerce channel: where a tenant's subscriptions are read and bought when Graph cannot.

Partner Center (NCE) and Azure Billing (MCA) implement it. `merge` lays the channel's subscriptions
over what Graph read, and takes from `unknown` what the channel can read and from `manual` what it
can do; the writes are the provider's subscription writes. A write the channel cannot do is never
asked of it: the plan marks it manual.
"""

from __future__ import annotations

from typing import Protocol

from ..domain.errors import PermanentProviderError
from ..domain.model import TenantState


class CommerceChannel(Protocol):
    """Reads and writes of subscriptions through a commerce API."""

    def merge(self, state: TenantState) -> TenantState:
        """`state` with the channel's subscriptions, and what it can read and do."""

    def close(self) -> None:
        """Release connections."""

    def purchase_subscription(self, sku: str, seats: int, term: str, billing: str, key: str) -> bool:
        """Buy once per key."""

    def set_seats(self, sku: str, seats: int) -> bool:
        """Change the seat count now."""

    def schedule_seats(self, sku: str, seats: int) -> bool:
        """The seat count the subscription renews with."""

    def set_term(self, sku: str, term: str, billing: str) -> bool:
        """The term and billing the subscription renews on."""

    def set_auto_renew(self, sku: str, enabled: bool) -> bool:
        """Auto-renew on or off."""

    def set_pay_as_you_go(self, sku: str, enabled: bool) -> bool:
        """Calling overage on or off."""


def not_automated(channel: str, what: str) -> PermanentProviderError:
    """The error for a write a channel does not perform (the plan marks it manual, so it is never asked)."""
    return PermanentProviderError(
        f"{channel} does not {what} through tenantctl", "do it in the Microsoft 365 admin center", "manual_only"
    )
