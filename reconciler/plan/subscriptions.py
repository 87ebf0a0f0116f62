"""The subscriptions' part of a plan: purchases, seat changes (now or at renewal), terms, the
pay-as-you-go option and auto-renew. A commitment (term, billing frequency) is managed only where declared.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..domain import catalog
from ..domain.actions import Builder, PurchaseSubscription, SetAutoRenew, SetPayAsYouGo, SetSeats, SetTerm
from ..domain.model import (
    AUTO_RENEW,
    PAY_AS_YOU_GO,
    SCHEDULED,
    TERMS,
    Subscription,
    SubscriptionState,
    TenantSpec,
    TenantState,
)
from .licenses import Seats, UserChange
from .seats import seat_change


@dataclass(frozen=True)
class GroupSeats:
    """What groups' changes do to seats: users gained (or lost) per SKU, and the removals that free them."""

    delta: Counter[str] = field(default_factory=Counter)
    losing: frozenset[str] = frozenset()  # SKUs groups lose in the plan: their seats are freed only later


def plan_subscriptions(
    spec: TenantSpec,
    state: TenantState,
    changes: list[UserChange],
    b: Builder,
    removal_ids: dict[str, list[int]],
    late_skus: set[str],
    groups: GroupSeats = GroupSeats(),
) -> Seats:
    """Subscription actions, and the seat facts assignments depend on."""
    delta: Counter[str] = Counter()
    for c in changes:
        delta.update(c.add - c.covered)
        delta.subtract(c.remove - c.doubled)
    seats = Seats()
    for sku in sorted(spec.subscriptions):
        want = spec.subscriptions[sku]
        live = state.subscriptions.get(sku)
        consumed_after = (live.consumed if live else 0) + delta[sku] + groups.delta[sku]
        address = f"subscription/{sku}"
        if consumed_after > want.seats and groups.delta[sku] > 0:
            b.diag(
                "error",
                "group_seats_exhausted",
                f"the groups given {sku} in this plan have {groups.delta[sku]} member(s) who do not hold it yet, "
                f"so {consumed_after} users would hold {sku} but seats is {want.seats}: "
                f"{consumed_after - want.seats} seat(s) missing, and Microsoft would record CountViolation on that "
                f"many members; raise seats to at least {consumed_after} or license fewer members",
                address,
            )
        elif consumed_after > want.seats:
            freed_later = (
                f"; the seats of {sku} that groups lose in this plan are freed only once Microsoft has processed "
                "the groups, so lower the seats in a later apply"
                if sku in groups.losing
                else ""
            )
            b.diag(
                "error",
                "seats_exhausted",
                f"{consumed_after} users would hold {sku} but seats is {want.seats} "
                f"(users not listed in the spec count too); raise seats or free licenses{freed_later}",
                address,
            )
        if live is None and want.seats == 0:
            b.diag("info", "nothing_to_buy", f"{sku} declares 0 seats and is not owned: nothing to buy", address)
        elif live is None and catalog.needs_credits(sku, spec.agreement):
            seats.free[sku] = want.seats
            seats.after_credits.append(sku)  # bought once the credits it bills against are set up
        elif live is None:
            _purchase(want, b, seats, [])
        if live is None:
            continue
        _check_product(sku, live, b, address)
        seats.free[sku] = live.seats - live.consumed
        if live.lapsed(state.today):
            b.diag(
                "error",
                "subscription_lapsed",
                f"{sku} ended on {live.term_end} with auto-renew off, so it has no seats "
                f"({live.consumed} user(s) still hold it); reactivate it in the Microsoft 365 admin center "
                "(Billing > Your products) or buy it again, then plan again; if letting it end was the point, "
                "take it out of the spec",
                address,
            )
            continue
        renewal = _auto_renew(want, live, state, b, address)
        ends = not (want.auto_renew if want.auto_renew is not None else live.auto_renew or AUTO_RENEW in state.unknown)
        now, later = seat_change(spec.agreement, live, want.seats, state.today, b, address, SCHEDULED in state.unknown)
        if later is not None and ends:
            b.diag(
                "info",
                "ends_at_term_end",
                f"{address}: with auto-renew off, the subscription ends on {live.term_end or 'its term end'}; the "
                f"seat change to {later[2]} is not scheduled for a renewal that will not happen",
                address,
            )
        elif later is not None:
            seats.scheduled[sku] = later
        if renewal is not None:
            seats.renewal[sku] = renewal
        if now > live.seats:
            seats.action[sku] = b.add(SetSeats(sku, live.seats, now))
            seats.free[sku] = now - live.consumed
        elif now < live.seats and sku in late_skus:
            seats.deferred[sku] = (live.seats, now)
        elif now < live.seats:
            seats.decreased[sku] = b.add(SetSeats(sku, live.seats, now), True, removal_ids.get(sku, []))
            seats.free[sku] = now - live.consumed
        # Only a declared term or billing frequency is managed: a commitment never changes by omission;
        # a monthly term is billed monthly, so declaring P1M alone changes the billing with it.
        term = want.term or live.term
        wanted_term = (term, want.billing_frequency or ("monthly" if want.term == "P1M" else live.billing_frequency))
        if wanted_term == ("P1M", "annual"):
            b.diag(
                "error",
                "commitment_invalid",
                f"{sku} is on a monthly term (P1M), which is billed monthly; "
                "billingFrequency annual needs an annual term: declare term P1Y or P3Y too",
                address,
            )
            wanted_term = (live.term, live.billing_frequency)
        if TERMS in state.unknown and (want.term, want.billing_frequency) != (None, None):
            b.not_readable(
                address, "term and billingFrequency", ", ".join(v for v in (want.term, want.billing_frequency) if v)
            )
        elif TERMS not in state.unknown and wanted_term != (live.term, live.billing_frequency) and ends:
            b.diag(
                "info",
                "ends_at_term_end",
                f"{address}: with auto-renew off, the subscription ends at its term end; the term change to "
                f"{wanted_term[0]} billed {wanted_term[1]} is not planned",
                address,
            )
        elif TERMS not in state.unknown and wanted_term != (live.term, live.billing_frequency):
            b.add(SetTerm(sku, live.term, live.billing_frequency, *wanted_term), False, [renewal] if renewal else [])
        if want.pay_as_you_go is not None and PAY_AS_YOU_GO in state.unknown:
            b.not_readable(address, "payAsYouGo", "on" if want.pay_as_you_go else "off")
        elif want.pay_as_you_go is not None and want.pay_as_you_go != live.pay_as_you_go:
            b.add(SetPayAsYouGo(sku, live.pay_as_you_go, want.pay_as_you_go), destructive=not want.pay_as_you_go)
    return seats


