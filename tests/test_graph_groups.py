"""Group-based licensing through Microsoft Graph, against the fake written from Microsoft's documentation
(tests/fakegraph_groups.py): asynchronous processing and the grace, and a swap in one call."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import ROOT, GraphTenant, fake_jwt, spec_for_tenant

from reconciler.domain import catalog

CASES = ROOT / "tests" / "cases"


def test_members_waiting_for_processing_are_information_within_the_grace_then_drift(
    cli, graph_tenant, workdir: Path
) -> None:
    g: GraphTenant = graph_tenant("woodgrove", group_processing="manual")
    spec = spec_for_tenant("woodgrove", g.tenant_id, workdir)
    applied = cli("apply", spec, "--provider", "graph", "--auto-approve", "--allow-destroy", env=g.env)
    assert applied.code == 0, applied.out + applied.err
    assert g.fake.pending()  # Microsoft has not processed Voice Users yet

    within = cli("plan", spec, "--provider", "graph", "--format", "json", "--detailed-exitcode", env=g.env)
    assert within.code == 0, within.out + within.err
    codes = {(d["code"], d["severity"]) for d in json.loads(within.out)["diagnostics"]}
    assert ("group_processing", "info") in codes and ("group_not_processed", "warning") not in codes
    assert cli("drift", spec, "--provider", "graph", env=g.env).code == 0

    late = cli("drift", spec, "--provider", "graph", "--group-grace", "0", "--format", "json", env=g.env)
    assert late.code == 2, late.out + late.err
    items = json.loads(late.out)["items"]
    assert {i["address"] for i in items} == {"group/Voice Users/MCOEV", "group/Voice Users/MCOPSTN1"}
    assert {i["kind"] for i in items} == {"group_not_processed"}

    g.fake.process_groups()
    done = cli("drift", spec, "--provider", "graph", "--group-grace", "0", "--format", "json", env=g.env)
    assert done.code == 0 and json.loads(done.out)["items"] == [], done.out + done.err


def test_a_groups_swap_is_one_assign_license_call(cli, workdir: Path) -> None:
    from fakegraph import from_snapshot

    tenant = "7d2a4f3e-1b5c-4d6e-8f9a-0b1c2d3e4f5a"
    token = fake_jwt(tenant)
    fake = from_snapshot(CASES / "group_swap_in_one_call" / "snapshot.yaml", tenant_id=tenant, token=token)
    env = {"TENANTCTL_GRAPH_URL": fake.start(), "TENANTCTL_GRAPH_TOKEN": token}
    try:
        text = (CASES / "group_swap_in_one_call" / "spec.yaml").read_text(encoding="utf-8")
        spec = workdir / "golden.yaml"
        spec.write_text(text.replace("metadata: {name: golden}", f"metadata: {{name: golden, tenantId: {tenant}}}"))
        applied = cli("apply", spec, "--provider", "graph", "--auto-approve", "--allow-destroy", env=env)
        assert applied.code == 0, applied.out + applied.err
        calls = [r for r in fake.inner_requests if r.method == "POST" and r.path.endswith("/assignLicense")]
        assert len(calls) == 1 and "/groups/" in calls[0].path
        body = calls[0].body
        assert [a["skuId"] for a in body["addLicenses"]] == [catalog.CATALOG["SPE_E5"].sku_id]
        assert body["removeLicenses"] == [catalog.CATALOG["ENTERPRISEPREMIUM"].sku_id]
        assert fake.groups() == {"Sales": {"SPE_E5": []}}
    finally:
        fake.stop()
