"""Boundaries: every guardrail at exactly its limit and one smallest unit past it; money at the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import TODAY

from reconciler.plan.compute import Plan, compute_plan
from reconciler.spec.loader import spec_from_document
from reconciler.spec.snapshot import snapshot_from_document
from reconciler.spec.yamlload import load_bytes

# EA, 20 calling-plan seats at 12.00 a month (list price, annual term paid up front), 40.00 of credits.
STATE = snapshot_from_document(
    load_bytes(
        b"""
apiVersion: tenantctl/v1
kind: TenantSnapshot
metadata: {name: edge}
state:
  agreement: EA
  subscriptions:
    - {sku: MCOEV, seats: 20}
    - {sku: MCOPSTN1, seats: 20}
  communicationsCredits:
    autoRecharge: {enabled: false}
    funds:
      - {purchased: "2026-10-01", amount: 40, remaining: 40}
  users: []
""",
        "state.yaml",
    ),
    TODAY,
)


def plan(guardrails: str, seats: int = 30, minimum: str = "100") -> Plan:
    text = (
        "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: edge}\nspec:\n  agreement: EA\n"
        f"  guardrails: {{{guardrails}}}\n  subscriptions:\n    - {{sku: MCOEV, seats: 20}}\n"
        f"    - {{sku: MCOPSTN1, seats: {seats}}}\n  communicationsCredits:\n"
        f"    autoRecharge: {{enabled: false}}\n    minimumBalance: {minimum}\n  users: []\n"
    )
    return compute_plan(spec_from_document(load_bytes(text.encode(), "spec.yaml")), STATE)


def exceeded(p: Plan) -> dict[str, bool]:
    return {g.name: g.exceeded for g in p.guardrails}


def test_the_prices_the_boundaries_are_computed_from() -> None:
    p = plan("maxMonthlyIncrease: 1000")
    # 10 seats x 12.00, x 1.05 for an annual term billed monthly (the default commitment)
    assert p.cost is not None and p.cost.monthly_delta == Decimal("126.00")
    assert p.cost.one_time == Decimal("60.00")  # 100 - 40


@pytest.mark.parametrize("limit, over", [("126.00", False), ("125.99", True)])
def test_max_monthly_increase_at_its_limit(limit: str, over: bool) -> None:
    p = plan(f"maxMonthlyIncrease: {limit}")
    assert exceeded(p) == {"maxMonthlyIncrease": over}
    assert p.has_errors is over


@pytest.mark.parametrize("limit, over", [(30, False), (29, True)])
def test_max_seats_per_subscription_at_its_limit(limit: int, over: bool) -> None:
    p = plan(f"maxSeatsPerSubscription: {limit}")
    assert exceeded(p) == {"maxSeatsPerSubscription": over}
    assert p.has_errors is over


@pytest.mark.parametrize("limit, over", [("60.00", False), ("59.99", True)])
def test_max_funds_per_apply_at_its_limit(limit: str, over: bool) -> None:
    p = plan(f"maxFundsPerApply: {limit}")
    assert exceeded(p) == {"maxFundsPerApply": over}
    assert p.has_errors is over


@pytest.mark.parametrize(
    "minimum, amount", [("40.001", "0.01"), ("40.01", "0.01"), ("40.019", "0.02"), ("140.5", "100.50")]
)
def test_funds_are_rounded_up_to_the_cent(minimum: str, amount: str) -> None:
    """A top-up never leaves the balance below the minimum: a fraction of a cent buys a whole cent."""
    funds = [a for a in plan("maxFundsPerApply: 1000", minimum=minimum).actions if a.type == "add_funds"]
    assert len(funds) == 1 and funds[0].after is not None
    assert Decimal(str(funds[0].after["amount"])) == Decimal(amount)
    assert Decimal(str(funds[0].after["balance"])) >= Decimal(minimum)


def test_a_minimum_met_exactly_buys_nothing() -> None:
    assert not [a for a in plan("maxFundsPerApply: 1000", minimum="40").actions if a.type == "add_funds"]


def test_a_lot_counts_until_the_day_before_its_first_anniversary() -> None:
    """Credits expire 12 months after purchase: on the anniversary the lot no longer counts."""
    from datetime import date

    from reconciler.domain.model import CreditsState, FundLot

    lot = FundLot(date(2025, 11, 21), Decimal(10), Decimal("2.50"))
    assert lot.expires == date(2026, 11, 21)
    assert CreditsState(funds=(lot,)).balance(date(2026, 11, 20)) == Decimal("2.50")
    assert CreditsState(funds=(lot,)).balance(date(2026, 11, 21)) == Decimal(0)
    leap = FundLot(date(2024, 2, 29), Decimal(1), Decimal(1))
    assert leap.expires == date(2025, 2, 28)


def overridden_plan(guardrails: str, overrides: frozenset[str], seats: int = 30, buy: str = "") -> Plan:
    text = (
        "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: edge}\nspec:\n  agreement: EA\n"
        f"  guardrails: {{{guardrails}}}\n  subscriptions:\n    - {{sku: MCOEV, seats: 20}}\n"
        f"    - {{sku: MCOPSTN1, seats: {seats}}}\n{buy}  communicationsCredits:\n"
        "    autoRecharge: {enabled: false}\n    minimumBalance: 100\n  users: []\n"
    )
    return compute_plan(spec_from_document(load_bytes(text.encode(), "spec.yaml")), STATE, overrides)


@pytest.mark.parametrize(
    "name, limit", [("maxMonthlyIncrease", "1"), ("maxSeatsPerSubscription", "2"), ("maxFundsPerApply", "1")]
)
def test_each_guardrail_can_be_overridden_by_its_own_name_only(name: str, limit: str) -> None:
    others = frozenset({"maxMonthlyIncrease", "maxSeatsPerSubscription", "maxFundsPerApply"} - {name})
    refused = overridden_plan(f"{name}: {limit}", others)
    assert [(g.name, g.exceeded, g.overridden) for g in refused.guardrails] == [(name, True, False)]
    assert refused.has_errors
    accepted = overridden_plan(f"{name}: {limit}", frozenset({name}))
    assert [(g.name, g.exceeded, g.overridden) for g in accepted.guardrails] == [(name, True, True)]
    assert not accepted.has_errors


def test_a_purchase_counts_against_the_seat_guardrail() -> None:
    p = overridden_plan("maxSeatsPerSubscription: 40", frozenset(), seats=20, buy="    - {sku: SPE_E3, seats: 41}\n")
    [check] = p.guardrails
    assert check.exceeded and check.value == Decimal(41)
    assert check.detail == "the plan sets subscription/SPE_E3 to 41 seats; the limit is 40"


def test_a_plan_without_seat_changes_is_within_any_seat_guardrail() -> None:
    [check] = overridden_plan("maxSeatsPerSubscription: 0", frozenset(), seats=20).guardrails
    assert (check.exceeded, check.value, check.detail) == (False, Decimal(0), "the plan changes no seat count")


UNPRICED = snapshot_from_document(
    load_bytes(
        b"""
