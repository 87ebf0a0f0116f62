"""Markdown for pull-request comments: what matters first, the long lists folded, split to fit.

GitHub rejects a comment over 65,536 characters, and a 10,000-user change is far longer. The
output is built from blocks (a heading and summary that stay together; lists that may be cut
between items) and packed into numbered parts. A list cut across parts is closed properly at
the end of one part (code fence, `</details>`) and reopened in the next under its tenant's
heading, so every part renders on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.actions import SetTerm
from ..plan.compute import Action, Plan
from ..plan.drift import DriftReport
from .patterns import user_patterns
from .text import amount, brief, cost_note, count, describe, signed, summary_line, symbol

GITHUB_COMMENT_LIMIT = 65_536
GROUP_ABOVE = 50  # user actions in a plan beyond which the comment shows them grouped by change
# Room for the part header (`<!-- tenantctl part 12/34 -->` and the italic line) and a margin.
_HEADER_RESERVE = 200


@dataclass(frozen=True)
class Block:
    """Lines that open the block, items that may be split between parts, lines that close it.

    `context` is the heading repeated (with "continued") when the block goes on in a new part.
    """

    opening: tuple[str, ...]
    items: tuple[str, ...] = ()
    closing: tuple[str, ...] = ()
    context: str = ""
    continued: tuple[str, ...] = ()  # opening lines when reopened in a later part (default: opening)


def size(text: str) -> int:
    """Characters as GitHub counts them (UTF-16 code units), so emoji and accents do not overflow."""
    return len(text.encode("utf-16-le")) // 2


def fold(summary: str, lines: list[str], context: str, fence: str = "") -> Block:
    """A `<details>` list, optionally in a code fence, that can be split between parts."""
    start = ("", f"```{fence}") if fence else ("",)
    end = ("```", "") if fence else ("",)
    return Block(
        opening=(f"<details><summary>{summary}</summary>",) + start,
        items=tuple(lines),
        closing=end + ("</details>", ""),
        context=context,
        continued=(f"<details open><summary>{summary} (continued)</summary>",) + start,
    )


def split(blocks: list[Block], limit: int = GITHUB_COMMENT_LIMIT, label: str = "tenantctl") -> list[str]:
    """Pack blocks into parts of at most `limit` characters each, numbered when there are several."""
    budget = limit - _HEADER_RESERVE
    parts: list[list[str]] = [[]]
    used = 0

    def new_part() -> None:
        nonlocal used
        parts.append([])
        used = 0

    def put(lines: tuple[str, ...] | list[str]) -> None:
        nonlocal used
        parts[-1].extend(lines)
        used += sum(size(line) + 1 for line in lines)

    for block in blocks:
        opening, closing = list(block.opening), list(block.closing)
        first = block.items[:1]
        if used and used + _cost(opening + list(first) + closing) > budget:
            new_part()
        put(_fit(opening, budget))
        for item in block.items:
            line = _truncate(item, budget // 2)
            if used + _cost([line] + closing) > budget:
                put(closing)
                new_part()
                put(
                    ([f"#### {block.context} (continued)", ""] if block.context else [])
                    + list(block.continued or block.opening)
                )
            put([line])
        put(closing)
    return _number([p for p in parts if p], label)


def _cost(lines: list[str]) -> int:
    return sum(size(line) + 1 for line in lines)


def _fit(lines: list[str], budget: int) -> list[str]:
    """An unsplittable block longer than a part is cut, not allowed to break the limit."""
    out: list[str] = []
    for line in lines:
        if _cost(out + [line]) > budget:
            out.append("*(cut to fit the comment limit)*")
            break
        out.append(line)
    return out


def _truncate(line: str, width: int) -> str:
    return line if size(line) <= width else line[: width - 1] + "…"


def _number(parts: list[list[str]], label: str) -> list[str]:
    """Every part starts with a hidden marker, so CI can find (and replace) its earlier comments."""
    total = len(parts)
    if total == 1:
        return [f"<!-- {label} part 1/1 -->\n" + "\n".join(parts[0]).rstrip("\n") + "\n"]
    return [
        f"<!-- {label} part {i}/{total} -->\n_Part {i} of {total}_\n\n" + "\n".join(lines).rstrip("\n") + "\n"
        for i, lines in enumerate(parts, start=1)
    ]


def plan_blocks(plan: Plan, source: str = "") -> list[Block]:
    """A plan as a review comment: summary, counts, cost and destructive actions outside any fold."""
    heading = f"Tenant `{plan.tenant}`"
    head = [f"### {heading}", ""] + ([f"<sub>{source}</sub>", ""] if source else [])
    head += [f"**{summary_line(plan)}**", ""]
    by_type = plan.summary()["by_type"]
    if by_type:
        head += ["| action | count |", "|---|---:|"] + [f"| `{t}` | {n} |" for t, n in by_type.items()] + [""]
    head += _cost_table(plan)
    blocks = [Block(tuple(head))]
    if plan.diagnostics:
        blocks.append(
            Block(
                ("**Diagnostics**", ""),
                tuple(f"- **{d.severity}** `{d.code}`: {d.message}" for d in plan.diagnostics),
                ("",),
                heading,
            )
        )
    users = sum(1 for a in plan.actions if a.change.per_user)
    grouped = users > GROUP_ABOVE  # beyond this, user actions are shown by pattern (all are in the JSON)
    patterns = user_patterns(plan.actions) if grouped else []
    if plan.destructive:
        shown = [a for a in plan.destructive if not grouped or not a.change.per_user]
        lines = [f"- :warning: `{a.type}` `{a.address}` {describe(a)}".rstrip() for a in shown]
        lines += [f"- :warning: {p.line()}" for p in patterns if p.destructive]
        blocks.append(
            Block((f":warning: **{len(plan.destructive):,} destructive action(s):**", ""), tuple(lines), ("",), heading)
        )
    commitments = [a for a in plan.actions if isinstance(a.change, SetTerm)]
    if commitments:
        blocks.append(
            Block(
                (f":warning: **{len(commitments)} commitment change(s)** (term or billing frequency):", ""),
                tuple(
                    f"- :warning: `{a.type}` `{a.address}` {describe(a)}".rstrip() + _priced(plan, a)
                    for a in commitments
                ),
                ("",),
                heading,
            )
        )
    manual = [a for a in plan.actions if a.manual]
    if manual:
        steps = [
            f"- [ ] `{a.type}` `{a.address}` {describe(a)}: " + " ".join(f"{n}. {s}" for n, s in enumerate(a.steps, 1))
            for a in manual
        ]
        blocks.append(
            Block(
                (f":raising_hand: **{len(manual)} manual step(s)** (no API; apply lists them, never does them):", ""),
                tuple(steps),
                ("",),
                heading,
            )
        )
    listed = [a for a in plan.actions if not grouped or not a.change.per_user]
    if listed:
        lines = []
        for a in listed:
            cost = plan.cost.for_action(a.id) if plan.cost else None
            note = cost_note(cost, a) if cost else ""
            lines.append(
                f"{symbol(a)} {a.type} {a.address} {describe(a)}".rstrip()
                + (f" [{note}]" if note else "")
                + (" (manual)" if a.manual else "")
            )
        title = (
            f"All {len(plan.actions)} actions" if not grouped else f"{len(listed):,} subscription and credits action(s)"
        )
        blocks.append(fold(title, lines, heading, fence="diff"))
    if grouped:
        blocks.append(
            Block(
                (
                    f"**{users:,} user actions by change** ({count(len(patterns), 'pattern')}; every "
                    "action is in the JSON plan: `tenantctl plan SPEC --out plan.json`):",
                    "",
                ),
                tuple(f"- {p.line()}" for p in patterns),
                ("",),
                heading,
            )
        )
    return blocks


def _priced(plan: Plan, action: Action) -> str:
    cost = plan.cost.for_action(action.id) if plan.cost else None
    note = cost_note(cost, action) if cost else ""
    return f" [{note}]" if note else ""


def _cost_table(plan: Plan) -> list[str]:
    cost = plan.cost
    lines: list[str] = []
    if cost is not None and plan.actions:
        lines += [
            f"| monthly cost ({cost.currency}) | before | after | change |",
            "|---|---:|---:|---:|",
            f"| {'list and spec' if cost.spec_priced else 'list'} prices as of {cost.as_of} | "
            f"{amount(cost.monthly_before)} | {amount(cost.monthly_after)} | **{signed(cost.monthly_delta)}** |",
        ]
        if cost.monthly_at_renewal is not None:
            lines.append(
                f"| from the renewal (scheduled seat changes) | {amount(cost.monthly_before)} | "
                f"{amount(cost.monthly_at_renewal)} | "
                f"**{signed(cost.monthly_at_renewal - cost.monthly_before)}** |"
            )
        lines.append("")
        if cost.one_time:
            lines += [f"One-time: **{amount(cost.one_time)} {cost.currency}** of Communications Credits.", ""]
        if cost.unpriced:
            lines += [f"Not priced: {', '.join(f'`{s}`' for s in cost.unpriced)} (add them to `spec.prices`).", ""]
    for g in plan.guardrails:
        mark = (
            (":warning: overridden" if g.overridden else ":no_entry: exceeded")
            if g.exceeded
            else ":white_check_mark: ok"
        )
        lines.append(f"- guardrail `{g.name}`: {mark} ({g.detail})")
    return lines + ([""] if plan.guardrails else [])


def drift_blocks(report: DriftReport) -> list[Block]:
    """A drift report: verdict first, drifted fields as a table split between parts when long."""
    errors = sum(1 for d in report.diagnostics if d.severity == "error")
    verdict = (
        f"{count(len(report.items), 'field')} drifted"
        if report.items
        else f"{count(errors, 'error')}, no field drifted"
        if report.drifted
        else "no drift"
    )
    heading = f"Tenant `{report.tenant}`"
    blocks = [Block((f"### {heading}: {verdict}", ""))]
    if report.items:
        table = ("| address | kind | expected | actual |", "|---|---|---|---|")
        blocks.append(
            Block(
                table,
                tuple(f"| `{i.address}` | {i.kind} | {brief(i.expected)} | {brief(i.actual)} |" for i in report.items),
                ("",),
                heading,
                table,
            )
        )
    notes = [f"- **{d.severity}** `{d.code}`: {d.message}" for d in list(report.diagnostics) + list(report.health)]
    notes += [f"- `{name}`: unknown (the provider cannot read it; not drift)" for name in report.unknown]
    notes += [
        f"- `{s['address']}`: seats {s['seats']} -> {s['scheduled']} at the renewal "
        f"({s['effective'] or 'date unknown'}), scheduled as the spec wants (not drift)"
        for s in report.scheduled
    ]
    if notes:
        blocks.append(Block((), tuple(notes), ("",), heading))
    return blocks