# Words a channel's product name may add to the catalog's (Partner Center: "Microsoft Teams Domestic
# Calling Plan" for the catalog's "Domestic Calling Plan").
_BRAND = frozenset({"microsoft", "teams", "365"})


def _check_product(sku: str, live: SubscriptionState, b: Builder, address: str) -> None:
    """Warn when the channel's name for the product mapped to `sku` is not the catalog's: a wrong id in
    spec.offers would otherwise change (or buy) another product's subscription unnoticed."""
    entry = catalog.lookup(sku)
    if live.offer_name is None or entry is None:
        return
    words = set(re.findall(r"[a-z0-9]+", entry.name.lower()))
    theirs = set(re.findall(r"[a-z0-9]+", live.offer_name.lower()))
    if words <= theirs and theirs <= words | _BRAND:
        return
    b.diag(
        "warning",
        "offer_mismatch",
        f"{address}: the commerce channel calls the product mapped to {sku} '{live.offer_name}', not "
        f"'{entry.name}'; if spec.offers maps {sku} to the wrong product id, this plan changes that product: "
        "check the id before applying",
        address,
    )


def _auto_renew(
    want: Subscription, live: SubscriptionState, state: TenantState, b: Builder, address: str
) -> int | None:
    """The auto-renew change the spec asks for, if any (its id). Off is destructive: the subscription
    ends at its term's end, and what was scheduled for the renewal is cancelled (docs/rules.md T14)."""
    if want.auto_renew is None:
        return None
    if AUTO_RENEW in state.unknown:
        b.not_readable(address, "autoRenew", "on" if want.auto_renew else "off")
        return None
    if want.auto_renew == live.auto_renew:
        return None
    if not want.auto_renew:
        ends = f"on {live.term_end}" if live.term_end else "at its term's end, on a date the provider does not know"
        b.diag("info", "ends_at_term_end", f"{address}: with auto-renew off, {want.sku} ends {ends}", address)
    return b.add(SetAutoRenew(want.sku, live.auto_renew, want.auto_renew), destructive=not want.auto_renew)