apiVersion: tenantctl/v1
kind: TenantSnapshot
metadata: {name: edge}
state: {agreement: MCA, currency: CHF, subscriptions: [{sku: MCOEV, seats: 5}], users: []}
""",
        "state.yaml",
    ),
    TODAY,
)


@pytest.mark.parametrize("overrides", [frozenset(), frozenset({"maxMonthlyIncrease"})])
def test_an_unpriced_change_fails_the_cost_guardrail_unless_overridden(overrides: frozenset[str]) -> None:
    """No price in the spec's currency: the increase is unknown, so the guardrail fails closed."""
    from reconciler.plan.guardrails import GuardrailCheck

    spec = spec_from_document(
        load_bytes(
            b"apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: edge}\n"
            b"spec:\n  agreement: MCA\n  currency: CHF\n"
            b"  guardrails: {maxMonthlyIncrease: 100}\n  subscriptions: [{sku: MCOEV, seats: 6}]\n  users: []\n",
            "spec.yaml",
        )
    )
    [check] = compute_plan(spec, UNPRICED, overrides).guardrails
    assert (check.exceeded, check.overridden, check.value) == (True, bool(overrides), None)
    assert check.detail.startswith("the monthly cost of subscription/MCOEV is unknown (no price)")
    assert GuardrailCheck.from_dict(check.to_dict()) == check


