"""The graph provider with Partner Center as its commerce channel (issue 16), end to end against two
fakes on 127.0.0.1: users and licenses through the fake Graph, subscriptions through the fake Partner
Center (tests/fakepartnercenter.py, written from Microsoft's documentation by another hand)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import TODAY, fake_jwt
from fakegraph import FakeGraph
from fakepartnercenter import FakePartnerCenter

from reconciler.domain import catalog

CUSTOMER = "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
E3, E5 = "CFQ7TTC0LFLX:0001", "CFQ7TTC0LFLZ:0002"
SPEC = f"""apiVersion: tenantctl/v1
kind: Tenant
metadata:
  name: fabrikam
  tenantId: {CUSTOMER}
  commerce: {{channel: partnerCenter}}
spec:
  agreement: NCE
  subscriptions:
    - {{sku: SPE_E3, seats: 12}}
    - {{sku: SPE_E5, seats: 3, term: P1Y, billingFrequency: monthly, autoRenew: false}}
  users:
    - {{upn: ann@fabrikam.example, usageLocation: US, licenses: [SPE_E3]}}
    - {{upn: bob@fabrikam.example, usageLocation: US, licenses: [SPE_E3]}}
    - {{upn: cat@fabrikam.example, usageLocation: US, licenses: [SPE_E3]}}
