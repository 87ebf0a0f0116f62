"""A seat decrease under NCE and MCA (seats.py), where the provider cannot read the window."""

from __future__ import annotations

from datetime import timedelta

from conftest import TODAY

from reconciler.domain.actions import Builder
from reconciler.domain.model import RefundableSeats, SubscriptionState
from reconciler.plan.seats import seat_change, when

LIVE = SubscriptionState(
    "SPE_E3",
    10,
    consumed=2,
    term_end=TODAY + timedelta(days=90),
    refundable=(RefundableSeats(10, TODAY + timedelta(days=3)),),
)


def test_an_unreadable_window_plans_no_decrease_and_says_where_to_look() -> None:
    b = Builder()
    assert seat_change("NCE", LIVE, 6, TODAY, b, "subscription/SPE_E3", unreadable=True) == (10, None)
    [d] = b.diagnostics
    assert (d.severity, d.code, d.address) == ("info", "not_readable", "subscription/SPE_E3")
    assert d.message == (
        "subscription/SPE_E3: which seats are still refundable and what is scheduled for the renewal cannot be read "
        "through this provider, so it is not compared (the spec wants 6 seats, from 10: under NCE a decrease happens "
        "now only for seats added in the last seven days, otherwise at the renewal; schedule it there if it is not); "
        "check it in the Microsoft 365 admin center under Billing > Your products"
    )


def test_an_unreadable_window_does_not_stop_keeping_or_raising_seats() -> None:
    for wanted in (10, 12):
        b = Builder()
        assert seat_change("NCE", LIVE, wanted, TODAY, b, "subscription/SPE_E3", unreadable=True) == (wanted, None)
        assert b.diagnostics == []


def test_a_readable_window_decreases_now() -> None:
    b = Builder()
    assert seat_change("NCE", LIVE, 6, TODAY, b, "subscription/SPE_E3") == (6, None)  # readable by default
    assert b.diagnostics == []


def test_when_names_the_date_or_says_it_is_unknown() -> None:
    assert when(TODAY) == "on 2026-11-21"
    assert when(None) == "date unknown"
