"""Review tests: each one demonstrated a defect (since fixed) in the graph provider, its HTTP client or the wave apply.

Every test failed on the code under review because of the bug it is named after, and passes now the
bug is fixed (the assertions accept any reasonable fix, not one particular implementation).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import DEFAULT_TENANT_ID, TODAY
from fakegraph import FakeGraph, GraphError

from reconciler.apply.run import apply_plan
from reconciler.apply.waves import apply_in_waves
from reconciler.domain import catalog
from reconciler.domain.actions import Action, AssignLicense, SetUsageLocation
from reconciler.domain.errors import PermanentProviderError, ProviderError
from reconciler.domain.model import PriceList, Subscription, TenantSpec
from reconciler.plan.compute import Plan, compute_plan
from reconciler.providers.base import UserWrite, WriteResult
from reconciler.providers.graph.auth import StaticToken
from reconciler.providers.graph.client import GraphClient, SubRequest
from reconciler.providers.graph.provider import GraphProvider
from reconciler.providers.retry import RetryPolicy as Retry

MCOEV = catalog.lookup("MCOEV").sku_id  # type: ignore[union-attr]
OTHER_TENANT = "11111111-2222-3333-4444-555555555555"


def _no_sleep(_: float) -> None:
    return None


def _provider(
    url: str, tokens: Any, expected: str | None = DEFAULT_TENANT_ID, concurrency: int = 4, retry: Retry = Retry()
) -> GraphProvider:
    return GraphProvider(
        Path("unused.db"),
        "x",
        expected,
        TODAY,
        lambda: (GraphClient(url, tokens, concurrency=concurrency, retry=retry, sleep=_no_sleep), tokens),
    )


class ExpiringToken:
    """A TENANTCTL_GRAPH_TOKEN-like source whose token stops working after `good_calls` uses (it expired)."""

    method = "test token"

    def __init__(self, good: str, good_calls: int, tenant_id: str) -> None:
        self.good, self.good_calls, self.calls = good, good_calls, 0
        self.tenant_id: str | None = tenant_id

    def token(self, refresh: bool = False) -> str:
        self.calls += 1
        if refresh:
            raise PermanentProviderError("the token expired", "get a new one", code="unauthorized")
        return self.good if self.calls <= self.good_calls else "expired-token"


# ---------------------------------------------------------------------------------------------------
# providers/graph/client.py
# ---------------------------------------------------------------------------------------------------


def test_exception_in_one_batch_chunk_discards_results_of_chunks_already_written(graph_tenant) -> None:
    """client.batch: an exception in one $batch chunk (here: token expired, refresh refused) escapes
    pool.map, so write_users raises and the 20 licenses already assigned by the first chunk are
    reported as failed (apply marks every user of the wave "failed")."""
    users = [{"userPrincipalName": f"u{i:02d}@x.example", "usageLocation": "US", "licenses": []} for i in range(21)]
    g = graph_tenant(None, skus=[("MCOEV", MCOEV, 21)], users=users)
    # read_state uses 3 tokens (subscribedSkus, one users page, the licensed groups); chunk 1 the 4th; chunk 2
    # gets an expired one.
    tokens = ExpiringToken(g.env["TENANTCTL_GRAPH_TOKEN"], 4, g.tenant_id)
    provider = _provider(g.env["TENANTCTL_GRAPH_URL"], tokens, concurrency=1)
    try:
        provider.read_state()
        results = provider.write_users([UserWrite(u["userPrincipalName"], add=("MCOEV",)) for u in users])
    finally:
        provider.close()
    held = g.fake.licenses()
    assert sum(1 for skus in held.values() if "MCOEV" in skus) == 20  # the first chunk really happened
    for u, r in zip(users, results):
        if "MCOEV" in held[u["userPrincipalName"]]:
            assert r.error is None and r.changed, (u, r)
        else:
            assert r.error is not None


def test_whole_batch_429_ignores_the_retry_budget(graph_tenant) -> None:
    """client._send_batch: a whole-batch 429 sleeps Retry-After up to `attempts` times without
    counting it against Retry.budget, and batch() then retries the chunk again (nested attempts),
    so one batch() call sleeps 40 s against a 10 s budget (minutes or hours with real Retry-After)."""
    g = graph_tenant(
        None,
        skus=[("MCOEV", MCOEV, 1)],
        users=[{"userPrincipalName": "a@x.example", "usageLocation": "US", "licenses": []}],
        batch_throttle_rate=1.0,
        retry_after=5,
    )
    slept: list[float] = []
    client = GraphClient(
        g.env["TENANTCTL_GRAPH_URL"],
        StaticToken(g.env["TENANTCTL_GRAPH_TOKEN"]),
        retry=Retry(attempts=3, budget=10),
        sleep=slept.append,
    )
    try:
        client.batch([SubRequest("r0", "GET", "/users/a@x.example?$select=id")])
    finally:
        client.close()
    assert sum(slept) <= 10, slept


def test_whole_batch_429_is_reported_as_ambiguous_instead_of_throttled(graph_tenant) -> None:
    """client._send_batch:170: a whole-batch 429 that outlasts the retries is turned into AMBIGUOUS (0)
    for every write, though Graph executed nothing; the provider then re-reads users and re-sends
    writes under throttling, and the user is told "did not confirm" instead of "still throttled"."""
    g = graph_tenant(
        None,
        skus=[("MCOEV", MCOEV, 1)],
        users=[{"userPrincipalName": "a@x.example", "usageLocation": None, "licenses": []}],
        batch_throttle_rate=1.0,
        retry_after=0,
    )
    client = GraphClient(
        g.env["TENANTCTL_GRAPH_URL"],
        StaticToken(g.env["TENANTCTL_GRAPH_TOKEN"]),
        retry=Retry(attempts=2),
        sleep=_no_sleep,
    )
    try:
        answers = client.batch([SubRequest("l0", "PATCH", "/users/a@x.example", {"usageLocation": "US"})])
    finally:
        client.close()
    assert not g.fake.inner_requests  # nothing was executed
    assert answers["l0"].status == 429


# ---------------------------------------------------------------------------------------------------
# providers/graph/provider.py
# ---------------------------------------------------------------------------------------------------


def test_unknown_sku_after_ambiguous_write_raises_out_of_write_users_for_every_user(graph_tenant) -> None:
    """graph._still_needed:175: the read-back after an ambiguous write calls _sku_id, whose
    PermanentProviderError (no such subscription) escapes write_users: user b, whose license was
    assigned, loses its result. _round handles the same error per user (line 134)."""
    g = graph_tenant(
        None,
        skus=[("MCOEV", MCOEV, 5)],
        users=[
            {"userPrincipalName": "a@x.example", "usageLocation": "US", "licenses": []},
            {"userPrincipalName": "b@x.example", "usageLocation": "US", "licenses": []},
        ],
        lost_rate=1.0,
    )  # every successful write loses its reply (applied, caller sees 504)
    tokens = StaticToken(g.env["TENANTCTL_GRAPH_TOKEN"])
    provider = _provider(g.env["TENANTCTL_GRAPH_URL"], tokens)
    try:
        provider.read_state()
        results = provider.write_users(
            [UserWrite("a@x.example", location="GB", add=("MCOPSTN1",)), UserWrite("b@x.example", add=("MCOEV",))]
        )
    finally:
        provider.close()
    assert g.fake.licenses()["b@x.example"] == {"MCOEV"}
    assert results[1].error is None and results[1].changed
    assert isinstance(results[0].error, PermanentProviderError)


class ThrottledReads(FakeGraph):
    """Every GET /users/{id} is throttled (as in a throttling storm); everything else behaves."""

    def _get_user(self, rec: Any, key: str) -> Any:
        raise GraphError(429, "TooManyRequests", "Too many requests.")


def test_failed_read_back_resends_a_removal_blindly_and_reports_a_permanent_refusal() -> None:
    """graph._still_needed:170: when the read-back of an ambiguous write fails (throttled, 5xx, stale),
    the original write is re-sent unchanged. A removal that did happen is sent again, Graph answers
    400 "User does not have a corresponding license", and the user is told Graph *refused* the
    change (permanent) although the license is gone."""
    tenant = DEFAULT_TENANT_ID
    with ThrottledReads(
        tenant_id=tenant,
        token="t0ken",
        skus=[("MCOEV", MCOEV, 1)],
        users=[{"userPrincipalName": "r@x.example", "usageLocation": "US", "licenses": ["MCOEV"]}],
        lost_rate=1.0,
    ) as fake:
        tokens = StaticToken("t0ken")
        provider = _provider(fake.base_url, tokens, expected=None, retry=Retry(attempts=2))
        try:
            provider.read_state()
            results = provider.write_users([UserWrite("r@x.example", remove=("MCOEV",))])
        finally:
            provider.close()
        assert fake.licenses()["r@x.example"] == set()  # the removal happened
    assert not isinstance(results[0].error, PermanentProviderError), str(results[0].error)


class NoOrganization(FakeGraph):
    """GET /organization is refused, as for an app with only the README's least-privilege permissions."""

    def _get_org(self) -> Any:
        raise GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


