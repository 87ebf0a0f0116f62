"""The graph provider with Azure Billing as its commerce channel (issue 16), end to end against the fake
Graph and the fake Microsoft.Billing (tests/fakeazurebilling.py, written from the 2024-04-01 swagger by
another hand): an MCA tenant's terms, renewals and auto-renew are read; auto-renew is set through the
API; purchases and seat changes stay the admin center's (manual steps, exit 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TODAY, fake_jwt
from fakeazurebilling import DEFAULT_ACCOUNT, FakeAzureBilling
from fakegraph import FakeGraph

from reconciler.domain import catalog

TENANT = "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
SPEC = f"""apiVersion: tenantctl/v1
kind: Tenant
metadata:
  name: contoso
  tenantId: {TENANT}
  commerce: {{channel: azureBilling, billingAccount: "{DEFAULT_ACCOUNT}", billingProfile: AB12-CD34-EF5-GH6}}
spec:
  agreement: MCA
  offers: {{SPE_E5: "CFQ7TTC0LFLZ:0002", SPE_E3: "CFQ7TTC0LFLX:0001"}}
  subscriptions:
    - {{sku: SPE_E5, seats: 25, autoRenew: false}}
    - {{sku: SPE_E3, seats: SEATS_E3, autoRenew: true}}
"""


@pytest.fixture
def fakes():  # type: ignore[no-untyped-def]
    token = fake_jwt(TENANT)
    skus = [("SPE_E5", catalog.CATALOG["SPE_E5"].sku_id, 25), ("SPE_E3", catalog.CATALOG["SPE_E3"].sku_id, 10)]
    graph = FakeGraph(tenant_id=TENANT, token=token, skus=skus, users=[])
    billing = FakeAzureBilling(today=TODAY, poll_retry_after=0, async_polls=2)
    env = {
        "TENANTCTL_GRAPH_URL": graph.start(),
        "TENANTCTL_GRAPH_TOKEN": token,
        "TENANTCTL_AZURE_BILLING_URL": billing.start(),
        "TENANTCTL_AZURE_BILLING_TOKEN": "fake-arm-token",
    }
    yield graph, billing, env
    graph.stop()
    billing.stop()


def auto_renew(billing: FakeAzureBilling) -> dict[str, str]:
    return {
        s["properties"]["displayName"]: s["properties"]["autoRenew"] for s in billing.subscriptions(DEFAULT_ACCOUNT)
    }


def test_auto_renew_is_read_and_set_through_azure_billing(cli, fakes, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    _graph, billing, env = fakes
    (workdir / "contoso.yaml").write_text(SPEC.replace("SEATS_E3", "10"))
    plan = json.loads(cli("plan", "contoso.yaml", "--provider", "graph", "--format", "json", env=env).out)
    assert [(a["type"], a["address"], a["after"], a.get("manual", False)) for a in plan["actions"]] == [
        ("set_auto_renew", "subscription/SPE_E3", {"autoRenew": True}, False),
        ("set_auto_renew", "subscription/SPE_E5", {"autoRenew": False}, False),
    ]
    assert not any(d["code"] == "not_readable" for d in plan["diagnostics"])
    applied = cli("apply", "contoso.yaml", "--provider", "graph", "--auto-approve", "--allow-destroy", env=env)
    assert applied.code == 0, applied.out + applied.err
    assert auto_renew(billing) == {
        "Microsoft 365 E5": "Off",
        "Microsoft 365 E3": "On",
        "Teams Phone with Calling Plan": "On",  # in another billing profile's scope: never touched
    }
    patches = [r for r in billing.requests if r.method == "PATCH"]
    assert [r.body for r in patches] == [{"properties": {"autoRenew": "On"}}, {"properties": {"autoRenew": "Off"}}]
    assert all(r.query.get("api-version") == ["2024-04-01"] for r in billing.requests)
    assert cli("plan", "contoso.yaml", "--provider", "graph", "--detailed-exitcode", env=env).code == 0


def test_a_lost_patch_answer_is_read_back_not_repeated(cli, fakes, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    _graph, billing, env = fakes
    (workdir / "contoso.yaml").write_text(SPEC.replace("SEATS_E3", "10").replace("autoRenew: true", "autoRenew: false"))
    billing.lose_next(1, "patch")
    applied = cli("apply", "contoso.yaml", "--provider", "graph", "--auto-approve", "--allow-destroy", env=env)
    assert applied.code == 0, applied.out + applied.err
    assert auto_renew(billing)["Microsoft 365 E5"] == "Off"
    assert len([r for r in billing.requests if r.method == "PATCH"]) == 1


def test_seat_changes_stay_manual_for_mca(cli, fakes, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    _graph, _billing, env = fakes
    (workdir / "contoso.yaml").write_text(SPEC.replace("SEATS_E3", "12"))
    plan = json.loads(cli("plan", "contoso.yaml", "--provider", "graph", "--format", "json", env=env).out)
    [seats] = [a for a in plan["actions"] if a["type"] == "set_seats"]
    assert seats["manual"] and any("Buy licenses" in step for step in seats["steps"])
    applied = cli("apply", "contoso.yaml", "--provider", "graph", "--auto-approve", "--allow-destroy", env=env)
    assert applied.code == 3, applied.out + applied.err  # done what the API can; the checklist remains


@pytest.mark.parametrize("seed", [1, 2])
def test_throttling_errors_and_lost_replies_still_converge(
    cli, fakes, workdir: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:  # type: ignore[no-untyped-def]
    import functools

    from reconciler import providers
    from reconciler.providers.azurebilling.client import AzureBillingClient

    waits: list[float] = []  # recorded, not slept
    monkeypatch.setattr(providers, "AzureBillingClient", functools.partial(AzureBillingClient, sleep=waits.append))
    _graph, billing, env = fakes
    billing.configure(throttle_rate=0.3, error_rate=0.15, lost_rate=0.3, retry_after=0, seed=seed)
    billing.configure(background_operations=True)  # a lost 202 leaves an operation that ends on its own
    billing.lose_next(1, "patch")
    (workdir / "contoso.yaml").write_text(SPEC.replace("SEATS_E3", "10"))
    for _ in range(3):
        run = cli("apply", "contoso.yaml", "--provider", "graph", "--auto-approve", "--allow-destroy", env=env)
        if run.code == 0:
            break
    billing.configure(throttle_rate=0, error_rate=0, lost_rate=0)
    assert run.code == 0, run.out + run.err
    assert auto_renew(billing)["Microsoft 365 E5"] == "Off" and auto_renew(billing)["Microsoft 365 E3"] == "On"
    assert cli("plan", "contoso.yaml", "--provider", "graph", "--detailed-exitcode", env=env).code == 0
    assert waits
