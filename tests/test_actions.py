"""Actions as types: each kind's facts, its JSON form read back exactly, and what a saved plan may hold
that is none of them (kept as written, never carried out)."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import pytest

from reconciler.apply.run import idempotency_key
from reconciler.domain.actions import (
    ACTION_CLASSES,
    ACTION_TYPES,
    MONEY_ACTIONS,
    Action,
    AddFunds,
    AssignGroupLicense,
    AssignLicense,
    Change,
    PurchaseSubscription,
    RemoveGroupLicense,
    RemoveLicense,
    ScheduleSeats,
    SetAutoRecharge,
    SetAutoRenew,
    SetDisabledPlans,
    SetPayAsYouGo,
    SetSeats,
    SetTerm,
    SetUsageLocation,
    Unrecognized,
    change_of,
)
from reconciler.domain.errors import PermanentProviderError
from reconciler.domain.model import AutoRecharge
from reconciler.plan.compute import Plan
from reconciler.providers.graph.provider import NO_API

EXAMPLES: list[Change] = [
    PurchaseSubscription("MCOEV", 5, "P1Y", "monthly"),
    SetSeats("SPE_E5", 10, 8),
    SetTerm("SPE_E5", "P1M", "monthly", "P1Y", "annual"),
    SetPayAsYouGo("MCOPSTN1", False, True),
    SetAutoRecharge(None, AutoRecharge(True, Decimal("20"), Decimal("50.0"))),
    SetAutoRecharge(AutoRecharge(True, Decimal(20), Decimal(50)), AutoRecharge(False)),
    AddFunds(Decimal("3.75"), Decimal("100.00"), Decimal("96.25")),
    SetUsageLocation("ann@contoso.com", None, "NO"),
    AssignLicense("ann@contoso.com", "MCOEV"),
    RemoveLicense("ann@contoso.com", "SPE_E3"),
    SetAutoRenew("SPE_E3", True, False),
    ScheduleSeats("SPE_E5", 10, 8, date(2027, 3, 1)),
    ScheduleSeats("SPE_E5", 10, 10, None, 7),
    AssignLicense("ann@contoso.com", "SPE_E5", ("SWAY", "YAMMER_ENTERPRISE")),
    AssignGroupLicense("Voice Users", "MCOEV", ()),
    AssignGroupLicense("Sales/EMEA", "SPE_E5", ("SWAY",)),
    RemoveGroupLicense("Voice Users", "MCOPSTN1", ("MCOPSTN1_PLAN",)),
    SetDisabledPlans("user/ann@contoso.com", "SPE_E5", (), ("SWAY",)),
    SetDisabledPlans("group/Sales/EMEA", "SPE_E5", ("SWAY",), ()),
]


def test_the_public_type_order_and_the_kind_facts_are_what_they_were() -> None:
    assert ACTION_TYPES == (
        "purchase_subscription",
        "set_seats",
        "set_term",
        "set_pay_as_you_go",
        "set_auto_renew",
        "set_auto_recharge",
        "add_funds",
        "set_usage_location",
        "assign_license",
        "remove_license",
        "schedule_seats",
        "assign_group_license",
        "remove_group_license",
        "set_disabled_plans",
    )
    assert {"purchase_subscription", "set_seats", "schedule_seats", "add_funds"} == MONEY_ACTIONS
    assert {
        "purchase_subscription",
        "set_seats",
        "schedule_seats",
        "set_term",
        "set_pay_as_you_go",
        "set_auto_renew",
        "set_auto_recharge",
        "add_funds",
    } == NO_API
    assert {c.kind for c in ACTION_CLASSES if c.keyed} == {"purchase_subscription", "add_funds"}
    assert {c.kind for c in ACTION_CLASSES if c.per_user} == {"set_usage_location", "assign_license", "remove_license"}
    assert {c.kind: c.symbol for c in ACTION_CLASSES if c.symbol != "~"} == {
        "purchase_subscription": "+",
        "add_funds": "+",
        "assign_license": "+",
        "remove_license": "-",
        "assign_group_license": "+",
        "remove_group_license": "-",
    }


@pytest.mark.parametrize("change", EXAMPLES, ids=lambda c: c.kind)
def test_each_kind_reads_back_from_its_json_exactly(change: Change) -> None:
    action = Action(1, change)
    written = action.to_dict()
    back = change_of(written["type"], written["address"], written["before"], written["after"])
    assert back == change and Action(1, back).to_dict() == written


def test_the_json_shapes_are_the_plans() -> None:
    shapes = {a.type: (a.address, a.before, a.after) for a in (Action(1, c) for c in EXAMPLES[:5])}
    assert shapes["purchase_subscription"] == (
        "subscription/MCOEV",
        None,
        {"sku": "MCOEV", "seats": 5, "term": "P1Y", "billingFrequency": "monthly"},
    )
    assert shapes["set_auto_recharge"] == (
        "communicationsCredits",
        None,
        {"enabled": True, "triggerBelow": 20, "amount": 50},
    )
    funds = Action(1, EXAMPLES[6])
    assert (funds.before, funds.after) == ({"balance": 3.75}, {"balance": 100, "amount": 96.25})
    assert Action(1, EXAMPLES[12]).before == {"seats": 10, "scheduled": 7}
    assert Action(1, EXAMPLES[12]).after == {"seats": 10, "effective": None}
    assert Action(1, EXAMPLES[9]).address == "user/ann@contoso.com/SPE_E3"
    assert Action(1, EXAMPLES[13]).after == {"sku": "SPE_E5", "disabledPlans": ["SWAY", "YAMMER_ENTERPRISE"]}
    assert Action(1, EXAMPLES[8]).after == {"sku": "MCOEV"}  # no plans disabled: the JSON it always had
    assert Action(1, EXAMPLES[15]).address == "group/Sales/EMEA/SPE_E5"
    assert Action(1, EXAMPLES[14]).after == {"sku": "MCOEV", "disabledPlans": []}
    assert Action(1, EXAMPLES[16]).before == {"sku": "MCOPSTN1", "disabledPlans": ["MCOPSTN1_PLAN"]}
    assert Action(1, EXAMPLES[16]).after is None and Action(1, EXAMPLES[16]).destructive is False
    assert (Action(1, EXAMPLES[18]).address, Action(1, EXAMPLES[18]).before) == (
        "group/Sales/EMEA/SPE_E5",
        {"disabledPlans": ["SWAY"]},
    )
    renew = Action(1, EXAMPLES[10])
    assert (renew.address, renew.before, renew.after) == (
        "subscription/SPE_E3",
        {"autoRenew": True},
        {"autoRenew": False},
    )


def test_money_is_held_as_the_json_carries_it() -> None:
    """A provider is handed 12.5, as it was when apply read the amount back from the action's JSON."""
    funds = AddFunds(Decimal("0.00"), Decimal("12.50"), Decimal("12.50"))
    assert str(funds.amount) == "12.5" and str(funds.balance) == "0"


