"""Admin-center (or Partner Center) steps for the actions no public API performs.

Microsoft Graph cannot buy seats, change seat counts or terms, toggle pay-as-you-go overage,
add Communications Credits funds or change auto-recharge. When the provider says so
(`TenantState.manual`), the planner marks those actions `manual` and attaches these steps, so
the plan says exactly what a person must click, and apply never claims to have done it.

The paths follow the seed articles and Microsoft's current English documentation (docs/rules.md
lists each): the admin center for MCA and MOSA billing accounts, Partner Center for NCE
subscriptions (the partner acts), the account representative for Enterprise Agreements.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from . import catalog, roles
from .actions import Action
from .model import TenantSpec, TenantState

ADMIN_CENTER = "Microsoft 365 admin center (https://admin.microsoft.com)"
PARTNER_CENTER = "Partner Center (https://partner.microsoft.com), as the customer's CSP partner"
YOUR_PRODUCTS = f"In the {ADMIN_CENTER}, go to Billing > Your products."
CREDITS_PAGE = f"In the {ADMIN_CENTER}, go to Billing > Your products and select Communications Credits."


@dataclass(frozen=True)
class ManualContext:
    """What the steps depend on besides the action: the agreement, and whether credits exist yet."""

    agreement: str
    credits_set_up: bool

    @classmethod
    def of(cls, spec: TenantSpec, state: TenantState) -> ManualContext:
        """The context for planning `spec` against `state`."""
        credits = state.credits
        return cls(spec.agreement, credits is not None and credits.licenses_available)


def _product(sku: str) -> str:
    entry = catalog.lookup(sku)
    return f"{entry.name} ({sku})" if entry else sku


def _role(action: Action, ctx: ManualContext) -> tuple[str, ...]:
    need = roles.required(action.type, ctx.agreement)
    return (f"Needs: {need.describe()} ({need.source}).",) if need else ()


def steps(action: Action, ctx: ManualContext, overage_follows: bool = False) -> tuple[str, ...]:
    """The numbered steps that perform `action` by hand, ending with the role it needs."""
    after = action.after or {}
    sku = action.address.split("/", 1)[1] if action.address.startswith("subscription/") else ""
    if action.type in ("purchase_subscription", "set_seats", "schedule_seats", "set_term", "set_pay_as_you_go"):
        if ctx.agreement == "NCE":
            found = _partner_center(action, sku, after)
        elif ctx.agreement == "EA" or sku == catalog.PAY_PER_MINUTE_CONFERENCING:
            found = (f"Ask your Microsoft account representative (volume licensing) to {_wish(action, sku, after)}.",)
        else:
            found = _admin_center(action, sku, after, overage_follows)
    else:
        found = _credits(action, after, ctx)
    return found + _role(action, ctx)


def _wish(action: Action, sku: str, after: dict[str, Any]) -> str:
    if action.type == "purchase_subscription":
        return f"order {after['seats']} licenses of {_product(sku)} on a {after['term']} term"
    if action.type == "set_term":
        return f"move {_product(sku)} to a {after['term']} term billed {after['billingFrequency']}"
    return f"set {_product(sku)} to {after['seats']} licenses"


def _admin_center(action: Action, sku: str, after: dict[str, Any], overage_follows: bool) -> tuple[str, ...]:
    product = f"On the Products tab, select {_product(sku)}."
    if action.type == "purchase_subscription":
        tagged = (" Pick the plan tagged PAY-AS-YOU-GO." if overage_follows else "")
        return (f"In the {ADMIN_CENTER}, go to Billing > Purchase services.",
                f"Find {_product(sku)} and select Details.{tagged}",
                f"Enter {after['seats']} licenses, choose subscription length {after['term']} and billing "
                f"frequency {after['billingFrequency']}, then select Buy.",
                "Review the order and select Place order."
                + (" In the confirmation pane, select Enable overage on your calling plan." if overage_follows else ""))
    if action.type == "set_seats":
        verb = "Buy licenses" if after["seats"] > (action.before or {}).get("seats", 0) else "Remove licenses"
        return (YOUR_PRODUCTS, product, f"Select {verb} and set the total to {after['seats']} licenses, then save.")
    if action.type == "schedule_seats":
        return (YOUR_PRODUCTS, product, f"Select Remove licenses and set the total to {after['seats']} licenses, then "
                "save: past the seven-day window the change takes effect at the renewal "
                f"({after.get('effective') or 'date unknown'}).")
    if action.type == "set_term":
        return (YOUR_PRODUCTS, product, f"Change the subscription length to {after['term']} and the billing frequency "
                f"to {after['billingFrequency']} (effective at renewal), then save.")
    state = "On" if after["payAsYouGo"] else "Off"
    return (YOUR_PRODUCTS, product, "Under Pay-as-you-go services, select the product name or its status.",
            f"In the Change pay-as-you-go option pane, select {state}, then select Save.")


def _partner_center(action: Action, sku: str, after: dict[str, Any]) -> tuple[str, ...]:
    customer = f"In {PARTNER_CENTER}, go to Customers, select the customer, then"
    if action.type == "purchase_subscription":
        return (f"{customer} Add products.",
                f"Choose {_product(sku)}, {after['seats']} licenses, term {after['term']}, billing frequency "
                f"{after['billingFrequency']}, then Review and Place order.")
    if action.type == "set_pay_as_you_go":
        target = "the Azure subscription for overage charges" if after["payAsYouGo"] else "None"
        return (f"{customer} Manage subscriptions > Manage Overage.",
                f"For {_product(sku)}, set the consumption subscription to {target}, then save.")
    subscription = f"{customer} Subscriptions and select {_product(sku)}."
    if action.type == "set_seats":
        return (subscription, f"Set the quantity to {after['seats']} and submit (a decrease only within seven days "
                "of the seats being added).")
    if action.type == "schedule_seats":
        return (subscription, f"Under Manage renewal (scheduled changes), set the quantity at renewal to "
                f"{after['seats']} ({after.get('effective') or 'date unknown'}), then save. Auto-renew must be on.")
    return (subscription, f"Under Manage renewal (scheduled changes), set term {after['term']} and billing "
            f"frequency {after['billingFrequency']} for the next term, then save.")


def _credits(action: Action, after: dict[str, Any], ctx: ManualContext) -> tuple[str, ...]:
    if action.type == "set_auto_recharge" and ctx.agreement == "MCA":
        return (CREDITS_PAGE, "Under Billing settings, select Edit auto recharge settings.",
                "Clear the Auto recharge box, then select Save (MCA: usage is billed after it happens).")
    first = (f"In the {ADMIN_CENTER}, go to Billing > Purchase services (Marketplace > All products) and search "
             "for Communications Credits.", "Select Details under Communications Credits.")
    if action.type == "add_funds":  # funds are added through the product page at any time (seed 004)
        return first + (f"Add {after['amount']} and fill in the billing details.",
                        "Check the order, then select Place order.")
    if not after.get("enabled"):
        return (CREDITS_PAGE, "Clear the Auto-recharge settings box, then select Save.")
    settings = ("Select Apply auto-recharge and check the Auto-recharge settings box.",
                f"Add this amount: {after.get('amount')}; When balance is below: {after.get('triggerBelow')}.")
    if ctx.credits_set_up:
        return (CREDITS_PAGE,) + settings + ("Select Save (no new order is placed).",)
    return first + ("Fill in the billing details.",) + settings + ("Select Save, check the billing details, then "
                                                                     "select Place order.",)


def mark(actions: tuple[Action, ...], manual_types: frozenset[str], ctx: ManualContext) -> tuple[Action, ...]:
    """`actions` with those of a type the provider cannot perform marked manual, with their steps."""
    if not manual_types:
        return actions
    overage = {a.address for a in actions if a.type == "set_pay_as_you_go" and (a.after or {}).get("payAsYouGo")}
    return tuple(replace(a, manual=True, steps=steps(a, ctx, a.address in overage)) if a.type in manual_types else a
                 for a in actions)