"""


@pytest.fixture
def fakes():  # type: ignore[no-untyped-def]
    """A fake Graph tenant (E3 with 10 seats, E5 known to the tenant) and its Partner Center subscriptions."""
    users = [{"userPrincipalName": "ann@fabrikam.example", "usageLocation": "US", "licenses": ["SPE_E3"]}]
    users += [
        {"userPrincipalName": f"{n}@fabrikam.example", "usageLocation": "US", "licenses": []} for n in ("bob", "cat")
    ]
    skus = [("SPE_E3", catalog.CATALOG["SPE_E3"].sku_id, 10), ("SPE_E5", catalog.CATALOG["SPE_E5"].sku_id, 0)]
    token = fake_jwt(CUSTOMER)
    graph = FakeGraph(tenant_id=CUSTOMER, token=token, skus=skus, users=users)
    center = FakePartnerCenter(
        customers={CUSTOMER: [{"offer": E3, "quantity": 10, "termDuration": "P1Y", "billingCycle": "monthly"}]},
        today=TODAY,
    )
    env = {
        "TENANTCTL_GRAPH_URL": graph.start(),
        "TENANTCTL_GRAPH_TOKEN": token,
        "TENANTCTL_PARTNER_CENTER_URL": center.start(),
        "TENANTCTL_PARTNER_CENTER_TOKEN": "fake-pc-token",
    }
    yield graph, center, env
    graph.stop()
    center.stop()


def subscriptions(center: FakePartnerCenter) -> dict[str, dict[str, Any]]:
    return {":".join(s["offerId"].split(":")[:2]): s for s in center.subscriptions(CUSTOMER)}


def test_plan_apply_replan_and_drift_through_partner_center(cli, fakes, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    graph, center, env = fakes
    (workdir / "fabrikam.yaml").write_text(SPEC)
    plan = json.loads(cli("plan", "fabrikam.yaml", "--provider", "graph", "--format", "json", env=env).out)
    actions = {(a["type"], a["address"]): a for a in plan["actions"]}
    # Term, seats and auto-renew are read from Partner Center, so nothing is manual and nothing unknown.
    assert not any(a.get("manual") for a in plan["actions"]), plan["actions"]
    assert actions[("set_seats", "subscription/SPE_E3")]["after"] == {"seats": 12}
    assert actions[("purchase_subscription", "subscription/SPE_E5")]["after"]["seats"] == 3
    assert ("set_auto_renew", "subscription/SPE_E5") in actions

    applied = cli("apply", "fabrikam.yaml", "--provider", "graph", "--auto-approve", env=env)
    assert applied.code == 0, applied.out + applied.err
    bought = subscriptions(center)
    assert bought[E3]["quantity"] == 12 and bought[E3]["autoRenewEnabled"] is True
    assert bought[E5]["quantity"] == 3 and bought[E5]["autoRenewEnabled"] is False
    assert bought[E5]["termDuration"] == "P1Y" and bought[E5]["billingCycle"].lower() == "monthly"
    assert len(center.orders(CUSTOMER)) == 1
    assert graph.licenses()["bob@fabrikam.example"] == {"SPE_E3"}

    again = cli("plan", "fabrikam.yaml", "--provider", "graph", "--detailed-exitcode", env=env)
    assert again.code == 0, again.out + again.err
    assert cli("drift", "fabrikam.yaml", "--provider", "graph", env=env).code == 0
    # Every Partner Center call carried the documented headers, and no bearer token went to the wrong host.
    for r in center.requests:
        assert r.headers.get("MS-Contract-Version") == "v1" and r.headers.get("MS-RequestId"), r
        assert r.headers.get("Authorization") == "Bearer fake-pc-token"


def test_a_lost_checkout_answer_is_retried_with_the_same_request_id_and_buys_once(cli, fakes, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    _graph, center, env = fakes
    (workdir / "fabrikam.yaml").write_text(SPEC)
    center.lose_next(1, "checkout")  # the order is placed, the answer never arrives
    applied = cli("apply", "fabrikam.yaml", "--provider", "graph", "--auto-approve", env=env)
    assert applied.code == 0, applied.out + applied.err
    assert len(center.orders(CUSTOMER)) == 1
    checkouts = [r for r in center.requests if r.method == "POST" and r.path.endswith("/checkout")]
    assert len(checkouts) == 2 and len({r.headers["MS-RequestId"] for r in checkouts}) == 1


def test_a_decrease_outside_the_window_is_scheduled_for_the_renewal(cli, fakes, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    _graph, center, env = fakes
    (workdir / "fabrikam.yaml").write_text(
        re.sub(r" +- \{sku: SPE_E5.*\n", "", SPEC.replace("seats: 12", "seats: 4")).replace(
            "    - {upn: bob@fabrikam.example, usageLocation: US, licenses: [SPE_E3]}\n"
            "    - {upn: cat@fabrikam.example, usageLocation: US, licenses: [SPE_E3]}\n",
            "",
        )
    )
    plan = json.loads(cli("plan", "fabrikam.yaml", "--provider", "graph", "--format", "json", env=env).out)
    kinds = [(a["type"], a["after"]) for a in plan["actions"] if a["address"] == "subscription/SPE_E3"]
    assert kinds == [("schedule_seats", {"seats": 4, "effective": _renewal(center)})], plan["actions"]
    assert cli("apply", "fabrikam.yaml", "--provider", "graph", "--auto-approve", "--allow-destroy", env=env).code == 0
    assert subscriptions(center)[E3]["scheduledNextTermInstructions"]["quantity"] == 4
    assert subscriptions(center)[E3]["quantity"] == 10
    assert cli("plan", "fabrikam.yaml", "--provider", "graph", "--detailed-exitcode", env=env).code == 0


def _renewal(center: FakePartnerCenter) -> str:
    end = date.fromisoformat(subscriptions(center)[E3]["commitmentEndDate"][:10])
    return date.fromordinal(end.toordinal() + 1).isoformat()


@pytest.mark.parametrize("phase", ["intent", "inside", "outcome"])
def test_killed_around_the_checkout_the_next_apply_buys_exactly_once(cli, fakes, workdir: Path, phase: str) -> None:  # type: ignore[no-untyped-def]
    """SIGKILL with the checkout about to be sent (intent journaled) or done but not journaled (outcome)."""
    from test_crash_safety import forked

    _graph, center, env = fakes
    (workdir / "fabrikam.yaml").write_text(SPEC)
    plan = json.loads(cli("plan", "fabrikam.yaml", "--provider", "graph", "--format", "json", env=env).out)
    [buy] = [a["id"] for a in plan["actions"] if a["type"] == "purchase_subscription"]
    crash = {**env, "TENANTCTL_CRASH_AT": f"{buy}:{phase}"}
    assert forked(workdir, "apply", "fabrikam.yaml", "--provider", "graph", "--auto-approve", env=crash) == -9
    assert len(center.orders(CUSTOMER)) == (0 if phase == "intent" else 1)
    locked = cli("apply", "fabrikam.yaml", "--provider", "graph", "--auto-approve", env=env)
    unlock = re.search(r"`tenantctl (force-unlock \S+ --provider \S+)`", locked.err)
    assert locked.code == 1 and unlock, locked.err
    assert cli(*unlock.group(1).split(), env=env).code == 0
    # Once bought, turning auto-renew off is a change to a subscription the customer holds: destructive.
    again = cli("apply", "fabrikam.yaml", "--provider", "graph", "--auto-approve", "--allow-destroy", env=env)
    assert again.code == 0, again.out + again.err
    assert len(center.orders(CUSTOMER)) == 1 and subscriptions(center)[E5]["quantity"] == 3
    assert cli("plan", "fabrikam.yaml", "--provider", "graph", "--detailed-exitcode", env=env).code == 0


def test_an_order_still_being_provisioned_is_never_bought_again(cli, fakes, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    """Killed after the checkout, with the subscription not provisioned yet and other actions done: the re-plan
    has new idempotency keys, and must still not order again (Microsoft provisions asynchronously)."""
    from test_crash_safety import forked

    _graph, center, env = fakes
    center.configure(provisioning_reads=100)
    (workdir / "fabrikam.yaml").write_text(SPEC)
    plan = json.loads(cli("plan", "fabrikam.yaml", "--provider", "graph", "--format", "json", env=env).out)
    [buy] = [a["id"] for a in plan["actions"] if a["type"] == "purchase_subscription"]
    assert (
        forked(
            workdir,
            "apply",
            "fabrikam.yaml",
            "--provider",
            "graph",
            "--auto-approve",
            env={**env, "TENANTCTL_CRASH_AT": f"{buy}:inside"},
        )
        == -9
    )
    unlock = re.search(
        r"`tenantctl (force-unlock \S+ --provider \S+)`",
        cli("plan", "fabrikam.yaml", "--provider", "graph", env=env).err
        + cli("apply", "fabrikam.yaml", "--provider", "graph", "--auto-approve", env=env).err,
    )
    assert unlock and cli(*unlock.group(1).split(), env=env).code == 0
    waiting = cli("apply", "fabrikam.yaml", "--provider", "graph", "--auto-approve", env=env)
    assert (
        waiting.code != 0
        and "its subscription does not show yet; nothing was bought again" in waiting.out + waiting.err
    )
    assert len(center.orders(CUSTOMER)) == 1
    center.provision()
    done = cli("apply", "fabrikam.yaml", "--provider", "graph", "--auto-approve", "--allow-destroy", env=env)
    assert done.code == 0, done.out + done.err
    assert len(center.orders(CUSTOMER)) == 1


def test_calling_overage_is_one_customer_setting_written_to_its_azure_plan(cli, fakes, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    graph, _center, env = fakes
    entitlement = "7b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
    center = FakePartnerCenter(
        customers={CUSTOMER: [{"offer": E3, "quantity": 10, "termDuration": "P1Y", "billingCycle": "monthly"}]},
        today=TODAY,
        azure_entitlements={CUSTOMER: [entitlement]},
        catalog=None,
    )
    env = {**env, "TENANTCTL_PARTNER_CENTER_URL": center.start()}
    graph.set_sku("MCOPSTN1", catalog.CATALOG["MCOPSTN1"].sku_id, 0)
    calling = SPEC.replace(
        "    - {sku: SPE_E5, seats: 3, term: P1Y, billingFrequency: monthly, autoRenew: false}\n",
        "    - {sku: MCOPSTN1, seats: 2, term: P1Y, payAsYouGo: true}\n",
    ).replace("channel: partnerCenter}", f"channel: partnerCenter, azureEntitlementId: {entitlement}}}")
    (workdir / "fabrikam.yaml").write_text(
        calling.replace("  agreement: NCE\n", "  agreement: NCE\n  offers: {MCOPSTN1: 'CFQ7TTC0LHXJ:0017'}\n")
    )
    try:
        plan = json.loads(cli("plan", "fabrikam.yaml", "--provider", "graph", "--format", "json", env=env).out)
        kinds = [(a["type"], a["address"]) for a in plan["actions"]]
        assert kinds.index(("set_pay_as_you_go", "subscription/MCOPSTN1")) > kinds.index(
            ("purchase_subscription", "subscription/MCOPSTN1")
        )
        applied = cli("apply", "fabrikam.yaml", "--provider", "graph", "--auto-approve", env=env)
        assert applied.code == 0, applied.out + applied.err
        puts = [r for r in center.requests if r.method == "PUT" and r.path.endswith("/subscriptions/overage")]
        assert [r.body for r in puts] == [{"azureEntitlementId": entitlement, "partnerId": "", "overageEnabled": True}]
        assert cli("plan", "fabrikam.yaml", "--provider", "graph", "--detailed-exitcode", env=env).code == 0
    finally:
        center.stop()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_storm_of_throttling_errors_and_lost_replies_still_buys_exactly_once(
    cli, fakes, workdir: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:  # type: ignore[no-untyped-def]
    """429s, 5xx before anything is done and answers lost after the write, on every call: the apply
    converges (now or on the next run) and there is one order, one E3 change, one auto-renew change."""
    import functools

    from reconciler import providers
    from reconciler.providers.partnercenter.client import PartnerCenterClient

    waits: list[float] = []  # recorded, not slept: the retry budget counts them all the same
    monkeypatch.setattr(providers, "PartnerCenterClient", functools.partial(PartnerCenterClient, sleep=waits.append))
    _graph, center, env = fakes
    center.configure(throttle_rate=0.3, error_rate=0.15, lost_rate=0.3, retry_after=0, seed=seed)
    center.lose_next(1, "checkout")  # and, whatever the dice say, one lost checkout and one lost PATCH
    center.lose_next(1, "patch")
    (workdir / "fabrikam.yaml").write_text(SPEC)
    for _ in range(3):  # a run may end failed on a write refused after a lost answer; the next converges
        if cli("apply", "fabrikam.yaml", "--provider", "graph", "--auto-approve", env=env).code == 0:
            break
    center.configure(throttle_rate=0, error_rate=0, lost_rate=0)
    assert cli("plan", "fabrikam.yaml", "--provider", "graph", "--detailed-exitcode", env=env).code == 0
    assert len(center.orders(CUSTOMER)) == 1
    assert subscriptions(center)[E3]["quantity"] == 12 and subscriptions(center)[E5]["autoRenewEnabled"] is False
    notes = {r.note for r in center.requests}
    assert {"throttled", "lost"} <= notes and waits, notes


def test_reads_are_paced_under_the_documented_per_customer_limit(tmp_path: Path) -> None:
    """500 requests a minute per customer on the Subscription resource: with the limit at 5 and a shared
    clock, 12 reads take three windows and the fake never has to refuse one."""
    from reconciler.domain.commerce import PARTNER_CENTER, Commerce
    from reconciler.providers.http import EnvToken, Pacer
    from reconciler.providers.partnercenter.channel import PartnerCenterChannel
    from reconciler.providers.partnercenter.client import PartnerCenterClient

    now = [0.0]
    center = FakePartnerCenter(
        customers={CUSTOMER: [{"offer": E3, "quantity": 10}]},
        today=TODAY,
        subscription_rate_limit=5,
        rate_window=60.0,
        monotonic=lambda: now[0],
    )

    def sleep(seconds: float) -> None:
        now[0] += seconds

    client = PartnerCenterClient(
        center.start(),
        EnvToken("TENANTCTL_PARTNER_CENTER_TOKEN", "fake-pc-token", "Partner Center", ""),
        sleep=sleep,
        pacer=Pacer(5, 60.0, clock=lambda: now[0], sleep=sleep),
    )
    channel = PartnerCenterChannel(client, CUSTOMER, Commerce(PARTNER_CENTER), TODAY, tmp_path / "memory.db")
    try:
        for _ in range(12):
            assert "SPE_E3" in channel._fresh()
    finally:
        channel.close()
        center.stop()
    assert not [r for r in center.requests if r.note == "rate-limited"]
    assert 120.0 <= now[0] < 180.0


def test_a_fresh_runner_does_not_buy_again_while_an_order_is_provisioning(cli, fakes, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    """A CI runner that starts without .tenantctl/ has no memory of the carts: Partner Center's order list
    still shows the order whose subscription is not provisioned yet, and nothing is bought again."""
    _graph, center, env = fakes
    center.configure(provisioning_reads=1000)
    (workdir / "fabrikam.yaml").write_text(SPEC)
    first = cli("apply", "fabrikam.yaml", "--provider", "graph", "--auto-approve", env=env)
    assert len(center.orders(CUSTOMER)) == 1, first.out + first.err
    # Another runner, another ledger file, and the tenant changed meanwhile (so every idempotency key differs).
    (workdir / "fabrikam.yaml").write_text(SPEC.replace("seats: 12", "seats: 13"))
    other = cli("apply", "fabrikam.yaml", "--provider", "graph:elsewhere/ledger.db", "--auto-approve", env=env)
    assert other.code == 1 and "its subscription does not show yet; nothing was bought again" in other.out
    assert len(center.orders(CUSTOMER)) == 1
    # The same runner again, same spec: the remembered cart says so too (never "already so").
    again = cli("apply", "fabrikam.yaml", "--provider", "graph:elsewhere/ledger.db", "--auto-approve", env=env)
    assert again.code == 1 and "nothing was bought again" in again.out and len(center.orders(CUSTOMER)) == 1


def test_a_product_id_that_names_another_product_is_warned_about_in_the_plan(cli, fakes, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    """spec.offers maps SPE_E3 to Business Basic's id by mistake: Partner Center's name for it shows the error."""
    _graph, _center, env = fakes
    basic = FakePartnerCenter(
        customers={CUSTOMER: [{"offer": "CFQ7TTC0LH18:0001", "quantity": 10, "termDuration": "P1Y"}]}, today=TODAY
    )
    env = {**env, "TENANTCTL_PARTNER_CENTER_URL": basic.start()}
    wrong = SPEC.replace("  agreement: NCE\n", "  agreement: NCE\n  offers: {SPE_E3: 'CFQ7TTC0LH18:0001'}\n")
    (workdir / "fabrikam.yaml").write_text(wrong)
    try:
        plan = json.loads(cli("plan", "fabrikam.yaml", "--provider", "graph", "--format", "json", env=env).out)
    finally:
        basic.stop()
    [warning] = [d for d in plan["diagnostics"] if d["code"] == "offer_mismatch"]
    assert "'Microsoft 365 Business Basic', not 'Microsoft 365 E3'" in warning["message"]
    # The right ids name their products: no warning.
    (workdir / "fabrikam.yaml").write_text(SPEC)
    plan = json.loads(cli("plan", "fabrikam.yaml", "--provider", "graph", "--format", "json", env=fakes[2]).out)
    assert not [d for d in plan["diagnostics"] if d["code"] == "offer_mismatch"]


@pytest.mark.parametrize(
    "sku, name, warned",
    [
        ("MCOPSTN1", "Microsoft Teams Domestic Calling Plan", False),  # Partner Center's longer name
        ("SPE_E3", "Microsoft 365 E3", False),
        ("SPE_E3", "Microsoft 365 E5", True),
        ("ENTERPRISEPREMIUM", "Office 365 E5 without Audio Conferencing", True),  # another product
    ],
)
def test_the_product_name_check_allows_brand_words_only(sku: str, name: str, warned: bool) -> None:
    from reconciler.domain.model import SubscriptionState, TenantState
    from reconciler.plan.compute import compute_plan
    from reconciler.spec.loader import spec_from_document
    from reconciler.spec.yamlload import load_bytes

    state = TenantState("t", "MCA", TODAY, subscriptions={sku: SubscriptionState(sku, 5, offer_name=name)})
    spec = spec_from_document(
        load_bytes(
            f"apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {{name: t}}\nspec:\n  agreement: MCA\n"
            f"  subscriptions:\n    - {{sku: {sku}, seats: 5}}\n".encode(),
            "t.yaml",
        )
    )
    codes = [d.code for d in compute_plan(spec, state).diagnostics]
    assert ("offer_mismatch" in codes) is warned, codes


def test_overage_with_no_azure_plan_known_is_a_manual_step_not_a_failed_apply(cli, fakes, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    graph, center, env = fakes
    graph.set_sku("MCOPSTN1", catalog.CATALOG["MCOPSTN1"].sku_id, 0)
    calling = SPEC.replace(
        "    - {sku: SPE_E5, seats: 3, term: P1Y, billingFrequency: monthly, autoRenew: false}\n",
        "    - {sku: MCOPSTN1, seats: 2, term: P1Y, payAsYouGo: true}\n",
    ).replace("  agreement: NCE\n", "  agreement: NCE\n  offers: {MCOPSTN1: 'CFQ7TTC0LHXJ:0017'}\n")
    (workdir / "fabrikam.yaml").write_text(calling)
    plan = json.loads(cli("plan", "fabrikam.yaml", "--provider", "graph", "--format", "json", env=env).out)
    [overage] = [a for a in plan["actions"] if a["type"] == "set_pay_as_you_go"]
    assert overage["manual"] and any("Manage Overage" in step for step in overage["steps"])
    applied = cli("apply", "fabrikam.yaml", "--provider", "graph", "--auto-approve", env=env)
    assert applied.code == 3, applied.out + applied.err  # everything else done; the checklist remains
    assert not [r for r in center.requests if r.method == "PUT"]
