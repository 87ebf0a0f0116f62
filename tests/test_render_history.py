"""render/history.py: `history` as text and JSON, from run records and journal rows (pure)."""

from __future__ import annotations

import json
from typing import Any

from reconciler.apply.ledger import RunRecord
from reconciler.render.history import IN_DOUBT, action_line, history_json, history_text
from reconciler.render.text import to_json

RUN = RunRecord(
    run_id="20261121T090000Z-abc123",
    tenant="contoso",
    started="2026-11-21T09:00:00Z",
    finished="2026-11-21T09:00:05Z",
    status="failed",
    source="tenant-specs/contoso.yaml",
    plan_digest=None,
    total=1234,
    summary="Apply: 1 done, 0 already so, 1 failed, 1 not attempted.",
)
QUIET = RunRecord(
    "20261120T080000Z-def456", "contoso", "2026-11-20T08:00:00Z", None, "running", "plan.json", "d", 2, None
)


def row(action_id: int, outcome: str | None, message: str | None = "", retries: int | None = 0) -> dict[str, Any]:
    """A journal row as `Ledger.actions` returns it."""
    return {
        "action_id": action_id,
        "type": "set_seats",
        "address": "subscription/SPE_E5",
        "idempotency_key": None,
        "intent_at": "2026-11-21T09:00:01Z",
        "outcome": outcome,
        "message": message,
        "retries": retries,
        "outcome_at": None,
    }


def test_each_run_is_a_line_with_its_summary_under_it_and_a_run_without_one_is_a_line() -> None:
    assert history_text([RUN, QUIET], {}, "local:x.db") == (
        "20261121T090000Z-abc123  2026-11-21T09:00:00Z  failed         1,234 action(s)  tenant-specs/contoso.yaml\n"
        "    Apply: 1 done, 0 already so, 1 failed, 1 not attempted.\n"
        "20261120T080000Z-def456  2026-11-20T08:00:00Z  running            2 action(s)  plan.json\n"
    )


def test_no_runs_says_where_it_looked() -> None:
    assert (
        history_text([], {}, "local:.tenantctl/contoso.db") == "No applies recorded in local:.tenantctl/contoso.db.\n"
    )


def test_a_runs_journal_follows_it_with_outcome_retries_and_any_message_but_a_done_ones() -> None:
    journal = [row(1, "done", "ignored for done", 2), row(2, "failed", "refused", 0), row(3, None, None, None)]
    lines = history_text([RUN], {RUN.run_id: journal}, "x").splitlines()
    assert lines[2:] == [
        "    #1     set_seats              subscription/SPE_E5  done, 2 retries",
        "    #2     set_seats              subscription/SPE_E5  failed: refused",
        f"    #3     set_seats              subscription/SPE_E5  {IN_DOUBT}",
    ]
    assert action_line(row(12345, "skipped", "not attempted: action 1 failed")) == (
        "    #12345 set_seats              subscription/SPE_E5  skipped: not attempted: action 1 failed"
    )


def test_the_json_document_is_every_run_with_its_journal_and_an_empty_one_when_not_read() -> None:
    journal = [row(1, "done")]
    document = history_json([RUN, QUIET], {RUN.run_id: journal})
    assert list(document) == ["format_version", "runs"] and document["format_version"] == "1"
    first, second = document["runs"]
    assert first == dict(RUN.to_dict(), actions=journal)
    assert list(first)[:3] == ["run_id", "tenant", "started"] and list(first)[-1] == "actions"
    assert second["actions"] == [] and second["summary"] is None
    assert json.loads(to_json(document)) == document
    assert history_json([], {}) == {"format_version": "1", "runs": []}