def test_tenant_check_fails_open_when_the_tenant_id_cannot_be_determined() -> None:
    """graph._organization_id swallows every ProviderError and returns None; check_tenant then passes
    (`source.tenant_id` is None) and plan._check_tenant skips too. An opaque token for the wrong
    tenant is read, planned and applied: the "never applied to fabrikam" promise fails open."""
    with NoOrganization(
        tenant_id=DEFAULT_TENANT_ID,
        token="opaque-token",
        skus=[("MCOEV", MCOEV, 1)],
        users=[{"userPrincipalName": "a@x.example", "usageLocation": "US", "licenses": []}],
    ) as fake:
        tokens = StaticToken("opaque-token")  # not a JWT: no tid claim
        provider = _provider(fake.base_url, tokens, expected=OTHER_TENANT)
        try:
            with pytest.raises(ProviderError):
                provider.read_state()
        finally:
            provider.close()


def test_unreadable_term_is_priced_as_p1y_for_cost_and_guardrails(graph_tenant) -> None:
    """graph.read_state fills SubscriptionState.term with the default "P1Y" although TERMS is unknown;
    cost.estimate prices held seats with it, so a seat increase on a month-to-month (P1M, factor 1.2)
    subscription is under-estimated and maxMonthlyIncrease can pass when it should not. An unknown
    term must not feed the estimate (use the spec's declared term, or call the cost unknown)."""
    g = graph_tenant(None, skus=[("MCOEV", MCOEV, 10)], users=[])
    tokens = StaticToken(g.env["TENANTCTL_GRAPH_TOKEN"])
    provider = _provider(g.env["TENANTCTL_GRAPH_URL"], tokens)
    try:
        state = provider.read_state()
    finally:
        provider.close()
    prices = PriceList(per_seat={"MCOEV": Decimal(8)}, term_factors={"P1M": Decimal("1.2"), "P1Y": Decimal(1)})
    spec = TenantSpec(
        name="x",
        agreement="EA",
        source="x.yaml",
        tenant_id=g.tenant_id,
        subscriptions={"MCOEV": Subscription("MCOEV", 20, term="P1M")},
        prices=prices,
    )
    plan = compute_plan(spec, state)
    seats = next(a for a in plan.actions if a.type == "set_seats")
    assert plan.cost is not None
    cost = plan.cost.for_action(seats.id)
    assert cost is not None
    # 10 more seats at 8/month on P1M is 96; 80 is the fabricated P1Y price.
    assert cost.monthly_delta in (None, Decimal(96)), cost


