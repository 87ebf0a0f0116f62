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
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any

from . import catalog, guardrails
from .catalog import CREDITS_SKU
from .cost import CostEstimate, estimate
from .digest import spec_digest, state_digest
from .guardrails import GuardrailCheck
from .model import AutoRecharge, TenantSpec, TenantState, money_out

FORMAT_VERSION = "1"

ACTION_TYPES = ("purchase_subscription", "set_seats", "set_term", "set_pay_as_you_go", "set_auto_recharge",
                "add_funds", "set_usage_location", "assign_license", "remove_license")
MONEY_ACTIONS = frozenset({"purchase_subscription", "set_seats", "add_funds"})


@dataclass(frozen=True)
class Action:
    """One change to the tenant. `depends_on` lists ids that must succeed first."""

    id: int
    type: str
    address: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    destructive: bool = False
    depends_on: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The public JSON form (format_version 1)."""
        return {"id": self.id, "type": self.type, "address": self.address, "before": self.before,
                "after": self.after, "destructive": self.destructive, "depends_on": list(self.depends_on)}


@dataclass(frozen=True)
class Diagnostic:
    """Something the user should know; severity "error" means the plan must not be applied."""

    severity: str  # error | warning | info
    code: str
    message: str
    address: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The public JSON form."""
        out = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.address:
            out["address"] = self.address
        return out


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


@dataclass
class _Builder:
    """Collects actions in order, handing out ids."""

    actions: list[Action] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def add(self, type_: str, address: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
            destructive: bool = False, depends_on: list[int] | tuple[int, ...] = ()) -> int:
        action_id = len(self.actions) + 1
        deps = tuple(sorted(set(depends_on)))
        self.actions.append(Action(action_id, type_, address, before, after, destructive, deps))
        return action_id

    def diag(self, severity: str, code: str, message: str, address: str = "") -> None:
        self.diagnostics.append(Diagnostic(severity, code, message, address))


@dataclass(frozen=True)
class _UserChange:
    key: str
    upn: str
    add: frozenset[str]
    remove: frozenset[str]
    target: frozenset[str]
    location: str | None  # new usage location, None when unchanged


def compute_plan(spec: TenantSpec, state: TenantState, overrides: frozenset[str] = frozenset()) -> Plan:
    """The ordered actions that make `state` match `spec`, with cost, guardrails and diagnostics.

    `overrides` names guardrails the user chose to bypass (`--override-guardrail`).
    """
    b = _Builder()
    _check_tenant(spec, state, b)
    changes = _user_changes(spec, state, b)
    removal_ids: dict[str, list[int]] = defaultdict(list)
    early, late = _split_removals(changes)
    _removals(early, b, removal_ids, {})
    seats = _subscriptions(spec, state, changes, b, removal_ids, {sku for _, sku in late})
    credit_ids = _credits(spec, state, changes, b)
    location_ids = {c.key: b.add("set_usage_location", f"user/{c.upn}",
                                 {"usageLocation": state.users[c.key].usage_location},
                                 {"usageLocation": c.location})
                    for c in changes if c.location is not None}
    ctx = _AssignContext(seats, credit_ids, location_ids, removal_ids, Counter(sku for _, sku in late))
    waiting = _assignments(changes, b, ctx)
    _check_swap_cycles(late, waiting, b)
    _removals(late, b, removal_ids, ctx.per_user)
    _assign_after_swaps(waiting, b, ctx)
    for sku, (before, after) in sorted(seats.deferred.items()):
        # A decrease that a swap makes possible waits for the swap's removal.
        b.add("set_seats", f"subscription/{sku}", {"seats": before}, {"seats": after}, True, removal_ids[sku])
    actions = tuple(b.actions)
    cost = estimate(actions, state, spec.prices, spec.managed_skus)
    checks = guardrails.check(spec.guardrails, actions, cost, overrides)
    _guardrail_diagnostics(checks, b)
    return Plan(tenant=spec.name, spec_digest=spec_digest(spec), state_digest=state_digest(state),
                actions=actions, diagnostics=tuple(b.diagnostics), cost=cost, guardrails=checks)


