"""List prices per SKU per month, from the shipped data file, overridden per tenant by the spec.

The price file is data, not code, so prices can be corrected without touching the planner;
the planner only ever sees a resolved PriceList (no file access while planning).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from ..domain.model import PriceList, money
from .yamlload import load_bytes

PRICE_FILE = "data/prices.yaml"


@cache
def _shipped() -> dict[str, Any]:
    raw = resources.files("reconciler").joinpath(PRICE_FILE).read_bytes()
    data = load_bytes(raw, f"reconciler/{PRICE_FILE}").data
    assert isinstance(data, dict), "the shipped price file must be a mapping"
    return data


def price_list(currency: str, overrides: dict[str, Decimal] | None = None) -> PriceList:
    """The shipped prices for `currency`, with the spec's `overrides` on top."""
    data = _shipped()
    per_seat = {sku: money(value) for sku, value in (data["currencies"].get(currency) or {}).items()}
    per_seat.update(overrides or {})
    return PriceList(
        currency=currency,
        as_of=str(data["asOf"]),
        source=str(data["source"]),
        per_seat=per_seat,
        term_factors={t: money(f) for t, f in data["termFactors"].items()},
        monthly_billing_factor=money(data.get("monthlyBillingFactor", 1)),
        overrides=frozenset(overrides or ()),
    )
