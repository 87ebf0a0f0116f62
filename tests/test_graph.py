"""The graph provider against a fake Microsoft Graph service on 127.0.0.1 (tests/fakegraph.py).

The same end-to-end scenarios the local provider passes (plan, apply, re-apply, drift, export),
plus what only a remote API has: manual steps, unreadable fields, throttling, lost replies,
paging, batching limits and the request shapes Graph documents.
"""

from __future__ import annotations

import functools
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import MUTATION_PASS, SAMPLES, TODAY, GraphTenant, spec_for_tenant
from synthetic import spec_text, subscription_lines, user_line

from reconciler import providers
from reconciler.domain import catalog
from reconciler.providers.graph.client import GraphClient
from reconciler.providers.retry import RetryPolicy
from reconciler.spec.snapshot import snapshot_from_document
from reconciler.spec.yamlload import load_bytes

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def do_manual_steps(fake: Any, plan: dict[str, Any]) -> None:
    """What an administrator does by following the checklist, as far as Graph can see it."""
    for action in plan["actions"]:
        if not action.get("manual"):
            continue
        assert action["steps"], action
        after = action["after"] or {}
        if action["type"] in ("purchase_subscription", "set_seats"):
            sku = action["address"].split("/")[1]
            fake.set_sku(sku, catalog.lookup(sku).sku_id, after["seats"])
        elif (action["type"] == "add_funds" or (action["type"] == "set_auto_recharge" and after.get("enabled"))) and (
            catalog.CREDITS_SKU not in fake.sku_counts()  # funding credits adds MCOPSTNC licenses
        ):
            fake.set_sku(catalog.CREDITS_SKU, catalog.lookup(catalog.CREDITS_SKU).sku_id, 10000)


def local_result(cli, name: str) -> dict[str, tuple[frozenset[str], str | None]]:
    """Users after the same spec is applied to the same snapshot through the local provider."""
    db = ["--provider", "local:local.db"]
    assert cli("snapshot", "load", Path(__file__).parent.parent / "examples" / f"{name}.snapshot.yaml", *db).code == 0
    applied = cli(
        "apply",
        Path(__file__).parent.parent / "tenant-specs" / f"{name}.yaml",
        "--auto-approve",
        "--allow-destroy",
        *db,
    )
    assert applied.code == 0, applied.out + applied.err
    # The dump lists direct licenses; loading it back processes the groups, as the simulator did.
    state = snapshot_from_document(load_bytes(cli("snapshot", "dump", *db).out.encode(), "dump.yaml"), TODAY)
    return {key: (u.licenses, u.usage_location) for key, u in state.users.items()}


def graph_result(fake: Any) -> dict[str, tuple[frozenset[str], str | None]]:
    """Users as the fake Graph service holds them."""
    locations = fake.locations()
    return {upn: (frozenset(skus), locations[upn]) for upn, skus in fake.licenses().items()}


