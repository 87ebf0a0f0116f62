"""The planner's refusals, each with its exact code, words and address (public: plan JSON `diagnostics`).

Golden cases show that a refusal happens; these pin what it says, so that a changed code (which
scripts match on) or a lost address fails here. Found unguarded by the mutation run.
"""

from __future__ import annotations

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
    ],
    ids=["tenant", "currency"],
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
