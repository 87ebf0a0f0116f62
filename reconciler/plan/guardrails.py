"""Guardrails: limits on what one plan may spend or buy, declared in `spec.guardrails`.

A plan that exceeds a guardrail carries an error diagnostic, so it fails (exit 1) and cannot be
applied, unless the run names the guardrail with `--override-guardrail NAME`; the override is
then recorded in the plan as a warning, so the reviewed output shows who bypassed what.
When a cost cannot be computed (a SKU without a price), the check fails closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..domain.actions import Action
from ..domain.commerce_actions import PurchaseSubscription, SetSeats
from ..domain.model import Guardrails, money, money_out
from .cost import CostEstimate

NAMES = ("maxMonthlyIncrease", "maxSeatsPerSubscription", "maxFundsPerApply")


@dataclass(frozen=True)
class GuardrailCheck:
    """One declared guardrail against the plan. `value` None means it could not be computed."""

    name: str
    limit: Decimal
    value: Decimal | None
    exceeded: bool
    overridden: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """The public JSON form."""
        return {
            "name": self.name,
            "limit": money_out(self.limit),
            "value": None if self.value is None else money_out(self.value),
            "exceeded": self.exceeded,
            "overridden": self.overridden,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GuardrailCheck:
        """Read back what to_dict wrote."""
        value = None if data["value"] is None else money(data["value"])
        return cls(data["name"], money(data["limit"]), value, data["exceeded"], data["overridden"], data["detail"])


def check(
    guardrails: Guardrails, actions: tuple[Action, ...], cost: CostEstimate, overrides: frozenset[str]
) -> tuple[GuardrailCheck, ...]:
    """Every declared guardrail, evaluated against the plan's actions and cost."""
    checks: list[GuardrailCheck] = []
    currency = cost.currency
    if guardrails.max_monthly_increase is not None:
        limit = guardrails.max_monthly_increase
        unknown = [a.address for a in actions if (c := cost.for_action(a.id)) and c.monthly_delta is None]
        if unknown:
            checks.append(
                GuardrailCheck(
                    "maxMonthlyIncrease",
                    limit,
                    None,
                    True,
                    "maxMonthlyIncrease" in overrides,
                    f"the monthly cost of {', '.join(unknown)} is unknown (no price); add it to spec.prices",
                )
            )
        else:
            delta = cost.largest_increase
            when = " from the renewal" if delta != cost.monthly_delta else ""
            checks.append(
                GuardrailCheck(
                    "maxMonthlyIncrease",
                    limit,
                    delta,
                    delta > limit,
                    "maxMonthlyIncrease" in overrides,
                    f"the plan adds {_money(delta)} {currency} per month{when}; the limit is {_money(limit)}",
                )
            )
    if guardrails.max_seats_per_subscription is not None:
        limit = Decimal(guardrails.max_seats_per_subscription)
        seats = [
            (_seats_set(a.change), a.address) for a in actions if isinstance(a.change, (PurchaseSubscription, SetSeats))
        ]
        most, where = max(seats, default=(0, ""))
        checks.append(
            GuardrailCheck(
                "maxSeatsPerSubscription",
                limit,
                Decimal(most),
                most > limit,
                "maxSeatsPerSubscription" in overrides,
                f"the plan sets {where} to {most} seats; the limit is {limit}"
                if where
                else "the plan changes no seat count",
            )
        )
    if guardrails.max_funds_per_apply is not None:
        limit = guardrails.max_funds_per_apply
        checks.append(
            GuardrailCheck(
                "maxFundsPerApply",
                limit,
                cost.one_time,
                cost.one_time > limit,
                "maxFundsPerApply" in overrides,
                f"the plan adds {_money(cost.one_time)} {currency} of Communications Credits; "
                f"the limit is {_money(limit)}",
            )
        )
    return tuple(checks)


def _seats_set(change: PurchaseSubscription | SetSeats) -> int:
    """The seat count a purchase or a seat change sets now."""
    return change.seats if isinstance(change, PurchaseSubscription) else change.after


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"
