"""Load Microsoft's SKU and service plan table (reconciler/data/licensing-service-plans.csv), once."""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources

from ..domain.skutable import Product, ServicePlan, SkuTable

# The date Microsoft's page gives the table (ms.date), kept with the data: reconciler/data/licensing-service-plans.md.
AS_OF = "2025-10-29"
DATA = "licensing-service-plans.csv"  # the CSV Microsoft publishes beside the page


@cache
def sku_table() -> SkuTable:
    """The shipped table (parsed on first use: about 1 MB)."""
    text = resources.files("reconciler").joinpath("data", DATA).read_text(encoding="utf-8-sig")
    return parse_table(text, AS_OF)


def parse_table(text: str, as_of: str) -> SkuTable:
    """A table from Microsoft's CSV (one row per product and service plan, in Microsoft's columns)."""
    rows: dict[str, tuple[str, str, list[ServicePlan]]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        guid = row["GUID"].strip().lower()
        entry = rows.setdefault(guid, (row["String_Id"].strip(), row["Product_Display_Name"].strip(), []))
        plan_id = row["Service_Plan_Id"].strip().lower()
        if plan_id and all(p.id != plan_id for p in entry[2]):
            entry[2].append(
                ServicePlan(
                    row["Service_Plan_Name"].strip(), plan_id, row["Service_Plans_Included_Friendly_Names"].strip()
                )
            )
    by_guid = {guid: Product(part, guid, name, tuple(plans)) for guid, (part, name, plans) in rows.items()}
    products: dict[str, Product] = {}
    for product in by_guid.values():
        products.setdefault(product.part, product)
    return SkuTable(as_of, products, by_guid)
