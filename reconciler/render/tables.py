"""The reference tables: `catalog` (the SKUs tenantctl knows) and `prices` (the shipped list prices)."""

from __future__ import annotations

from collections.abc import Mapping

from ..domain.catalog import Sku, describe_caps
from ..domain.model import PriceList
from .text import amount

# The SKU column is this wide (fixed, not fitted to the list), so the price column lines up.
PRICE_SKU_WIDTH = 62


def catalog_table(catalog: Mapping[str, Sku]) -> str:
    """One line per SKU: part number, id, name, and what it provides and needs; columns fit the longest name."""
    width = max(len(part) for part in catalog)
    lines = []
    for sku in catalog.values():
        extras = []
        if sku.provides:
            extras.append("provides " + ", ".join(sorted(sku.provides)))
        if sku.requires_any:
            extras.append("needs " + describe_caps(sku.requires_any))
        if sku.pay_as_you_go:
            extras.append("pay-as-you-go")
        lines.append(
            f"{sku.part_number:<{width}}  {sku.sku_id}  {sku.name}" + (f"  ({'; '.join(extras)})" if extras else "")
        )
    return "".join(line + "\n" for line in lines)


def prices_table(prices: PriceList) -> str:
    """The price per seat per month of each SKU, between a header (currency, date, source) and the term factors."""
    factors = ", ".join(f"{term} x{factor}" for term, factor in prices.term_factors.items())
    lines = [
        f"# {prices.currency}, as of {prices.as_of}: {prices.source}",
        *(f"{sku:<{PRICE_SKU_WIDTH}} {amount(price):>9}" for sku, price in prices.per_seat.items()),
        f"# term factors: {factors}; an annual or 3-year term billed monthly x{prices.monthly_billing_factor}",
    ]
    return "".join(line + "\n" for line in lines)
