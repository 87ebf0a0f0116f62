"""The planner's refusals, each with its exact code, words and address (public: plan JSON `diagnostics`).

Golden cases show that a refusal happens; these pin what it says, so that a changed code (which
scripts match on) or a lost address fails here. Found unguarded by the mutation run.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import TODAY

from reconciler.plan.compute import compute_plan
from reconciler.spec.loader import spec_from_document
from reconciler.spec.snapshot import snapshot_from_document
from reconciler.spec.yamlload import load_bytes

PAYG = "Microsoft_Teams_Calling_Plan_pay_as_you_go_(country_zone_1_US)"
NOT_MANAGED = (
    "info",
    "not_managed",
    "not managed: {} (in the tenant, not in the spec); tenantctl never changes or "
    "cancels a subscription the spec does not list. If it was taken out of the spec to cancel it, cancel "
    "it in the admin center (or Partner Center)",
    "",
)


def diagnostics(spec: str, state: str) -> list[tuple[str, str, str, str]]:
    s = spec_from_document(load_bytes(("apiVersion: tenantctl/v1\nkind: Tenant\n" + spec).encode(), "spec.yaml"))
    t = snapshot_from_document(
        load_bytes(("apiVersion: tenantctl/v1\nkind: TenantSnapshot\n" + state).encode(), "state.yaml"), TODAY
    )
    return [(d.severity, d.code, d.message, d.address) for d in compute_plan(s, t).diagnostics]


@pytest.mark.parametrize(
    "spec, state, expected",
    [
        (
            "metadata: {name: e, tenantId: 11111111-1111-1111-1111-111111111111}\n"
            "spec:\n  agreement: MOSA\n  users: []\n",
            "metadata: {name: e, tenantId: 22222222-2222-2222-2222-222222222222}\nstate:\n  agreement: MOSA\n",
            [
                (
                    "error",
                    "tenant_mismatch",
                    "the spec is for tenant 11111111-1111-1111-1111-111111111111 but the provider "
                    "reads tenant 22222222-2222-2222-2222-222222222222; point --provider at the right tenant or fix "
                    "metadata.tenantId",
                    "",
                )
            ],
        ),
        (
            "metadata: {name: e}\nspec:\n  agreement: MCA\n  currency: CHF\n  users: []\n",
            "metadata: {name: e}\nstate:\n  agreement: MCA\n  currency: EUR\n",
            [
                (
                    "error",
                    "currency_mismatch",
                    "the spec declares CHF but the tenant is billed in EUR; fix spec.currency",
                    "",
                )
            ],
        ),
        (
            "metadata: {name: northwind}\nspec:\n  agreement: EA\n  users: []\n",
            "metadata: {name: faults}\nstate:\n  agreement: EA\n",
            [
                (
                    "error",
                    "tenant_mismatch",
                    "the spec is for tenant 'northwind' but the provider holds tenant 'faults'; point --provider "
                    "at the right tenant or fix metadata.name",
                    "",
                )
            ],
        ),
    ],
    ids=["tenant", "currency", "name"],
)
def test_a_spec_for_another_tenant_or_currency_is_refused(
    spec: str, state: str, expected: list[tuple[str, ...]]
) -> None:
    assert diagnostics(spec, state) == expected


def test_a_license_outside_the_spec_keeps_its_prerequisite_for_every_user() -> None:
    # Ann is unchanged and sorts first; Ben would lose the Teams Phone his unmanaged calling plan needs.
    users = (
        "    - {upn: ann@e.example, usageLocation: US, licenses: [MCOEV]}\n"
        "    - {upn: ben@e.example, usageLocation: US, licenses: %s}\n"
    )
    spec = (
        "metadata: {name: e}\nspec:\n  agreement: MOSA\n  subscriptions:\n    - {sku: MCOEV, seats: 2}\n"
        "  users:\n" + users % "[]"
    )
    state = (
        "metadata: {name: e}\nstate:\n  agreement: MOSA\n  subscriptions:\n    - {sku: MCOEV, seats: 2}\n"
        "    - {sku: MCOPSTN1, seats: 1}\n  users:\n" + users % "[MCOEV, MCOPSTN1]"
    )
    assert diagnostics(spec, state) == [
        (
            "error",
            "prerequisite_violation",
            "'ben@e.example' would hold MCOPSTN1 without Teams Phone (licenses outside "
            "the spec count too); add the prerequisite to the user or manage that SKU",
            "user/ben@e.example/MCOPSTN1",
        ),
        (NOT_MANAGED[0], NOT_MANAGED[1], NOT_MANAGED[2].format("MCOPSTN1"), ""),
    ]


def test_a_move_away_from_where_a_license_outside_the_spec_is_sold_is_refused() -> None:
    spec = (
        "metadata: {name: e}\nspec:\n  agreement: MCA\n  subscriptions:\n    - {sku: MCOEV, seats: 1}\n"
        "  users:\n    - {upn: a@e.example, usageLocation: DE, licenses: [MCOEV]}\n"
    )
    state = (
        "metadata: {name: e}\nstate:\n  agreement: MCA\n  subscriptions:\n    - {sku: MCOEV, seats: 1}\n"
        f"    - {{sku: {PAYG}, seats: 1, payAsYouGo: true}}\n"
        f"  users:\n    - {{upn: a@e.example, usageLocation: US, licenses: [MCOEV, {PAYG}]}}\n"
    )
    assert diagnostics(spec, state) == [
        (
            "error",
            "usage_location_not_allowed",
            f"'a@e.example' would hold {PAYG} in DE, but it is only for users in "
            "CA, GB, PR, US (licenses outside the spec count too); give the user a calling plan sold there",
            f"user/a@e.example/{PAYG}",
        ),
        (NOT_MANAGED[0], NOT_MANAGED[1], NOT_MANAGED[2].format(PAYG), ""),
    ]


def _plan(spec: str, state: str, inherited: dict[str, frozenset[str]] | None = None) -> Any:
    import dataclasses

    s = spec_from_document(load_bytes(("apiVersion: tenantctl/v1\nkind: Tenant\n" + spec).encode(), "spec.yaml"))
    t = snapshot_from_document(
        load_bytes(("apiVersion: tenantctl/v1\nkind: TenantSnapshot\n" + state).encode(), "state.yaml"), TODAY
    )
    users = {k: dataclasses.replace(u, inherited=(inherited or {}).get(u.upn, frozenset())) for k, u in t.users.items()}
    return compute_plan(s, dataclasses.replace(t, users=users))


TEAMS_PHONE = "  agreement: EA\n  subscriptions: [{sku: MCOEV, seats: 5}]\n"


def test_a_license_from_a_group_is_kept_and_the_warning_says_how_to_take_it_away() -> None:
    plan = _plan(
        f"metadata: {{name: g}}\nspec:\n{TEAMS_PHONE}  users:\n    - {{upn: a@g.example, licenses: []}}\n",
        f"metadata: {{name: g}}\nstate:\n{TEAMS_PHONE}"
        "  users:\n    - {upn: a@g.example, usageLocation: US, licenses: [MCOEV]}\n",
        {"a@g.example": frozenset({"MCOEV"})},
    )
    assert [(d.severity, d.code, d.message, d.address) for d in plan.diagnostics] == [
        (
            "warning",
            "license_from_group",
            "'a@g.example' holds MCOEV through a group, so tenantctl cannot take it away; remove the user from "
            "the licensing group, or list the license in the spec",
            "user/a@g.example/MCOEV",
        )
    ]
    assert plan.actions == ()


def test_a_missing_user_skipped_with_a_warning_does_not_skip_the_users_after_it() -> None:
    plan = _plan(
        f"metadata: {{name: g}}\nspec:\n{TEAMS_PHONE}  missingUsers: warn\n  users:\n"
        "    - {upn: a-gone@g.example, usageLocation: US, licenses: [MCOEV]}\n"
        "    - {upn: b@g.example, usageLocation: US, licenses: [MCOEV]}\n",
        f"metadata: {{name: g}}\nstate:\n{TEAMS_PHONE}  users:\n    - {{upn: b@g.example, usageLocation: US}}\n",
    )
    assert [d.code for d in plan.diagnostics] == ["user_not_found"]
    assert [(a.type, a.address) for a in plan.actions] == [("assign_license", "user/b@g.example/MCOEV")]


def test_a_usage_location_change_alone_is_planned() -> None:
    plan = _plan(
        f"metadata: {{name: g}}\nspec:\n{TEAMS_PHONE}"
        "  users:\n    - {upn: a@g.example, usageLocation: GB, licenses: [MCOEV]}\n",
        f"metadata: {{name: g}}\nstate:\n{TEAMS_PHONE}"
        "  users:\n    - {upn: a@g.example, usageLocation: US, licenses: [MCOEV]}\n",
    )
    assert [(a.type, a.address, a.before, a.after) for a in plan.actions] == [
        ("set_usage_location", "user/a@g.example", {"usageLocation": "US"}, {"usageLocation": "GB"})
    ]


def test_a_term_the_provider_cannot_read_is_priced_as_the_spec_declares_it() -> None:
    """Graph cannot read terms: a seat change is priced on the declared term and billing, not on defaults."""
    import dataclasses

    from reconciler.domain.model import TERMS

    s = spec_from_document(
        load_bytes(
            b"apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: g}\nspec:\n  agreement: EA\n"
            b"  subscriptions: [{sku: MCOEV, seats: 10, term: P1Y, billingFrequency: annual}]\n  users: []\n",
            "spec.yaml",
        )
    )
    t = snapshot_from_document(
        load_bytes(
            b"apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: {name: g}\nstate:\n  agreement: EA\n"
            b"  subscriptions: [{sku: MCOEV, seats: 5}]\n",
            "state.yaml",
        ),
        TODAY,
    )
    plan = compute_plan(s, dataclasses.replace(t, unknown=frozenset({TERMS})))
    [seats] = [a for a in plan.actions if a.type == "set_seats"]
    [cost] = [c for c in plan.cost.actions if c.action_id == seats.id]

    def delta(billing: str) -> object:
        return s.prices.monthly("MCOEV", 10, "P1Y", billing) - s.prices.monthly("MCOEV", 5, "P1Y", billing)  # type: ignore[operator]

    assert cost.monthly_delta == delta("annual") != delta("monthly")


def test_a_subscription_to_buy_that_needs_credits_is_refused_where_there_are_none() -> None:
    """Bought, not only assigned: a new pay-per-minute conferencing subscription needs credits too,
    and one the tenant already has is not named again."""
    state = "metadata: {name: m}\nstate:\n  agreement: EA\n"
    spec = (
        "metadata: {name: m}\nspec:\n  agreement: EA\n  subscriptions: [{sku: MCOMEETACPEA, seats: 2}]\n"
        "  communicationsCredits: {autoRecharge: {enabled: false}}\n  users: []\n"
    )
    [refusal] = [d for d in diagnostics(spec, state) if d[1] == "credits_not_set_up"]
    assert refusal[2].startswith("Communications Credits must be funded or auto-recharge enabled before MCOMEETACPEA")
    held = state + "  subscriptions: [{sku: MCOMEETACPEA, seats: 2}]\n"
    assert [d for d in diagnostics(spec, held) if d[1] == "credits_not_set_up"] == []
