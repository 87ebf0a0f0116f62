"""Manual steps (a provider with no commerce API): the path each channel documents, and the role.

The plans are computed as the Graph provider's state would make them (money actions manual), on
small tenants written here, so each step list is checked against the article it follows.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from conftest import EXAMPLES, SPECS, TODAY

from reconciler.plan.compute import Plan, compute_plan
from reconciler.providers.graph.provider import NO_API
from reconciler.spec.loader import load_spec
from reconciler.spec.snapshot import load_snapshot

CASES = Path(__file__).resolve().parent / "cases"


def manual_plan(case: str) -> Plan:
    """The golden case's plan, with every money action manual as under Microsoft Graph."""
    state = replace(load_snapshot(CASES / case / "snapshot.yaml", TODAY), manual=NO_API)
    return compute_plan(load_spec(CASES / case / "spec.yaml"), state)


def steps_of(plan: Plan, action_type: str, address: str = "") -> str:
    found = [a for a in plan.actions if a.type == action_type and a.address.startswith(address)]
    assert found and all(a.manual for a in found), [a.type for a in plan.actions]
    return " | ".join(found[0].steps)


def test_mca_turns_auto_recharge_off_under_billing_settings() -> None:
    steps = steps_of(manual_plan("mca_turns_auto_recharge_off"), "set_auto_recharge")
    assert "Billing > Your products and select Communications Credits" in steps
    assert "Edit auto recharge settings" in steps and "Clear the Auto recharge box" in steps
    assert "Place order" not in steps


def test_a_first_credits_set_up_places_an_order_an_existing_one_does_not() -> None:
    first = steps_of(manual_plan("setup_order_credits_between"), "set_auto_recharge")
    assert "Purchase services (Marketplace > All products)" in first and "Place order" in first
    existing = steps_of(manual_plan("auto_recharge_on_buys_at_once_then_topup"), "set_auto_recharge")
    assert existing.startswith("In the Microsoft 365 admin center") and "Your products" in existing
    assert "no new order is placed" in existing


def test_nce_changes_go_through_partner_center_with_the_partners_role() -> None:
    plan = manual_plan("nce_decrease_inside_window")
    now = steps_of(plan, "set_seats")
    assert "Partner Center" in now and "within seven days" in now
    assert "Needs: one of: the partner's Admin agent, the partner's Sales agent" in now
    later = steps_of(plan, "schedule_seats")
    assert "Manage renewal (scheduled changes)" in later and "2027-03-01" in later


def test_mca_money_steps_name_the_billing_roles() -> None:
    plan = manual_plan("billing_role_missing_mca")
    payg = steps_of(plan, "set_pay_as_you_go")
    assert "Change pay-as-you-go option pane, select On" in payg
    assert (
        "Needs: one of: Billing account contributor, Billing account owner, Billing profile contributor, "
        "Billing profile owner (Enable pay-as-you-go for your subscription)." in payg
    )


def test_a_purchase_followed_by_overage_picks_the_tagged_plan() -> None:
    steps = steps_of(manual_plan("purchase_with_payg"), "purchase_subscription")
    assert "Pick the plan tagged PAY-AS-YOU-GO" in steps and "Enable overage on your calling plan" in steps


def test_pay_per_minute_comes_through_the_account_representative() -> None:
    state = replace(load_snapshot(EXAMPLES / "northwind.snapshot.yaml", TODAY), manual=NO_API)
    plan = compute_plan(load_spec(SPECS / "northwind.yaml"), state)
    assert steps_of(plan, "purchase_subscription", "subscription/MCOMEETACPEA").startswith(
        "Ask your Microsoft account representative (volume licensing) to order 10 licenses of "
        "Audio Conferencing Pay-Per-Minute (EA) (MCOMEETACPEA)"
    )
    funds = steps_of(plan, "add_funds")
    assert "Communications Credits" in funds and "Add 90" in funds and "Place order" in funds
