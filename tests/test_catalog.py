"""The catalog's money facts, from Microsoft's licensing table and the calling articles (docs/rules.md)."""

from __future__ import annotations

import pytest

from reconciler.domain import catalog

PAYG_PLAN = "Microsoft_Teams_Calling_Plan_pay_as_you_go_(country_zone_1_US)"


@pytest.mark.parametrize(
    "part, sku_id",
    [
        ("SPE_E5_CALLINGMINUTES", "a91fc4e0-65e5-4266-aa76-4037509c1626"),
        ("Microsoft_365_E5_EEA_(no_Teams)_with_Calling_Minutes", "6ee4114a-9b2d-4577-9e7a-49fa43d222d3"),
        ("BUSINESS_VOICE_MED2", "a6051f20-9cbc-47d2-930d-419183bf6cf1"),
        ("BUSINESS_VOICE_MED2_TELCO", "08d7bce8-6e16-490e-89db-1d508e5e9609"),
        ("BUSINESS_VOICE", "e5a17adf-8f0d-4b57-bc14-d331235f9307"),
    ],
)
def test_suites_with_calling_minutes_are_payg_capable_and_bring_teams_phone(part: str, sku_id: str) -> None:
    entry = catalog.CATALOG[part]
    assert entry.sku_id == sku_id and catalog.BY_SKU_ID[sku_id] is entry
    assert entry.pay_as_you_go and {catalog.TEAMS_PHONE, catalog.CALLING_PLAN} <= entry.provides
    assert not catalog.missing_prerequisite(part, frozenset({part}))


def test_payg_calling_plan_facts() -> None:
    entry = catalog.CATALOG[PAYG_PLAN]
    assert entry.countries == frozenset({"US", "PR", "GB", "CA"})
    assert entry.pay_as_you_go  # the admin center's pay-as-you-go option, under MCA and NCE
    assert catalog.needs_credits(PAYG_PLAN, "MOSA") and catalog.needs_credits(PAYG_PLAN, "EA")
    assert not catalog.needs_credits(PAYG_PLAN, "MCA") and not catalog.needs_credits(PAYG_PLAN, "NCE")


def test_who_needs_a_credits_license() -> None:
    assert catalog.needs_credits_license(frozenset({"MCOEV", "MCOPSTN1"}))
    assert catalog.needs_credits_license(frozenset({"ENTERPRISEPREMIUM"}))  # "even users on E5"
    assert not catalog.needs_credits_license(frozenset({"MCOEV", "MCOPSTN1", "MCOPSTNC"}))
    assert not catalog.needs_credits_license(frozenset({"SPE_E3", "MCOMEETACPEA"}))  # pay-per-minute only
    assert not catalog.needs_credits_license(frozenset({"MCOEV"}))  # Teams Phone alone calls nobody out
