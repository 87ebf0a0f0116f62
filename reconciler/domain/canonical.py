"""The canonical dict forms of a spec and a state: what a `kind: Tenant` and a `kind: TenantSnapshot`
document hold, with defaults written out and everything sorted, so equal values give equal documents.

The plan's digests hash them (`plan.digest`), and the spec stage writes them out (`spec.export`, the
snapshot dump): both stages use these forms, so they live here, below both.
"""

from __future__ import annotations

from typing import Any

from .groups import DisabledPlans, GroupState
from .model import SubscriptionState, TenantSpec, TenantState, money_out


def license_entries(licenses: frozenset[str], disabled: DisabledPlans) -> list[Any]:
    """Licenses as a document lists them: a SKU's name, or `{sku, disabledPlans}` where its plans are given."""
    return [
        {"sku": sku, "disabledPlans": sorted(disabled[sku])} if sku in disabled else sku for sku in sorted(licenses)
    ]


def spec_to_dict(spec: TenantSpec, with_users: bool = True) -> dict[str, Any]:
    """The Tenant document for `spec`, with defaults written out and profiles expanded (`with_users` False:
    without its users, which the digest writes itself)."""
    body: dict[str, Any] = {"agreement": spec.agreement, "currency": spec.currency}
    subs = []
    for sku in sorted(spec.subscriptions):
        s = spec.subscriptions[sku]
        item: dict[str, Any] = {"sku": sku, "seats": s.seats}
        if s.term is not None:
            item["term"] = s.term
        if s.billing_frequency is not None:
            item["billingFrequency"] = s.billing_frequency
        if s.pay_as_you_go is not None:
            item["payAsYouGo"] = s.pay_as_you_go
        if s.auto_renew is not None:
            item["autoRenew"] = s.auto_renew
        subs.append(item)
    body["subscriptions"] = subs
    if spec.credits is not None:
        credits: dict[str, Any] = {}
        if spec.credits.auto_recharge is not None:
            credits["autoRecharge"] = spec.credits.auto_recharge.to_dict()
        if spec.credits.minimum_balance is not None:
            credits["minimumBalance"] = money_out(spec.credits.minimum_balance)
        body["communicationsCredits"] = credits
    users = []
    for u in sorted(spec.users.values(), key=lambda u: u.index) if with_users else ():
        entry: dict[str, Any] = {"upn": u.upn}
        if u.usage_location:
            entry["usageLocation"] = u.usage_location
        entry["licenses"] = license_entries(u.licenses, u.disabled)
        users.append(entry)
    if spec.groups:  # written only when declared, so the digests of other specs stay as they were
        body["groups"] = [
            {
                **({"name": g.name} if g.name is not None else {}),
                **({"id": g.id} if g.id is not None else {}),
                "licenses": license_entries(g.licenses, g.disabled),
            }
            for g in spec.groups
        ]
    body["users"] = users
    body["prune"] = spec.prune
    if spec.missing_users != "error":
        body["missingUsers"] = spec.missing_users
    if spec.prices.overrides:
        body["prices"] = {sku: money_out(price) for sku, price in spec.prices.spec_overrides().items()}
    if spec.guardrails.to_dict():
        body["guardrails"] = spec.guardrails.to_dict()
    if spec.commerce.offers:
        body["offers"] = dict(sorted(spec.commerce.offers.items()))
    metadata: dict[str, Any] = {"name": spec.name}
    if spec.commerce.automated:  # written only when set, so the digests of other specs stay as they were
        metadata["commerce"] = spec.commerce.to_dict()
    if spec.tenant_id:
        metadata["tenantId"] = spec.tenant_id
    return {"apiVersion": "tenantctl/v1", "kind": "Tenant", "metadata": metadata, "spec": body}


def state_to_dict(state: TenantState, with_users: bool = True) -> dict[str, Any]:
    """The TenantSnapshot document for `state`, sorted so equal states give equal text (`with_users` False:
    without its users, which the digest writes itself)."""
    body: dict[str, Any] = {"agreement": state.agreement, "currency": state.currency}
    if state.billing_roles is not None:
        body["billingRoles"] = list(state.billing_roles)
    body["subscriptions"] = [
        _subscription_to_dict(s) for s in sorted(state.subscriptions.values(), key=lambda s: s.sku)
    ]
    if state.credits is not None:
        funds = []
        for lot in state.credits.funds:
            item: dict[str, Any] = {
                "purchased": lot.purchased.isoformat(),
                "amount": money_out(lot.amount),
                "remaining": money_out(lot.remaining),
            }
            if lot.idempotency_key:
                item["idempotencyKey"] = lot.idempotency_key
            funds.append(item)
        body["communicationsCredits"] = {"autoRecharge": state.credits.auto_recharge.to_dict(), "funds": funds}
    users = []
    for key in sorted(state.users) if with_users else ():
        u = state.users[key]
        entry: dict[str, Any] = {"upn": u.upn}
        if u.usage_location:
            entry["usageLocation"] = u.usage_location
        if u.direct:  # what groups give is the groups' (state.groups)
            entry["licenses"] = license_entries(u.direct, u.disabled)
        users.append(entry)
    body["users"] = users
    if state.default_usage_location:
        body["defaultUsageLocation"] = state.default_usage_location
    if state.groups:
        body["groups"] = [_group_to_dict(g, state) for g in sorted(state.groups.values(), key=lambda g: (g.name, g.id))]
    metadata: dict[str, Any] = {"name": state.name}
    if state.tenant_id:
        metadata["tenantId"] = state.tenant_id
    return {"apiVersion": "tenantctl/v1", "kind": "TenantSnapshot", "metadata": metadata, "state": body}


def _group_to_dict(g: GroupState, state: TenantState) -> dict[str, Any]:
    out: dict[str, Any] = {"name": g.name, "id": g.id}
    if not g.security_enabled:
        out["securityEnabled"] = False
    out["members"] = sorted(state.users[k].upn if k in state.users else k for k in g.members)
    out["licenses"] = license_entries(g.licenses, g.disabled)
    return out


def _subscription_to_dict(s: SubscriptionState) -> dict[str, Any]:
    out: dict[str, Any] = {
        "sku": s.sku,
        "seats": s.seats,
        "term": s.term,
        "billingFrequency": s.billing_frequency,
        "payAsYouGo": s.pay_as_you_go,
    }
    if not s.auto_renew:  # written only when off, so snapshots of renewing tenants read as before
        out["autoRenew"] = False
    if s.term_end is not None:
        out["termEnd"] = s.term_end.isoformat()
    if s.refundable is not None:
        out["refundable"] = [{"seats": r.seats, "until": r.until.isoformat()} for r in s.refundable]
    if s.scheduled is not None:
        out["scheduled"] = {"seats": s.scheduled.seats}
        if s.scheduled.effective is not None:
            out["scheduled"]["effective"] = s.scheduled.effective.isoformat()
    return out
