"""What a plan costs: monthly list cost before and after, per action and in total, plus one-time funds.

Pure, like the planner. Seats are what Microsoft bills, so only purchases, seat changes and term
changes move the monthly cost; assignments use seats already paid for. Funds added to
Communications Credits are a one-time charge. Turning pay-as-you-go overage on has no fixed fee
(minutes are billed as used), so it costs 0 here and the renderers say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from .model import PriceList, TenantState, money, money_out

CENTS = Decimal("0.01")


class Change(Protocol):
    """What costing needs of a plan action (plan.Action satisfies it)."""

    @property
    def id(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def address(self) -> str: ...
    @property
    def after(self) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class ActionCost:
    """The cost of one action: change of the monthly bill (None when unpriced) and one-time charge."""

    action_id: int
    monthly_delta: Decimal | None
    one_time: Decimal = Decimal(0)

    def to_dict(self) -> dict[str, Any]:
        """The public JSON form."""
        return {"monthly_delta": _out(self.monthly_delta), "one_time": _out(self.one_time)}


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

    @property
    def monthly_delta(self) -> Decimal:
        """How much more (or less) the tenant pays per month after the plan."""
        return self.monthly_after - self.monthly_before

    def for_action(self, action_id: int) -> ActionCost | None:
        """The cost of one action, when it has one."""
        return next((c for c in self.actions if c.action_id == action_id), None)

    def to_dict(self) -> dict[str, Any]:
        """The public JSON form (plan format_version 1)."""
        return {"currency": self.currency, "prices_as_of": self.as_of,
                "monthly_before": _out(self.monthly_before), "monthly_after": _out(self.monthly_after),
                "monthly_delta": _out(self.monthly_delta), "one_time": _out(self.one_time),
                "unpriced": list(self.unpriced), "spec_prices": list(self.spec_priced)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], per_action: dict[int, dict[str, Any]]) -> CostEstimate:
        """Read back what to_dict wrote (a saved plan)."""
        actions = tuple(ActionCost(i, _in(c["monthly_delta"]), _in(c["one_time"]) or Decimal(0))
                        for i, c in sorted(per_action.items()))
        return cls(data["currency"], data["prices_as_of"], money(data["monthly_before"]),
                   money(data["monthly_after"]), money(data["one_time"]), actions, tuple(data["unpriced"]),
                   tuple(data.get("spec_prices", ())))


def _out(value: Decimal | None) -> int | float | None:
    return None if value is None else money_out(value.quantize(CENTS))


def _in(value: Any) -> Decimal | None:
    return None if value is None else money(value)


def estimate(actions: tuple[Change, ...], state: TenantState, prices: PriceList,
             managed: frozenset[str]) -> CostEstimate:
    """Walk the actions in order over the live managed subscriptions, pricing each change.

    Subscriptions the spec does not manage never change, so they are left out of the totals.
    """
    held = {sku: (s.seats, s.term) for sku, s in state.subscriptions.items() if sku in managed}
    unpriced = {sku for sku in held if sku not in prices.per_seat}
    before = _total(held, prices)
    costs: list[ActionCost] = []
    one_time = Decimal(0)
    for action in actions:
        sku = action.address.removeprefix("subscription/")
        after = action.after or {}
        if action.type == "add_funds":
            amount = money(after["amount"])
            one_time += amount
            costs.append(ActionCost(action.id, Decimal(0), amount))
            continue
        if action.type not in ("purchase_subscription", "set_seats", "set_term", "set_pay_as_you_go"):
            continue
        old = held.get(sku, (0, after.get("term", "P1Y")))
        new = {"purchase_subscription": (after.get("seats", 0), after.get("term", "P1Y")),
               "set_seats": (after.get("seats", 0), old[1]),
               "set_term": (old[0], after.get("term", old[1]))}.get(action.type, old)
        held[sku] = new
        after_cost, before_cost = prices.monthly(sku, *new), prices.monthly(sku, *old)
        if after_cost is None or before_cost is None:
            unpriced.add(sku)
            costs.append(ActionCost(action.id, None))
        else:
            costs.append(ActionCost(action.id, after_cost - before_cost))
    return CostEstimate(prices.currency, prices.as_of, before, _total(held, prices), one_time, tuple(costs),
                        tuple(sorted(unpriced)), tuple(sorted(prices.overrides)))


def _total(held: dict[str, tuple[int, str]], prices: PriceList) -> Decimal:
    total = Decimal(0)
    for sku, (seats, term) in held.items():
        cost = prices.monthly(sku, seats, term)
        if cost is not None:
            total += cost
    return total