def _guardrail_diagnostics(checks: tuple[GuardrailCheck, ...], b: _Builder) -> None:
    for c in checks:
        if c.exceeded and c.overridden:
            b.diag("warning", "guardrail_overridden", f"guardrail {c.name} exceeded and overridden with "
                   f"--override-guardrail {c.name}: {c.detail}")
        elif c.exceeded:
            verdict = "exceeded" if c.value is not None else "cannot be checked"
            b.diag("error", "guardrail_exceeded", f"guardrail {c.name} {verdict}: {c.detail}; review the plan, "
                   f"then raise spec.guardrails.{c.name} or rerun with --override-guardrail {c.name}")


def _check_tenant(spec: TenantSpec, state: TenantState, b: _Builder) -> None:
    if spec.agreement != state.agreement:
        b.diag("error", "agreement_mismatch", f"the spec declares agreement {spec.agreement} but the tenant is "
               f"billed under {state.agreement}; tenantctl cannot change the agreement, fix spec.agreement")
    if spec.currency != state.currency:
        b.diag("error", "currency_mismatch", f"the spec declares {spec.currency} but the tenant is billed in "
               f"{state.currency}; fix spec.currency")


def _user_changes(spec: TenantSpec, state: TenantState, b: _Builder) -> list[_UserChange]:
    """Per user, what to add and remove. Linear in the number of users."""
    managed = spec.managed_skus
    changes = []
    for key in sorted(set(spec.users) | (set(state.users) if spec.prune else set())):
        live = state.users.get(key)
        want = spec.users.get(key)
        if live is None:
            assert want is not None
            b.diag("error", "user_not_found", f"user '{want.upn}' (spec.users[{want.index}]) does not exist in the "
                   "tenant; tenantctl does not create users: create it first or remove it from the spec",
                   f"user/{want.upn}")
            continue
        target = (live.licenses - managed) | (want.licenses if want else frozenset())
        location = want.usage_location if want and want.usage_location != live.usage_location else None
        if target == live.licenses and location is None:
            continue
        for sku in sorted(target):
            missing = catalog.missing_prerequisite(sku, target)
            if missing:
                b.diag("error", "prerequisite_violation", f"'{live.upn}' would hold {sku} without "
                       f"{catalog.describe_caps(missing)} (licenses outside the spec count too); "
                       "add the prerequisite to the user or manage that SKU", f"user/{live.upn}/{sku}")
        changes.append(_UserChange(key, live.upn, target - live.licenses, live.licenses - target, target,
                                   location))
    return changes


def _split_removals(changes: list[_UserChange]) -> tuple[list[tuple[_UserChange, str]], list[tuple[_UserChange, str]]]:
    """Removals that can go first, and those that must wait for their replacement (a swap).

    A removal waits only when the licenses the user keeps throughout cannot meet a prerequisite
    that the removed license meets: swapping E5 for Teams Phone under a calling plan waits, but
    dropping MCOEV from a user who keeps E5 does not (E5 provides Teams Phone already).
    """
    early: list[tuple[_UserChange, str]] = []
    late: list[tuple[_UserChange, str]] = []
    for c in changes:
        kept = c.target - c.add
        unmet: set[str] = set()
        for sku in c.target:
            unmet |= catalog.missing_prerequisite(sku, kept)
        waits = {sku for sku in c.remove if c.add and catalog.capabilities({sku}) & unmet}
        grew = bool(waits)
        while grew:  # a license that a waiting removal's own license needs waits too
            for sku in waits.copy():
                unmet |= catalog.missing_prerequisite(sku, kept)
            more = {sku for sku in c.remove if catalog.capabilities({sku}) & unmet} - waits
            waits |= more
            grew = bool(more)
        for sku in c.remove:
            (late if sku in waits else early).append((c, sku))
    key = lambda item: (-catalog.tier(item[1]), item[0].key, item[1])  # noqa: E731
    return sorted(early, key=key), sorted(late, key=key)


