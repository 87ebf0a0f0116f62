"""What the credits part of a plan decides at its edges: what needs credits, and what a recharge
already on buys (nothing). Found unguarded by the mutation run."""

from __future__ import annotations

from conftest import TODAY

from reconciler.plan.compute import Plan, compute_plan
from reconciler.spec.loader import spec_from_document
from reconciler.spec.snapshot import snapshot_from_document
from reconciler.spec.yamlload import load_bytes


def plan(spec: str, state: str) -> Plan:
    return compute_plan(
        spec_from_document(
            load_bytes(
                ("apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: c}\nspec:\n" + spec).encode(), "spec.yaml"
            )
        ),
        snapshot_from_document(
            load_bytes(
                ("apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: {name: c}\nstate:\n" + state).encode(),
                "state.yaml",
            ),
            TODAY,
        ),
    )


def test_a_recharge_left_on_by_the_tenant_counts_as_credits_set_up() -> None:
    # The spec declares credits but manages neither setting, so the tenant's own auto-recharge decides.
    p = plan(
        "  agreement: EA\n  subscriptions:\n    - {sku: MCOMEETADV, seats: 1}\n  communicationsCredits: {}\n"
        "  users:\n    - {upn: a@c.example, usageLocation: US, licenses: [MCOMEETADV, MCOPSTNC]}\n",
        "  agreement: EA\n  subscriptions:\n    - {sku: MCOMEETADV, seats: 1}\n"
        "  communicationsCredits:\n    autoRecharge: {enabled: true, triggerBelow: 10, amount: 50}\n"
        "  users:\n    - {upn: a@c.example, usageLocation: US, licenses: [MCOMEETADV]}\n",
    )
    assert not plan_has_error(p) and [a.address for a in p.actions] == ["user/a@c.example/MCOPSTNC"]


def test_buying_what_bills_no_credits_needs_no_credits() -> None:
    p = plan(
        "  agreement: EA\n  subscriptions:\n    - {sku: MCOEV, seats: 1}\n"
        "  communicationsCredits:\n    autoRecharge: {enabled: false}\n  users: []\n",
        "  agreement: EA\n  communicationsCredits:\n    autoRecharge: {enabled: false}\n",
    )
    assert not plan_has_error(p) and [a.type for a in p.actions] == ["purchase_subscription"]


def test_changing_an_enabled_recharge_buys_nothing_so_the_top_up_covers_the_gap() -> None:
    p = plan(
        "  agreement: EA\n  communicationsCredits:\n    autoRecharge: {enabled: true, triggerBelow: 50, amount: 200}\n"
        "    minimumBalance: 40\n  users: []\n",
        "  agreement: EA\n  communicationsCredits:\n    autoRecharge: {enabled: true, triggerBelow: 50, amount: 100}\n"
        "    funds:\n      - {purchased: '2026-10-01', amount: 100, remaining: 30}\n",
    )
    funds = [a for a in p.actions if a.type == "add_funds"]
    assert [(a.before, a.after, a.depends_on) for a in funds] == [({"balance": 30}, {"balance": 40, "amount": 10}, ())]


def plan_has_error(p: Plan) -> bool:
    return any(d.severity == "error" for d in p.diagnostics)
