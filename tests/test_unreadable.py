"""Credits a provider cannot read (Graph): never compared, never drift, and the plan says where to look."""

from __future__ import annotations

from dataclasses import replace

from conftest import TODAY

from reconciler.domain.model import AUTO_RECHARGE, BALANCE, AutoRecharge, CreditsState
from reconciler.plan.compute import compute_plan
from reconciler.spec.loader import spec_from_document
from reconciler.spec.snapshot import snapshot_from_document
from reconciler.spec.yamlload import load_bytes

SPEC = spec_from_document(
    load_bytes(
        b"apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: u}\nspec:\n  agreement: EA\n  subscriptions: []\n"
        b"  communicationsCredits:\n    autoRecharge: {enabled: true, triggerBelow: 20, amount: 50}\n"
        b"    minimumBalance: 100\n  users: []\n",
        "spec.yaml",
    )
)
SEEN = snapshot_from_document(
    load_bytes(
        b"apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: {name: u}\nstate: {agreement: EA, users: []}\n",
        "state.yaml",
    ),
    TODAY,
)


def test_unreadable_credits_are_not_planned_but_named() -> None:
    state = replace(
        SEEN, credits=CreditsState(AutoRecharge(False), (), licensed=True), unknown=frozenset({AUTO_RECHARGE, BALANCE})
    )
    plan = compute_plan(SPEC, state)
    assert plan.actions == ()
    notes = [
        (d.code, d.address, d.message.split(" cannot be read")[0]) for d in plan.diagnostics if d.code == "not_readable"
    ]
    assert notes == [
        ("not_readable", "communicationsCredits", "communicationsCredits: autoRecharge"),
        ("not_readable", "communicationsCredits", "communicationsCredits: balance"),
    ]
    assert "(the spec wants enabled true, triggerBelow 20, amount 50)" in plan.diagnostics[0].message
    assert "(the spec wants at least 100)" in plan.diagnostics[1].message


def test_turning_auto_recharge_on_counts_its_purchase_before_the_top_up() -> None:
    """Readable credits: the recharge bought at once (50 over a balance of 0) is counted, so the top-up is 50."""
    plan = compute_plan(SPEC, SEEN)
    funds = [a for a in plan.actions if a.type == "add_funds"]
    assert [(a.before, a.after) for a in funds] == [({"balance": 50}, {"balance": 100, "amount": 50})]


def test_a_declared_off_switch_is_named_in_the_spec_s_own_words() -> None:
    off = spec_from_document(
        load_bytes(
            b"apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: u}\n"
            b"spec:\n  agreement: EA\n  subscriptions: []\n"
            b"  communicationsCredits:\n    autoRecharge: {enabled: false}\n  users: []\n",
            "spec.yaml",
        )
    )
    state = replace(
        SEEN, credits=CreditsState(AutoRecharge(False), (), licensed=True), unknown=frozenset({AUTO_RECHARGE})
    )
    [note] = [d for d in compute_plan(off, state).diagnostics if d.code == "not_readable"]
    assert "(the spec wants enabled false)" in note.message