@pytest.mark.parametrize("name", SAMPLES)
def test_shared_scenario_plan_apply_reapply_drift_export(cli, graph_tenant, workdir: Path, name: str) -> None:
    g: GraphTenant = graph_tenant(name)
    spec = spec_for_tenant(name, g.tenant_id, workdir)

    planned = cli("plan", spec, "--provider", "graph", "--format", "json", env=g.env)
    assert planned.code == 0, planned.err
    plan = json.loads(planned.out)
    manual = [a for a in plan["actions"] if a.get("manual")]
    assert all(
        a["type"]
        in ("purchase_subscription", "set_seats", "set_term", "set_pay_as_you_go", "set_auto_recharge", "add_funds")
        for a in manual
    )
    assert not any(a.get("manual") for a in plan["actions"] if a["type"].endswith(("license", "location")))

    applied = cli("apply", spec, "--provider", "graph", "--auto-approve", "--allow-destroy", env=g.env)
    assert applied.code == (3 if manual else 0), applied.out + applied.err
    assert "0 failed, 0 not attempted" in applied.out
    if manual:
        assert "Manual steps remain" in applied.out and "tenantctl did NOT do them" in applied.out
        do_manual_steps(g.fake, plan)
        finished = cli("apply", spec, "--provider", "graph", "--auto-approve", "--allow-destroy", env=g.env)
        assert finished.code == 0, finished.out + finished.err
    again = cli("apply", spec, "--provider", "graph", "--auto-approve", env=g.env)
    assert again.code == 0 and "No changes." in again.out, again.out + again.err

    drift = cli("drift", spec, "--provider", "graph", "--format", "json", env=g.env)
    assert drift.code == 0, drift.out + drift.err
    report = json.loads(drift.out)
    assert report["drifted"] is False and report["items"] == []
    assert "tenant.agreement" in report["unknown"]

    exported = cli(
        "export",
        "--provider",
        "graph",
        "--name",
        name,
        "--agreement",
        yaml.safe_load(spec.read_text())["spec"]["agreement"],
        "--currency",
        yaml.safe_load(spec.read_text())["spec"].get("currency", "USD"),
        env=g.env,
    )
    assert exported.code == 0, exported.err
    (workdir / "exported.yaml").write_text(exported.out)
    replanned = cli("plan", "exported.yaml", "--provider", "graph", "--format", "json", env=g.env)
    assert replanned.code == 0, replanned.err
    assert json.loads(replanned.out)["actions"] == []

    # The same spec on the same snapshot through the local provider ends with the same users.
    assert graph_result(g.fake) == local_result(cli, name)


def test_requests_have_graphs_documented_shapes(cli, graph_tenant, workdir: Path) -> None:
    g = graph_tenant("contoso")
    spec = spec_for_tenant("contoso", g.tenant_id, workdir)
    do_manual_steps(g.fake, json.loads(cli("plan", spec, "--provider", "graph", "--format", "json", env=g.env).out))
    applied = cli("apply", spec, "--provider", "graph", "--auto-approve", "--allow-destroy", env=g.env)
    assert applied.code == 0, applied.out + applied.err
    listed = [r for r in g.fake.requests if r.method == "GET" and r.path.endswith("/users")]
    assert listed and all(r.query.get("$top") == ["999"] for r in listed)
    assert all(
        set(r.query["$select"][0].split(","))
        == {"id", "userPrincipalName", "usageLocation", "assignedLicenses", "licenseAssignmentStates"}
        for r in listed
    )
    batches = [r for r in g.fake.requests if r.path.endswith("/$batch")]
    assert batches, "writes go through $batch"
    for b in batches:
        items = b.body["requests"]
        assert 1 <= len(items) <= 20
        assert len({i["id"] for i in items}) == len(items)
        for item in items:
            assert item["url"].startswith("/users/")
            if "body" in item:
                assert item["headers"]["Content-Type"] == "application/json"
            if item["url"].endswith("/assignLicense"):
                assert item["method"] == "POST" and set(item["body"]) == {"addLicenses", "removeLicenses"}
                assert all(
                    set(a) == {"skuId", "disabledPlans"} and GUID.match(a["skuId"]) for a in item["body"]["addLicenses"]
                )
                assert all(GUID.match(s) for s in item["body"]["removeLicenses"])
            elif item["method"] == "PATCH":
                assert set(item["body"]) == {"usageLocation"}
    assigns = [i for i in g.fake.inner_requests if i.path.endswith("/assignLicense")]
    # Interdependent SKUs in one call: grace gets E5 (her Teams Phone) and the calling plan that needs it.
    wanted = {catalog.lookup("ENTERPRISEPREMIUM").sku_id, catalog.lookup("MCOPSTN1").sku_id}
    together = [i for i in assigns if wanted <= {a["skuId"] for a in i.body["addLicenses"]}]
    assert len(together) == 1 and together[0].status == 200, [i.body for i in assigns]


