"""Health warnings that depend on the agreement (docs/rules.md C1, C9): in-process, small tenants."""

from __future__ import annotations

from conftest import TODAY

from reconciler.plan.compute import compute_plan
from reconciler.plan.drift import drift_report
from reconciler.spec.loader import spec_from_document
from reconciler.spec.snapshot import snapshot_from_document
from reconciler.spec.yamlload import load_bytes


def health(agreement: str, credits: str, spec_credits: str = "") -> set[str]:
    state = snapshot_from_document(
        load_bytes(
            (
                "apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: {name: t}\n"
                f"state:\n  agreement: {agreement}\n"
                f"  communicationsCredits: {credits}\n"
            ).encode(),
            "s.yaml",
        ),
        TODAY,
    )
    spec = spec_from_document(
        load_bytes(
            (
                f"apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {{name: t}}\nspec:\n  agreement: {agreement}\n"
                + (f"  communicationsCredits: {spec_credits}\n" if spec_credits else "")
            ).encode(),
            "t.yaml",
        )
    )
    return {d.code for d in drift_report(compute_plan(spec, state), spec, state).health}


def test_a_depleted_balance_matters_only_where_calls_are_paid_from_it() -> None:
    assert "balance_depleted" in health("EA", "{autoRecharge: {enabled: false}}")
    assert "balance_depleted" in health("MOSA", "{autoRecharge: {enabled: false}}")
    assert "balance_depleted" not in health("MCA", "{autoRecharge: {enabled: false}}")  # billed after use


def test_mca_auto_recharge_on_is_a_warning_when_the_spec_leaves_credits_out() -> None:
    on = "{autoRecharge: {enabled: true, triggerBelow: 10, amount: 50}}"
    assert "mca_auto_recharge_on" in health("MCA", on)
    assert "mca_auto_recharge_on" not in health("MCA", "{autoRecharge: {enabled: false}}")
    # Managed by the spec: the plan turns it off (drift item), no extra warning.
    assert "mca_auto_recharge_on" not in health("MCA", on, "{autoRecharge: {enabled: false}}")
    assert "mca_auto_recharge_on" not in health("EA", on)
