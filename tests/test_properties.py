"""Properties over random consistent tenants and valid specs (hypothesis).

- planning never crashes, and is deterministic;
- every order of a plan's actions that respects depends_on is legal (the oracle, tests/oracle.py);
- apply then plan is empty, and the local tenant's invariants hold after apply;
- when an action fails, exactly its transitive dependents are skipped and the rest is done;
- export then plan is empty.
Specs go through YAML text and the real loader, so every generated spec is also validated.

The generators aim at the hard cases: seats exactly full and one short, swaps, removals that
free seats, sub-cent minimum balances, SKUs outside the catalog, group-inherited licenses,
missing users and manual actions. Each example records the hard cases its plan exercises as a
hypothesis event: `pytest tests/test_properties.py --hypothesis-show-statistics` prints how often
each occurs. Profiles (conftest.py): `ci` (default, fixed seed, 500 examples per property) and
`deep` (TENANTCTL_HYPOTHESIS=deep, 20,000), see docs/testing.md.
"""

from __future__ import annotations

import copy
import functools
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from conftest import EXAMPLES, SPECS, read_licenses_afresh
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from oracle import closures, hard_cases, violations

from reconciler.apply.run import apply_plan
from reconciler.domain import catalog
from reconciler.domain.canonical import spec_to_dict, state_to_dict
from reconciler.domain.catalog import CREDITS_SKU
from reconciler.domain.errors import PermanentProviderError, ProviderError, ValidationError
from reconciler.domain.model import (
    AutoRecharge,
    CreditsState,
    FundLot,
    RefundableSeats,
    ScheduledSeats,
    SubscriptionState,
    TenantState,
    UserState,
)
from reconciler.plan.compute import compute_plan
from reconciler.providers.base import UserWrite, WriteResult
from reconciler.providers.local.provider import LocalProvider
from reconciler.spec.export import export_spec
from reconciler.spec.loader import load_spec
from reconciler.spec.snapshot import dump_yaml, load_snapshot, snapshot_from_document
from reconciler.spec.yamlload import load_bytes

TODAY = date(2026, 11, 21)
PAYG_PLAN = "Microsoft_Teams_Calling_Plan_pay_as_you_go_(country_zone_1_US)"
KNOWN = [
    "ENTERPRISEPREMIUM",
    "SPE_E3",
    "MCOEV",
    "MCOPSTN1",
    "MCOPSTN2",
    "MCOMEETADV",
    "MCOMEETACPEA",
    PAYG_PLAN,
    "BUSINESS_VOICE",
]
UNKNOWN = ["VISIOCLIENT"]
COUNTRIES = ["US", "GB", "DE", "NO", "JP"]
# Examples and seed come from the loaded profile (conftest.py); these only relax health checks.
# The test's own YAML (files it mangles or writes for the loader to read) goes through libyaml where
# it is installed: how those bytes are laid out is not under test, the loader reading them is.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

