"""render/progress.py: the lines a terminal sees while a folder is reviewed or an apply runs (pure)."""

from __future__ import annotations

from reconciler.render.progress import BAR_WIDTH, apply_bar, fleet_tick


def test_a_fleet_tick_says_which_file_finished_and_how() -> None:
    assert fleet_tick(2, 5, "tenant-specs/contoso.yaml", failed=False) == "[2/5] tenant-specs/contoso.yaml: done"
    assert fleet_tick(5, 5, "specs/bad.yaml", failed=True) == "[5/5] specs/bad.yaml: failed"


def test_the_apply_bar_redraws_its_line_and_ends_it_only_after_the_last_action() -> None:
    first = apply_bar(1, 60, "assign_license")
    assert first == "\r[" + " " * BAR_WIDTH + "] 1/60 assign_license        "
    half = apply_bar(30, 60, "set_seats")
    assert half == "\r[" + "#" * 15 + " " * 15 + "] 30/60 set_seats             "
    assert apply_bar(60, 60, "purchase_subscription") == "\r[" + "#" * 30 + "] 60/60 purchase_subscription \n"
    # The bar never outgrows its brackets, and the type column is padded so a shorter type wipes a longer one.
    assert {len(apply_bar(n, 77, "x").split("]")[0]) for n in range(1, 78)} == {BAR_WIDTH + 2}
