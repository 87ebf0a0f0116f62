"""Drift: where the live tenant differs from the spec, plus health warnings the seeds make important.

Drift is derived from the plan (each action is one managed field that differs), so plan and drift
can never disagree about what is different.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ..domain.catalog import PREPAID_CREDITS
from ..domain.model import (
    AGREEMENT,
    AUTO_RECHARGE,
    AUTO_RENEW,
    BALANCE,
    CANCELLATION_WINDOW_DAYS,
    CURRENCY,
    PAY_AS_YOU_GO,
    SCHEDULED,
    TERMS,
    TenantSpec,
    TenantState,
    money_out,
)
from .compute import Diagnostic, Plan

DRIFT_FORMAT_VERSION = "1"
EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class DriftItem:
    """One managed field whose live value differs from the spec."""

    address: str
    kind: str  # the action type that would fix it
    expected: Any
    actual: Any

    def to_dict(self) -> dict[str, Any]:
        """The public JSON form."""
        return {"address": self.address, "kind": self.kind, "expected": self.expected, "actual": self.actual}


@dataclass(frozen=True)
class DriftReport:
    """Drifted fields, fields that could not be read, and health warnings."""

    tenant: str
    items: tuple[DriftItem, ...]
    diagnostics: tuple[Diagnostic, ...]
    health: tuple[Diagnostic, ...]
    unknown: tuple[str, ...] = field(default=())
    resources: tuple[str, ...] = ()  # every managed resource compared, drifted or not
    scheduled: tuple[dict[str, Any], ...] = ()  # changes waiting for a renewal that match the spec: not drift

    @property
    def drifted(self) -> bool:
        """True when the tenant does not match the spec (errors such as a missing user count)."""
        return bool(self.items) or any(d.severity == "error" for d in self.diagnostics)

    def to_dict(self) -> dict[str, Any]:
        """The public JSON drift report (format_version 1)."""
        return {
            "format_version": DRIFT_FORMAT_VERSION,
            "tenant": self.tenant,
            "drifted": self.drifted,
            "resources": list(self.resources),
            "items": [i.to_dict() for i in self.items],
            "unknown": list(self.unknown),
            "scheduled": list(self.scheduled),
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "health": [h.to_dict() for h in self.health],
        }


def drift_report(plan: Plan, spec: TenantSpec, state: TenantState) -> DriftReport:
    """The drift between `spec` and `state`, given the plan that would reconcile them."""
    items = tuple(DriftItem(a.address, a.type, a.after, a.before) for a in plan.actions)
    # A license a group grants against the spec is drift no action can fix: reported, not planned.
    items += tuple(
        DriftItem(d.address, d.code, None, {"sku": d.address.rsplit("/", 1)[1], "via": "group"})
        for d in plan.diagnostics
        if d.code == "license_from_group" and d.severity == "warning"
    )
    # Members a group's license has not reached, past the grace an apply's change is given (docs/rules.md G9).
    items += tuple(
        DriftItem(d.address, d.code, {"sku": d.address.rsplit("/", 1)[1], "via": "group"}, None)
        for d in plan.diagnostics
        if d.code == "group_not_processed"
    )
    # `not_readable` and `seats_scheduled` say what `unknown` and `scheduled` list; the report says it once.
    diagnostics = tuple(d for d in plan.diagnostics if d.code not in ("not_readable", "seats_scheduled"))
    return DriftReport(
        tenant=plan.tenant,
        items=items,
        diagnostics=diagnostics,
        health=tuple(health_warnings(spec, state)),
        unknown=unknown_fields(spec, state),
        resources=managed_resources(spec, items),
        scheduled=scheduled_changes(spec, state),
    )


def scheduled_changes(spec: TenantSpec, state: TenantState) -> tuple[dict[str, Any], ...]:
    """Seat changes waiting for the renewal that are what the spec wants (as planned, never drift)."""
    out = []
    for sku in sorted(spec.subscriptions):
        live = state.subscriptions.get(sku)
        pending = live.scheduled if live else None
        if live is not None and pending is not None and pending.seats == spec.subscriptions[sku].seats != live.seats:
            out.append(
                {
                    "address": f"subscription/{sku}",
                    "seats": live.seats,
                    "scheduled": pending.seats,
                    "effective": pending.effective.isoformat() if pending.effective else None,
                }
            )
    return tuple(out)


def unknown_fields(spec: TenantSpec, state: TenantState) -> tuple[str, ...]:
    """The managed fields the provider could not read, as `resource.field` (never drift)."""
    out = [name for name in (AGREEMENT, CURRENCY) if name in state.unknown]
    for sku in sorted(spec.subscriptions):
        if sku not in state.subscriptions:
            continue  # known to be absent: its purchase is drift, not an unknown
        if TERMS in state.unknown:
            out.append(f"subscription/{sku}.term")
        if PAY_AS_YOU_GO in state.unknown and spec.subscriptions[sku].pay_as_you_go is not None:
            out.append(f"subscription/{sku}.payAsYouGo")
        if AUTO_RENEW in state.unknown and spec.subscriptions[sku].auto_renew is not None:
            out.append(f"subscription/{sku}.autoRenew")
        if (
            SCHEDULED in state.unknown
            and spec.subscriptions[sku].seats < state.subscriptions[sku].seats
            and spec.agreement in CANCELLATION_WINDOW_DAYS
        ):
            out.append(f"subscription/{sku}.scheduled")
    if spec.credits is not None and state.credits is not None:
        if spec.credits.auto_recharge is not None and AUTO_RECHARGE in state.unknown:
            out.append(AUTO_RECHARGE)
        if spec.credits.minimum_balance is not None and BALANCE in state.unknown:
            out.append(BALANCE)
    return tuple(out)


def resource_of(address: str) -> str:
    """The managed resource an address belongs to: `user/a@x/MCOEV` -> `user/a@x`."""
    kind, _, rest = address.partition("/")
    return f"{kind}/{rest.split('/')[0]}" if rest else address


def managed_resources(spec: TenantSpec, items: tuple[DriftItem, ...] = ()) -> tuple[str, ...]:
    """What drift compares: the spec's subscriptions, its credits, its users, and any user pruned."""
    found = [f"subscription/{sku}" for sku in sorted(spec.subscriptions)]
    if spec.credits is not None:
        found.append("communicationsCredits")
    found += [f"group/{g.handle}" for g in spec.groups]
    found += [f"user/{u.upn}" for u in sorted(spec.users.values(), key=lambda u: u.index)]
    seen = set(found)
    for item in items:
        resource = resource_of(item.address)
        if resource not in seen:
            seen.add(resource)
            found.append(resource)
    return tuple(found)


