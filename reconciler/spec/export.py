"""Export: the spec that declares a tenant as it is now, and what such a spec cannot declare.

Its document form is `domain.canonical.spec_to_dict`, the same the digests hash."""

from __future__ import annotations

from collections import Counter

from ..domain import catalog
from ..domain.catalog import CREDITS_SKU
from ..domain.groups import GroupSpec, plans_of
from ..domain.model import (
    AUTO_RECHARGE,
    AUTO_RENEW,
    PAY_AS_YOU_GO,
    TERMS,
    CreditsSpec,
    Subscription,
    TenantSpec,
    TenantState,
    UserSpec,
)


def export_spec(
    state: TenantState, name: str | None = None, agreement: str | None = None, currency: str | None = None
) -> TenantSpec:
    """A spec that declares what `state` holds, so planning it against the same tenant is empty.

    Only what a valid spec can express is declared; the rest stays unmanaged: SKUs the catalog
    does not know, credits that the agreement forbids declaring (NCE, or MCA with auto-recharge
    on, which a spec may only turn off), and SKUs that need credits when those are left out.
    Fields the provider could not read are left out too (terms, pay-as-you-go, credits), and so
    are users who hold licenses without a usage location (a spec cannot list them; unlisted, they
    are left alone); `agreement` and `currency` stand in for a tenant's own when the provider
    cannot read them.
    """
    agreement = agreement or state.agreement
    recharge = state.credits.auto_recharge if state.credits else None
    declare_credits = _declares_credits(state, agreement)
    subscriptions: dict[str, Subscription] = {}
    for sku, live in state.subscriptions.items():
        if _why_not_declared(state, sku, agreement, declare_credits) is not None:
            continue
        entry = catalog.CATALOG[catalog.canonical(sku)]
        # Declared only where a spec may declare it: not under EA/MOSA (no such option), and not
        # off on a plan without included minutes (a spec may not switch its users' calls off).
        payg = entry.pay_as_you_go and agreement not in catalog.PREPAID_CREDITS and PAY_AS_YOU_GO not in state.unknown
        # A decrease scheduled for the renewal is where the tenant is heading; a spec cannot say
        # "this many now, more at renewal", so a scheduled increase is exported as today's count.
        pending = live.scheduled
        seats = pending.seats if pending and live.consumed <= pending.seats < live.seats else live.seats
        known = TERMS not in state.unknown  # an unreadable commitment is left out: not managed
        subscriptions[sku] = Subscription(
            sku=sku,
            seats=seats,
            term=live.term if known else None,
            billing_frequency=live.billing_frequency if known else None,
            pay_as_you_go=live.pay_as_you_go if payg else None,
            # Declared only when off (a spec that leaves it out does not manage it) and readable.
            auto_renew=False if not live.auto_renew and AUTO_RENEW not in state.unknown else None,
        )
    credits = CreditsSpec(auto_recharge=recharge) if declare_credits else None
    managed = set(subscriptions) | ({CREDITS_SKU} if credits else set())
    users = {}
    for index, key in enumerate(sorted(state.users)):
        u = state.users[key]
        own = u.direct & managed  # what groups give is the groups'
        if own and not u.usage_location:
            continue  # a spec cannot list licenses without a usage location: left unlisted, so untouched
        disabled = plans_of({sku: plans for sku, plans in u.disabled.items() if sku in own})
        users[key] = UserSpec(u.upn, u.usage_location, own, index, disabled=disabled)
    return TenantSpec(
        name=name or state.name,
        agreement=agreement,
        source="<export>",
        tenant_id=state.tenant_id,
        currency=currency or state.currency,
        subscriptions=subscriptions,
        credits=credits,
        users=users,
        groups=_groups(state, managed),
    )


def _groups(state: TenantState, managed: set[str]) -> tuple[GroupSpec, ...]:
    """The licensed security groups, with their managed licenses; by id where a name is not unique."""
    names = Counter(g.name.lower() for g in state.groups.values())
    out: list[GroupSpec] = []
    for g in sorted(state.groups.values(), key=lambda g: (g.name.lower(), g.id)):
        licenses = g.licenses & managed
        if not licenses or not g.security_enabled:
            continue
        unique = names[g.name.lower()] == 1
        disabled = plans_of({sku: plans for sku, plans in g.disabled.items() if sku in licenses})
        out.append(
            GroupSpec(
                g.name if unique else g.id,
                g.name if unique else None,
                None if unique else g.id,
                licenses,
                disabled,
                len(out),
            )
        )
    return tuple(out)


def _declares_credits(state: TenantState, agreement: str) -> bool:
    """Whether a spec may declare the tenant's credits as they are."""
    recharge = state.credits.auto_recharge if state.credits else None
    return (
        state.credits is not None
        and AUTO_RECHARGE not in state.unknown
        and agreement != "NCE"
        and not (agreement == "MCA" and recharge is not None and recharge.enabled)
        and not (recharge and recharge.enabled and (recharge.trigger_below is None or recharge.amount is None))
    )


def _why_not_declared(state: TenantState, sku: str, agreement: str, declare_credits: bool) -> str | None:
    """Why an export leaves a subscription out of the spec (None: it is declared)."""
    entry = catalog.lookup(sku)
    live = state.subscriptions[sku]
    if sku == CREDITS_SKU:
        return "comes with Communications Credits"
    if entry is None:
        return "not in tenantctl's catalog"
    if entry.agreements is not None and agreement not in entry.agreements:
        return f"not sold under {agreement}"
    if catalog.needs_credits(sku, agreement) and not declare_credits:
        return "bills against Communications Credits, which the spec cannot declare as they are"
    if (
        entry.minutes_billed
        and agreement not in catalog.PREPAID_CREDITS
        and (PAY_AS_YOU_GO in state.unknown or not live.pay_as_you_go)
    ):
        return "its pay-as-you-go is off or unreadable, and a spec must turn it on"
    return None


def undeclared_parts(state: TenantState, agreement: str | None = None) -> list[str]:
    """What an export of `state` cannot declare, each with why: it stays in the tenant, unmanaged."""
    agreement = agreement or state.agreement
    credits = _declares_credits(state, agreement)
    out = [
        f"{sku}: {why}"
        for sku in sorted(state.subscriptions)
        if (why := _why_not_declared(state, sku, agreement, credits)) is not None and sku != CREDITS_SKU
    ]
    if state.credits is not None and not credits and AUTO_RECHARGE not in state.unknown:
        out.append(
            "Communications Credits: "
            + (
                "NCE has none to declare"
                if agreement == "NCE"
                else "auto-recharge is on, which an MCA spec cannot declare; to turn it off as Microsoft "
                "requires, add communicationsCredits: {autoRecharge: {enabled: false}}"
                if agreement == "MCA"
                else "auto-recharge is on without a trigger or amount"
            )
        )
    return out


def unlisted_users(state: TenantState, spec: TenantSpec) -> list[str]:
    """Users the export left out because they hold managed licenses without a usage location."""
    return sorted(u.upn for key, u in state.users.items() if key not in spec.users and u.licenses & spec.managed_skus)
