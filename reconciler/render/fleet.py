"""Output for many tenants in one run (`plan`, `drift` and `validate` on a folder): each tenant's
section (a failed one says why), the footer that counts the outcomes, and the JSON document.

The runs come from `cli.fleet.run_all`; they are taken by shape (`Run`), so render never imports
the CLI. With one file, the CLI prints the single-tenant format and none of this is used but the
sections, which are then exactly that format.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol, TypeAlias, TypeVar

from ..plan.compute import FORMAT_VERSION, Plan
from ..plan.drift import DriftReport
from .markdown import Block, split
from .text import Style

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

# A tenant's word in a fleet plan or drift: the `status` of each tenant in the JSON, and what the footer counts.
PlanStatus: TypeAlias = Literal["failed", "changes", "unchanged"]
DriftStatus: TypeAlias = Literal["failed", "drifted", "in sync"]


class Run(Protocol[T_co]):
    """One file's outcome: a result, or the error that stopped it (`cli.fleet.TenantRun` is one)."""

    @property
    def file(self) -> str: ...

    @property
    def result(self) -> T_co | None: ...

    @property
    def error(self) -> str | None: ...


def footer(total: int, counts: list[tuple[int, str]], failed: int, noun: str = "tenants") -> str:
    """`3 tenants: 2 with changes, 1 unchanged, 0 failed`."""
    parts = [f"{n} {label}" for n, label in counts] + [f"{failed} failed"]
    return f"{total} {noun if total != 1 else noun.rstrip('s')}: " + ", ".join(parts)


def plan_status(plan: Plan | None) -> PlanStatus:
    """A tenant's plan in one word: failed (no plan, or one with errors), changes or unchanged."""
    if plan is None or plan.has_errors:
        return "failed"
    return "changes" if plan.actions else "unchanged"


def drift_status(report: DriftReport | None) -> DriftStatus:
    """A tenant's drift in one word: failed (no report), drifted or in sync."""
    if report is None:
        return "failed"
    return "drifted" if report.drifted else "in sync"


def plan_footer(status: Sequence[PlanStatus]) -> str:
    """`3 tenants: 1 with changes, 1 unchanged, 1 failed`."""
    counts = Counter(status)
    return footer(
        len(status), [(counts["changes"], "with changes"), (counts["unchanged"], "unchanged")], counts["failed"]
    )


def drift_footer(status: Sequence[DriftStatus]) -> str:
    """`3 tenants: 1 drifted, 1 in sync, 1 failed`."""
    counts = Counter(status)
    return footer(len(status), [(counts["drifted"], "drifted"), (counts["in sync"], "in sync")], counts["failed"])


def fleet_text(runs: Sequence[Run[T]], render: Callable[[T], str], footer: str, style: Style) -> str:
    """One text section per tenant (`render` of its result, or why it failed), then the footer when there is one."""
    sections = [
        render(r.result)
        if r.result is not None
        else style.bold(f"Tenant file {r.file}: failed") + "\n" + (r.error or "") + "\n"
        for r in runs
    ]
    return "\n".join(sections) + (f"\n{style.bold(footer)}\n" if footer else "")


def fleet_markdown(runs: Sequence[Run[T]], blocks_of: Callable[[T], list[Block]], footer: str, label: str) -> list[str]:
    """The tenants' Markdown blocks (a failed one says why) and the footer, split into comment parts."""
    blocks: list[Block] = []
    for r in runs:
        blocks += (
            blocks_of(r.result)
            if r.result is not None
            else [Block((f"### Tenant file `{r.file}`: failed", "", "```", *(r.error or "").splitlines(), "```", ""))]
        )
    if footer:
        blocks.append(Block((f"**{footer}**",)))
    return split(blocks, label=label)


def plans_json(runs: Sequence[Run[T]], plan_of: Callable[[T], Plan], shard: str | None = None) -> dict[str, Any]:
    """The JSON document of a fleet plan: each tenant's file, status, plan and error, and the counts (and
    `shard`, K/N, for one shard of a fleet: `report merge` checks every shard is there once)."""
    plans = [plan_of(r.result) if r.result is not None else None for r in runs]
    status = [plan_status(p) for p in plans]
    counts = Counter(status)
    tenants = [
        {
            "file": r.file,
            "tenant": p.tenant if p is not None else None,
            "status": s,
            "plan": p.to_dict() if p is not None else None,
            "error": r.error,
        }
        for r, p, s in zip(runs, plans, status)
    ]
    return {
        "format_version": FORMAT_VERSION,
        "tenants": tenants,
        "summary": {
            "tenants": len(runs),
            "with_changes": counts["changes"],
            "unchanged": counts["unchanged"],
            "failed": counts["failed"],
            **({"shard": shard} if shard else {}),
        },
    }


def drifts_json(
    runs: Sequence[Run[T]], report_of: Callable[[T], DriftReport], shard: str | None = None
) -> dict[str, Any]:
    """The JSON document of a fleet drift: each tenant's file, status, report and error, and the counts (and
    `shard`, as plans_json)."""
    reports = [report_of(r.result) if r.result is not None else None for r in runs]
    status = [drift_status(d) for d in reports]
    counts = Counter(status)
    return {
        "format_version": "1",
        "tenants": [
            {"file": r.file, "status": s, "report": d.to_dict() if d is not None else None, "error": r.error}
            for r, d, s in zip(runs, reports, status)
        ],
        "summary": {
            "tenants": len(runs),
            "drifted": counts["drifted"],
            "in_sync": counts["in sync"],
            "failed": counts["failed"],
            **({"shard": shard} if shard else {}),
        },
    }