PROFILE = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# Strategies over pools that change from example to example, each built once per pool: hypothesis
# validates every new strategy object, which was a fifth of these tests' time. The draws are the same.
@functools.cache
def one(pool: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    """One element of `pool`."""
    return st.sampled_from(pool)


@functools.cache
def some(pool: tuple[Any, ...]) -> st.SearchStrategy[list[Any]]:
    """Distinct elements of `pool`, in the order drawn."""
    return st.lists(st.sampled_from(pool), unique=True)


@functools.cache
def between(low: int, high: int) -> st.SearchStrategy[int]:
    """A whole number from `low` to `high`."""
    return st.integers(low, high)


BOOL = st.booleans()
LOTS = st.lists(st.tuples(st.integers(0, 700), st.integers(1, 500), st.integers(0, 100)), max_size=3)


def repair(skus: set[str]) -> frozenset[str]:
    """Drop licenses whose prerequisites are missing until the set is consistent."""
    while True:
        broken = {s for s in skus if catalog.missing_prerequisite(s, skus)}
        if not broken:
            return frozenset(skus)
        skus -= broken


def allowed(agreement: str, sku: str) -> bool:
    entry = catalog.lookup(sku)
    return entry is None or entry.agreements is None or agreement in entry.agreements


def located(draw: Any, licenses: frozenset[str]) -> str:
    """A usage location every license allows (the pay-as-you-go plan is for zone 1 only)."""
    zones = [catalog.CATALOG[s].countries for s in licenses if s in catalog.CATALOG and catalog.CATALOG[s].countries]
    return str(draw(one(tuple(c for c in COUNTRIES if all(c in z for z in zones if z)))))


@st.composite
def commitments(draw: Any, agreement: str, seats: int, held: int) -> dict[str, Any]:
    """Renewal date, refundable seats and a scheduled change, as a provider reads them (renewals done)."""
    if agreement not in ("NCE", "MCA") or not draw(BOOL):
        return {}
    out: dict[str, Any] = {"term_end": TODAY + timedelta(days=draw(between(1, 400)))}
    if draw(BOOL):
        n = draw(between(0, seats))
        out["refundable"] = (RefundableSeats(n, TODAY + timedelta(days=draw(between(-3, 7)))),) if n else ()
    if held < seats and draw(BOOL):  # tenantctl schedules decreases only
        out["scheduled"] = ScheduledSeats(draw(between(held, seats - 1)), out["term_end"])
    return out


commitments_of = functools.cache(commitments)


@st.composite
def states(draw: Any, groups: bool = False, manual: bool = False) -> TenantState:
    """A consistent tenant; with `groups`, some licenses come from groups, and with `manual`, the
    provider (as Graph) cannot perform the commerce actions. The simulator models neither."""
    agreement = draw(one(("MCA", "NCE", "EA", "MOSA")))
    owned = [s for s in draw(some(tuple(KNOWN + UNKNOWN))) if allowed(agreement, s)]
    credits = None
    if agreement != "NCE" and draw(BOOL):
        enabled = draw(BOOL)
        recharge = AutoRecharge(enabled, Decimal(50), Decimal(200)) if enabled else AutoRecharge(False)
        lots = tuple(
            FundLot(TODAY - timedelta(days=age), Decimal(amount), Decimal(amount) * Decimal(pct) / 100)
            for age, amount, pct in draw(LOTS)
        )
        credits = CreditsState(recharge, lots)
    funded = bool(credits and credits.licenses_available)
    pool = [s for s in owned if funded or not catalog.needs_credits(s, agreement)] + ([CREDITS_SKU] if funded else [])
    users = {}
    for i in range(draw(between(0, 7))):
        licenses = repair(set(draw(some(tuple(pool))))) if pool else frozenset()
        location = located(draw, licenses) if licenses or draw(BOOL) else None
        upn = f"user{i}@example.com"
        inherited = frozenset(s for s in sorted(licenses) if groups and draw(BOOL))
        users[upn] = UserState(upn, location, licenses, inherited)
    subs = {}
    overage = draw(BOOL)  # NCE: calling overage is one setting for the customer (rules P11)
    for sku in owned:
        held = sum(sku in u.licenses for u in users.values())
        payg_offered = bool(
            catalog.CATALOG.get(sku) and catalog.CATALOG[sku].pay_as_you_go and agreement not in catalog.PREPAID_CREDITS
        )
        seats = held + draw(between(0, 3))
        term = draw(one(("P1M", "P1Y")))
        subs[sku] = SubscriptionState(
            sku,
            seats,
            term,
            "monthly" if term == "P1M" else draw(one(("monthly", "annual"))),
            (overage if agreement == "NCE" else draw(BOOL)) and payg_offered,
            held,
            **draw(commitments_of(agreement, seats, held)),
            auto_renew=draw(BOOL),
        )
    roles = draw(one((None, ("BillingAccountOwner", "BillingAdministrator", "AdminAgent"))))
    commerce = frozenset(
        {
            "purchase_subscription",
            "set_seats",
            "schedule_seats",
            "set_term",
            "set_pay_as_you_go",
            "set_auto_recharge",
            "add_funds",
        }
    )
    return TenantState(
        name="prop",
        agreement=agreement,
        today=TODAY,
        billing_roles=roles,
        subscriptions=subs,
        credits=credits,
        users=users,
        manual=commerce if manual and draw(BOOL) else frozenset(),
    )


@st.composite
def specs_for(draw: Any, state: TenantState) -> dict[str, Any]:
    agreement = state.agreement
    subs = [s for s in draw(some(tuple(KNOWN))) if allowed(agreement, s)]
    credits: dict[str, Any] | None = None
    if agreement != "NCE" and draw(BOOL):
        available = bool(state.credits and state.credits.licenses_available)
        # MCA: auto-recharge must be off; elsewhere it is how credits (and MCOPSTNC) come to exist.
        enabled = agreement != "MCA" and (not available or draw(BOOL))
        credits = {
            "autoRecharge": {
                "enabled": True,
                "triggerBelow": draw(between(0, 100)),
                "amount": draw(between(1, 300)),
            }
            if enabled
            else {"enabled": False}
        }
        if agreement in ("EA", "MOSA") and draw(BOOL):
            # Sub-cent minimums too: a top-up is rounded up to the cent, never down.
            credits["minimumBalance"] = draw(between(1, 400_000)) / 1000
    if credits is None:
        subs = [s for s in subs if not catalog.needs_credits(s, agreement)]
    managed = set(subs) | ({CREDITS_SKU} if credits is not None else set())
    prune = draw(BOOL)
    users = []
    listed = draw(some(tuple(sorted(state.users)))) if state.users else []
    for key in listed:
        licenses = repair(set(draw(some(tuple(sorted(managed)))))) if managed else frozenset()
        entry: dict[str, Any] = {"upn": state.users[key].upn}
        if licenses or draw(BOOL):
            entry["usageLocation"] = located(draw, licenses)
        entry["licenses"] = sorted(licenses)
        users.append(entry)
    listed_holders = {s: sum(s in set(u["licenses"]) for u in users) for s in subs}
    final_holders = dict(listed_holders)
    if not prune:
        listed_keys = set(listed)
        for key, u in state.users.items():
            if key not in listed_keys:
                for s in u.licenses & set(subs):
                    final_holders[s] += 1
    subscriptions = []
    # NCE: one overage setting for every calling plan (rules P11), on when a plan's minutes need it.
    nce_overage = any(catalog.CATALOG[s].minutes_billed for s in subs) or draw(BOOL)
    for s in subs:
        # Exactly enough, a little more, or one short where users outside the spec hold it.
        seats = final_holders[s] + draw(between(-1, 2))
        item: dict[str, Any] = {"sku": s, "seats": max(seats, listed_holders[s])}
        for name, values in (("term", ["P1M", "P1Y"]), ("billingFrequency", ["monthly", "annual"])):
            if draw(BOOL):  # absent: not managed
                item[name] = draw(one(tuple(values)))
        if draw(BOOL):  # absent: not managed
            item["autoRenew"] = draw(BOOL)
        if item.get("term") == "P1M" and item.get("billingFrequency") == "annual":
            del item["billingFrequency"]  # a monthly term is billed monthly (validate refuses the pair)
        if catalog.CATALOG[s].minutes_billed and agreement not in catalog.PREPAID_CREDITS:
            item["payAsYouGo"] = True  # its minutes need it
        elif catalog.CATALOG[s].pay_as_you_go and agreement not in catalog.PREPAID_CREDITS and draw(BOOL):
            item["payAsYouGo"] = nce_overage if agreement == "NCE" else draw(BOOL)
        subscriptions.append(item)
    missing = "error"
    if draw(between(0, 4)) == 4:  # someone who left the tenant is still in the spec, skipped with a warning
        users.append({"upn": "gone@example.com", "usageLocation": "US", "licenses": []})
        missing = "warn"
    body: dict[str, Any] = {
        "agreement": agreement,
        "subscriptions": subscriptions,
        "users": users,
        "prune": prune,
        "missingUsers": missing,
    }
    if credits is not None:
        body["communicationsCredits"] = credits
    return {"apiVersion": "tenantctl/v1", "kind": "Tenant", "metadata": {"name": "prop"}, "spec": body}


def write(tmp: Path, document: dict[str, Any]) -> Path:
    path = tmp / "spec.yaml"
    path.write_text(yaml.dump(document, Dumper=_YAML_DUMPER, sort_keys=False), encoding="utf-8")
    return path


def check_invariants(state: TenantState) -> None:
    for sku, sub in state.subscriptions.items():
        assert sub.consumed <= sub.seats, f"{sku}: {sub.consumed} consumed > {sub.seats} seats"
        assert sub.consumed == sum(sku in u.licenses for u in state.users.values())
    for u in state.users.values():
        assert not u.licenses or u.usage_location, f"{u.upn} licensed without usage location"
        for sku in u.licenses:
            assert not catalog.missing_prerequisite(sku, u.licenses), f"{u.upn} holds {sku} without prerequisite"
    if state.credits is not None:
        expected = sum((lot.remaining for lot in state.credits.funds if lot.expires > state.today), Decimal(0))
        assert state.credits.balance(state.today) == expected


def applied(plan: Any, state: TenantState, db: Path, wrap: Any = lambda p: p) -> TenantState:
    """`state` in a fresh local tenant at `db`, `plan` applied through `wrap(provider)`: the state after."""
    provider = LocalProvider(db, TODAY)
    try:
        provider.replace_state(state)
        result = apply_plan(plan, wrap(provider), sleep=lambda _: None)
        assert result.ok, (db.stem, [(o.action.address, o.message) for o in result.outcomes if o.status != "done"])
        after = provider.read_state()
        assert after.users == read_licenses_afresh(db)  # users.held kept current by every write
        return after
    finally:
        provider.close()


@PROFILE
@given(data=st.data())
def test_apply_then_plan_is_empty(data: st.DataObject) -> None:
    state = data.draw(states())
    with tempfile.TemporaryDirectory() as tmp:
        spec = load_spec(write(Path(tmp), data.draw(specs_for(state))))
        plan = compute_plan(spec, state)
        note_hard_cases(state, plan)
        # A spec that takes away a prerequisite a license outside the spec still needs is refused,
        # correctly; convergence is asserted for the plans that may be applied.
        assume(not plan.has_errors)
        after = applied(plan, state, Path(tmp) / "t.db")
        check_invariants(after)
        # What the simulator reaches is a tenant its own snapshot loader accepts, unchanged.
        reloaded = snapshot_from_document(load_bytes(dump_yaml(state_to_dict(after)).encode(), "after.yaml"), TODAY)
        assert reloaded == after
        again = compute_plan(spec, after)
        assert again.actions == (), [a.address for a in again.actions]


class WavesOnLocal:
    """The local provider driven as Graph is: apply in waves, one write per user per wave.

    Each write runs adds before removes, prerequisites first, as one assignLicense applies them
    together; the local provider checks every rule at each step, so an ordering the waves get
    wrong fails here.
    """

    def __init__(self, local: LocalProvider) -> None:
        self.local = local

    def __getattr__(self, name: str) -> Any:
        return getattr(self.local, name)

    def write_users(self, writes: list[UserWrite]) -> list[WriteResult]:
        out = []
        for w in writes:
            try:
                changed = bool(w.location) and self.local.set_usage_location(w.upn, w.location or "")
                for sku in sorted(w.add, key=catalog.tier):
                    changed = self.local.assign_license(w.upn, sku) or changed
                for sku in sorted(w.remove, key=catalog.tier, reverse=True):
                    changed = self.local.remove_license(w.upn, sku) or changed
                out.append(WriteResult(changed))
            except ProviderError as exc:
                out.append(WriteResult(error=exc))
        return out


@PROFILE
@given(data=st.data())
def test_apply_in_waves_ends_where_sequential_apply_ends(data: st.DataObject) -> None:
    state = data.draw(states())
    with tempfile.TemporaryDirectory() as tmp:
        spec = load_spec(write(Path(tmp), data.draw(specs_for(state))))
        plan = compute_plan(spec, state)
        assume(not plan.has_errors)
        ends = [
            applied(plan, state, Path(tmp) / "sequential.db"),
            applied(plan, state, Path(tmp) / "waves.db", WavesOnLocal),
        ]
        assert ends[0] == ends[1]
        check_invariants(ends[1])


@PROFILE
@given(state=states())
def test_export_then_plan_is_empty(state: TenantState) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        spec = load_spec(write(Path(tmp), spec_to_dict(export_spec(state))))
        plan = compute_plan(spec, state)
        assert plan.actions == () and not plan.has_errors, (plan.actions, plan.diagnostics)


@PROFILE
@given(data=st.data())
def test_plan_is_deterministic_and_never_crashes(data: st.DataObject) -> None:
    state = data.draw(states())
    with tempfile.TemporaryDirectory() as tmp:
        spec = load_spec(write(Path(tmp), data.draw(specs_for(state))))
    first, second = compute_plan(spec, state), compute_plan(spec, state)
    assert first == second
    ids = [a.id for a in first.actions]
    assert ids == list(range(1, len(ids) + 1))
    for action in first.actions:  # dependencies always point backwards, so plan order is a valid order
        assert all(d < action.id for d in action.depends_on)


def note_hard_cases(state: TenantState, plan: Any) -> None:
    """Record, for --hypothesis-show-statistics, which hard cases this example reached."""
    for case in hard_cases(state, plan.to_dict()):
        event(case)
    for a in plan.actions:
        if (
            a.type == "add_funds"
            and a.after
            and Decimal(str(a.after["balance"])) * 100 % 1 == 0
            and Decimal(str(a.after["amount"])) > 0
            and "." in str(a.after["amount"])
        ):
            event("funds to the cent")
    if any(sku not in catalog.CATALOG for sku in state.subscriptions):
        event("SKU outside the catalog")


@PROFILE
@given(data=st.data())
def test_every_order_of_a_plan_respecting_its_dependencies_is_legal(data: st.DataObject) -> None:
    """The oracle proves that waves, batches or any other order that respects depends_on succeed."""
    state = data.draw(states(groups=True, manual=True))
    with tempfile.TemporaryDirectory() as tmp:
        spec = load_spec(write(Path(tmp), data.draw(specs_for(state))))
    plan = compute_plan(spec, state)
    note_hard_cases(state, plan)
    if plan.has_errors:
        return  # never applied
    found = violations(state, plan.to_dict())
    assert not found, "\n".join(map(str, found))


class FailOne:
    """The local provider, except that the call for one chosen action fails for good."""

    def __init__(self, local: LocalProvider, action: Any) -> None:
        self.local, self.action = local, action

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.local, name)
        if name != self.action.type:
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            if self._mine(args):
                raise PermanentProviderError(f"{self.action.address}: refused (test)", "none", "test_refusal")
            return method(*args, **kwargs)

        return call

    def _mine(self, args: tuple[Any, ...]) -> bool:
        parts = self.action.address.split("/")
        if parts[0] == "user":
            return bool(args) and str(args[0]).lower() == parts[1].lower() and (len(parts) < 3 or args[1] == parts[2])
        if parts[0] == "subscription":
            return bool(args) and args[0] == parts[1]
        return True  # communicationsCredits: one action of each type


