"""A plan in whichever of the `--format` choices was asked for (text, json or markdown), for `show`."""

from __future__ import annotations

from ..plan.compute import Plan
from .markdown import plan_blocks, split
from .text import Style, plan_text, to_json


def plan_as(fmt: str, plan: Plan, style: Style, source: str) -> str:
    """The plan as JSON, as Markdown comment parts (joined), or as text (anything else); `source` says where from."""
    if fmt == "json":
        return to_json(plan.to_dict())
    if fmt == "markdown":
        return "\n".join(split(plan_blocks(plan, source), label="tenantctl plan"))
    return plan_text(plan, style, source)
