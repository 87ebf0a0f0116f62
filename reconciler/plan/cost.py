"""What a plan costs: monthly list cost before and after, per action and in total, plus one-time funds.

Pure, like the planner. Seats are what Microsoft bills, so only purchases, seat changes and term
changes move the monthly cost (a change scheduled for the renewal from that date: `starts`);
assignments use seats already paid for. Funds added to
Communications Credits are a one-time charge. Turning pay-as-you-go overage on has no fixed fee
(minutes are billed as used), so it costs 0 here and the renderers say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..domain.actions import Action
from ..domain.commerce_actions import (
    AddFunds,
    PurchaseSubscription,
    ScheduleSeats,
    SetAutoRecharge,
    SetSeats,
    SetTerm,
    SubscriptionAction,
    SubscriptionChange,
)
from ..domain.model import BALANCE, DEFAULT_BILLING, DEFAULT_TERM, PriceList, TenantState, money, money_out

CENTS = Decimal("0.01")


@dataclass(frozen=True)
class ActionCost:
    """The cost of one action: change of the monthly bill (None when unpriced) and one-time charge."""

    action_id: int
    monthly_delta: Decimal | None
    one_time: Decimal = Decimal(0)
    starts: str | None = None  # a change at renewal: its date, or "renewal" when the date is unknown

    def to_dict(self) -> dict[str, Any]:
        """The public JSON form; `starts` only for a change that waits for the renewal."""
        out: dict[str, Any] = {"monthly_delta": _out(self.monthly_delta), "one_time": _out(self.one_time)}
        if self.starts is not None:
            out["starts"] = self.starts
        return out


@dataclass(frozen=True)
class CostEstimate:
    """Monthly list cost of the managed, priced subscriptions before and after a plan."""

    currency: str
    as_of: str
    monthly_before: Decimal
    monthly_after: Decimal
    one_time: Decimal
    actions: tuple[ActionCost, ...] = ()
    unpriced: tuple[str, ...] = ()  # SKUs with no price: their cost is in no total
    spec_priced: tuple[str, ...] = ()  # SKUs priced by spec.prices rather than the list
    monthly_at_renewal: Decimal | None = None  # once scheduled seat changes take effect; None: none scheduled

    @property
    def monthly_delta(self) -> Decimal:
        """How much more (or less) the tenant pays per month right after the plan."""
        return self.monthly_after - self.monthly_before

    @property
    def largest_increase(self) -> Decimal:
        """The larger of the monthly increase now and at the renewal (what `maxMonthlyIncrease` bounds)."""
        later = self.monthly_at_renewal - self.monthly_before if self.monthly_at_renewal is not None else None
        return max(self.monthly_delta, later) if later is not None else self.monthly_delta

    def for_action(self, action_id: int) -> ActionCost | None:
        """The cost of one action, when it has one."""
        return next((c for c in self.actions if c.action_id == action_id), None)

    def to_dict(self) -> dict[str, Any]:
        """The public JSON form (plan format_version 1)."""
        out = {
            "currency": self.currency,
            "prices_as_of": self.as_of,
            "monthly_before": _out(self.monthly_before),
            "monthly_after": _out(self.monthly_after),
            "monthly_delta": _out(self.monthly_delta),
            "one_time": _out(self.one_time),
            "unpriced": list(self.unpriced),
            "spec_prices": list(self.spec_priced),
        }
        if self.monthly_at_renewal is not None:
            out["monthly_at_renewal"] = _out(self.monthly_at_renewal)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], per_action: dict[int, dict[str, Any]]) -> CostEstimate:
        """Read back what to_dict wrote (a saved plan)."""
        actions = tuple(
            ActionCost(i, _in(c["monthly_delta"]), _in(c["one_time"]) or Decimal(0), c.get("starts"))
            for i, c in sorted(per_action.items())
        )
        return cls(
            data["currency"],
            data["prices_as_of"],
            money(data["monthly_before"]),
            money(data["monthly_after"]),
            money(data["one_time"]),
            actions,
            tuple(data["unpriced"]),
            tuple(data.get("spec_prices", ())),
            _in(data.get("monthly_at_renewal")),
        )


def _out(value: Decimal | None) -> int | float | None:
    return None if value is None else money_out(value.quantize(CENTS))


def _in(value: Any) -> Decimal | None:
    return None if value is None else money(value)


Held = dict[str, tuple[int, str, str]]  # SKU -> seats, term, billing frequency


def estimate(
    actions: tuple[Action, ...], state: TenantState, prices: PriceList, managed: frozenset[str]
) -> CostEstimate:
    """Walk the actions in order over the live managed subscriptions, pricing each change.

    Two bills are walked: the one from now on, and the one from the renewal on. A seat change
    scheduled for the renewal moves only the second, and is priced against what the renewal
    would otherwise bring (a change already scheduled), so a decrease in a year never offsets
    an increase today. Subscriptions the spec does not manage never change: they are left out.
    """
    now: Held = {
        sku: (s.seats, s.term, s.billing_frequency) for sku, s in state.subscriptions.items() if sku in managed
    }
    later: Held = {
        sku: ((s.scheduled.seats if s.scheduled else s.seats), s.term, s.billing_frequency)
        for sku, s in state.subscriptions.items()
        if sku in managed
    }
    unpriced = {sku for sku in now if sku not in prices.per_seat}
    before = _total(now, prices)
    costs: list[ActionCost] = []
    one_time = Decimal(0)
    balance = state.credits.balance(state.today) if state.credits else Decimal(0)
    renewal = any(s.scheduled for sku, s in state.subscriptions.items() if sku in managed)
    for action in actions:
        change = action.change
        if isinstance(change, (AddFunds, SetAutoRecharge)):
            amount = _funds_bought(change, balance, BALANCE not in state.unknown)
            balance += amount
            one_time += amount
            if amount or isinstance(change, AddFunds):
                costs.append(ActionCost(action.id, Decimal(0), amount))
            continue
        if not isinstance(change, SubscriptionAction):
            continue
        sku = change.sku
        scheduled = isinstance(change, ScheduleSeats)
        renewal |= scheduled
        old, new = _change(change, later if scheduled else now)
        if scheduled:
            later[sku] = new
        else:  # a change made now deletes a scheduled one: the renewal keeps the new count
            now[sku] = later[sku] = new
        after_cost, before_cost = prices.monthly(sku, *new), prices.monthly(sku, *old)
        starts = (change.effective_iso or "renewal") if isinstance(change, ScheduleSeats) else None
        if after_cost is None or before_cost is None:
            unpriced.add(sku)
            costs.append(ActionCost(action.id, None, starts=starts))
        else:
            costs.append(ActionCost(action.id, after_cost - before_cost, starts=starts))
    return CostEstimate(
        prices.currency,
        prices.as_of,
        before,
        _total(now, prices),
        one_time,
        tuple(costs),
        tuple(sorted(unpriced)),
        tuple(sorted(prices.overrides)),
        _total(later, prices) if renewal else None,
    )


def _change(change: SubscriptionChange, held: Held) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """A subscription action's (before, after) in seats, term and billing frequency."""
    # Not held yet (a purchase): from nothing, on the commitment the action names, else the default.
    commitment = (
        (change.term, change.billing_frequency)
        if isinstance(change, (PurchaseSubscription, SetTerm))
        else (DEFAULT_TERM, DEFAULT_BILLING)
    )
    old = held.get(change.sku, (0, *commitment))
    if isinstance(change, PurchaseSubscription):
        return old, (change.seats, change.term, change.billing_frequency)
    if isinstance(change, (SetSeats, ScheduleSeats)):
        return old, (change.after, old[1], old[2])
    if isinstance(change, SetTerm):
        return old, (old[0], change.term, change.billing_frequency)
    return old, old


def _funds_bought(change: AddFunds | SetAutoRecharge, balance: Decimal, balance_known: bool) -> Decimal:
    """Credits an action buys at once: a top-up, or the recharge that turning auto-recharge on triggers.

    With the balance unknown, a change that could trigger a recharge is counted as if it did, so
    `maxFundsPerApply` fails safe.
    """
    if isinstance(change, AddFunds):
        return change.amount
    new, old = change.after, change.before
    if balance_known:
        buys = new.buys_now(old, balance)
    else:
        buys = (
            new.enabled
            and new.trigger_below is not None
            and (old is None or not old.enabled or old.trigger_below is None or new.trigger_below > old.trigger_below)
        )
    return new.amount or Decimal(0) if buys else Decimal(0)


def _total(held: Held, prices: PriceList) -> Decimal:
    total = Decimal(0)
    for sku, (seats, term, billing) in held.items():
        cost = prices.monthly(sku, seats, term, billing)
        if cost is not None:
            total += cost
    return total
