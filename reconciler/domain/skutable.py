"""Microsoft's table of every SKU and the service plans inside it ("Product names and service plan
identifiers for licensing"), as a value: names and ids resolve both ways.

The money and calling rules stay on the SKUs `catalog.py` models; this table only says which SKUs and
service plans exist, so any of them can be named in a spec and `tenantctl catalog` can search them.
It is loaded from package data by `spec/skutable.py` (the domain reads no files).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class ServicePlan:
    """One service plan: its name (Service_Plan_Name), id and friendly name."""

    name: str
    id: str
    friendly: str


@dataclass(frozen=True)
class Product:
    """One SKU: its string id (skuPartNumber), GUID (skuId), product name and service plans."""

    part: str
    guid: str
    name: str
    plans: tuple[ServicePlan, ...] = ()

    def plan(self, name_or_id: str) -> ServicePlan | None:
        """The service plan named (or with the id) `name_or_id`, or None when this SKU has no such plan."""
        wanted = name_or_id.lower()
        return next((p for p in self.plans if p.name.lower() == wanted or p.id == wanted), None)

    def suggest_plan(self, name: str) -> str | None:
        """The nearest service plan name, for a did-you-mean."""
        match = difflib.get_close_matches(name.upper(), [p.name.upper() for p in self.plans], n=1, cutoff=0.6)
        return next((p.name for p in self.plans if match and p.name.upper() == match[0]), None)


@dataclass(frozen=True)
class SkuTable:
    """Every product Microsoft lists, by string id and by GUID; `as_of` is the table's date."""

    as_of: str
    products: dict[str, Product] = field(default_factory=dict)  # by part number (the first of a repeated one)
    by_guid: dict[str, Product] = field(default_factory=dict)

    def resolve(self, name_or_guid: str) -> Product | None:
        """The product with this skuPartNumber (case as written, then any case) or skuId, or None."""
        product = self.products.get(name_or_guid) or self.by_guid.get(name_or_guid.lower())
        if product is None:
            product = self._folded().get(name_or_guid.upper())
        return product

    @cached_property
    def _folded_parts(self) -> dict[str, Product]:
        """Products by upper-case part number, for a case-insensitive lookup."""
        return {part.upper(): p for part, p in self.products.items()}

    def _folded(self) -> dict[str, Product]:
        return self._folded_parts

    def search(self, text: str) -> list[Product]:
        """Products whose part number, GUID or name contains `text`, or that hold a plan that does."""
        needle = text.lower()
        return [
            p
            for p in self.by_guid.values()
            if needle in p.part.lower()
            or needle in p.guid
            or needle in p.name.lower()
            or any(needle in s.name.lower() or needle in s.friendly.lower() or needle == s.id for s in p.plans)
        ]

    def suggest(self, name: str) -> str | None:
        """The nearest part number, for a did-you-mean."""
        match = difflib.get_close_matches(name.upper(), list(self._folded()), n=1, cutoff=0.75)
        return self._folded()[match[0]].part if match else None