def not_managed(spec: TenantSpec, state: TenantState, b: Builder, managed_before: frozenset[str]) -> None:
    """Say which subscriptions the tenant has that the spec does not list: never changed, never cancelled.

    `managed_before` holds the SKUs earlier applies managed (the ledger's memory), so a subscription
    taken out of the spec is named as no longer managed rather than silently dropped."""
    left = sorted(
        sku
        for sku in state.subscriptions
        if sku not in spec.subscriptions and sku in catalog.CATALOG and sku != catalog.CREDITS_SKU
    )
    dropped = [sku for sku in left if sku in managed_before]
    never = [sku for sku in left if sku not in managed_before]
    if dropped:
        them = "it" if len(dropped) == 1 else "them"
        b.diag(
            "info",
            "no_longer_managed",
            f"no longer managed: {', '.join(dropped)} (an earlier apply managed {them}; "
            f"the spec no longer lists {them}). "
            "tenantctl changes and cancels nothing because of this: to cancel, do it in the admin center (or "
            "Partner Center); to manage it again, put it back in the spec",
        )
    if never:
        b.diag(
            "info",
            "not_managed",
            f"not managed: {', '.join(never)} (in the tenant, not in the spec); tenantctl "
            "never changes or cancels a subscription the spec does not list. If it was taken out of the spec to "
            "cancel it, cancel it in the admin center (or Partner Center)",
        )


def buy_after_credits(spec: TenantSpec, seats: Seats, b: Builder, credit_ids: list[int]) -> None:
    """Purchases of SKUs billed against credits (pay-per-minute), after the credits are set up."""
    for sku in seats.after_credits:
        _purchase(spec.subscriptions[sku], b, seats, credit_ids)


def _purchase(want: Subscription, b: Builder, seats: Seats, deps: list[int]) -> None:
    """Buy with the declared commitment, or the documented defaults (said in a warning)."""
    sku, address = want.sku, f"subscription/{want.sku}"
    term, billing = want.purchase_term
    missing = [
        name for name, value in (("term", want.term), ("billingFrequency", want.billing_frequency)) if value is None
    ]
    if missing:
        b.diag(
            "warning",
            "default_commitment",
            f"buying {sku} on a {term} term billed {billing}: the spec does not "
            f"declare {' or '.join(missing)}, so the default{'s are' if len(missing) > 1 else ' is'} used; "
            f"declare {' and '.join(missing)} to choose the commitment",
            address,
        )
    bought = b.add(PurchaseSubscription(sku, want.seats, term, billing), False, deps)
    seats.action[sku], seats.free[sku] = bought, want.seats
    if want.pay_as_you_go:
        b.add(SetPayAsYouGo(sku, False, True), False, [bought])
    if want.auto_renew is False:  # a new subscription renews unless told not to (docs/rules.md T14)
        b.add(SetAutoRenew(sku, True, False), False, [bought])
