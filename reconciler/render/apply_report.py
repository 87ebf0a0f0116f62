"""What an apply did, in words: the report after a run, and the account of a run cut short.

The report is the failed and skipped actions, the summary line and the manual checklist
(`text.apply_text`, `text.checklist`). A run cut short is told in the same words two ways: from
its result when it stopped between actions (`stopped_summary`), and from its journal when it was
torn out of an action (`journal_truth`; the ledger keeps that as the run's summary, so `history`
shows it too).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..apply.outcomes import ApplyResult
from .text import Style, apply_text, checklist


def apply_report(result: ApplyResult, style: Style) -> str:
    """The failed (in red) and skipped actions, the bold summary line, then the manual checklist if any."""
    lines = []
    for o in result.outcomes:
        if o.status == "failed":
            lines.append(
                style.paint(f"  x failed    #{o.action.id} {o.action.type} {o.action.address}: {o.message}", "!")
            )
        elif o.status == "skipped":
            lines.append(f"  - skipped   #{o.action.id} {o.action.type} {o.action.address}: {o.message}")
    lines.append(style.bold(apply_text(result)))
    return "".join(line + "\n" for line in lines) + checklist(result)


def stopped_summary(result: ApplyResult, run_id: str, where: str) -> str:
    """What a run stopped between actions did; the journal holds the same. `where`: the history options."""
    return (
        f"{result.count('done'):,} done, {result.count('unchanged'):,} already so, {result.count('failed'):,} "
        f"failed of the {len(result.outcomes):,} actions run; the other {result.left:,} were not attempted. "
        + _next_steps(run_id, where)
    )


def journal_truth(rows: Sequence[dict[str, Any]], total: int, run_id: str, where: str = "") -> str:
    """What the journal proves a cut-short run did, and what to do next."""
    count = {status: sum(1 for r in rows if r["outcome"] == status) for status in ("done", "unchanged", "failed")}
    doubt = [r for r in rows if r["intent_at"] and r["outcome"] is None]
    if not any(count.values()) and not doubt:
        return f"the journal of run {run_id} shows that no action started; nothing was applied"
    left = total - sum(count.values()) - len(doubt)
    return (
        f"{count['done']:,} done, {count['unchanged']:,} already so, {count['failed']:,} failed"
        + "".join(
            f"; #{r['action_id']} {r['type']} {r['address']} was in flight and may or may not have happened"
            for r in doubt
        )
        + f"; the other {left:,} of {total:,} were not attempted. "
        + _next_steps(run_id, where)
    )


def _next_steps(run_id: str, where: str) -> str:
    """Where both accounts of a cut-short run end: how to see all of it, and that finishing it is safe."""
    return (
        f"`tenantctl history {run_id}{where}` lists every action; run apply again to finish the rest: it reads the "
        "tenant again and never buys twice"
    )
