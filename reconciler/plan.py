"""Stage 3: compute the plan, an ordered list of actions, from a spec and an observed state.

Pure: no I/O, no provider, no clock (the state carries `today`). The same inputs give the same
plan byte for byte, so a plan can be reviewed, saved, diffed and tested without a tenant.

Order (each phase sorted by a stable key):
  1. removals that free seats, dependents first (MCOPSTNC before its calling plan);
  2. subscriptions: purchases, seat changes (decreases after the removals that allow them),
     terms, pay-as-you-go;
  3. Communications Credits: auto-recharge, funds;
  4. usage locations;
  5. assignments, prerequisites first (Teams Phone, then calling plan, then MCOPSTNC);
  6. removals of a prerequisite that a new license replaces on the same user (a swap);
  7. assignments whose seat only such a swap frees.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, Decimal
from typing import Any

from . import catalog, guardrails, manual
from .actions import ACTION_TYPES, FORMAT_VERSION, MONEY_ACTIONS, Action, Builder, Diagnostic
from .catalog import CREDITS_SKU
from .cost import CostEstimate, estimate
from .digest import spec_digest, state_digest
from .guardrails import GuardrailCheck
from .licenses import (AssignContext, Seats, UserChange, assign_after_swaps, assignments, check_swap_cycles,
                       removals, split_removals)
from .longlived import long_lived
from .model import (AGREEMENT, AUTO_RECHARGE, BALANCE, CURRENCY, PAY_AS_YOU_GO, TERMS, AutoRecharge, TenantSpec,
                    TenantState, money_out)

__all__ = ["ACTION_TYPES", "FORMAT_VERSION", "MONEY_ACTIONS", "Action", "Diagnostic", "Plan", "compute_plan"]


@dataclass(frozen=True)
class Plan:
    """A plan: what to do, against which spec and which observed state."""

    tenant: str
    spec_digest: str
    state_digest: str
    actions: tuple[Action, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    cost: CostEstimate | None = None
    guardrails: tuple[GuardrailCheck, ...] = ()

    @property
    def has_errors(self) -> bool:
        """True when a diagnostic forbids applying this plan."""
        return any(d.severity == "error" for d in self.diagnostics)

    @property
    def destructive(self) -> tuple[Action, ...]:
        """The actions that take something away."""
        return tuple(a for a in self.actions if a.destructive)

    def summary(self) -> dict[str, Any]:
        """Counts: total, destructive, and by type in the public type order."""
        counts = Counter(a.type for a in self.actions)
        return {"total": len(self.actions), "destructive": len(self.destructive),
                "by_type": {t: counts[t] for t in ACTION_TYPES if counts[t]}}

    def to_dict(self) -> dict[str, Any]:
        """The public JSON plan (format_version 1)."""
        actions = []
        for a in self.actions:
            item = a.to_dict()
            cost = self.cost.for_action(a.id) if self.cost else None
            if cost is not None:
                item["cost"] = cost.to_dict()
            actions.append(item)
        out = {"format_version": FORMAT_VERSION, "tenant": self.tenant, "spec_digest": self.spec_digest,
               "state_digest": self.state_digest, "actions": actions, "summary": self.summary(),
               "diagnostics": [d.to_dict() for d in self.diagnostics]}
        if self.cost is not None:
            out["cost"] = self.cost.to_dict()
        out["guardrails"] = [g.to_dict() for g in self.guardrails]
        return out


@long_lived
def compute_plan(spec: TenantSpec, state: TenantState, overrides: frozenset[str] = frozenset()) -> Plan:
    """The ordered actions that make `state` match `spec`, with cost, guardrails and diagnostics.

    `overrides` names guardrails the user chose to bypass (`--override-guardrail`).
    """
    b = Builder()
    _check_tenant(spec, state, b)
    changes = _user_changes(spec, state, b)
    removal_ids: dict[str, list[int]] = defaultdict(list)
    early, late = split_removals(changes)
    removals(early, b, removal_ids, {})
    seats = _subscriptions(spec, state, changes, b, removal_ids, {sku for _, sku in late})
    credit_ids = _credits(spec, state, changes, b)
    location_ids = {c.key: b.add("set_usage_location", f"user/{c.upn}",
                                 {"usageLocation": state.users[c.key].usage_location},
                                 {"usageLocation": c.location})
                    for c in changes if c.location is not None}
    ctx = AssignContext(seats, credit_ids, location_ids, removal_ids, Counter(sku for _, sku in late))
    waiting = assignments(changes, b, ctx)
    check_swap_cycles(late, waiting, b)
    removals(late, b, removal_ids, ctx.per_user)
    assign_after_swaps(waiting, b, ctx)
    for sku, (before, after) in sorted(seats.deferred.items()):
        # A decrease that a swap makes possible waits for the swap's removal.
        b.add("set_seats", f"subscription/{sku}", {"seats": before}, {"seats": after}, True, removal_ids[sku])
    actions = manual.mark(tuple(b.actions), state.manual)
    cost = estimate(actions, _priced_as_declared(spec, state), spec.prices, spec.managed_skus)
    checks = guardrails.check(spec.guardrails, actions, cost, overrides)
    _guardrail_diagnostics(checks, b)
    return Plan(tenant=spec.name, spec_digest=spec_digest(spec), state_digest=state_digest(state),
                actions=actions, diagnostics=tuple(b.diagnostics), cost=cost, guardrails=checks)


def _priced_as_declared(spec: TenantSpec, state: TenantState) -> TenantState:
    """The state to price: a term the provider cannot read is taken to be the one the spec declares."""
    if TERMS not in state.unknown:
        return state
    subs = {sku: replace(live, term=spec.subscriptions[sku].term,
                         billing_frequency=spec.subscriptions[sku].billing_frequency)
            if sku in spec.subscriptions else live for sku, live in state.subscriptions.items()}
    return replace(state, subscriptions=subs)


def _guardrail_diagnostics(checks: tuple[GuardrailCheck, ...], b: Builder) -> None:
    for c in checks:
        if c.exceeded and c.overridden:
            b.diag("warning", "guardrail_overridden", f"guardrail {c.name} exceeded and overridden with "
                   f"--override-guardrail {c.name}: {c.detail}")
        elif c.exceeded:
            verdict = "exceeded" if c.value is not None else "cannot be checked"
            b.diag("error", "guardrail_exceeded", f"guardrail {c.name} {verdict}: {c.detail}; review the plan, "
                   f"then raise spec.guardrails.{c.name} or rerun with --override-guardrail {c.name}")


def _check_tenant(spec: TenantSpec, state: TenantState, b: Builder) -> None:
    if spec.tenant_id and state.tenant_id and spec.tenant_id.lower() != state.tenant_id.lower():
        b.diag("error", "tenant_mismatch", f"the spec is for tenant {spec.tenant_id} but the provider reads tenant "
               f"{state.tenant_id}; point --provider at the right tenant or fix metadata.tenantId")
    if AGREEMENT not in state.unknown and spec.agreement != state.agreement:
        b.diag("error", "agreement_mismatch", f"the spec declares agreement {spec.agreement} but the tenant is "
               f"billed under {state.agreement}; tenantctl cannot change the agreement, fix spec.agreement")
    if CURRENCY not in state.unknown and spec.currency != state.currency:
        b.diag("error", "currency_mismatch", f"the spec declares {spec.currency} but the tenant is billed in "
               f"{state.currency}; fix spec.currency")


def _user_changes(spec: TenantSpec, state: TenantState, b: Builder) -> list[UserChange]:
    """Per user, what to add and remove. Linear in the number of users."""
    managed = spec.managed_skus
    changes = []
    for key in sorted(set(spec.users) | (set(state.users) if spec.prune else set())):
        live = state.users.get(key)
        want = spec.users.get(key)
        if live is None:
            assert want is not None
            where = want.origin or f"spec.users[{want.index}]"
            b.diag("error", "user_not_found", f"user '{want.upn}' ({where}) does not exist in the tenant; "
                   "tenantctl does not create users: create it first or remove it from the spec", f"user/{want.upn}")
            continue
        if want is not None and want.licenses == live.licenses and want.usage_location in (None, live.usage_location):
            continue  # the common case at scale, decided without building sets (spec licenses are all managed)
        target = (live.licenses - managed) | (want.licenses if want else frozenset())
        for sku in sorted((live.licenses - target) & live.inherited):
            # A group grants it: removing the direct assignment would be refused or change nothing.
            b.diag("warning", "license_from_group", f"'{live.upn}' holds {sku} through a group, so tenantctl "
                   "cannot take it away; remove the user from the licensing group, or list the license in the "
                   "spec", f"user/{live.upn}/{sku}")
            target |= {sku}
        location = want.usage_location if want and want.usage_location != live.usage_location else None
        if target == live.licenses and location is None:
            continue
        for sku in sorted(target):
            missing = catalog.missing_prerequisite(sku, target)
            if missing:
                b.diag("error", "prerequisite_violation", f"'{live.upn}' would hold {sku} without "
                       f"{catalog.describe_caps(missing)} (licenses outside the spec count too); "
                       "add the prerequisite to the user or manage that SKU", f"user/{live.upn}/{sku}")
        changes.append(UserChange(key, live.upn, target - live.licenses, live.licenses - target, target,
                                   location))
    return changes


def _subscriptions(spec: TenantSpec, state: TenantState, changes: list[UserChange], b: Builder,
                   removal_ids: dict[str, list[int]], late_skus: set[str]) -> Seats:
    """Subscription actions, and the seat facts assignments depend on."""
    delta: Counter[str] = Counter()
    for c in changes:
        delta.update(c.add)
        delta.subtract(c.remove)
    seats = Seats()
    for sku in sorted(spec.subscriptions):
        want = spec.subscriptions[sku]
        live = state.subscriptions.get(sku)
        consumed_after = (live.consumed if live else 0) + delta[sku]
        address = f"subscription/{sku}"
        if consumed_after > want.seats:
            b.diag("error", "seats_exhausted", f"{consumed_after} users would hold {sku} but seats is {want.seats} "
                   "(users not listed in the spec count too); raise seats or free licenses", address)
        if live is None:
            if want.seats == 0:
                b.diag("info", "nothing_to_buy", f"{sku} declares 0 seats and is not owned: nothing to buy", address)
                continue
            bought = b.add("purchase_subscription", address, None,
                           {"sku": sku, "seats": want.seats, "term": want.term,
                            "billingFrequency": want.billing_frequency})
            seats.action[sku], seats.free[sku] = bought, want.seats
            if want.pay_as_you_go:
                b.add("set_pay_as_you_go", address, {"payAsYouGo": False}, {"payAsYouGo": True}, False, [bought])
            continue
        seats.free[sku] = live.seats - live.consumed
        if want.seats > live.seats:
            seats.action[sku] = b.add("set_seats", address, {"seats": live.seats}, {"seats": want.seats})
            seats.free[sku] = want.seats - live.consumed
        elif want.seats < live.seats and sku in late_skus:
            seats.deferred[sku] = (live.seats, want.seats)
        elif want.seats < live.seats:
            b.add("set_seats", address, {"seats": live.seats}, {"seats": want.seats}, True, removal_ids.get(sku, []))
            seats.free[sku] = want.seats - live.consumed
        if TERMS in state.unknown:
            _not_readable(b, address, "term and billingFrequency", f"{want.term}, {want.billing_frequency}")
        elif (want.term, want.billing_frequency) != (live.term, live.billing_frequency):
            b.add("set_term", address, {"term": live.term, "billingFrequency": live.billing_frequency},
                  {"term": want.term, "billingFrequency": want.billing_frequency})
        if want.pay_as_you_go is not None and PAY_AS_YOU_GO in state.unknown:
            _not_readable(b, address, "payAsYouGo", "on" if want.pay_as_you_go else "off")
        elif want.pay_as_you_go is not None and want.pay_as_you_go != live.pay_as_you_go:
            b.add("set_pay_as_you_go", address, {"payAsYouGo": live.pay_as_you_go},
                  {"payAsYouGo": want.pay_as_you_go}, destructive=not want.pay_as_you_go)
    return seats


def _credits(spec: TenantSpec, state: TenantState, changes: list[UserChange], b: Builder) -> list[int]:
    """Credits actions; returns the ids MCOPSTNC assignments must wait for."""
    want = spec.credits
    if want is None:
        return []
    live = state.credits
    ids: list[int] = []
    # A provider that sees MCOPSTNC but not the settings leaves them unknown; no credits at all is known.
    recharge_unknown = live is not None and AUTO_RECHARGE in state.unknown
    balance_unknown = live is not None and BALANCE in state.unknown
    live_recharge = live.auto_recharge if live and not recharge_unknown else None
    if want.auto_recharge is not None and recharge_unknown:
        _not_readable(b, "communicationsCredits", "autoRecharge", _brief(want.auto_recharge.to_dict()))
    # No credits at all is the same as auto-recharge off: disabling it again is no change.
    elif want.auto_recharge is not None and want.auto_recharge != (live_recharge or AutoRecharge(enabled=False)):
        disabling = bool(live_recharge and live_recharge.enabled and not want.auto_recharge.enabled)
        ids.append(b.add("set_auto_recharge", "communicationsCredits",
                         live_recharge.to_dict() if live_recharge else None, want.auto_recharge.to_dict(),
                         destructive=disabling))
    balance = live.balance(state.today) if live else Decimal(0)
    if want.minimum_balance is not None and balance_unknown:
        _not_readable(b, "communicationsCredits", "balance", f"at least {money_out(want.minimum_balance)}")
    buying = want.minimum_balance is not None and not balance_unknown and balance < want.minimum_balance
    if want.minimum_balance is not None and buying:
        amount = (want.minimum_balance - balance).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
        ids.append(b.add("add_funds", "communicationsCredits", {"balance": money_out(balance)},
                         {"balance": money_out(balance + amount), "amount": money_out(amount)}))
    # MCOPSTNC licenses exist while auto-recharge is on or funds were bought: judge the state
    # after this plan's credit actions, since disabling auto-recharge can take them away.
    recharge_after = want.auto_recharge if want.auto_recharge is not None else live_recharge
    available = (bool(recharge_after and recharge_after.enabled) or bool(live and live.funds) or buying
                 or bool(live and live.licensed))
    if not available and any(CREDITS_SKU in c.add for c in changes):
        b.diag("error", "credits_not_set_up", "MCOPSTNC licenses exist only once Communications Credits are "
               "funded or auto-recharge is enabled; set communicationsCredits.minimumBalance or enable "
               "autoRecharge", "communicationsCredits")
    return ids




def _not_readable(b: Builder, address: str, field: str, wanted: str) -> None:
    """Say that a managed value is not compared because the provider cannot read it (never drift)."""
    b.diag("info", "not_readable", f"{address}: {field} cannot be read through this provider, so it is not compared "
           f"(the spec wants {wanted}); check it in the Microsoft 365 admin center under Billing > Your products",
           address)


def _brief(fields: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in fields.items())