def _removals(items: list[tuple[_UserChange, str]], b: _Builder, removal_ids: dict[str, list[int]],
              assigned: dict[str, list[int]]) -> None:
    """Remove licenses; `assigned` maps a user to assignments that must come first (a swap)."""
    by_user: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for c, sku in items:
        # A license goes only after the licenses on the same user that need it.
        deps = [i for other, i in by_user[c.key] if catalog.tier(other) > catalog.tier(sku)]
        deps += assigned.get(c.key, [])
        action_id = b.add("remove_license", f"user/{c.upn}/{sku}", {"sku": sku}, None, True, deps)
        by_user[c.key].append((sku, action_id))
        removal_ids[sku].append(action_id)


@dataclass
class _Seats:
    """What assignments need to know about seats, per SKU."""

    action: dict[str, int] = field(default_factory=dict)  # purchase or increase to wait for
    free: dict[str, int] = field(default_factory=dict)  # seats free when assignments start
    deferred: dict[str, tuple[int, int]] = field(default_factory=dict)  # decreases after a swap


def _subscriptions(spec: TenantSpec, state: TenantState, changes: list[_UserChange], b: _Builder,
                   removal_ids: dict[str, list[int]], late_skus: set[str]) -> _Seats:
    """Subscription actions, and the seat facts assignments depend on."""
    delta: Counter[str] = Counter()
    for c in changes:
        delta.update(c.add)
        delta.subtract(c.remove)
    seats = _Seats()
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
        if (want.term, want.billing_frequency) != (live.term, live.billing_frequency):
            b.add("set_term", address, {"term": live.term, "billingFrequency": live.billing_frequency},
                  {"term": want.term, "billingFrequency": want.billing_frequency})
        if want.pay_as_you_go is not None and want.pay_as_you_go != live.pay_as_you_go:
            b.add("set_pay_as_you_go", address, {"payAsYouGo": live.pay_as_you_go},
                  {"payAsYouGo": want.pay_as_you_go}, destructive=not want.pay_as_you_go)
    return seats


def _credits(spec: TenantSpec, state: TenantState, changes: list[_UserChange], b: _Builder) -> list[int]:
    """Credits actions; returns the ids MCOPSTNC assignments must wait for."""
    want = spec.credits
    if want is None:
        return []
    live = state.credits
    ids: list[int] = []
    live_recharge = live.auto_recharge if live else None
    # No credits at all is the same as auto-recharge off: disabling it again is no change.
    if want.auto_recharge is not None and want.auto_recharge != (live_recharge or AutoRecharge(enabled=False)):
        disabling = bool(live_recharge and live_recharge.enabled and not want.auto_recharge.enabled)
        ids.append(b.add("set_auto_recharge", "communicationsCredits",
                         live_recharge.to_dict() if live_recharge else None, want.auto_recharge.to_dict(),
                         destructive=disabling))
    balance = live.balance(state.today) if live else Decimal(0)
    if want.minimum_balance is not None and balance < want.minimum_balance:
        amount = (want.minimum_balance - balance).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
        ids.append(b.add("add_funds", "communicationsCredits", {"balance": money_out(balance)},
                         {"balance": money_out(balance + amount), "amount": money_out(amount)}))
    # MCOPSTNC licenses exist while auto-recharge is on or funds were bought: judge the state
    # after this plan's credit actions, since disabling auto-recharge can take them away.
    recharge_after = want.auto_recharge if want.auto_recharge is not None else live_recharge
    funded_after = bool(live and live.funds) or any(b.actions[i - 1].type == "add_funds" for i in ids)
    available = bool(recharge_after and recharge_after.enabled) or funded_after
    if not available and any(CREDITS_SKU in c.add for c in changes):
        b.diag("error", "credits_not_set_up", "MCOPSTNC licenses exist only once Communications Credits are "
               "funded or auto-recharge is enabled; set communicationsCredits.minimumBalance or enable "
               "autoRecharge", "communicationsCredits")
    return ids


@dataclass
class _AssignContext:
    """What assignments depend on, and the ids they were given."""

    seats: _Seats
    credit_ids: list[int]
    location_ids: dict[str, int]
    removal_ids: dict[str, list[int]]
    late_removals: Counter[str]  # per SKU, how many seats swaps free at the end
    ids: dict[tuple[str, str], int] = field(default_factory=dict)
    per_user: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))


