"""The domain: desired state (TenantSpec) and observed state (TenantState), as frozen values.

Money is Decimal: funds and balances are summed and compared, and 0.1 + 0.2 must not be
0.30000000000000004 when deciding whether to buy credits.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .catalog import CREDITS_SKU
from .commerce import Commerce
from .groups import NO_PLANS, DisabledPlans, GroupSpec, GroupState, LicenseError

AGREEMENTS = ("MCA", "NCE", "EA", "MOSA")

# Fields a provider may be unable to read (TenantState.unknown); an unknown value is never drift.
AGREEMENT, CURRENCY = "tenant.agreement", "tenant.currency"
TERMS, PAY_AS_YOU_GO = "subscriptions.term", "subscriptions.payAsYouGo"
AUTO_RECHARGE, BALANCE = "communicationsCredits.autoRecharge", "communicationsCredits.balance"
# A seat change scheduled for the renewal (and which seats are still refundable): Graph reads neither.
SCHEDULED = "subscriptions.scheduled"
AUTO_RENEW = "subscriptions.autoRenew"  # recurring billing: whether the subscription renews at its term's end
UNKNOWABLE = (AGREEMENT, CURRENCY, TERMS, PAY_AS_YOU_GO, AUTO_RECHARGE, BALANCE, SCHEDULED, AUTO_RENEW)
# Agreements whose seat decreases are refunded only within days of the seats being added; later
# decreases take effect at renewal (docs/rules.md).
CANCELLATION_WINDOW_DAYS = {"NCE": 7, "MCA": 7}
TERM_MONTHS = {"P1M": 1, "P1Y": 12, "P3Y": 36}
# Where a user is written, for messages: spec.users[3], or rosters/staff.csv:14. A function when
# finding the place costs work that only a message should pay for (a JSON roster's lines).
Origin = str | Callable[[], str]


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


# What a purchase commits to when the spec leaves term or billing frequency out (shown in the plan).
DEFAULT_TERM, DEFAULT_BILLING = "P1Y", "monthly"


@dataclass(frozen=True)
class Subscription:
    """A subscription as declared. None means "not managed" (term, billing frequency, pay-as-you-go):
    a commitment is never changed because the spec left it out."""

    sku: str
    seats: int
    term: str | None = None
    billing_frequency: str | None = None
    pay_as_you_go: bool | None = None
    auto_renew: bool | None = None

    @property
    def purchase_term(self) -> tuple[str, str]:
        """Term and billing frequency to buy with: the declared ones, else the documented defaults."""
        return self.term or DEFAULT_TERM, self.billing_frequency or DEFAULT_BILLING


@dataclass(frozen=True)
class AutoRecharge:
    """Auto-recharge: when the balance falls below `trigger_below`, `amount` is added."""

    enabled: bool
    trigger_below: Decimal | None = None
    amount: Decimal | None = None

    def buys_now(self, before: AutoRecharge | None, balance: Decimal) -> bool:
        """True when switching from `before` to these settings buys `amount` at once.

        The tenant recharges when the balance is below the trigger, so turning auto-recharge on
        (or raising the trigger) over a balance already below it is a purchase. A balance that
        was already below an enabled trigger has had its recharge (or its failure): no new one.
        """
        if not self.enabled or self.trigger_below is None or self.amount is None or balance >= self.trigger_below:
            return False
        return not (
            before is not None
            and before.enabled
            and before.trigger_below is not None
            and balance < before.trigger_below
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AutoRecharge:
        """Read the YAML/JSON form (a spec, a snapshot, a plan action)."""
        return cls(
            enabled=data["enabled"],
            trigger_below=money(data["triggerBelow"]) if data.get("triggerBelow") is not None else None,
            amount=money(data["amount"]) if data.get("amount") is not None else None,
        )

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
    origin: Origin = field(default="", compare=False)
    # SKUs written in the long form, {sku, disabledPlans}: their disabled plans are managed ([] too).
    disabled: DisabledPlans = field(default_factory=lambda: NO_PLANS, hash=False)

    @property
    def where(self) -> str:
        """Where the user is written, for messages: spec.users[3], or rosters/staff.csv:14."""
        origin = self.origin if isinstance(self.origin, str) else self.origin()
        return origin or f"spec.users[{self.index}]"


@dataclass(frozen=True)
class PriceList:
    """Monthly per-seat prices in one currency; `overrides` are the SKUs the spec priced itself."""

    currency: str = "USD"
    as_of: str = ""
    source: str = ""
    per_seat: dict[str, Decimal] = field(default_factory=dict)
    term_factors: dict[str, Decimal] = field(default_factory=dict)
    # Paying a multi-month term month by month costs more than paying it up front (docs/rules.md).
    monthly_billing_factor: Decimal = Decimal(1)
    overrides: frozenset[str] = frozenset()

    def factor(self, term: str, billing_frequency: str) -> Decimal:
        """The price multiplier of a term and billing frequency against an annual term paid up front."""
        factor = self.term_factors.get(term, Decimal(1))
        if term != "P1M" and billing_frequency == "monthly":
            factor *= self.monthly_billing_factor
        return factor

    def monthly(self, sku: str, seats: int, term: str, billing_frequency: str) -> Decimal | None:
        """What `seats` seats of `sku` cost per month on `term` billed so, or None when the SKU has no price.

        Every price, the spec's included, is for an annual term paid up front; the factors make
        the others, so a change of term or billing is priced for contract prices too.
        """
        price = self.per_seat.get(sku)
        if price is None:
            return None
        return price * seats * self.factor(term, billing_frequency)

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
    missing_users: str = "error"  # error | warn: what a listed user missing from the tenant does to the plan
    prices: PriceList = PriceList()
    guardrails: Guardrails = Guardrails()
    commerce: Commerce = field(default_factory=Commerce)
    groups: tuple[GroupSpec, ...] = ()  # licenses assigned to groups (group-based licensing)

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
class RefundableSeats:
    """Seats still inside their cancellation window: they may be removed, with a refund, until `until`."""

    seats: int
    until: date


@dataclass(frozen=True)
class ScheduledSeats:
    """A seat count that takes effect at renewal (`effective`; None when the renewal date is unknown)."""

    seats: int
    effective: date | None


@dataclass(frozen=True)
class SubscriptionState:
    """An observed subscription; `consumed` is how many users hold its SKU.

    `term_end` is the renewal date, `refundable` the seats that may still be removed now (None
    for both: unknown), `scheduled` a seat change waiting for the renewal. With `auto_renew` off
    (recurring billing off) the subscription ends on `term_end` instead of renewing.
    """

    sku: str
    seats: int
    term: str = "P1Y"
    billing_frequency: str = "monthly"
    pay_as_you_go: bool = False
    consumed: int = 0
    term_end: date | None = None
    refundable: tuple[RefundableSeats, ...] | None = None
    scheduled: ScheduledSeats | None = None
    auto_renew: bool = True
    # The product's name as a commerce channel calls it (Partner Center's offerName), to catch a wrong
    # product id in spec.offers; None from providers that name no product. Not part of the state's value.
    offer_name: str | None = field(default=None, compare=False)

    def lapsed(self, today: date) -> bool:
        """True when the term ended on or before `today` with auto-renew off: no seats are left."""
        return not self.auto_renew and self.term_end is not None and self.term_end <= today

    @property
    def free(self) -> int:
        """Seats not assigned to anyone."""
        return self.seats - self.consumed

    def refundable_now(self, today: date) -> int | None:
        """How many seats may be removed now (inside their window), or None when unknown."""
        if self.refundable is None:
            return None
        return min(self.seats, sum(r.seats for r in self.refundable if r.until >= today))

    def renewed(self, today: date, window_days: int | None) -> SubscriptionState:
        """The subscription as of `today`: after every renewal due (auto-renew on) the scheduled seat
        count takes effect (never below the seats in use) and a new cancellation window opens;
        windows that have closed are dropped. With auto-renew off, a term that has ended leaves it
        lapsed, with no seats."""
        state = self
        if state.lapsed(today):
            # It ended instead of renewing: no seats, nothing scheduled or refundable (docs/rules.md T14).
            return replace(state, seats=0, scheduled=None, refundable=())
        while state.term_end is not None and state.term_end <= today:
            seats = max(state.scheduled.seats, state.consumed) if state.scheduled else state.seats
            window = (RefundableSeats(seats, state.term_end + timedelta(days=window_days)),) if window_days else None
            state = replace(
                state,
                seats=seats,
                scheduled=None,
                refundable=window,
                term_end=add_months(state.term_end, TERM_MONTHS.get(state.term, 12)),
            )
        if state.refundable and any(r.until < today for r in state.refundable):
            state = replace(state, refundable=tuple(r for r in state.refundable if r.until >= today))
        return state


@dataclass(frozen=True)
class UserState:
    """An observed user: `licenses` is every SKU held, directly or through a group."""

    upn: str
    usage_location: str | None
    licenses: frozenset[str]
    # Held only through a group (group-based licensing): tenantctl cannot remove these from the user.
    inherited: frozenset[str] = frozenset()
    # Held directly and through a group too: removing the direct copy leaves the user the group's.
    also_inherited: frozenset[str] = frozenset()
    # The disabled service plans of the user's direct assignments (SKUs with none are left out).
    disabled: DisabledPlans = field(default_factory=lambda: NO_PLANS, hash=False)

    @property
    def direct(self) -> frozenset[str]:
        """The SKUs assigned to the user directly."""
        return self.licenses - self.inherited if self.inherited else self.licenses

    @property
    def through_groups(self) -> frozenset[str]:
        """The SKUs some group gives the user."""
        return self.inherited | self.also_inherited


@dataclass(frozen=True)
class TenantState:
    """The observed state of one tenant, as read by a provider on `today`."""

    name: str
    agreement: str
    today: date
    tenant_id: str | None = None
    currency: str = "USD"
    billing_roles: tuple[str, ...] | None = None  # None: not known, so not checked before apply
    subscriptions: dict[str, SubscriptionState] = field(default_factory=dict)
    credits: CreditsState | None = None
    users: dict[str, UserState] = field(default_factory=dict)  # keyed by upn.lower()
    # Fields the provider could not read (one of UNKNOWABLE; Graph has no call for them): never drift.
    unknown: frozenset[str] = frozenset()
    # Action types the provider cannot perform (no API): the plan marks them manual.
    manual: frozenset[str] = frozenset()
    groups: dict[str, GroupState] = field(default_factory=dict)  # groups that hold licenses, keyed by id
    # The tenant's country: group licensing gives members without a usage location this one.
    default_usage_location: str | None = None
    license_errors: tuple[LicenseError, ...] = ()  # assignments Microsoft could not complete
    # How the provider read the tenant (Graph: a full read, or what changed since a stored one): said in the plan.
    read_note: str = field(default="", compare=False)
