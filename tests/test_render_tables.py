"""render/tables.py, formats.py and validation.py: catalog and prices, a saved plan in each format, and
`validate`'s line (pure)."""

from __future__ import annotations

import json
from decimal import Decimal

from conftest import EXAMPLES, SPECS, TODAY

from reconciler.domain.catalog import CATALOG, Sku
from reconciler.domain.model import PriceList
from reconciler.plan.compute import compute_plan
from reconciler.render.formats import plan_as
from reconciler.render.markdown import plan_blocks, split
from reconciler.render.tables import PRICE_SKU_WIDTH, catalog_table, prices_table
from reconciler.render.text import Style, plan_text
from reconciler.render.validation import snapshot_ok, spec_ok
from reconciler.spec.loader import load_spec
from reconciler.spec.snapshot import load_snapshot


def test_the_catalog_is_a_line_per_sku_with_columns_fitted_to_the_longest_part_number() -> None:
    skus = {
        "A": Sku("A", "id-a", "Plain"),
        "LONGER_ONE": Sku(
            "LONGER_ONE",
            "id-l",
            "Phone",
            provides=frozenset({"z", "b"}),
            requires_any=frozenset({"x"}),
            pay_as_you_go=True,
        ),
    }
    assert catalog_table(skus) == (
        "A           id-a  Plain\nLONGER_ONE  id-l  Phone  (provides b, z; needs x; pay-as-you-go)\n"
    )
    lines = catalog_table(CATALOG).splitlines()
    assert len(lines) == len(CATALOG)
    assert len({line.index(" " + sku.sku_id) for line, sku in zip(lines, CATALOG.values())}) == 1


def test_the_price_table_has_the_source_each_price_right_aligned_and_the_term_factors() -> None:
    prices = PriceList(
        currency="EUR",
        as_of="2026-01-01",
        source="list prices",
        per_seat={"SPE_E5": Decimal("54.75"), "MCOEV": Decimal("1234.5")},
        term_factors={"P1M": Decimal("1.2"), "P1Y": Decimal("1")},
        monthly_billing_factor=Decimal("1.05"),
    )
    assert prices_table(prices) == (
        "# EUR, as of 2026-01-01: list prices\n"
        f"{'SPE_E5':<{PRICE_SKU_WIDTH}}     54.75\n"
        f"{'MCOEV':<{PRICE_SKU_WIDTH}}  1,234.50\n"
        "# term factors: P1M x1.2, P1Y x1; an annual or 3-year term billed monthly x1.05\n"
    )


def test_a_plan_shows_as_json_markdown_or_text() -> None:
    spec = load_spec(SPECS / "contoso.yaml")
    plan = compute_plan(spec, load_snapshot(EXAMPLES / "contoso.snapshot.yaml", TODAY))
    source = "saved from a.yaml against local:x.db"
    assert json.loads(plan_as("json", plan, Style(False), source)) == json.loads(json.dumps(plan.to_dict()))
    assert plan_as("json", plan, Style(False), source).endswith("}\n")
    assert plan_as("markdown", plan, Style(False), source) == "\n".join(
        split(plan_blocks(plan, source), label="tenantctl plan")
    )
    assert plan_as("text", plan, Style(True), source) == plan_text(plan, Style(True), source)


def test_validate_says_the_kind_the_tenant_and_how_many_users_and_subscriptions() -> None:
    assert spec_ok(load_spec(SPECS / "contoso.yaml")).startswith("ok (Tenant contoso: ")
    state = load_snapshot(EXAMPLES / "fabrikam.snapshot.yaml", TODAY)
    assert snapshot_ok(state) == "ok (TenantSnapshot fabrikam: 6 users, 3 subscriptions)"