# ---------------------------------------------------------------------------------------------------
# apply/waves.py (apply in waves)
# ---------------------------------------------------------------------------------------------------


def _user_plan(upn: str) -> Plan:
    location = Action(1, SetUsageLocation(upn, None, "US"))
    assign = Action(2, AssignLicense(upn, "MCOEV"), depends_on=(1,))
    return Plan(tenant="x", spec_digest="", state_digest="", actions=(location, assign))


def test_location_set_but_license_refused_reports_the_location_as_failed(graph_tenant) -> None:
    """batches._write_users: one WriteResult per user is copied to every action of that user. The
    usage location PATCH succeeded, the license call was refused (no free seat), and the journal and
    report say set_usage_location *failed* although the tenant changed."""
    g = graph_tenant(
        None,
        skus=[("MCOEV", MCOEV, 0)],
        users=[{"userPrincipalName": "n@x.example", "usageLocation": None, "licenses": []}],
    )
    tokens = StaticToken(g.env["TENANTCTL_GRAPH_TOKEN"])
    provider = _provider(g.env["TENANTCTL_GRAPH_URL"], tokens)
    try:
        provider.read_state()
        result = apply_plan(_user_plan("n@x.example"), provider)
    finally:
        provider.close()
    assert g.fake.locations()["n@x.example"] == "US"
    statuses = {o.action.type: o.status for o in result.outcomes}
    assert statuses["assign_license"] == "failed"
    assert statuses["set_usage_location"] in ("done", "unchanged"), result.outcomes


class OneRetryProvider:
    """A BatchProvider whose single user write needed two retries."""

    def write_users(self, writes: list[UserWrite]) -> list[WriteResult]:
        return [WriteResult(changed=True, retries=2) for _ in writes]


def test_retries_of_one_merged_user_write_are_counted_once_per_action() -> None:
    """batches._write_users gives every action of a user the write's `retries`; ApplyResult.retries
    sums them, so one write retried twice is reported as 4 retries (N times for N actions)."""
    result = apply_in_waves(_user_plan("n@x.example"), OneRetryProvider(), lambda a: pytest.fail("no tenant action"))
    assert [o.status for o in result.outcomes] == ["done", "done"]
    assert result.retries == 2
