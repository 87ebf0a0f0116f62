"""render/apply_report.py: what an apply did, and the account of a run cut short (pure)."""

from __future__ import annotations

from typing import Any

from reconciler.apply.outcomes import ApplyResult, Outcome
from reconciler.domain.actions import Action, AssignLicense, SetSeats
from reconciler.render.apply_report import apply_report, journal_truth, stopped_summary
from reconciler.render.text import Style

SEATS = Action(1, SetSeats("SPE_E5", 10, 12))
ADA = Action(2, AssignLicense("ada@contoso.com", "SPE_E5"), depends_on=(1,))
BOB = Action(3, AssignLicense("bob@contoso.com", "SPE_E5"))
MANUAL = Action(4, SetSeats("MCOEV", 1, 2), manual=True, steps=("Open the admin center.", "Set 2 licenses."))
NEXT = (
    "`tenantctl history R1 --name contoso` lists every action; run apply again to finish the rest: it reads the "
    "tenant again and never buys twice"
)


def test_the_report_lists_failed_in_red_and_skipped_then_the_bold_summary() -> None:
    result = ApplyResult(
        [
            Outcome(SEATS, "failed", "refused (ask support)"),
            Outcome(ADA, "skipped", "not attempted: action 1 failed"),
            Outcome(BOB, "done", retries=2),
        ]
    )
    assert apply_report(result, Style(False)) == (
        "  x failed    #1 set_seats subscription/SPE_E5: refused (ask support)\n"
        "  - skipped   #2 assign_license user/ada@contoso.com/SPE_E5: not attempted: action 1 failed\n"
        "Apply: 1 done, 0 already so, 1 failed, 1 not attempted, 2 retries.\n"
    )
    coloured = apply_report(result, Style(True)).splitlines()
    assert coloured[0] == "\x1b[31m  x failed    #1 set_seats subscription/SPE_E5: refused (ask support)\x1b[0m"
    assert coloured[1].startswith("  - skipped") and coloured[2].startswith("\x1b[1mApply: 1 done")


def test_the_report_ends_with_the_checklist_when_manual_steps_remain() -> None:
    text = apply_report(ApplyResult([Outcome(BOB, "done"), Outcome(MANUAL, "manual")]), Style(False))
    assert text.startswith("Apply: 1 done, 0 already so, 0 failed, 0 not attempted, 1 manual, 0 waiting for them.\n\n")
    assert "Manual steps remain: 1 change(s) have no API." in text
    assert text.endswith(
        "  [ ] #4 set_seats subscription/MCOEV  seats: 1 -> 2\n        1. Open the admin center.\n"
        "        2. Set 2 licenses.\n"
    )


def test_a_run_stopped_between_actions_counts_what_ran_and_what_was_left() -> None:
    result = ApplyResult([Outcome(SEATS, "done"), Outcome(BOB, "unchanged")], left=1_500)
    assert stopped_summary(result, "R1", " --name contoso") == (
        "1 done, 1 already so, 0 failed of the 2 actions run; the other 1,500 were not attempted. " + NEXT
    )


def journal(*rows: tuple[int, str | None, bool]) -> list[dict[str, Any]]:
    """Journal rows: (action id, outcome, intent recorded)."""
    return [
        {
            "action_id": i,
            "type": "set_seats",
            "address": f"subscription/S{i}",
            "intent_at": "t" if intent else None,
            "outcome": outcome,
        }
        for i, outcome, intent in rows
    ]


def test_the_journal_says_when_no_action_started() -> None:
    assert journal_truth([], 10, "R1") == "the journal of run R1 shows that no action started; nothing was applied"
    # Skipped rows have no intent: still nothing started.
    assert journal_truth(journal((1, "skipped", False)), 10, "R1").startswith("the journal of run R1 shows")


def test_the_journal_names_each_action_in_flight_and_counts_the_rest_as_not_attempted() -> None:
    rows = journal((1, "done", True), (2, "unchanged", True), (3, "failed", True), (4, None, True), (5, None, False))
    assert journal_truth(rows, 2_000, "R1", " --name contoso") == (
        "1 done, 1 already so, 1 failed; #4 set_seats subscription/S4 was in flight and may or may not have happened"
        "; the other 1,996 of 2,000 were not attempted. " + NEXT
    )
