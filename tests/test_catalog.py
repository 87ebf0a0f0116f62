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


def test_every_modelled_sku_is_in_microsofts_table_with_the_same_id() -> None:
    """The catalog's money rules are on SKUs Microsoft's table names; both agree on every skuId."""
    from reconciler.spec.skutable import sku_table

    table = sku_table()
    for part, entry in catalog.CATALOG.items():
        product = table.by_guid.get(entry.sku_id)
        assert product is not None and catalog.canonical(product.part) == part, part


@pytest.mark.parametrize(
    "name, guid",
    [
        ("SPB", "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"),  # Microsoft 365 Business Premium
        ("STANDARDPACK", "18181a46-0d4e-45cd-891e-60aabd171b4e"),  # Office 365 E1
        ("SPE_F1", "66b55226-6b4f-492c-910c-a3b7a3c9d993"),  # Microsoft 365 F3
        ("MCOCAP", "295a8eb0-f78d-45c7-8b5b-1eed5ed02dff"),  # Teams Shared Devices (common area phones)
        ("Microsoft_Teams_Premium", "36a0f3b3-adb5-49ea-bf66-762134cf063a"),  # Teams Premium (introductory)
    ],
)
def test_the_skus_a_new_user_missed_resolve_by_name_and_id(name: str, guid: str) -> None:
    from reconciler.spec.licenses import known_sku
    from reconciler.spec.skutable import sku_table

    assert known_sku(name) == name and known_sku(guid) == name and known_sku(name.lower()) == name
    assert sku_table().resolve(guid) is sku_table().resolve(name)


def test_service_plans_resolve_by_name_and_id_within_their_sku() -> None:
    from reconciler.spec.skutable import sku_table

    e5 = sku_table().resolve("SPE_E5")
    assert e5 is not None
    sway = e5.plan("SWAY")
    assert sway is not None and e5.plan(sway.id) == sway and e5.plan("sway") == sway
    assert e5.plan("NOT_A_PLAN") is None and e5.suggest_plan("SWAYY") == "SWAY"


def test_catalog_lists_searches_and_shows_a_skus_service_plans(cli) -> None:
    assert "Microsoft 365 Business Premium" in cli("catalog", "--search", "business premium").out
    shown = cli("catalog", "SPE_E5")
    assert shown.code == 0 and "SWAY" in shown.out and "YAMMER_ENTERPRISE" in shown.out
    assert "as of" in shown.out
    unknown = cli("catalog", "SPE_E55")
    assert unknown.code == 1 and "did you mean 'SPE_E5'" in unknown.err
    assert cli("catalog", "--all").out.count("\n") > 500
