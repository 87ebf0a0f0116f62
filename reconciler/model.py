"""The domain: desired state (TenantSpec) and observed state (TenantState), as frozen values.

Money is Decimal: funds and balances are summed and compared, and 0.1 + 0.2 must not be
0.30000000000000004 when deciding whether to buy credits.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .catalog import CREDITS_SKU

AGREEMENTS = ("MCA", "NCE", "EA", "MOSA")

# Fields a provider may be unable to read (TenantState.unknown); an unknown value is never drift.
AGREEMENT, CURRENCY = "tenant.agreement", "tenant.currency"
TERMS, PAY_AS_YOU_GO = "subscriptions.term", "subscriptions.payAsYouGo"
AUTO_RECHARGE, BALANCE = "communicationsCredits.autoRecharge", "communicationsCredits.balance"
UNKNOWABLE = (AGREEMENT, CURRENCY, TERMS, PAY_AS_YOU_GO, AUTO_RECHARGE, BALANCE)
BILLING_WRITE_ROLES = frozenset({"BillingAccountOwner", "BillingAccountContributor"})


def money(value: Any) -> Decimal:
    """A YAML/JSON number as Decimal, via str so 35.5 stays exactly 35.5."""
    return Decimal(str(value))


def money_out(value: Decimal) -> int | float:
    """Decimal back to a plain JSON number: 200 stays 200, 35.5 stays 35.5."""
    return int(value) if value == value.to_integral_value() else float(value)


def add_months(day: date, months: int) -> date:
    """`day` plus whole months, clamped to the month's end (2026-01-31 + 1 -> 2026-02-28)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Subscription:
    """A subscription as declared or observed. `pay_as_you_go` None means "not managed"."""

    sku: str
    seats: int
    term: str = "P1Y"
    billing_frequency: str = "monthly"
    pay_as_you_go: bool | None = None


@dataclass(frozen=True)
class AutoRecharge:
    """Auto-recharge: when the balance falls below `trigger_below`, `amount` is added."""

    enabled: bool
    trigger_below: Decimal | None = None
    amount: Decimal | None = None

    def to_dict(self) -> dict[str, Any]:
        """The YAML/JSON form."""
        out: dict[str, Any] = {"enabled": self.enabled}
        if self.trigger_below is not None:
            out["triggerBelow"] = money_out(self.trigger_below)
        if self.amount is not None:
            out["amount"] = money_out(self.amount)
        return out


@dataclass(frozen=True)
class CreditsSpec:
    """Desired Communications Credits settings."""

    auto_recharge: AutoRecharge | None = None
    minimum_balance: Decimal | None = None


@dataclass(frozen=True)
class UserSpec:
    """A listed user. `licenses` already includes the SKUs of the user's profile."""

    upn: str
    usage_location: str | None
    licenses: frozenset[str]
    index: int  # position among the spec's users (rosters read in place), to keep their order
    origin: str = field(default="", compare=False)  # where it is written, for messages: spec.users[3], or rosters/staff.csv:14


@dataclass(frozen=True)
class PriceList:
    """Monthly per-seat prices in one currency; `overrides` are the SKUs the spec priced itself."""

    currency: str = "USD"
    as_of: str = ""
    source: str = ""
    per_seat: dict[str, Decimal] = field(default_factory=dict)
    term_factors: dict[str, Decimal] = field(default_factory=dict)
    overrides: frozenset[str] = frozenset()

    def monthly(self, sku: str, seats: int, term: str) -> Decimal | None:
        """What `seats` seats of `sku` on `term` cost per month, or None when the SKU has no price."""
        price = self.per_seat.get(sku)
        if price is None:
            return None
        return price * seats * self.term_factors.get(term, Decimal(1))

    def spec_overrides(self) -> dict[str, Decimal]:
        """The prices the spec declared (part of what the spec means)."""
        return {sku: self.per_seat[sku] for sku in sorted(self.overrides)}


