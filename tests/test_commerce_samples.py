"""The commerce samples (examples/commerce/) planned, applied and planned again against the fakes:
the NCE customer through Partner Center, the MCA organisation through Azure Billing (issue 16)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from conftest import EXAMPLES, TODAY, fake_jwt
from fakeazurebilling import FakeAzureBilling
from fakegraph import FakeGraph
from fakepartnercenter import FakePartnerCenter

from reconciler.domain import catalog

SAMPLES = EXAMPLES / "commerce"


def graph_for(
    tenant: str, skus: dict[str, int], users: list[tuple[str, str, list[str]]]
) -> tuple[FakeGraph, dict[str, str]]:
    token = fake_jwt(tenant)
    fake = FakeGraph(
        tenant_id=tenant,
        token=token,
        skus=[(sku, catalog.CATALOG[sku].sku_id, n) for sku, n in skus.items()],
        users=[{"userPrincipalName": u, "usageLocation": loc, "licenses": held} for u, loc, held in users],
    )
    return fake, {"TENANTCTL_GRAPH_URL": fake.start(), "TENANTCTL_GRAPH_TOKEN": token}


def plan_of(cli: Any, name: str, env: dict[str, str]) -> dict[str, Any]:
    out = cli("plan", name, "--provider", "graph", "--format", "json", env=env)
    assert out.code == 0, out.err
    return json.loads(out.out)


def test_the_nce_sample_buys_resizes_and_renews_through_partner_center(cli, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(SAMPLES / "fabrikam-nce.yaml", workdir)
    tenant = "5d3c1b2a-8f7e-4d6c-9b5a-4e3f2a1b0c9d"
    graph, env = graph_for(
        tenant,
        {"SPE_E5": 5, "SPE_E3": 15, "MCOTEAMS_ESSENTIALS": 0},
        [
            ("ada@fabrikam-nce.example", "US", ["SPE_E5"]),
            ("ben@fabrikam-nce.example", "US", ["SPE_E3"]),
            ("cy@fabrikam-nce.example", "US", []),
        ],
    )
    center = FakePartnerCenter(
        customers={
            tenant: [
                {
                    "offer": "CFQ7TTC0LFLZ:0002",
                    "quantity": 5,
                    "termDuration": "P1Y",
                    "billingCycle": "annual",
                    "autoRenewEnabled": False,
                },
                {"offer": "CFQ7TTC0LFLX:0001", "quantity": 15, "termDuration": "P1Y", "billingCycle": "monthly"},
            ]
        },
        today=TODAY,
    )
    env = {**env, "TENANTCTL_PARTNER_CENTER_URL": center.start(), "TENANTCTL_PARTNER_CENTER_TOKEN": "fake-pc-token"}
    try:
        plan = plan_of(cli, "fabrikam-nce.yaml", env)
        assert sorted((a["type"], a["address"]) for a in plan["actions"] if not a.get("manual")) == [
            ("assign_license", "user/cy@fabrikam-nce.example/SPE_E3"),
            ("purchase_subscription", "subscription/MCOTEAMS_ESSENTIALS"),
            ("set_auto_renew", "subscription/MCOTEAMS_ESSENTIALS"),
            ("set_auto_renew", "subscription/SPE_E5"),
            ("set_seats", "subscription/SPE_E3"),
        ]
        applied = cli("apply", "fabrikam-nce.yaml", "--provider", "graph", "--auto-approve", env=env)
        assert applied.code == 0, applied.out + applied.err
        again = cli("plan", "fabrikam-nce.yaml", "--provider", "graph", "--detailed-exitcode", env=env)
        assert again.code == 0, again.out
        assert cli("drift", "fabrikam-nce.yaml", "--provider", "graph", env=env).code == 0
        assert len(center.orders(tenant)) == 1
    finally:
        graph.stop()
        center.stop()


def test_the_mca_sample_reads_terms_and_sets_auto_renew_through_azure_billing(cli, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(SAMPLES / "contoso-mca.yaml", workdir)
    tenant = "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
    graph, env = graph_for(
        tenant,
        {"SPE_E5": 25, "SPE_E3": 10},
        [("dee@contoso-mca.example", "US", ["SPE_E5"]), ("eli@contoso-mca.example", "GB", ["SPE_E3"])],
    )
    billing = FakeAzureBilling(today=TODAY, poll_retry_after=0)
    env = {**env, "TENANTCTL_AZURE_BILLING_URL": billing.start(), "TENANTCTL_AZURE_BILLING_TOKEN": "fake-arm-token"}
    try:
        plan = plan_of(cli, "contoso-mca.yaml", env)
        assert [(a["type"], a["address"], a["after"]) for a in plan["actions"]] == [
            ("set_auto_renew", "subscription/SPE_E3", {"autoRenew": True})
        ]
        assert cli("apply", "contoso-mca.yaml", "--provider", "graph", "--auto-approve", env=env).code == 0
        assert cli("plan", "contoso-mca.yaml", "--provider", "graph", "--detailed-exitcode", env=env).code == 0
        assert cli("drift", "contoso-mca.yaml", "--provider", "graph", env=env).code == 0
    finally:
        graph.stop()
        billing.stop()
