"""The reference tables: `catalog` (the SKUs tenantctl models, and Microsoft's whole table) and `prices` (the
shipped list prices)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..domain.catalog import Sku, describe_caps
from ..domain.model import PriceList
from ..domain.skutable import Product
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


def products_table(products: Sequence[Product], as_of: str) -> str:
    """One line per SKU of Microsoft's table: part number, id, product name, how many service plans."""
    width = max(len(p.part) for p in products)
    lines = [
        f"{p.part:<{width}}  {p.guid}  {p.name} ({len(p.plans)} service plans)"
        for p in sorted(products, key=lambda p: p.part.lower())
    ]
    lines.append(
        f"# {len(products):,} SKU(s), Microsoft's licensing table as of {as_of}; "
        "`tenantctl catalog SKU` lists one's service plans"
    )
    return "".join(line + "\n" for line in lines)


def product_table(product: Product, as_of: str) -> str:
    """One SKU and its service plans (the names a spec's disabledPlans takes)."""
    width = max((len(s.name) for s in product.plans), default=0)
    lines = [f"{product.part}  {product.guid}  {product.name}"]
    lines += [f"  {s.name:<{width}}  {s.id}  {s.friendly}" for s in sorted(product.plans, key=lambda s: s.name.lower())]
    lines.append(f"# {len(product.plans)} service plan(s), Microsoft's licensing table as of {as_of}")
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
