"""Auto-renew as code (issue 16): the simulator's recurring billing and lapse, the CLI end to end, and
what a provider that cannot read it (Graph) says. Rules: docs/rules.md T14."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import TODAY
from test_simulator_rules import refused, tenant

from reconciler.domain.model import AUTO_RENEW
from reconciler.plan.compute import compute_plan
from reconciler.plan.drift import drift_report, unknown_fields
from reconciler.spec.export import export_spec
from reconciler.spec.loader import spec_from_document
from reconciler.spec.snapshot import snapshot_from_document
from reconciler.spec.yamlload import load_bytes

NCE_E3 = "  agreement: NCE\n  subscriptions:\n    - {sku: SPE_E3, seats: 4, termEnd: '2027-03-01'%s}\n"


def spec_of(body: str, agreement: str = "NCE") -> Any:
    text = f"apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {{name: sim}}\nspec:\n  agreement: {agreement}\n{body}"
    return spec_from_document(load_bytes(text.encode(), "spec.yaml"))


def test_a_subscription_renews_unless_auto_renew_is_off(tmp_path: Path) -> None:
    renewing = tenant(tmp_path, NCE_E3 % "", date(2027, 3, 2), "on.db")
    ending = tenant(tmp_path, NCE_E3 % ", autoRenew: false", date(2027, 3, 2), "off.db")
    on, off = renewing.read_state().subscriptions["SPE_E3"], ending.read_state().subscriptions["SPE_E3"]
    assert (on.seats, on.term_end, on.auto_renew) == (4, date(2028, 3, 1), True)
    assert (off.seats, off.term_end, off.auto_renew, off.lapsed(date(2027, 3, 2))) == (0, date(2027, 3, 1), False, True)
    # The day before the end it is still whole.
    still = tenant(tmp_path, NCE_E3 % ", autoRenew: false", date(2027, 2, 28), "before.db").read_state()
    assert still.subscriptions["SPE_E3"].seats == 4


def test_turning_auto_renew_off_cancels_the_scheduled_change_and_then_none_can_be_scheduled(tmp_path: Path) -> None:
    p = tenant(tmp_path, NCE_E3 % ", refundable: [], scheduled: {seats: 2}" + "  billingRoles: [AdminAgent]\n")
    assert p.read_state().subscriptions["SPE_E3"].scheduled is not None
    assert p.set_auto_renew("SPE_E3", False) is True
    assert p.set_auto_renew("SPE_E3", False) is False  # already so
    sub = p.read_state().subscriptions["SPE_E3"]
    assert (sub.auto_renew, sub.scheduled) == (False, None)
    refused(lambda: p.schedule_seats("SPE_E3", 2), "auto_renew_off")
    assert p.set_auto_renew("SPE_E3", True) is True
    assert p.schedule_seats("SPE_E3", 2) is True


def test_a_lapsed_subscription_refuses_changes_until_reactivated(tmp_path: Path) -> None:
    p = tenant(tmp_path, NCE_E3 % ", autoRenew: false", date(2027, 3, 5))
    refused(lambda: p.set_auto_renew("SPE_E3", True), "subscription_lapsed")
    refused(lambda: p.set_seats("SPE_E3", 6), "subscription_lapsed")


def test_auto_renew_needs_the_documented_billing_role(tmp_path: Path) -> None:
    body = "  agreement: MCA\n  billingRoles: [BillingAccountReader]\n  subscriptions:\n    - {sku: SPE_E3, seats: 4}\n"
    p = tenant(tmp_path, body)
    assert "Billing account owner" in str(refused(lambda: p.set_auto_renew("SPE_E3", False)))


def test_the_snapshot_and_export_carry_auto_renew_only_when_off(tmp_path: Path) -> None:
    p = tenant(tmp_path, NCE_E3 % ", autoRenew: false")
    state = p.read_state()
    exported = export_spec(state)
    assert exported.subscriptions["SPE_E3"].auto_renew is False
    assert compute_plan(exported, state).actions == ()
    on = tenant(tmp_path, NCE_E3 % "", name="on.db").read_state()
    assert export_spec(on).subscriptions["SPE_E3"].auto_renew is None  # not managed: nothing to say


def test_a_lapsed_snapshot_with_holders_loads_and_the_plan_refuses_it() -> None:
    text = (
        "apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: {name: sim}\nstate:\n  agreement: MCA\n"
        "  subscriptions:\n    - {sku: MCOEV, seats: 0, termEnd: '2026-11-01', autoRenew: false}\n"
        "  users:\n    - {upn: a@x.example, usageLocation: US, licenses: [MCOEV]}\n"
    )
    state = snapshot_from_document(load_bytes(text.encode(), "s.yaml"), TODAY)
    plan = compute_plan(spec_of("  subscriptions:\n    - {sku: MCOEV, seats: 1}\n", "MCA"), state)
    assert [d.code for d in plan.diagnostics if d.severity == "error"] == ["subscription_lapsed"]
    # Renewing on: the same holders over no seats is a contradiction, as before.
    with pytest.raises(Exception, match="contradicts itself"):
        snapshot_from_document(load_bytes(text.replace(", autoRenew: false", "").encode(), "s.yaml"), TODAY)


def test_graph_cannot_read_auto_renew_so_it_is_never_drift() -> None:
    text = "apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: {name: sim}\nstate:\n" + NCE_E3 % ""
    from dataclasses import replace

    state = replace(snapshot_from_document(load_bytes(text.encode(), "s.yaml"), TODAY), unknown=frozenset({AUTO_RENEW}))
    spec = spec_of("  subscriptions:\n    - {sku: SPE_E3, seats: 4, autoRenew: false}\n")
    plan = compute_plan(spec, state)
    assert plan.actions == ()
    assert [d.code for d in plan.diagnostics] == ["not_readable"] and "autoRenew" in plan.diagnostics[0].message
    assert unknown_fields(spec, state) == ("subscription/SPE_E3.autoRenew",)
    assert not drift_report(plan, spec, state).drifted


def test_cli_turns_auto_renew_off_then_the_term_ends_and_drift_reports_it(cli, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    (workdir / "s.yaml").write_text(
        "apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: {name: nce}\nstate:\n"
        + NCE_E3 % ""
        + "  billingRoles: [AdminAgent]\n"
    )
    (workdir / "nce.yaml").write_text(
        "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: nce}\nspec:\n  agreement: NCE\n"
        "  subscriptions:\n    - {sku: SPE_E3, seats: 4, autoRenew: false}\n"
    )
    assert cli("snapshot", "load", "s.yaml").code == 0
    refused_run = cli("apply", "nce.yaml", "--auto-approve")
    assert refused_run.code == 1 and "autoRenew: on -> off  (destructive)" in refused_run.out
    assert "--allow-destroy" in refused_run.err
    done = cli("apply", "nce.yaml", "--auto-approve", "--allow-destroy")
    assert done.code == 0, done.err
    assert cli("plan", "nce.yaml", "--detailed-exitcode").code == 0
    dumped = yaml.safe_load(cli("snapshot", "dump", "--name", "nce").out)
    assert dumped["state"]["subscriptions"][0]["autoRenew"] is False
    # The day after the term's end: no seats, and drift says so (the plan refuses: reactivate).
    later = {"TENANTCTL_TODAY": "2027-03-02"}
    drift = cli("drift", "nce.yaml", "--format", "json", env=later)
    assert drift.code != 0
    assert "subscription_lapsed" in drift.out + drift.err
    plan = json.loads(cli("plan", "nce.yaml", "--format", "json", env=later).out)
    assert [d["code"] for d in plan["diagnostics"] if d["severity"] == "error"] == ["subscription_lapsed"]


@pytest.mark.parametrize(
    "agreement, step",
    [
        ("MCA", "In the Edit recurring billing pane, select Off, then select Save."),
        ("MOSA", "In the Edit recurring billing pane, select Off, then select Save."),
        ("NCE", "Toggle Auto-renew off, then select Submit."),
    ],
)
def test_where_no_api_can_the_steps_say_where_recurring_billing_is(agreement: str, step: str) -> None:
    from dataclasses import replace

    from reconciler.providers.graph.provider import NO_API

    text = (
        f"apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: {{name: sim}}\nstate:\n  agreement: {agreement}\n"
    )
    state = replace(snapshot_from_document(load_bytes(text.encode(), "s.yaml"), TODAY), manual=NO_API)
    plan = compute_plan(
        spec_of("  subscriptions:\n    - {sku: SPE_E3, seats: 2, autoRenew: false}\n", agreement), state
    )
    [renew] = [a for a in plan.actions if a.type == "set_auto_renew"]
    assert renew.manual and any(step in s for s in renew.steps), renew.steps
    if agreement == "MCA":
        assert any("Billing account owner" in s for s in renew.steps)