def test_unreadable_values_are_unknown_never_drift(cli, graph_tenant, workdir: Path) -> None:
    # Northwind wants a minimum balance and an auto-recharge that Graph cannot see: never reported as drift.
    g = graph_tenant("northwind")
    spec = spec_for_tenant("northwind", g.tenant_id, workdir)
    plan = json.loads(cli("plan", spec, "--provider", "graph", "--format", "json", env=g.env).out)
    do_manual_steps(g.fake, plan)
    assert cli("apply", spec, "--provider", "graph", "--auto-approve", "--allow-destroy", env=g.env).code in (0, 3)
    do_manual_steps(g.fake, json.loads(cli("plan", spec, "--provider", "graph", "--format", "json", env=g.env).out))
    cli("apply", spec, "--provider", "graph", "--auto-approve", "--allow-destroy", env=g.env)
    text = cli("drift", spec, "--provider", "graph", env=g.env)
    assert text.code == 0, text.out + text.err
    assert "No drift." in text.out
    assert "communicationsCredits.balance: unknown (the provider cannot read it; not drift)" in text.out
    junit = cli("drift", spec, "--provider", "graph", "--format", "junit", env=g.env)
    assert junit.code == 0 and 'failures="0"' in junit.out
    assert re.search(r'name="communicationsCredits">\s*<skipped message="unknown', junit.out)


