"""The ordering oracle refuses what some legal-looking order would break (it must be able to fail)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import TODAY
from oracle import violations

from reconciler.domain.model import SubscriptionState, TenantState, UserState


def tenant(
    users: dict[str, tuple[str | None, set[str]]], seats: dict[str, int], agreement: str = "MOSA"
) -> TenantState:
    held = {u: UserState(u, loc, frozenset(lic)) for u, (loc, lic) in users.items()}
    subs = {
        sku: SubscriptionState(sku, n, "P1Y", "monthly", False, sum(sku in u.licenses for u in held.values()))
        for sku, n in seats.items()
    }
    return TenantState(name="o", agreement=agreement, today=TODAY, subscriptions=subs, users=held)


def plan(*actions: tuple[str, str, dict[str, Any] | None, list[int]]) -> dict[str, Any]:
    return {
        "actions": [
            {
                "id": i,
                "type": t,
                "address": addr,
                "before": None,
                "after": after,
                "destructive": False,
                "depends_on": deps,
            }
            for i, (t, addr, after, deps) in enumerate(actions, 1)
        ],
        "diagnostics": [],
    }


FULL = tenant({"a@x.example": ("US", {"MCOEV"})}, {"MCOEV": 1})


@pytest.mark.parametrize("deps, rules", [([1], []), ([], ["seats"])])
def test_an_assignment_into_a_full_subscription_must_wait_for_the_seats(deps: list[int], rules: list[str]) -> None:
    p = plan(
        ("set_seats", "subscription/MCOEV", {"seats": 2}, []),
        ("assign_license", "user/b@x.example/MCOEV", {"sku": "MCOEV"}, deps),
    )
    state = tenant({"a@x.example": ("US", {"MCOEV"}), "b@x.example": ("US", set())}, {"MCOEV": 1})
    assert [v.rule for v in violations(state, p)] == rules


def test_a_seat_decrease_must_wait_for_the_removal_that_frees_the_seat() -> None:
    state = tenant({"a@x.example": ("US", {"MCOEV"}), "b@x.example": ("US", {"MCOEV"})}, {"MCOEV": 2})
    ok = plan(
        ("remove_license", "user/a@x.example/MCOEV", None, []), ("set_seats", "subscription/MCOEV", {"seats": 1}, [1])
    )
    assert violations(state, ok) == []
    racing = plan(
        ("remove_license", "user/a@x.example/MCOEV", None, []), ("set_seats", "subscription/MCOEV", {"seats": 1}, [])
    )
    assert [v.rule for v in violations(state, racing)] == ["seats_below_assigned"]


def test_a_prerequisite_must_not_be_removed_before_its_dependent() -> None:
    state = tenant({"a@x.example": ("US", {"MCOEV", "MCOPSTN1"})}, {"MCOEV": 1, "MCOPSTN1": 1})
    ok = plan(
        ("remove_license", "user/a@x.example/MCOPSTN1", None, []),
        ("remove_license", "user/a@x.example/MCOEV", None, [1]),
    )
    assert violations(state, ok) == []
    racing = plan(
        ("remove_license", "user/a@x.example/MCOPSTN1", None, []),
        ("remove_license", "user/a@x.example/MCOEV", None, []),
    )
    assert [v.rule for v in violations(state, racing)] == ["prerequisite_removed"]


def test_an_assignment_needs_its_prerequisite_and_a_usage_location_first() -> None:
    state = tenant({"a@x.example": (None, set())}, {"MCOEV": 1, "MCOPSTN1": 1})
    racing = plan(
        ("set_usage_location", "user/a@x.example", {"usageLocation": "US"}, []),
        ("assign_license", "user/a@x.example/MCOEV", {"sku": "MCOEV"}, []),
        ("assign_license", "user/a@x.example/MCOPSTN1", {"sku": "MCOPSTN1"}, []),
    )
    assert sorted(v.rule for v in violations(state, racing)) == ["prerequisite", "usage_location", "usage_location"]
    ordered = plan(
        ("set_usage_location", "user/a@x.example", {"usageLocation": "US"}, []),
        ("assign_license", "user/a@x.example/MCOEV", {"sku": "MCOEV"}, [1]),
        ("assign_license", "user/a@x.example/MCOPSTN1", {"sku": "MCOPSTN1"}, [1, 2]),
    )
    assert violations(state, ordered) == []


def test_a_calling_plan_is_not_assigned_where_a_move_may_take_the_user() -> None:
    payg = "Microsoft_Teams_Calling_Plan_pay_as_you_go_(country_zone_1_US)"  # zone 1: US, PR, GB, CA
    state = tenant({"a@x.example": ("US", {"MCOEV"})}, {"MCOEV": 1, payg: 1}, agreement="NCE")
    racing = plan(
        ("set_usage_location", "user/a@x.example", {"usageLocation": "JP"}, []),
        ("assign_license", f"user/a@x.example/{payg}", {"sku": payg}, []),
    )
    assert {v.rule for v in violations(state, racing)} == {"country"}
    held = tenant({"a@x.example": ("US", {"MCOEV", payg})}, {"MCOEV": 1, payg: 1}, agreement="NCE")
    moving = plan(
        ("remove_license", f"user/a@x.example/{payg}", None, []),
        ("set_usage_location", "user/a@x.example", {"usageLocation": "JP"}, []),
    )
    assert {v.rule for v in violations(held, moving)} == {"country"}
    waiting = plan(
        ("remove_license", f"user/a@x.example/{payg}", None, []),
        ("set_usage_location", "user/a@x.example", {"usageLocation": "JP"}, [1]),
    )
    assert violations(held, waiting) == []


def test_max_closure_counts_what_each_choice_brings_with_it() -> None:
    from oracle import max_closure

    assert max_closure({1: 1, 2: -1}, {1: [2]}) == 0  # the assignment brings its removal
    assert max_closure({1: 1, 2: -1, 3: 1}, {1: [2]}) == 1
    assert max_closure({1: 1, 2: 1, 3: -1}, {1: [3], 2: [3]}) == 1  # one removal shared by two
    assert max_closure({2: -1}, {}, forced={2}) == -1
    assert max_closure({1: 1, 2: -1, 3: 0}, {3: [2]}, forced={3}) == 0


def test_an_assignment_racing_one_that_waits_for_a_removal_is_legal() -> None:
    """#3 may follow #2, but #2 brings the removal #1 it waits for: never more than 2 of 2 seats."""
    state = tenant(
        {"a@x.example": ("US", {"MCOEV"}), "b@x.example": ("US", set()), "c@x.example": ("US", set())}, {"MCOEV": 2}
    )
    p = plan(
        ("remove_license", "user/a@x.example/MCOEV", None, []),
        ("assign_license", "user/b@x.example/MCOEV", {"sku": "MCOEV"}, [1]),
        ("assign_license", "user/c@x.example/MCOEV", {"sku": "MCOEV"}, []),
    )
    assert violations(state, p) == []
    both_free = plan(
        ("remove_license", "user/a@x.example/MCOEV", None, []),
        ("assign_license", "user/b@x.example/MCOEV", {"sku": "MCOEV"}, []),
        ("assign_license", "user/c@x.example/MCOEV", {"sku": "MCOEV"}, []),
    )
    assert [v.rule for v in violations(state, both_free)] == ["seats", "seats"]