def health_warnings(spec: TenantSpec, state: TenantState) -> list[Diagnostic]:
    """Balance, expiry and seat warnings about the live tenant."""
    out: list[Diagnostic] = []
    credits = state.credits
    agreement = spec.agreement if AGREEMENT in state.unknown else state.agreement
    if (
        agreement == "MCA"
        and credits is not None
        and AUTO_RECHARGE not in state.unknown
        and credits.auto_recharge.enabled
        and (spec.credits is None or spec.credits.auto_recharge is None)
    ):
        out.append(
            Diagnostic(
                "warning",
                "mca_auto_recharge_on",
                "Communications Credits auto-recharge is on under "
                "an MCA, where Microsoft says to turn it off (calls are billed after use; on, the "
                "balance refills itself); declare communicationsCredits: {autoRecharge: {enabled: "
                "false}} to have tenantctl turn it off",
                "communicationsCredits",
            )
        )
    # A balance matters only where calls are paid from it (EA, MOSA); MCA and NCE bill after use.
    if credits is not None and BALANCE not in state.unknown and agreement in PREPAID_CREDITS:
        balance = credits.balance(state.today)
        recharge = credits.auto_recharge
        wanted = spec.credits.auto_recharge if spec.credits else None
        trigger = (
            recharge.trigger_below if recharge.trigger_below is not None else (wanted.trigger_below if wanted else None)
        )
        if balance <= 0:
            out.append(
                Diagnostic(
                    "warning",
                    "balance_depleted",
                    f"Communications Credits balance is {money_out(balance)}: toll-free and international calls stop",
                    "communicationsCredits",
                )
            )
        elif not recharge.enabled and trigger is not None and balance < trigger:
            out.append(
                Diagnostic(
                    "warning",
                    "balance_below_trigger",
                    f"balance {money_out(balance)} is below the trigger {money_out(trigger)} and auto-recharge is off",
                    "communicationsCredits",
                )
            )
        soon = state.today + timedelta(days=EXPIRY_WARNING_DAYS)
        for lot in credits.live_lots(state.today):
            if lot.remaining > 0 and lot.expires <= soon:
                out.append(
                    Diagnostic(
                        "warning",
                        "funds_expiring",
                        f"{money_out(lot.remaining)} of the funds bought "
                        f"{lot.purchased.isoformat()} expire on {lot.expires.isoformat()}",
                        "communicationsCredits",
                    )
                )
    for sku in sorted(state.subscriptions):
        sub = state.subscriptions[sku]
        if sub.seats > 0 and sub.free <= 0:
            out.append(
                Diagnostic(
                    "warning", "no_free_seat", f"{sku}: all {sub.seats} seats are assigned", f"subscription/{sku}"
                )
            )
    return out
