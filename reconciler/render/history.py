"""`history`: past applies as the ledger recorded them, newest first, in text or JSON.

The runs and their journals are read by the CLI (`apply.ledger.Ledger.runs`, `.actions`); a run is
taken by shape (`RunRow`), so render stays off the ledger's SQLite module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

# What a journal row with no outcome means: the intent was written, then the process died.
IN_DOUBT = "IN DOUBT (intent recorded, no outcome: the process died here)"


class RunRow(Protocol):
    """One past apply (`apply.ledger.RunRecord` is one)."""

    @property
    def run_id(self) -> str: ...

    @property
    def started(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def total(self) -> int: ...

    @property
    def source(self) -> str: ...

    @property
    def summary(self) -> str | None: ...

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        ...


def history_json(runs: Sequence[RunRow], actions: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The JSON document: every run with its journal (`actions`, by run id; [] for a run not in it)."""
    return {"format_version": "1", "runs": [dict(r.to_dict(), actions=actions.get(r.run_id, [])) for r in runs]}


def history_text(runs: Sequence[RunRow], actions: Mapping[str, list[dict[str, Any]]], address: str) -> str:
    """One line per run (and its summary), then each journalled action of the runs in `actions`."""
    if not runs:
        return f"No applies recorded in {address}.\n"
    lines: list[str] = []
    for r in runs:
        lines.append(f"{r.run_id}  {r.started}  {r.status:<11}  {r.total:>7,} action(s)  {r.source}")
        if r.summary:
            lines.append(f"    {r.summary}")
        lines.extend(action_line(a) for a in actions.get(r.run_id, []))
    return "".join(line + "\n" for line in lines)


def action_line(row: dict[str, Any]) -> str:
    """`    #3     assign_license         user/ada@contoso.com/SPE_E5  done`, with retries and any message."""
    outcome = row["outcome"] or IN_DOUBT
    retries = f", {row['retries']} retries" if row["retries"] else ""
    message = f": {row['message']}" if row["message"] and row["outcome"] != "done" else ""
    return f"    #{row['action_id']:<5} {row['type']:<22} {row['address']}  {outcome}{retries}{message}"
