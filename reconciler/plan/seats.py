"""Seat decreases under a cancellation window: what can go now, and what waits for the renewal.

Under NCE (Partner Center) and MCA (admin center), seats can be removed, with a prorated refund,
only within seven days of being added; after that a lower count takes effect at renewal. So a
decrease is split: now, as far as the refundable seats allow, and the rest as `schedule_seats`
with the renewal date. Other agreements decrease at once, as before. Sources: docs/rules.md.
"""

from __future__ import annotations

from datetime import date

from ..domain.actions import Builder, ScheduleSeats
from ..domain.model import CANCELLATION_WINDOW_DAYS, SubscriptionState
from .licenses import Seats

# A change for the renewal: the seat count now, the count already scheduled (None), the new count, the date.
Scheduled = tuple[int, int | None, int, date | None]


def seat_change(
    agreement: str,
    live: SubscriptionState,
    wanted: int,
    today: date,
    b: Builder,
    address: str,
    unreadable: bool = False,
) -> tuple[int, Scheduled | None]:
    """The seat count to set now, and the change to schedule for the renewal.

    `unreadable`: the provider can read neither refundable seats nor scheduled changes (Graph), so
    a decrease is not planned (it may be scheduled already); the plan says where to check.
    """
    if agreement not in CANCELLATION_WINDOW_DAYS:
        return wanted, None
    if unreadable and wanted < live.seats:
        b.not_readable(
            address,
            "which seats are still refundable and what is scheduled for the renewal",
            f"{wanted} seats, from {live.seats}: under {agreement} a decrease happens now only for seats "
            "added in the last seven days, otherwise at the renewal; schedule it there if it is not",
        )
        return live.seats, None
    pending = live.scheduled
    if wanted >= live.seats:
        if wanted == live.seats and pending is not None and pending.seats != wanted:
            return wanted, (live.seats, pending.seats, wanted, pending.effective)  # cancel what is scheduled
        return wanted, None  # an increase now deletes any scheduled change
    if pending is not None and pending.seats == wanted:
        # A decision already taken is kept, even where some seats could still be refunded now.
        b.diag(
            "info",
            "seats_scheduled",
            f"{address}: seats go from {live.seats} to {wanted} at the renewal "
            f"({when(pending.effective)}), as already scheduled",
            address,
        )
        return live.seats, None
    refundable = live.refundable_now(today)
    if refundable is None:
        b.diag(
            "info",
            "refundable_unknown",
            f"{address}: the provider cannot tell which seats are still inside "
            "their seven-day cancellation window, so the decrease is scheduled for the renewal; seats added in "
            "the last seven days could be removed now, by hand",
            address,
        )
        refundable = 0
    now = max(wanted, live.seats - refundable)
    if now == wanted:
        return now, None
    # A change made now deletes what was scheduled; otherwise the new schedule replaces it.
    replaced = pending.seats if pending is not None and now == live.seats else None
    return now, (now, replaced, wanted, live.term_end)


def schedule(seats: Seats, b: Builder) -> None:
    """The scheduled changes, each after the decrease it follows (a change now deletes a scheduled one)."""
    for sku, (now, replaced, after, effective) in sorted(seats.scheduled.items()):
        change = ScheduleSeats(sku, now, after, effective, replaced)
        if effective is None:
            b.diag(
                "warning",
                "renewal_date_unknown",
                f"{change.address}: the renewal date cannot be read, so the "
                f"seat change to {after} takes effect at the next renewal on a date tenantctl does not know",
                change.address,
            )
        deps = [seats.decreased[sku]] if sku in seats.decreased else []
        if sku in seats.renewal:  # a change can be scheduled only on a subscription that renews
            deps.append(seats.renewal[sku])
        b.add(change, after < now, deps)


def when(effective: date | None) -> str:
    """`on 2027-03-01`, or `date unknown`."""
    return f"on {effective.isoformat()}" if effective else "date unknown"