def test_every_unpriced_change_is_named() -> None:
    spec = spec_from_document(
        load_bytes(
            b"apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: edge}\n"
            b"spec:\n  agreement: MCA\n  currency: CHF\n"
            b"  guardrails: {maxMonthlyIncrease: 100}\n"
            b"  subscriptions: [{sku: MCOEV, seats: 6}, {sku: SPE_E3, seats: 2}]\n"
            b"  users: []\n",
            "spec.yaml",
        )
    )
    [check] = compute_plan(spec, UNPRICED).guardrails
    assert check.detail.startswith("the monthly cost of subscription/MCOEV, subscription/SPE_E3 is unknown")


def test_an_increase_that_comes_at_the_renewal_is_said_to() -> None:
    """A scheduled seat change can cost more at the renewal than now: the guardrail bounds the larger, and says so."""
    from reconciler.domain.model import Guardrails
    from reconciler.plan.cost import CostEstimate
    from reconciler.plan.guardrails import check

    limit = Guardrails(max_monthly_increase=Decimal("10"))
    later = CostEstimate(
        "USD", "2025-04-01", Decimal("100"), Decimal("105"), Decimal(0), monthly_at_renewal=Decimal("150")
    )
    [renewal] = check(limit, (), later, frozenset())
    assert (renewal.value, renewal.exceeded) == (Decimal("50"), True)
    assert renewal.detail == "the plan adds 50.00 USD per month from the renewal; the limit is 10.00"
    now = CostEstimate(
        "USD", "2025-04-01", Decimal("100"), Decimal("105"), Decimal(0), monthly_at_renewal=Decimal("101")
    )
    [at_once] = check(limit, (), now, frozenset())
    assert at_once.detail == "the plan adds 5.00 USD per month; the limit is 10.00" and not at_once.exceeded


def test_a_purchase_without_a_declared_commitment_says_which_defaults_it_takes() -> None:
    spec = spec_from_document(
        load_bytes(
            b"apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: edge}\nspec:\n  agreement: MOSA\n"
            b"  subscriptions:\n    - {sku: MCOEV, seats: 1}\n    - {sku: MCOMEETADV, seats: 1, term: P1Y}\n"
            b"  users: []\n",
            "spec.yaml",
        )
    )
    state = snapshot_from_document(
        load_bytes(
            b"apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: {name: edge}\nstate: {agreement: MOSA}\n",
            "state.yaml",
        ),
        TODAY,
    )
    said = {d.address: d.message for d in compute_plan(spec, state).diagnostics if d.code == "default_commitment"}
    assert said == {
        "subscription/MCOEV": "buying MCOEV on a P1Y term billed monthly: the spec does not declare term or "
        "billingFrequency, so the defaults are used; declare term and billingFrequency to "
        "choose the commitment",
        "subscription/MCOMEETADV": "buying MCOMEETADV on a P1Y term billed monthly: the spec does not declare "
        "billingFrequency, so the default is used; declare billingFrequency to choose "
        "the commitment",
    }


def _diagnostics(spec_body: bytes, state_body: bytes, unknown: frozenset[str] = frozenset()) -> list[tuple[str, ...]]:
    from dataclasses import replace

    spec = spec_from_document(
        load_bytes(b"apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: edge}\nspec:\n" + spec_body, "spec.yaml")
    )
    state = snapshot_from_document(
        load_bytes(
            b"apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: {name: edge}\nstate:\n" + state_body,
            "state.yaml",
        ),
        TODAY,
    )
    plan = compute_plan(spec, replace(state, unknown=unknown) if unknown else state)
    return [(d.severity, d.code, d.message, d.address) for d in plan.diagnostics]


def test_zero_seats_of_what_is_not_owned_buys_nothing_and_says_so() -> None:
    assert _diagnostics(
        b"  agreement: MOSA\n  subscriptions:\n    - {sku: MCOEV, seats: 0}\n  users: []\n", b"  agreement: MOSA\n"
    ) == [("info", "nothing_to_buy", "MCOEV declares 0 seats and is not owned: nothing to buy", "subscription/MCOEV")]


def test_a_monthly_term_billed_annually_is_refused_with_what_to_declare() -> None:
    assert _diagnostics(
        b"  agreement: MOSA\n  subscriptions:\n    - {sku: MCOEV, seats: 1, billingFrequency: annual}\n  users: []\n",
        b"  agreement: MOSA\n  subscriptions:\n    - {sku: MCOEV, seats: 1, term: P1M, billingFrequency: monthly}\n",
    ) == [
        (
            "error",
            "commitment_invalid",
            "MCOEV is on a monthly term (P1M), which is billed monthly; billingFrequency "
            "annual needs an annual term: declare term P1Y or P3Y too",
            "subscription/MCOEV",
        )
    ]