def test_the_idempotency_key_is_derived_as_before() -> None:
    """A key that changed between versions could let a re-run after an upgrade buy twice."""
    plan = Plan("t", "sha256:spec", "sha256:state", ())
    action = Action(1, EXAMPLES[0])
    text = (
        "sha256:state|purchase_subscription|subscription/MCOEV|"
        "{'sku': 'MCOEV', 'seats': 5, 'term': 'P1Y', 'billingFrequency': 'monthly'}"
    )
    assert idempotency_key(plan, action) == "tenantctl-" + hashlib.sha256(text.encode()).hexdigest()[:32]


@pytest.mark.parametrize(
    ("kind", "address", "before", "after"),
    [
        ("assign_license", "user/a@contoso.com/SPE_E5", {}, {"sku": "SPE_E5"}),  # a before the kind never has
        ("set_seats", "subscription/SPE_E5", {"seats": 1}, {"seats": 2, "extra": True}),  # a field it never has
        ("set_seats", "communicationsCredits", {"seats": 1}, {"seats": 2}),  # the wrong address
        ("add_funds", "communicationsCredits", {"balance": "x"}, {"balance": 1, "amount": 1}),  # not a number
        ("schedule_seats", "subscription/A", {"seats": 1}, {"seats": 2, "effective": "someday"}),  # not a date
        ("grant_admin", "user/a@contoso.com", None, {"role": "Global"}),  # a kind this version does not know
    ],
)
def test_what_is_not_exactly_a_kind_is_kept_as_written_and_never_runs(
    kind: str, address: str, before: object, after: object
) -> None:
    change = change_of(kind, address, before, after)
    assert isinstance(change, Unrecognized)
    assert Action(3, change).to_dict() == {
        "id": 3,
        "type": kind,
        "address": address,
        "before": before,
        "after": after,
        "destructive": False,
        "depends_on": [],
    }
    with pytest.raises(PermanentProviderError) as exc:
        change.carry_out(None, None)  # type: ignore[arg-type]  # refused before any provider call
    expected = "unknown action type 'grant_admin'" if kind == "grant_admin" else "is not in the form"
    assert expected in str(exc.value)