@PROFILE
@given(data=st.data())
def test_a_failed_action_skips_exactly_its_dependents(data: st.DataObject) -> None:
    state = data.draw(states())
    with tempfile.TemporaryDirectory() as tmp:
        spec = load_spec(write(Path(tmp), data.draw(specs_for(state))))
        plan = compute_plan(spec, state)
        assume(not plan.has_errors and plan.actions)
        chosen = data.draw(st.sampled_from(plan.actions))
        provider = LocalProvider(Path(tmp) / "t.db", TODAY)
        try:
            provider.replace_state(state)
            result = apply_plan(plan, FailOne(provider, chosen), sleep=lambda _: None)  # type: ignore[arg-type]
        finally:
            provider.close()
    _, dependents = closures(plan.to_dict())
    status = {o.action.id: o.status for o in result.outcomes}
    assert {i for i, s in status.items() if s == "failed"} == {chosen.id}
    assert {i for i, s in status.items() if s == "skipped"} == dependents[chosen.id]
    assert all(
        s in ("done", "unchanged") for i, s in status.items() if i != chosen.id and i not in dependents[chosen.id]
    ), status
    event(f"dependents skipped: {min(len(dependents[chosen.id]), 3)}{'+' if len(dependents[chosen.id]) > 2 else ''}")