def test_unreadable_terms_are_named_only_where_the_spec_declares_them() -> None:
    from reconciler.domain.model import TERMS

    state = b"  agreement: MOSA\n  subscriptions:\n    - {sku: MCOEV, seats: 1}\n"
    declared = _diagnostics(
        b"  agreement: MOSA\n  subscriptions:\n    - {sku: MCOEV, seats: 1, term: P1Y}\n  users: []\n",
        state,
        frozenset({TERMS}),
    )
    assert [(s, c, a) for s, c, _, a in declared] == [("info", "not_readable", "subscription/MCOEV")]
    assert "term and billingFrequency cannot be read" in declared[0][2] and "(the spec wants P1Y)" in declared[0][2]
    assert (
        _diagnostics(
            b"  agreement: MOSA\n  subscriptions:\n    - {sku: MCOEV, seats: 1}\n  users: []\n",
            state,
            frozenset({TERMS}),
        )
        == []
    )


def test_an_unreadable_overage_switch_is_named_with_the_spec_s_wish() -> None:
    from reconciler.domain.model import PAY_AS_YOU_GO

    state = b"  agreement: MCA\n  subscriptions:\n    - {sku: MCOPSTN1, seats: 1}\n"
    for wish, word in ((b"true", "on"), (b"false", "off")):
        said = _diagnostics(
            b"  agreement: MCA\n  subscriptions:\n    - {sku: MCOPSTN1, seats: 1, payAsYouGo: "
            + wish
            + b"}\n  users: []\n",
            state,
            frozenset({PAY_AS_YOU_GO}),
        )
        assert [(s, c, a) for s, c, _, a in said] == [("info", "not_readable", "subscription/MCOPSTN1")]
        assert said[0][2].startswith(
            f"subscription/MCOPSTN1: payAsYouGo cannot be read through this provider, so it "
            f"is not compared (the spec wants {word});"
        )


def test_no_longer_managed_says_it_or_them() -> None:
    spec = spec_from_document(
        load_bytes(
            b"apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: edge}\nspec:\n  agreement: MOSA\n  users: []\n",
            "spec.yaml",
        )
    )
    for held, managed, expected in (
        (b"    - {sku: MCOEV, seats: 1}\n", {"MCOEV"}, "an earlier apply managed it; the spec no longer lists it"),
        (
            b"    - {sku: MCOEV, seats: 1}\n    - {sku: SPE_E3, seats: 1}\n",
            {"MCOEV", "SPE_E3"},
            "an earlier apply managed them; the spec no longer lists them",
        ),
    ):
        state = snapshot_from_document(
            load_bytes(
                b"apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: "
                b"{name: edge}\nstate:\n  agreement: MOSA\n  subscriptions:\n" + held,
                "state.yaml",
            ),
            TODAY,
        )
        [note] = [
            d
            for d in compute_plan(spec, state, managed_before=frozenset(managed)).diagnostics
            if d.code == "no_longer_managed"
        ]
        assert expected in note.message, note.message


def test_a_missing_billing_role_says_that_role_or_one_of_those_roles() -> None:
    one = _diagnostics(
        b"  agreement: NCE\n  subscriptions:\n    - {sku: MCOPSTN1, seats: 1, payAsYouGo: true}\n  users: []\n",
        b"  agreement: NCE\n  billingRoles: [SalesAgent]\n  subscriptions:\n"
        b"    - {sku: MCOPSTN1, seats: 1, payAsYouGo: false}\n",
    )
    several = _diagnostics(
        b"  agreement: MOSA\n  subscriptions:\n    - {sku: MCOEV, seats: 2}\n  users: []\n",
        b"  agreement: MOSA\n  billingRoles: [BillingAccountOwner]\n  subscriptions:\n    - {sku: MCOEV, seats: 1}\n",
    )
    for said, words in ((one, "grant that role to it"), (several, "grant one of those roles to it")):
        [(severity, _code, message, _address)] = [d for d in said if d[1] == "billing_role_missing"]
        assert (severity, words in message, message.endswith("or have someone who holds one apply the plan")) == (
            "error",
            True,
            True,
        ), message