def test_throttling_storm_and_lost_replies_still_converge(
    cli, graph_tenant, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The client's backoff waits are recorded, not slept (7 s otherwise): the retry budget counts the
    # delays it asked for, so the client behaves as it would with real waits.
    waits: list[float] = []
    monkeypatch.setattr(providers, "GraphClient", functools.partial(GraphClient, sleep=waits.append))
    g = graph_tenant(
        "contoso", throttle_rate=0.4, batch_throttle_rate=0.2, retry_after=0, lost_rate=0.2, error_rate=0.1, seed=7
    )
    spec = spec_for_tenant("contoso", g.tenant_id, workdir)
    plan = json.loads(cli("plan", spec, "--provider", "graph", "--format", "json", env=g.env).out)
    do_manual_steps(g.fake, plan)
    applied = cli("apply", spec, "--provider", "graph", "--auto-approve", "--allow-destroy", env=g.env)
    assert applied.code == 0, applied.out + applied.err
    assert re.search(r"\d+ retries\.", applied.out), applied.out
    throttled = [r for r in g.fake.inner_requests if r.status == 429]
    assert throttled, "the storm throttled something"
    assert any(w >= RetryPolicy().base_delay for w in waits), "a lost reply (no Retry-After) backs off"
    g.fake.configure(throttle_rate=0, batch_throttle_rate=0, lost_rate=0, error_rate=0)
    assert "No changes." in cli("plan", spec, "--provider", "graph", env=g.env).out
    assert graph_result(g.fake) == local_result(cli, "contoso")


def test_20000_users_paged_and_batched_within_the_request_bound(cli, graph_tenant, workdir: Path) -> None:
    big = 2000 if MUTATION_PASS else 20000  # still many pages and batches
    e5, mcoev = catalog.lookup("SPE_E5"), catalog.lookup("MCOEV")
    users = [
        {"userPrincipalName": f"user{i:05d}@big.example", "usageLocation": "US", "licenses": ["SPE_E3"]}
        for i in range(big)
    ]
    g = graph_tenant(
        None,
        skus=[
            ("SPE_E3", catalog.lookup("SPE_E3").sku_id, big),
            ("MCOEV", mcoev.sku_id, big),
            ("SPE_E5", e5.sku_id, 10),
        ],
        users=users,
    )
    spec = workdir / "big.yaml"
    lines = (user_line(u["userPrincipalName"], ["MCOEV"]) for u in users)  # as text: a YAML dumper takes seconds
    spec.write_text(spec_text("big", "EA", subscription_lines({"MCOEV": big}), lines, tenant_id=g.tenant_id))
    applied = cli("apply", spec, "--provider", "graph", "--auto-approve", env=g.env)
    assert applied.code == 0, applied.out[-2000:] + applied.err[-2000:]
    assert f"Apply: {big:,} done" in applied.out
    assert all(skus == {"SPE_E3", "MCOEV"} for skus in g.fake.licenses().values())
    pages = [r for r in g.fake.requests if r.method == "GET" and r.path.endswith("/users")]
    batches = [r for r in g.fake.requests if r.path.endswith("/$batch")]
    assert len(pages) == math.ceil(big / 999)  # one read, under the lock, in pages of 999
    assert len(batches) <= 1.05 * math.ceil(big / 20)
    assert g.fake.max_in_flight > 1, "batches go out concurrently"


def test_tenant_mismatch_is_refused_before_any_change(cli, graph_tenant, workdir: Path) -> None:
    g = graph_tenant("contoso")
    spec = spec_for_tenant("contoso", "11111111-2222-3333-4444-555555555555", workdir)
    r = cli("apply", spec, "--provider", "graph", "--auto-approve", "--allow-destroy", env=g.env)
    assert r.code == 1
    assert "is for tenant 2f1c0b5e" in r.err and "11111111-2222-3333-4444-555555555555" in r.err
    assert not [x for x in g.fake.requests if x.method != "GET"]
    assert g.env["TENANTCTL_GRAPH_TOKEN"] not in r.out + r.err


def test_spec_without_tenant_id_is_refused_with_graph(cli, graph_tenant, workdir: Path) -> None:
    g = graph_tenant("fabrikam")
    r = cli("plan", Path(__file__).parent.parent / "tenant-specs" / "fabrikam.yaml", "--provider", "graph", env=g.env)
    assert r.code == 1 and "metadata.tenantId is required with the graph provider" in r.err
    assert not g.fake.requests


def test_graph_refusals_become_per_user_diagnostics(graph_tenant) -> None:
    from conftest import TODAY

    from reconciler.providers.base import UserWrite
    from reconciler.providers.graph.auth import StaticToken
    from reconciler.providers.graph.client import GraphClient
    from reconciler.providers.graph.provider import GraphProvider

    mcoev = catalog.lookup("MCOEV")
    g = graph_tenant(
        None,
        skus=[("MCOEV", mcoev.sku_id, 1)],
        users=[
            {"userPrincipalName": "nolocation@x.example", "licenses": []},
            {"userPrincipalName": "a@x.example", "usageLocation": "US", "licenses": ["MCOEV"]},
            {"userPrincipalName": "b@x.example", "usageLocation": "US", "licenses": []},
        ],
    )
    tokens = StaticToken(g.env["TENANTCTL_GRAPH_TOKEN"])
    provider = GraphProvider(
        Path("unused.db"), "x", g.tenant_id, TODAY, lambda: (GraphClient(g.env["TENANTCTL_GRAPH_URL"], tokens), tokens)
    )
    try:
        provider.read_state()
        results = provider.write_users(
            [
                UserWrite("nolocation@x.example", add=("MCOEV",)),
                UserWrite("b@x.example", add=("MCOEV",)),
                UserWrite("ghost@x.example", add=("MCOEV",)),
            ]
        )
    finally:
        provider.close()
    messages = [str(r.error) for r in results]
    assert "nolocation@x.example has no valid usage location" in messages[0]
    assert "set usageLocation for nolocation@x.example in the spec" in messages[0]
    assert messages[1].startswith("no free seat for b@x.example")
    assert "ghost@x.example does not exist" in messages[2]


@pytest.mark.parametrize(
    "env, method",
    [
        ({"AZURE_CLIENT_ID": "c", "AZURE_FEDERATED_TOKEN_FILE": "/tmp/token"}, "workload identity federation"),
        ({"AZURE_CLIENT_ID": "c", "AZURE_CLIENT_CERTIFICATE_PATH": "/tmp/cert.pem"}, "a certificate"),
        ({"AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s"}, "a client secret"),
        ({}, "the Azure CLI"),
    ],
)
def test_credential_is_chosen_from_the_standard_variables(env: dict[str, str], method: str) -> None:
    from reconciler.providers.graph.auth import choose_credential

    chosen, _ = choose_credential(env)
    assert chosen.startswith(method)


def test_secret_without_client_id_and_tenant_conflicts_are_clear() -> None:
    from reconciler.domain.errors import PermanentProviderError
    from reconciler.providers.graph.auth import token_source

    with pytest.raises(PermanentProviderError, match="AZURE_CLIENT_ID is not set"):
        token_source("t", "https://graph.microsoft.com/v1.0", {"AZURE_CLIENT_SECRET": "s"})
    with pytest.raises(PermanentProviderError, match="AZURE_TENANT_ID is other but the spec is for tenant t"):
        token_source(
            "t",
            "https://graph.microsoft.com/v1.0",
            {"AZURE_TENANT_ID": "other", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s"},
        )
    source = token_source("t", "https://graph.microsoft.us/v1.0", {"AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s"})
    assert source._scope == "https://graph.microsoft.us/.default"  # type: ignore[attr-defined]


def test_group_licenses_are_never_removed_but_reported(cli, graph_tenant, workdir: Path) -> None:
    mcoev, pstn = catalog.lookup("MCOEV"), catalog.lookup("MCOPSTN1")
    g = graph_tenant(
        None,
        skus=[("MCOEV", mcoev.sku_id, 10), ("MCOPSTN1", pstn.sku_id, 10)],
        users=[
            {
                "userPrincipalName": "a@x.example",
                "usageLocation": "US",
                "licenses": ["MCOEV"],
                "groupLicenses": ["MCOPSTN1"],
            },
            {"userPrincipalName": "b@x.example", "usageLocation": "US", "licenses": ["MCOEV", "MCOPSTN1"]},
        ],
    )
    spec = workdir / "x.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "tenantctl/v1",
                "kind": "Tenant",
                "metadata": {"name": "x", "tenantId": g.tenant_id},
                "spec": {
                    "agreement": "EA",
                    "subscriptions": [{"sku": "MCOEV", "seats": 10}, {"sku": "MCOPSTN1", "seats": 10}],
                    "users": [
                        {"upn": u, "usageLocation": "US", "licenses": ["MCOEV"]} for u in ("a@x.example", "b@x.example")
                    ],
                },
            }
        )
    )
    plan = json.loads(cli("plan", spec, "--provider", "graph", "--format", "json", env=g.env).out)
    assert [a["address"] for a in plan["actions"] if a["type"] == "remove_license"] == ["user/b@x.example/MCOPSTN1"]
    assert any(
        d["code"] == "license_from_group" and d["address"] == "user/a@x.example/MCOPSTN1" for d in plan["diagnostics"]
    )
    applied = cli("apply", spec, "--provider", "graph", "--auto-approve", "--allow-destroy", env=g.env)
    assert applied.code == 0, applied.out + applied.err
    assert g.fake.licenses() == {"a@x.example": {"MCOEV", "MCOPSTN1"}, "b@x.example": {"MCOEV"}}
    drift = cli("drift", spec, "--provider", "graph", "--format", "json", env=g.env)
    report = json.loads(drift.out)
    assert drift.code == 2 and [(i["address"], i["kind"]) for i in report["items"]] == [
        ("user/a@x.example/MCOPSTN1", "license_from_group")
    ]