JUNK = st.sampled_from([None, "x", "twelve", -1, 12, 1.5, True, [], {}, ["x"], {"x": 1}])


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, prefix + (i,))
    return out


@functools.cache
def _sample_documents() -> tuple[tuple[Any, str], ...]:
    """The sample specs and snapshots, parsed once (each example mangles its own deep copy)."""
    files = [(SPECS / f"{n}.yaml", "spec") for n in ("contoso", "fabrikam", "northwind")]
    files += [(EXAMPLES / f"{n}.snapshot.yaml", "state") for n in ("contoso", "fabrikam", "northwind")]
    return tuple((yaml.load(source.read_bytes(), Loader=_YAML_LOADER), root) for source, root in files)


@PROFILE
@given(st.data())
def test_a_mangled_file_is_refused_with_located_problems_never_a_crash(data: st.DataObject) -> None:
    """Whatever the schema refuses, the rules run over the rest without tripping on it (issue 13 item 11)."""
    for original, root in _sample_documents():
        doc = copy.deepcopy(original)
        paths = [p for p in _paths(doc) if p and p[0] == root]
        for path in data.draw(st.lists(st.sampled_from(paths), min_size=1, max_size=4)):
            parent = doc
            try:
                for step in path[:-1]:
                    parent = parent[step]
                if data.draw(st.booleans()) and isinstance(parent, dict):
                    parent.pop(path[-1], None)
                else:
                    parent[path[-1]] = data.draw(JUNK)
            except (KeyError, IndexError, TypeError):
                continue  # an earlier mangling removed this path
        with tempfile.TemporaryDirectory() as tmp:
            mangled = Path(tmp) / "mangled.yaml"
            mangled.write_text(yaml.dump(doc, Dumper=_YAML_DUMPER), encoding="utf-8")
            try:
                load_spec(mangled) if root == "spec" else load_snapshot(mangled, TODAY)
            except ValidationError as exc:
                assert exc.problems and all(p.line >= 1 and p.message for p in exc.problems)
