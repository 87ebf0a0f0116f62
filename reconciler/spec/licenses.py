"""License entries as specs and snapshots write them: a SKU's name (or id), or `{sku, disabledPlans}`.

Shared by the spec's rules and the snapshot loader. Service plans resolve by name or id through
Microsoft's table (skutable.py), and must belong to the SKU they are disabled in.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from ..domain import catalog
from ..domain.groups import DisabledPlans, plans_of
from .skutable import sku_table

Where = tuple[str | int, ...]
Fail = Callable[[Where, str, str], None]  # (where, message, hint)


def known_sku(name: str) -> str | None:
    """The canonical skuPartNumber of a SKU named by part number or skuId, or None when nobody knows it."""
    if catalog.lookup(name) is not None:
        return catalog.canonical(name)
    if name.lower() in catalog.BY_SKU_ID:
        return catalog.BY_SKU_ID[name.lower()].part_number
    product = sku_table().resolve(name)
    return None if product is None else catalog.canonical(product.part)


def suggest_sku(name: str) -> str | None:
    """The nearest known part number, for a did-you-mean (the modelled SKUs first)."""
    return catalog.suggest(name) or sku_table().suggest(name)


def unknown_sku_hint(name: str) -> str:
    """What to tell the writer of an unknown SKU: the nearest known one, or how to find one."""
    near = suggest_sku(name)
    return f"did you mean '{near}'?" if near else "`tenantctl catalog --search TEXT` finds a SKU by name"


def sku_of(raw: Any) -> str:
    """The SKU an entry names, as written."""
    return str(raw["sku"]) if isinstance(raw, dict) else str(raw)


def disabled_plans(sku: str, raw: Any, where: Where, fail: Fail) -> frozenset[str] | None:
    """The disabled plans an entry gives (None for a bare name: not managed), by service plan name.

    A plan that is not one of the SKU's is reported; a SKU Microsoft's table does not list takes the
    names as written (nothing to check them against)."""
    if not isinstance(raw, dict) or "disabledPlans" not in raw:
        return None
    product = sku_table().resolve(sku)
    names: set[str] = set()
    for j, name in enumerate(raw["disabledPlans"]):
        here = where + ("disabledPlans", j)
        plan = product.plan(name) if product is not None else None
        if product is not None and plan is None:
            near = product.suggest_plan(name)
            fail(
                here,
                f"'{name}' is not a service plan of {sku}",
                f"did you mean '{near}'?" if near else f"`tenantctl catalog {sku}` lists its service plans",
            )
            continue
        resolved = plan.name if plan is not None else name
        if resolved in names:
            fail(here, f"service plan '{name}' is listed twice", "")
        names.add(resolved)
    return frozenset(names)


def read_entries(
    entries: list[Any], where: Where, fail: Fail, resolve: Callable[[Where, str], str | None]
) -> tuple[frozenset[str], DisabledPlans, list[tuple[int, str]]]:
    """The SKUs of a license list, the disabled plans of those in the long form, and each SKU's index.

    `resolve` turns a written SKU into the canonical one (reporting an unknown one itself, None)."""
    skus: list[tuple[int, str]] = []
    disabled: dict[str, frozenset[str]] = {}
    for j, raw in enumerate(entries):
        here = where + (j,)
        sku = resolve(here + (("sku",) if isinstance(raw, dict) else ()), sku_of(raw))
        if sku is None:
            continue
        plans = disabled_plans(sku, raw, here, fail)
        if plans is not None:
            disabled[sku] = plans
        skus.append((j, sku))
    return frozenset(s for _, s in skus), _managed(disabled), skus


def _managed(disabled: dict[str, frozenset[str]]) -> DisabledPlans:
    """Managed disabled plans keep their empty sets: `[]` means "every plan on", not "not managed"."""
    return MappingProxyType(disabled) if disabled else plans_of(None)
