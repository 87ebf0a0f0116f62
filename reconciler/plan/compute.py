"""Stage 3: compute the plan, an ordered list of actions, from a spec and an observed state.

Pure: no I/O, no provider, no clock (the state carries `today`). The same inputs give the same
plan byte for byte, so a plan can be reviewed, saved, diffed and tested without a tenant.

Order (each phase sorted by a stable key), following Microsoft's set-up order for calling
(seed 004: calling plans to users, then credits for the organization, then MCOPSTNC):
  1. removals that free seats, dependents first (MCOPSTNC before its calling plan);
  2. subscriptions (subscriptions.py): purchases, seat changes (decreases after the removals
     that allow them), terms, pay-as-you-go;
  3. usage locations;
  4. assignments that need no credits, prerequisites first (Teams Phone, then calling plan);
  5. Communications Credits (credits.py): auto-recharge, funds; then purchases of what bills
     against them (pay-per-minute);
  6. assignments that need credits (MCOPSTNC, pay-per-minute, the pay-as-you-go calling plan);
  7. removals of a prerequisite that a new license replaces on the same user (a swap);
  8. assignments whose seat only such a swap frees; decreases a swap allows; seat changes
     scheduled for the renewal (seats.py).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from typing import Any

from ..domain import catalog, roles
from ..domain.actions import (
    ACTION_TYPES,
    FORMAT_VERSION,
    MONEY_ACTIONS,
    Action,
    Builder,
    Diagnostic,
    RemoveLicense,
    SetSeats,
    SetUsageLocation,
)
from ..domain.model import AGREEMENT, CURRENCY, TERMS, TenantSpec, TenantState
from ..support.gc_pause import long_lived
from . import groups, guardrails, manual_steps
from .cost import CostEstimate, estimate
from .credits import credits_licenses, plan_credits
from .digest import spec_digest, state_digest
from .guardrails import GuardrailCheck
from .licenses import (
    AssignContext,
    UserChange,
    assign_after_swaps,
    assignments,
    check_swap_cycles,
    removals,
    split_removals,
)
from .manual_steps import ManualContext
from .seats import schedule
from .subscriptions import GroupSeats, buy_after_credits, not_managed, plan_subscriptions
from .targets import select
from .users import plan_changes, user_changes

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
    targets: tuple[str, ...] = ()  # --target: a partial plan of these addresses and their dependencies

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
        return {
            "total": len(self.actions),
            "destructive": len(self.destructive),
            "by_type": {t: counts[t] for t in ACTION_TYPES if counts[t]},
        }

    def to_dict(self) -> dict[str, Any]:
        """The public JSON plan (format_version 1)."""
        actions = []
        for a in self.actions:
            item = a.to_dict()
            cost = self.cost.for_action(a.id) if self.cost else None
            if cost is not None:
                item["cost"] = cost.to_dict()
            actions.append(item)
        out = {
            "format_version": FORMAT_VERSION,
            "tenant": self.tenant,
            "spec_digest": self.spec_digest,
            "state_digest": self.state_digest,
            "actions": actions,
            "summary": self.summary(),
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }
        if self.cost is not None:
            out["cost"] = self.cost.to_dict()
        out["guardrails"] = [g.to_dict() for g in self.guardrails]
        if self.targets:
            out["targets"] = list(self.targets)
        return out


@long_lived
def compute_plan(
    spec: TenantSpec,
    state: TenantState,
    overrides: frozenset[str] = frozenset(),
    targets: frozenset[str] = frozenset(),
    managed_before: frozenset[str] = frozenset(),
    grace: frozenset[str] = frozenset(),
    digests: bool = True,
) -> Plan:
    """The ordered actions that make `state` match `spec`, with cost, guardrails and diagnostics.

    `overrides` names guardrails the user chose to bypass (`--override-guardrail`); `targets`
    restricts the plan to those addresses and what they depend on (`--target`); `managed_before`
    holds the subscriptions earlier applies managed (from the ledger), to say which the spec dropped;
    `grace` names the groups (ids or names) a recent apply changed, which Microsoft may still be processing;
    `digests` False leaves the two digests empty, for output that shows neither (they cost seconds at a
    million users, and only saved plans, JSON plans and apply's idempotency keys need them).
    """
    b = Builder()
    if state.read_note:
        b.diag("info", "tenant_read", f"tenant read: {state.read_note}")
    _check_tenant(spec, state, b)
    found = groups.resolve(spec, state, b)
    changes = user_changes(spec, state, found, b)
    group_changes = groups.changes(spec, state, found, b)
    removal_ids: dict[str, list[int]] = defaultdict(list)
    early, late = split_removals(changes)
    removals(early, b, removal_ids, {})
    direct_adds = {c.key: set(c.add) for c in changes if c.add}
    losing = frozenset(sku for c in group_changes for sku in c.remove)
    seats = plan_subscriptions(
        spec,
        state,
        changes,
        b,
        removal_ids,
        {sku for _, sku in late},
        GroupSeats(groups.seat_delta(state, group_changes, direct_adds), losing),
    )
    not_managed(spec, state, b, managed_before)
    location_ids = {
        c.key: b.add(
            SetUsageLocation(c.upn, state.users[c.key].usage_location, c.location), False, _leaving_zone(c, b, late)
        )
        for c in changes
        if c.location is not None
    }
    ctx = AssignContext(seats, [], location_ids, removal_ids, Counter(sku for _, sku in late))
    # Microsoft's set-up order: calling plans and audio conferencing first, then credits for the
    # organization, then what needs the credits (MCOPSTNC, pay-per-minute, pay-as-you-go minutes).
    waiting = assignments(changes, b, ctx, credits_phase=False)
    credits = plan_credits(spec, state, changes, b)
    ctx.credit_ids = credits.ids
    buy_after_credits(spec, seats, b, ctx.credit_ids)
    waiting += assignments(changes, b, ctx, credits_phase=True)
    credits_licenses(spec, state, changes, b, credits.available)
    groups.assignments(group_changes, b, seats.action, ctx.ids)
    plan_changes(changes, b)
    groups.report(state, found, grace, b)
    check_swap_cycles(late, waiting, b)
    removals(late, b, removal_ids, ctx.per_user)
    assign_after_swaps(waiting, b, ctx)
    for sku, (before, after) in sorted(seats.deferred.items()):
        # A decrease that a swap makes possible waits for the swap's removal.
        seats.decreased[sku] = b.add(SetSeats(sku, before, after), True, removal_ids[sku])
    schedule(seats, b)
    planned = select(tuple(b.actions), targets, b) if targets else tuple(b.actions)
    actions = manual_steps.mark(planned, state.manual, ManualContext.of(spec, state))
    _role_diagnostics(actions, state, spec.agreement, b)
    cost = estimate(actions, _priced_as_declared(spec, state), spec.prices, spec.managed_skus)
    checks = guardrails.check(spec.guardrails, actions, cost, overrides)
    _guardrail_diagnostics(checks, b)
    return Plan(
        tenant=spec.name,
        spec_digest=spec_digest(spec) if digests else "",
        state_digest=state_digest(state) if digests else "",
        actions=actions,
        diagnostics=tuple(b.diagnostics),
        cost=cost,
        guardrails=checks,
        targets=tuple(sorted(targets)),
    )


def _priced_as_declared(spec: TenantSpec, state: TenantState) -> TenantState:
    """The state to price: a term the provider cannot read is taken to be the one the spec declares."""
    if TERMS not in state.unknown:
        return state
    subs = {
        sku: replace(
            live,
            term=spec.subscriptions[sku].purchase_term[0],
            billing_frequency=spec.subscriptions[sku].purchase_term[1],
        )
        if sku in spec.subscriptions
        else live
        for sku, live in state.subscriptions.items()
    }
    return replace(state, subscriptions=subs)


def _leaving_zone(c: UserChange, b: Builder, late: list[tuple[UserChange, str]]) -> list[int]:
    """The removals a move must wait for: licenses sold only where the user is leaving (rare, so a scan)."""
    zoned = {sku for sku in c.remove if sku in catalog.CATALOG and catalog.CATALOG[sku].countries is not None}
    if not zoned:
        return []
    for sku in sorted(zoned & {s for other, s in late if other.key == c.key}):
        # Its removal waits for the replacement, whose assignment waits for the move: a cycle.
        b.diag(
            "error",
            "usage_location_not_allowed",
            f"'{c.upn}' moves to {c.location}, where {sku} is not sold, "
            "but it can only be removed once its replacement is assigned, which needs the new location; "
            "change the licenses and the usage location in two applies",
            f"user/{c.upn}/{sku}",
        )
    return [
        a.id
        for a in b.actions
        if isinstance(a.change, RemoveLicense) and a.change.upn == c.upn and a.change.sku in zoned
    ]


def _role_diagnostics(actions: tuple[Action, ...], state: TenantState, agreement: str, b: Builder) -> None:
    """Refuse, before apply, each money action the applying identity's billing roles do not allow."""
    if state.billing_roles is None:
        return  # the provider cannot read them: apply will find out
    for a in actions:
        need = roles.required(a.type, agreement)
        if a.manual or need is None or need.allows(state.billing_roles):
            continue
        held = ", ".join(state.billing_roles) or "no billing role"
        b.diag(
            "error",
            "billing_role_missing",
            f"{a.type} {a.address} needs {need.describe()} ({agreement}: "
            f"{need.source}), but the identity that applies holds {held}; grant "
            f"{'that role' if len(need.roles) == 1 else 'one of those roles'} to it, or have someone who holds "
            "one apply the plan",
            a.address,
        )


def _guardrail_diagnostics(checks: tuple[GuardrailCheck, ...], b: Builder) -> None:
    for c in checks:
        if c.exceeded and c.overridden:
            b.diag(
                "warning",
                "guardrail_overridden",
                f"guardrail {c.name} exceeded and overridden with --override-guardrail {c.name}: {c.detail}",
            )
        elif c.exceeded:
            verdict = "exceeded" if c.value is not None else "cannot be checked"
            b.diag(
                "error",
                "guardrail_exceeded",
                f"guardrail {c.name} {verdict}: {c.detail}; review the plan, "
                f"then raise spec.guardrails.{c.name} or rerun with --override-guardrail {c.name}",
            )


def _check_tenant(spec: TenantSpec, state: TenantState, b: Builder) -> None:
    # A simulated tenant's file knows whose it is; an explicit --provider can point at another's.
    if state.name and spec.name != state.name:
        b.diag(
            "error",
            "tenant_mismatch",
            f"the spec is for tenant '{spec.name}' but the provider holds tenant '{state.name}'; "
            "point --provider at the right tenant or fix metadata.name",
        )
    if spec.tenant_id and state.tenant_id and spec.tenant_id.lower() != state.tenant_id.lower():
        b.diag(
            "error",
            "tenant_mismatch",
            f"the spec is for tenant {spec.tenant_id} but the provider reads tenant "
            f"{state.tenant_id}; point --provider at the right tenant or fix metadata.tenantId",
        )
    if AGREEMENT not in state.unknown and spec.agreement != state.agreement:
        b.diag(
            "error",
            "agreement_mismatch",
            f"the spec declares agreement {spec.agreement} but the tenant is "
            f"billed under {state.agreement}; tenantctl cannot change the agreement, fix spec.agreement",
        )
    if CURRENCY not in state.unknown and spec.currency != state.currency:
        b.diag(
            "error",
            "currency_mismatch",
            f"the spec declares {spec.currency} but the tenant is billed in {state.currency}; fix spec.currency",
        )