# An assignment waiting for the n-th swap removal of its SKU (n None: waits for a same-user one).
_Waiting = tuple[_UserChange, str, int | None]


def _assignments(changes: list[_UserChange], b: _Builder, ctx: _AssignContext) -> list[_Waiting]:
    """Assignments, prerequisites first; returns those that must wait for a swap to free a seat.

    An assignment beyond the seats free at the start takes a seat a removal frees: the n-th such
    assignment depends on the n-th removal of that SKU, so a failed removal skips it (linear).
    When only a swap's removal (which comes after assignments) frees the seat, the assignment
    waits until after the swaps, and so do that user's licenses that need it.
    """
    taken: Counter[str] = Counter()
    items = sorted(((c, sku) for c in changes for sku in c.add),
                   key=lambda item: (catalog.tier(item[1]), item[0].key, item[1]))
    waiting: list[_Waiting] = []
    waiting_keys: set[tuple[str, str]] = set()
    for c, sku in items:
        beyond = taken[sku] - ctx.seats.free.get(sku, 0)  # negative free: a decrease used those removals
        taken[sku] += 1
        early = len(ctx.removal_ids.get(sku, ()))
        if sku != CREDITS_SKU and 0 <= beyond - early < ctx.late_removals[sku]:
            waiting.append((c, sku, beyond - early))
        elif any((c.key, other) in waiting_keys for other in _prerequisites_added(c, sku)):
            waiting.append((c, sku, None))
        else:
            seat_dep = ctx.removal_ids[sku][beyond] if sku != CREDITS_SKU and 0 <= beyond < early else None
            _assign(c, sku, seat_dep, b, ctx)
            continue
        waiting_keys.add((c.key, sku))
    return waiting


def _prerequisites_added(c: _UserChange, sku: str) -> list[str]:
    """The SKUs added to the same user that provide what `sku` needs."""
    entry = catalog.CATALOG.get(sku)
    if entry is None or not entry.requires_any:
        return []
    return [other for other in c.add if other != sku and catalog.CATALOG.get(other) is not None
            and catalog.CATALOG[other].provides & entry.requires_any]


def _assign(c: _UserChange, sku: str, seat_dep: int | None, b: _Builder, ctx: _AssignContext) -> None:
    deps = [ctx.location_ids[c.key]] if c.key in ctx.location_ids else []
    if sku in ctx.seats.action:
        deps.append(ctx.seats.action[sku])
    if seat_dep is not None:
        deps.append(seat_dep)
    entry = catalog.CATALOG.get(sku)
    if entry is not None and entry.needs_credits:
        deps.extend(ctx.credit_ids)
    deps.extend(ctx.ids[(c.key, other)] for other in _prerequisites_added(c, sku) if (c.key, other) in ctx.ids)
    action_id = b.add("assign_license", f"user/{c.upn}/{sku}", None, {"sku": sku}, False, deps)
    ctx.ids[(c.key, sku)] = action_id
    ctx.per_user[c.key].append(action_id)


def _check_swap_cycles(late: list[tuple[_UserChange, str]], waiting: list[_Waiting], b: _Builder) -> None:
    """A user whose swap needs a seat that only another swap frees cannot be ordered safely."""
    swapping = {c.key for c, _ in late}
    for c, sku, _ in waiting:
        if c.key in swapping:
            b.diag("error", "swap_needs_spare_seat", f"'{c.upn}' swaps licenses, but the {sku} seat the swap needs "
                   "is freed only by another user's swap; raise the seats of " f"{sku} by one for this change "
                   "(lower them again afterwards)", f"user/{c.upn}/{sku}")


def _assign_after_swaps(waiting: list[_Waiting], b: _Builder, ctx: _AssignContext) -> None:
    """Assignments whose seat a swap frees, each after the removal that frees it."""
    for c, sku, n in waiting:
        late_ids = ctx.removal_ids[sku][len(ctx.removal_ids[sku]) - ctx.late_removals[sku]:]
        _assign(c, sku, late_ids[n] if n is not None else None, b, ctx)
