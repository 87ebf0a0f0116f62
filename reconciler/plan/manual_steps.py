"""Admin-center (or Partner Center) steps for the actions no public API performs.

Microsoft Graph cannot buy seats, change seat counts or terms, toggle pay-as-you-go overage or
auto-renew, add Communications Credits funds or change auto-recharge. When the provider says so
(`TenantState.manual`), the planner marks those actions `manual` and attaches these steps, so
the plan says exactly what a person must click, and apply never claims to have done it.

The paths follow the seed articles and Microsoft's current English documentation (docs/rules.md
lists each): the admin center for MCA and MOSA billing accounts, Partner Center for NCE
subscriptions (the partner acts), the account representative for Enterprise Agreements.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from ..domain import catalog, roles
from ..domain.actions import Action
from ..domain.commerce_actions import (
    AddFunds,
    CreditsAction,
    CreditsChange,
    PurchaseSubscription,
    ScheduleSeats,
    SetAutoRecharge,
    SetAutoRenew,
    SetPayAsYouGo,
    SetSeats,
    SetTerm,
    SubscriptionAction,
    SubscriptionChange,
)
from ..domain.model import TenantSpec, TenantState, money_out

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
    change = action.change
    found: tuple[str, ...]
    if isinstance(change, SubscriptionAction):
        if ctx.agreement == "NCE":
            found = _partner_center(change)
        elif ctx.agreement == "EA" or change.sku == catalog.PAY_PER_MINUTE_CONFERENCING:
            found = (f"Ask your Microsoft account representative (volume licensing) to {_wish(change)}.",)
        else:
            found = _admin_center(change, overage_follows)
    elif isinstance(change, CreditsAction):
        found = _credits(change, ctx)
    else:
        found = ()  # a user's change: every provider has an API for it, so it is never manual
    return found + _role(action, ctx)


def _wish(change: SubscriptionChange) -> str:
    sku = change.sku
    if isinstance(change, PurchaseSubscription):
        return f"order {change.seats} licenses of {_product(sku)} on a {change.term} term"
    if isinstance(change, SetTerm):
        return f"move {_product(sku)} to a {change.term} term billed {change.billing_frequency}"
    if isinstance(change, SetPayAsYouGo):  # not reached: validation refuses payAsYouGo under EA and for MCOMEETACPEA
        return f"turn pay-as-you-go overage {'on' if change.after else 'off'} for {_product(sku)}"
    if isinstance(change, SetAutoRenew):
        return f"{'renew' if change.after else 'not renew'} {_product(sku)} at the end of its term"
    return f"set {_product(sku)} to {change.after} licenses"


def _admin_center(change: SubscriptionChange, overage_follows: bool) -> tuple[str, ...]:
    sku = change.sku
    product = f"On the Products tab, select {_product(sku)}."
    if isinstance(change, PurchaseSubscription):
        tagged = " Pick the plan tagged PAY-AS-YOU-GO." if overage_follows else ""
        return (
            f"In the {ADMIN_CENTER}, go to Billing > Purchase services.",
            f"Find {_product(sku)} and select Details.{tagged}",
            f"Enter {change.seats} licenses, choose subscription length {change.term} and billing "
            f"frequency {change.billing_frequency}, then select Buy.",
            "Review the order and select Place order."
            + (" In the confirmation pane, select Enable overage on your calling plan." if overage_follows else ""),
        )
    if isinstance(change, SetSeats):
        verb = "Buy licenses" if change.after > change.before else "Remove licenses"
        return (YOUR_PRODUCTS, product, f"Select {verb} and set the total to {change.after} licenses, then save.")
    if isinstance(change, ScheduleSeats):
        return (
            YOUR_PRODUCTS,
            product,
            f"Select Remove licenses and set the total to {change.after} licenses, then "
            "save: past the seven-day window the change takes effect at the renewal "
            f"({change.effective_iso or 'date unknown'}).",
        )
    if isinstance(change, SetTerm):
        return (
            YOUR_PRODUCTS,
            product,
            f"Change the subscription length to {change.term} and the billing frequency "
            f"to {change.billing_frequency} (effective at renewal), then save.",
        )
    state = "On" if change.after else "Off"
    if isinstance(change, SetAutoRenew):  # "Manage recurring billing in the Microsoft 365 admin center"
        return (
            YOUR_PRODUCTS,
            product,
            "On the subscription details page, select Edit recurring billing.",
            f"In the Edit recurring billing pane, select {state}, then select Save."
            + (" Turning it off cancels any change scheduled for the renewal." if not change.after else ""),
        )
    return (
        YOUR_PRODUCTS,
        product,
        "Under Pay-as-you-go services, select the product name or its status.",
        f"In the Change pay-as-you-go option pane, select {state}, then select Save.",
    )


def _partner_center(change: SubscriptionChange) -> tuple[str, ...]:
    sku = change.sku
    customer = f"In {PARTNER_CENTER}, go to Customers, select the customer, then"
    if isinstance(change, PurchaseSubscription):
        return (
            f"{customer} Add products.",
            f"Choose {_product(sku)}, {change.seats} licenses, term {change.term}, billing frequency "
            f"{change.billing_frequency}, then Review and Place order.",
        )
    if isinstance(change, SetPayAsYouGo):
        target = "the Azure subscription for overage charges" if change.after else "None"
        return (
            f"{customer} Manage subscriptions > Manage Overage.",
            f"For {_product(sku)}, set the consumption subscription to {target}, then save.",
        )
    subscription = f"{customer} Subscriptions and select {_product(sku)}."
    if isinstance(change, SetSeats):
        return (
            subscription,
            f"Set the quantity to {change.after} and submit (a decrease only within seven days "
            "of the seats being added).",
        )
    if isinstance(change, ScheduleSeats):
        return (
            subscription,
            f"Under Manage renewal (scheduled changes), set the quantity at renewal to "
            f"{change.after} ({change.effective_iso or 'date unknown'}), then save. Auto-renew must be on.",
        )
    if isinstance(change, SetAutoRenew):  # "Update autorenew for ... new commerce subscriptions"
        return (subscription, f"Toggle Auto-renew {'on' if change.after else 'off'}, then select Submit.")
    return (
        subscription,
        f"Under Manage renewal (scheduled changes), set term {change.term} and billing "
        f"frequency {change.billing_frequency} for the next term, then save.",
    )


def _credits(change: CreditsChange, ctx: ManualContext) -> tuple[str, ...]:
    if isinstance(change, SetAutoRecharge) and ctx.agreement == "MCA":
        return (
            CREDITS_PAGE,
            "Under Billing settings, select Edit auto recharge settings.",
            "Clear the Auto recharge box, then select Save (MCA: usage is billed after it happens).",
        )
    first = (
        f"In the {ADMIN_CENTER}, go to Billing > Purchase services (Marketplace > All products) and search "
        "for Communications Credits.",
        "Select Details under Communications Credits.",
    )
    if isinstance(change, AddFunds):  # funds are added through the product page at any time (seed 004)
        return first + (
            f"Add {money_out(change.amount)} and fill in the billing details.",
            "Check the order, then select Place order.",
        )
    recharge = change.after
    if not recharge.enabled:
        return (CREDITS_PAGE, "Clear the Auto-recharge settings box, then select Save.")
    settings = (
        "Select Apply auto-recharge and check the Auto-recharge settings box.",
        f"Add this amount: {_number(recharge.amount)}; When balance is below: {_number(recharge.trigger_below)}.",
    )
    if ctx.credits_set_up:
        return (CREDITS_PAGE,) + settings + ("Select Save (no new order is placed).",)
    return (
        first
        + ("Fill in the billing details.",)
        + settings
        + ("Select Save, check the billing details, then select Place order.",)
    )


def _number(value: Decimal | None) -> int | float | None:
    """Money as the JSON plan shows it; an unset value reads None, as it always has."""
    return None if value is None else money_out(value)


def mark(actions: tuple[Action, ...], manual_types: frozenset[str], ctx: ManualContext) -> tuple[Action, ...]:
    """`actions` with those of a type the provider cannot perform marked manual, with their steps."""
    if not manual_types:
        return actions
    overage = {a.address for a in actions if isinstance(a.change, SetPayAsYouGo) and a.change.after}
    return tuple(
        replace(a, manual=True, steps=steps(a, ctx, a.address in overage)) if a.type in manual_types else a
        for a in actions
    )
