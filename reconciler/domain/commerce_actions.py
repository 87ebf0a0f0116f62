"""The commerce actions: subscriptions (purchase, seats now or at renewal, term, pay-as-you-go, auto-renew) and
Communications Credits (auto-recharge, funds). Their JSON shapes are the public plan's.

Money is held as the plan's JSON carries it (50.0 becomes 50, 12.50 becomes 12.5), so a plan read
back from a file equals the plan computed, and a provider is handed the same amount either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Self

from .action_base import ActionKind, Fields, Writer, needs_key
from .model import AutoRecharge, money, money_out

SUBSCRIPTION = "subscription/"
CREDITS = "communicationsCredits"


def _plain(value: Decimal) -> Decimal:
    """`value` as the JSON plan carries it."""
    return money(money_out(value))


@dataclass(frozen=True)
class SubscriptionAction(ActionKind):
    """A change to the subscription of `sku` (address `subscription/SKU`)."""

    sku: str

    @property
    def address(self) -> str:
        """`subscription/SKU`."""
        return SUBSCRIPTION + self.sku


def _sku(address: str) -> str:
    return address.removeprefix(SUBSCRIPTION)


@dataclass(frozen=True)
class PurchaseSubscription(SubscriptionAction):
    """Buy `seats` of a subscription on a commitment (term and billing frequency)."""

    kind: ClassVar[str] = "purchase_subscription"
    symbol: ClassVar[str] = "+"
    moves_money: ClassVar[bool] = True
    keyed: ClassVar[bool] = True

    seats: int
    term: str
    billing_frequency: str

    @property
    def json_before(self) -> Fields:
        """Nothing: it is not owned."""
        return None

    @property
    def json_after(self) -> Fields:
        """`{sku, seats, term, billingFrequency}`."""
        return {"sku": self.sku, "seats": self.seats, "term": self.term, "billingFrequency": self.billing_frequency}

    @classmethod
    def parse(cls, address: str, before: Any, after: Any) -> Self:
        """From a saved plan."""
        return cls(_sku(address), after["seats"], after["term"], after["billingFrequency"])

    def carry_out(self, provider: Writer, key: str | None) -> bool:
        """Buy it once per key."""
        return provider.purchase_subscription(
            self.sku, self.seats, self.term, self.billing_frequency, needs_key(self.kind, key)
        )


@dataclass(frozen=True)
class SetSeats(SubscriptionAction):
    """Change the seat count now, from `before` to `after`."""

    kind: ClassVar[str] = "set_seats"
    moves_money: ClassVar[bool] = True

    before: int
    after: int

    @property
    def json_before(self) -> Fields:
        """`{seats}`."""
        return {"seats": self.before}

    @property
    def json_after(self) -> Fields:
        """`{seats}`."""
        return {"seats": self.after}

    @classmethod
    def parse(cls, address: str, before: Any, after: Any) -> Self:
        """From a saved plan."""
        return cls(_sku(address), before["seats"], after["seats"])

    def carry_out(self, provider: Writer, key: str | None) -> bool:
        """Set the absolute count, so a re-run changes nothing."""
        return provider.set_seats(self.sku, self.after)


@dataclass(frozen=True)
class ScheduleSeats(SubscriptionAction):
    """Renew with `after` seats instead of `before`, on `effective` (None: the date is unknown).

    `scheduled` is the count already scheduled that this replaces, when it still stands.
    """

    kind: ClassVar[str] = "schedule_seats"
    moves_money: ClassVar[bool] = True

    before: int
    after: int
    effective: date | None
    scheduled: int | None = None

    @property
    def effective_iso(self) -> str | None:
        """The renewal date as the JSON plan writes it."""
        return self.effective.isoformat() if self.effective else None

    @property
    def json_before(self) -> Fields:
        """`{seats}`, with `scheduled` when a scheduled change is replaced."""
        return {"seats": self.before} if self.scheduled is None else {"seats": self.before, "scheduled": self.scheduled}

    @property
    def json_after(self) -> Fields:
        """`{seats, effective}`."""
        return {"seats": self.after, "effective": self.effective_iso}

    @classmethod
    def parse(cls, address: str, before: Any, after: Any) -> Self:
        """From a saved plan."""
        effective = date.fromisoformat(after["effective"]) if after["effective"] is not None else None
        return cls(_sku(address), before["seats"], after["seats"], effective, before.get("scheduled"))

    def carry_out(self, provider: Writer, key: str | None) -> bool:
        """Set the count the subscription renews with."""
        return provider.schedule_seats(self.sku, self.after)


@dataclass(frozen=True)
class SetTerm(SubscriptionAction):
    """Change the commitment (term and billing frequency), effective at renewal."""

    kind: ClassVar[str] = "set_term"

    term_before: str
    billing_before: str
    term: str
    billing_frequency: str

    @property
    def json_before(self) -> Fields:
        """`{term, billingFrequency}`."""
        return {"term": self.term_before, "billingFrequency": self.billing_before}

    @property
    def json_after(self) -> Fields:
        """`{term, billingFrequency}`."""
        return {"term": self.term, "billingFrequency": self.billing_frequency}

    @classmethod
    def parse(cls, address: str, before: Any, after: Any) -> Self:
        """From a saved plan."""
        return cls(_sku(address), before["term"], before["billingFrequency"], after["term"], after["billingFrequency"])

    def carry_out(self, provider: Writer, key: str | None) -> bool:
        """Set the next term."""
        return provider.set_term(self.sku, self.term, self.billing_frequency)


@dataclass(frozen=True)
class SetPayAsYouGo(SubscriptionAction):
    """Turn pay-as-you-go overage on or off."""

    kind: ClassVar[str] = "set_pay_as_you_go"

    before: bool
    after: bool

    @property
    def json_before(self) -> Fields:
        """`{payAsYouGo}`."""
        return {"payAsYouGo": self.before}

    @property
    def json_after(self) -> Fields:
        """`{payAsYouGo}`."""
        return {"payAsYouGo": self.after}

    @classmethod
    def parse(cls, address: str, before: Any, after: Any) -> Self:
        """From a saved plan."""
        return cls(_sku(address), before["payAsYouGo"], after["payAsYouGo"])

    def carry_out(self, provider: Writer, key: str | None) -> bool:
        """Set the option."""
        return provider.set_pay_as_you_go(self.sku, self.after)


@dataclass(frozen=True)
class SetAutoRenew(SubscriptionAction):
    """Turn auto-renew (the admin center's recurring billing) on or off. Off, the subscription ends at
    its term's end, and any change scheduled for the renewal is cancelled."""

    kind: ClassVar[str] = "set_auto_renew"

    before: bool
    after: bool

    @property
    def json_before(self) -> Fields:
        """`{autoRenew}`."""
        return {"autoRenew": self.before}

    @property
    def json_after(self) -> Fields:
        """`{autoRenew}`."""
        return {"autoRenew": self.after}

    @classmethod
    def parse(cls, address: str, before: Any, after: Any) -> Self:
        """From a saved plan."""
        return cls(_sku(address), before["autoRenew"], after["autoRenew"])

    def carry_out(self, provider: Writer, key: str | None) -> bool:
        """Set the option."""
        return provider.set_auto_renew(self.sku, self.after)


@dataclass(frozen=True)
class CreditsAction(ActionKind):
    """A change to Communications Credits (address `communicationsCredits`)."""

    @property
    def address(self) -> str:
        """`communicationsCredits`."""
        return CREDITS


@dataclass(frozen=True)
class SetAutoRecharge(CreditsAction):
    """Change auto-recharge from `before` (None: no credits yet) to `after`."""

    kind: ClassVar[str] = "set_auto_recharge"

    before: AutoRecharge | None
    after: AutoRecharge

    def __post_init__(self) -> None:
        # Frozen: the plain form is set once, here (see the module's docstring).
        if self.before is not None:
            object.__setattr__(self, "before", AutoRecharge.from_dict(self.before.to_dict()))
        object.__setattr__(self, "after", AutoRecharge.from_dict(self.after.to_dict()))

    @property
    def json_before(self) -> Fields:
        """`{enabled, triggerBelow?, amount?}`, or None."""
        return self.before.to_dict() if self.before is not None else None

    @property
    def json_after(self) -> Fields:
        """`{enabled, triggerBelow?, amount?}`."""
        return self.after.to_dict()

    @classmethod
    def parse(cls, address: str, before: Any, after: Any) -> Self:
        """From a saved plan."""
        return cls(AutoRecharge.from_dict(before) if before is not None else None, AutoRecharge.from_dict(after))

    def carry_out(self, provider: Writer, key: str | None) -> bool:
        """Set the settings."""
        return provider.set_auto_recharge(self.after)


@dataclass(frozen=True)
class AddFunds(CreditsAction):
    """Add `amount` to the credits balance, taking it from `balance` to `new_balance`."""

    kind: ClassVar[str] = "add_funds"
    symbol: ClassVar[str] = "+"
    moves_money: ClassVar[bool] = True
    keyed: ClassVar[bool] = True

    balance: Decimal
    new_balance: Decimal
    amount: Decimal

    def __post_init__(self) -> None:
        # Frozen: the plain form is set once, here (see the module's docstring).
        for name in ("balance", "new_balance", "amount"):
            object.__setattr__(self, name, _plain(getattr(self, name)))

    @property
    def json_before(self) -> Fields:
        """`{balance}`."""
        return {"balance": money_out(self.balance)}

    @property
    def json_after(self) -> Fields:
        """`{balance, amount}`."""
        return {"balance": money_out(self.new_balance), "amount": money_out(self.amount)}

    @classmethod
    def parse(cls, address: str, before: Any, after: Any) -> Self:
        """From a saved plan."""
        return cls(money(before["balance"]), money(after["balance"]), money(after["amount"]))

    def carry_out(self, provider: Writer, key: str | None) -> bool:
        """Add the funds once per key."""
        return provider.add_funds(self.amount, needs_key(self.kind, key))


# The kinds each base stands for, as unions, so that isinstance chains over them are exhaustive.
SubscriptionChange = PurchaseSubscription | SetSeats | ScheduleSeats | SetTerm | SetPayAsYouGo | SetAutoRenew
CreditsChange = SetAutoRecharge | AddFunds
