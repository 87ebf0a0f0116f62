"""Admin-center steps for the actions no public API performs.

Microsoft Graph cannot buy seats, change seat counts or terms, toggle pay-as-you-go overage,
add Communications Credits funds or change auto-recharge. When the provider says so
(`TenantState.manual`), the planner marks those actions `manual` and attaches these steps, so
the plan says exactly what a person must click, and apply never claims to have done it.

The wording follows Microsoft's admin articles in shared/seeds (French and Danish):
"Activer le paiement à l'utilisation", "Ajouter des fonds et gérer les Crédits de
Communications" and "Configurer des crédits de communication".
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from . import catalog
from .actions import Action

ADMIN_CENTER = "Microsoft 365 admin center (https://admin.microsoft.com)"


def _product(sku: str) -> str:
    entry = catalog.lookup(sku)
    return f"{entry.name} ({sku})" if entry else sku


def _amount(value: Any) -> str:
    return str(value)


def steps(action: Action) -> tuple[str, ...]:
    """The numbered admin-center steps that perform `action` by hand."""
    after = action.after or {}
    sku = action.address.split("/", 1)[1] if action.address.startswith("subscription/") else ""
    your_products = f"In the {ADMIN_CENTER}, go to Billing > Your products."
    if action.type == "purchase_subscription":
        return (f"In the {ADMIN_CENTER}, go to Billing > Purchase services.",
                f"Find {_product(sku)} and select Details.",
                f"Enter {after['seats']} licenses, choose subscription length {after['term']} and billing "
                f"frequency {after['billingFrequency']}, then select Buy.",
                "Review the order and select Place order.")
    if action.type == "set_seats":
        verb = "Buy licenses" if after["seats"] > (action.before or {}).get("seats", 0) else "Remove licenses"
        return (your_products,
                f"On the Products tab, select {_product(sku)}.",
                f"Select {verb} and set the total to {after['seats']} licenses, then save.")
    if action.type == "set_term":
        return (your_products,
                f"On the Products tab, select {_product(sku)}.",
                f"Change the subscription length to {after['term']} and the billing frequency to "
                f"{after['billingFrequency']} (effective at renewal), then save.")
    if action.type == "set_pay_as_you_go":
        state = "On" if after["payAsYouGo"] else "Off"
        return (your_products,
                f"On the Products tab, select {_product(sku)}.",
                "Under Pay-as-you-go services, select the product name or its status.",
                f"In the Change pay-as-you-go option pane, select {state}, then select Save.")
    if action.type == "set_auto_recharge":
        if not after.get("enabled"):
            return (f"{your_products[:-1]} and select Communications Credits.",
                    "Clear the Auto-recharge settings box, then select Save.")
        return (f"{your_products[:-1]} and select Communications Credits.",
                "Select Apply auto-recharge and check the Auto-recharge settings box.",
                f"Add this amount: {_amount(after.get('amount'))}; When balance is below: "
                f"{_amount(after.get('triggerBelow'))}.",
                "Select Save, check the billing details, then select Place order.")
    if action.type == "add_funds":
        return (f"In the {ADMIN_CENTER}, go to Marketplace > All products and search for Communications Credits.",
                "Select Details under Communications Credits to add funds.",
                f"Add {_amount(after['amount'])} and fill in the billing details.",
                "Check the order, then select Place order.")
    return ()


def mark(actions: tuple[Action, ...], manual_types: frozenset[str]) -> tuple[Action, ...]:
    """`actions` with those of a type the provider cannot perform marked manual, with their steps."""
    if not manual_types:
        return actions
    return tuple(replace(a, manual=True, steps=steps(a)) if a.type in manual_types else a for a in actions)