def test_export_of_a_user_licensed_without_a_usage_location_validates_and_plans_empty(
    cli, graph_tenant, workdir: Path
) -> None:
    # Issue 13 item 17: group-licensed and older users can hold licenses with no usage location;
    # a spec cannot list them, so export leaves them out (untouched) and says so.
    e5 = catalog.lookup("ENTERPRISEPACK")
    assert e5 is not None
    g = graph_tenant(
        None,
        skus=[("ENTERPRISEPACK", e5.sku_id, 5)],
        users=[
            {"userPrincipalName": "old@contoso.com", "licenses": ["ENTERPRISEPACK"]},
            {"userPrincipalName": "new@contoso.com", "usageLocation": "US", "licenses": ["ENTERPRISEPACK"]},
        ],
    )
    exported = cli(
        "export", "--provider", "graph", "--name", "contoso", "--agreement", "MOSA", "--currency", "USD", env=g.env
    )
    assert exported.code == 0, exported.err
    assert "old@contoso.com" in exported.err and "no usage location" in exported.err
    assert "old@contoso.com" not in exported.out and "new@contoso.com" in exported.out
    text = re.sub(
        r"(?m)^metadata:\n  name: contoso\n", f"metadata:\n  name: contoso\n  tenantId: {g.tenant_id}\n", exported.out
    )
    (workdir / "exported.yaml").write_text(text)
    assert cli("validate", "exported.yaml").code == 0
    planned = cli("plan", "exported.yaml", "--provider", "graph", "--format", "json", env=g.env)
    assert planned.code == 0, planned.err
    assert json.loads(planned.out)["actions"] == []
