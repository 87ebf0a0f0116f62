"""The `credits_license_missing` warning in-process: its count, its list of names and its advice.

Golden cases check that it appears; these check its exact words at the edges (one name, five,
six; credits set up or not; a listed user the tenant does not have).
"""

from __future__ import annotations

from conftest import TODAY

from reconciler.plan.compute import compute_plan
from reconciler.spec.loader import spec_from_document
from reconciler.spec.snapshot import snapshot_from_document
from reconciler.spec.yamlload import load_bytes

HEAD = (
    "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: w}\nspec:\n  agreement: EA\n"
    "  subscriptions:\n    - {sku: MCOMEETADV, seats: 10}\n"
)
STATE = (
    "apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: {name: w}\nstate:\n  agreement: EA\n"
    "  subscriptions:\n    - {sku: MCOMEETADV, seats: 10, term: P1Y, billingFrequency: monthly}\n"
    "  communicationsCredits: {autoRecharge: {enabled: false}, funds: [%s]}\n  users:\n"
)


def warning(n: int, credits: str, funded: bool, ghost: bool = False) -> str:
    """The warning for `n` listed users holding audio conferencing without MCOPSTNC."""
    upns = [f"u{i}@example.com" for i in range(n)]
    users = "".join(f"    - {{upn: {u}, usageLocation: US, licenses: [MCOMEETADV]}}\n" for u in upns)
    # A listed user the tenant does not have (yet) sorts first and must not end the scan.
    spec = (
        HEAD
        + credits
        + "  users:\n"
        + ("    - {upn: a0@example.com, usageLocation: US, licenses: []}\n" if ghost else "")
        + users
    )
    state = STATE % ("{purchased: 2026-11-01, amount: 10, remaining: 10}" if funded else "") + users
    plan = compute_plan(
        spec_from_document(load_bytes(spec.encode(), "spec.yaml")),
        snapshot_from_document(load_bytes(state.encode(), "state.yaml"), TODAY),
    )
    found = [d for d in plan.diagnostics if d.code == "credits_license_missing"]
    assert len(found) == 1 and found[0].severity == "warning" and found[0].address == "communicationsCredits"
    return found[0].message


BODY = (
    "a calling plan or audio conferencing (suites such as E5 include it) without the Communications Credits "
    "license (MCOPSTNC), so they cannot make calls or dial out of meetings paid from credits: "
)


def test_one_user_is_named_with_the_singular_and_told_to_add_the_license() -> None:
    assert warning(1, "", True, ghost=True) == (
        f"1 listed user holds (or will, after this plan) {BODY}u0@example.com; add MCOPSTNC to their licenses"
    )


def test_five_are_all_named_and_a_sixth_is_counted() -> None:
    five = ", ".join(f"u{i}@example.com" for i in range(5))
    assert warning(5, "", True) == (
        f"5 listed users hold (or will, after this plan) {BODY}{five}; add MCOPSTNC to their licenses"
    )
    assert warning(6, "", True) == (
        f"6 listed users hold (or will, after this plan) {BODY}{five} and 1 more; add MCOPSTNC to their licenses"
    )


def test_without_funds_or_auto_recharge_the_advice_is_to_fund_credits_first() -> None:
    assert warning(1, "  communicationsCredits:\n    autoRecharge: {enabled: false}\n", False).endswith(
        "u0@example.com; fund Communications Credits first (communicationsCredits.minimumBalance, or autoRecharge "
        "enabled), then add MCOPSTNC to their licenses"
    )
