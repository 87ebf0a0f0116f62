"""Which removals wait for a swap, on prerequisite chains deeper than today's catalog holds.

The shipped catalog's chains are at most Communications Credits -> calling plan -> Teams Phone, so
a waiting removal's own prerequisites never reach a third license. Licensing by service plans
(issue 17) brings deeper ones; `split_removals` promises the rule transitively, so it is checked
here on a synthetic catalog: ROOT <- BASE <- PHONE <- CALL, and SUITE provides all three.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.domain import catalog
from reconciler.domain.catalog import Sku
from reconciler.plan.licenses import UserChange, split_removals

SYNTHETIC = (
    Sku("X_ROOT", "00000000-0000-0000-0000-000000000001", "root", provides=frozenset({"x-root"})),
    Sku(
        "X_BASE",
        "00000000-0000-0000-0000-000000000002",
        "base",
        provides=frozenset({"x-base"}),
        requires_any=frozenset({"x-root"}),
    ),
    Sku(
        "X_PHONE",
        "00000000-0000-0000-0000-000000000003",
        "phone",
        provides=frozenset({"x-phone"}),
        requires_any=frozenset({"x-base"}),
    ),
    Sku(
        "X_CALL",
        "00000000-0000-0000-0000-000000000004",
        "call",
        provides=frozenset({"x-call"}),
        requires_any=frozenset({"x-phone"}),
    ),
    Sku(
        "X_SUITE", "00000000-0000-0000-0000-000000000005", "suite", provides=frozenset({"x-root", "x-base", "x-phone"})
    ),
    Sku("X_OTHER", "00000000-0000-0000-0000-000000000006", "unrelated", provides=frozenset({"x-other"})),
)


@pytest.fixture(autouse=True)
def synthetic_catalog(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for sku in SYNTHETIC:
        monkeypatch.setitem(catalog.CATALOG, sku.part_number, sku)
    monkeypatch.setattr(catalog, "_SKUS", catalog._SKUS + SYNTHETIC)
    catalog.tier.cache_clear()
    yield
    catalog.tier.cache_clear()


def change(held: set[str], target: set[str]) -> UserChange:
    return UserChange("u", "u@example.com", frozenset(target - held), frozenset(held - target), frozenset(target), None)


def test_every_link_of_a_chain_under_a_kept_license_waits_for_the_swap() -> None:
    # CALL stays; PHONE, BASE and ROOT give way to SUITE. Each is needed, through the chain, until
    # SUITE is there; the unrelated license is not part of the swap.
    early, late = split_removals([change({"X_CALL", "X_PHONE", "X_BASE", "X_ROOT", "X_OTHER"}, {"X_CALL", "X_SUITE"})])
    assert [sku for _, sku in late] == ["X_PHONE", "X_BASE", "X_ROOT"]  # the dependent first
    assert [sku for _, sku in early] == ["X_OTHER"]


def test_without_a_replacement_nothing_waits() -> None:
    early, late = split_removals([change({"X_PHONE", "X_BASE", "X_ROOT"}, set())])
    assert late == [] and [sku for _, sku in early] == ["X_PHONE", "X_BASE", "X_ROOT"]


def test_a_kept_license_keeps_its_own_prerequisite_until_the_replacement_is_there() -> None:
    # BASE stays and needs ROOT, which only SUITE replaces: ROOT waits as well as PHONE (CALL's).
    early, late = split_removals(
        [change({"X_CALL", "X_PHONE", "X_BASE", "X_ROOT", "X_OTHER"}, {"X_CALL", "X_BASE", "X_SUITE"})]
    )
    assert [sku for _, sku in late] == ["X_PHONE", "X_ROOT"]
    assert [sku for _, sku in early] == ["X_OTHER"]