@dataclass(frozen=True)
class Guardrails:
    """Limits a plan must stay within unless overridden by name (`--override-guardrail`)."""

    max_monthly_increase: Decimal | None = None
    max_seats_per_subscription: int | None = None
    max_funds_per_apply: Decimal | None = None

    def to_dict(self) -> dict[str, Any]:
        """The YAML/JSON form, declared limits only."""
        out: dict[str, Any] = {}
        if self.max_monthly_increase is not None:
            out["maxMonthlyIncrease"] = money_out(self.max_monthly_increase)
        if self.max_seats_per_subscription is not None:
            out["maxSeatsPerSubscription"] = self.max_seats_per_subscription
        if self.max_funds_per_apply is not None:
            out["maxFundsPerApply"] = money_out(self.max_funds_per_apply)
        return out


@dataclass(frozen=True)
class TenantSpec:
    """The desired state of one tenant, validated."""

    name: str
    agreement: str
    source: str
    tenant_id: str | None = None
    currency: str = "USD"
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    credits: CreditsSpec | None = None
    users: dict[str, UserSpec] = field(default_factory=dict)  # keyed by upn.lower()
    prune: bool = False
    prices: PriceList = PriceList()
    guardrails: Guardrails = Guardrails()

    @property
    def managed_skus(self) -> frozenset[str]:
        """SKUs this spec owns: its subscriptions, plus MCOPSTNC when credits are declared."""
        skus = set(self.subscriptions)
        if self.credits is not None:
            skus.add(CREDITS_SKU)
        return frozenset(skus)


@dataclass(frozen=True)
class FundLot:
    """Funds bought on one day; consumed first in, first out; expire 12 months after purchase."""

    purchased: date
    amount: Decimal
    remaining: Decimal
    idempotency_key: str | None = None

    @property
    def expires(self) -> date:
        """The first day on which the lot no longer counts."""
        return add_months(self.purchased, 12)


@dataclass(frozen=True)
class CreditsState:
    """Observed Communications Credits: auto-recharge settings and the fund lots."""

    auto_recharge: AutoRecharge = AutoRecharge(enabled=False)
    funds: tuple[FundLot, ...] = ()
    # Seen directly (MCOPSTNC in the tenant's SKUs) by a provider that cannot read the settings.
    licensed: bool | None = None

    def live_lots(self, today: date) -> tuple[FundLot, ...]:
        """Lots that have not expired on `today`."""
        return tuple(lot for lot in self.funds if lot.expires > today)

    def balance(self, today: date) -> Decimal:
        """The unexpired remainder of the lots."""
        return sum((lot.remaining for lot in self.live_lots(today)), Decimal(0))

    @property
    def licenses_available(self) -> bool:
        """Funding or enabling auto-recharge adds MCOPSTNC licenses to the tenant."""
        if self.licensed is not None:
            return self.licensed
        return self.auto_recharge.enabled or bool(self.funds)


@dataclass(frozen=True)
class SubscriptionState:
    """An observed subscription; `consumed` is how many users hold its SKU."""

    sku: str
    seats: int
    term: str = "P1Y"
    billing_frequency: str = "monthly"
    pay_as_you_go: bool = False
    consumed: int = 0

    @property
    def free(self) -> int:
        """Seats not assigned to anyone."""
        return self.seats - self.consumed


@dataclass(frozen=True)
class UserState:
    """An observed user."""

    upn: str
    usage_location: str | None
    licenses: frozenset[str]
    # Held only through a group (group-based licensing): tenantctl cannot remove these from the user.
    inherited: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TenantState:
    """The observed state of one tenant, as read by a provider on `today`."""

    name: str
    agreement: str
    today: date
    tenant_id: str | None = None
    currency: str = "USD"
    billing_roles: tuple[str, ...] = ()
    subscriptions: dict[str, SubscriptionState] = field(default_factory=dict)
    credits: CreditsState | None = None
    users: dict[str, UserState] = field(default_factory=dict)  # keyed by upn.lower()
    # Fields the provider could not read (one of UNKNOWABLE; Graph has no call for them): never drift.
    unknown: frozenset[str] = frozenset()
    # Action types the provider cannot perform (no API): the plan marks them manual.
    manual: frozenset[str] = frozenset()
