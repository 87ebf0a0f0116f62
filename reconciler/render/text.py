"""Human and machine renderings of plans, drift reports and apply results."""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import click

from ..apply.outcomes import ApplyResult
from ..domain.actions import (
    AddFunds,
    AssignGroupLicense,
    AssignLicense,
    PurchaseSubscription,
    RemoveGroupLicense,
    RemoveLicense,
    ScheduleSeats,
    SetAutoRecharge,
    SetDisabledPlans,
    SetTerm,
)
from ..domain.model import money_out
from ..domain.user_actions import LicenseAction
from ..plan.compute import Action, Diagnostic, Plan
from ..plan.cost import ActionCost
from ..plan.drift import DriftReport

_COLOR = {"+": "green", "~": "yellow", "-": "red", "!": "red", "?": "cyan"}


class Style:
    """ANSI colours, or none (NO_COLOR, --no-color, or not a terminal)."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def paint(self, text: str, symbol: str) -> str:
        """Colour `text` for the change `symbol`."""
        colour = _COLOR.get(symbol)
        return click.style(text, fg=colour) if self.color and colour else text

    def bold(self, text: str) -> str:
        """Bold text."""
        return click.style(text, bold=True) if self.color else text


def symbol(action: Action) -> str:
    """+ adds, - removes, ~ changes in place."""
    return action.change.symbol


def describe(action: Action) -> str:
    """The change in words: `seats: 200 -> 250`, `triggerBelow: 50 -> 100`."""
    change = action.change
    if isinstance(change, (AssignLicense, AssignGroupLicense)):
        return f"disabledPlans: {_plans(change.disabled)}" if change.disabled else ""
    if isinstance(change, (LicenseAction, RemoveGroupLicense)):
        return ""
    if isinstance(change, SetDisabledPlans):
        return f"disabledPlans: {_plans(change.before)} -> {_plans(change.after)}"
    before, after = action.before, action.after
    if before is None:
        return " ".join(f"{k}={_value(v)}" for k, v in (after or {}).items())
    if isinstance(change, AddFunds):
        return (
            f"add {_value(money_out(change.amount))} (balance {_value(money_out(change.balance))} -> "
            f"{_value(money_out(change.new_balance))})"
        )
    if isinstance(change, ScheduleSeats):
        when = f"at renewal ({change.effective_iso or 'date unknown'})"
        if change.scheduled is None:
            return f"seats: {change.before} -> {change.after} {when}"
        if change.after == change.before:
            return f"seats: {change.before}, cancels the {change.scheduled} scheduled {when}"
        return f"seats: {change.before} now, {change.scheduled} scheduled -> {change.after} {when}"
    from deepdiff import DeepDiff  # here: importing it costs every command 45 ms, and few plans need it

    diff = DeepDiff(before, after or {}, verbose_level=2)
    parts = []
    for path, moved in sorted(diff.get("values_changed", {}).items()):
        parts.append(f"{_field(path)}: {_value(moved['old_value'])} -> {_value(moved['new_value'])}")
    for path, value in sorted(diff.get("dictionary_item_added", {}).items()):
        parts.append(f"{_field(path)}: (none) -> {_value(value)}")
    for path, value in sorted(diff.get("dictionary_item_removed", {}).items()):
        parts.append(f"{_field(path)}: {_value(value)} -> (none)")
    for path, moved in sorted(diff.get("type_changes", {}).items()):
        parts.append(f"{_field(path)}: {_value(moved['old_value'])} -> {_value(moved['new_value'])}")
    return ", ".join(parts)


def _plans(plans: tuple[str, ...]) -> str:
    return ", ".join(plans) if plans else "(none)"


def _field(path: str) -> str:
    return path.replace("root['", "").replace("']['", ".").replace("']", "")


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def count(n: int, singular: str, plural: str = "") -> str:
    """`1 error`, `2 errors`, `1,200 users`."""
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"


def summary_line(plan: Plan) -> str:
    """`Plan: 2 to buy, 3 to change, 40 to assign, 1 to remove (1 destructive).`, or why it cannot run."""
    errors = sum(1 for d in plan.diagnostics if d.severity == "error")
    if errors:
        what = f"{len(plan.actions):,} planned" if plan.actions else "nothing planned"
        return f"The plan has {count(errors, 'error')} (above) and cannot be applied ({what})."
    if not plan.actions and plan.targets:
        return "No changes for the targets (a partial plan: the rest of the spec was not compared)."
    if not plan.actions:
        return "No changes. The tenant matches the spec."
    counts = plan.summary()["by_type"]
    buy = counts.get(PurchaseSubscription.kind, 0) + counts.get(AddFunds.kind, 0)
    assign = counts.get(AssignLicense.kind, 0) + counts.get(AssignGroupLicense.kind, 0)
    remove = counts.get(RemoveLicense.kind, 0) + counts.get(RemoveGroupLicense.kind, 0)
    change = len(plan.actions) - buy - assign - remove
    manual = sum(1 for a in plan.actions if a.manual)
    return (
        f"Plan: {buy:,} to buy, {change:,} to change, {assign:,} to assign, {remove:,} to remove "
        f"({len(plan.destructive):,} destructive" + (f", {manual:,} manual" if manual else "") + ")."
    )


def action_line(action: Action, style: Style, cost: ActionCost | None = None) -> str:
    """One action as a line of text."""
    sym = symbol(action)
    detail = describe(action)
    line = f"  {sym} {action.type:<22} {action.address}"
    if detail:
        line += f"  {detail}"
    if action.destructive:
        line += "  (destructive)"
    if isinstance(action.change, SetTerm):
        line += "  (commitment change)"
    if action.manual:
        line += "  (manual: no API)"
    if cost is not None and (price := cost_note(cost, action)):
        line += f"  [{price}]"
    return style.paint(line, sym)


def cost_note(cost: ActionCost, action: Action | None = None) -> str:
    """`+16.00/month`, `one-time 90.00`, `price unknown`, or "" when it costs nothing."""
    if cost.monthly_delta is None:
        return "price unknown"
    parts = []
    if cost.monthly_delta:
        parts.append(f"{signed(cost.monthly_delta)}/month")
    if cost.one_time:
        recharge = action is not None and isinstance(action.change, SetAutoRecharge)
        parts.append(
            f"one-time {amount(cost.one_time)}"
            + (": the balance is below the new trigger, so it recharges at once" if recharge else "")
        )
    if cost.starts and parts:
        parts[0] += f" from {cost.starts}"
    return ", ".join(parts)


def amount(value: Decimal) -> str:
    """Money as `1,234.50`."""
    return f"{value:,.2f}"


def signed(value: Decimal) -> str:
    """Money with its sign: `+16.00`, `-4.00`."""
    return f"{value:+,.2f}"


def cost_lines(plan: Plan) -> list[str]:
    """The cost summary and the guardrail checks, as plain lines."""
    lines = []
    cost = plan.cost
    if cost is not None:
        lines.append(
            f"Cost of managed subscriptions: {amount(cost.monthly_before)} -> {amount(cost.monthly_after)} "
            f"{cost.currency}/month "
            f"({signed(cost.monthly_delta)})"
            + (
                f", {amount(cost.monthly_at_renewal)} from the renewal "
                f"({signed(cost.monthly_at_renewal - cost.monthly_before)})"
                if cost.monthly_at_renewal is not None
                else ""
            )
            + f"; one-time {amount(cost.one_time)} {cost.currency} (funds). "
            f"List prices as of {cost.as_of}"
            + (f" (spec prices for {', '.join(cost.spec_priced)})" if cost.spec_priced else "")
            + "; pay-as-you-go minutes are billed as used."
        )
        if cost.unpriced:
            lines.append(
                f"Not priced (no list price in {cost.currency}): {', '.join(cost.unpriced)}; add them to spec.prices."
            )
    for g in plan.guardrails:
        state = "OVERRIDDEN" if g.exceeded and g.overridden else "EXCEEDED" if g.exceeded else "ok"
        lines.append(f"Guardrail {g.name}: {state} ({g.detail})")
    return lines


def diagnostics_text(diagnostics: Iterable[Diagnostic], style: Style) -> list[str]:
    """Diagnostics as lines: `error[user_not_found]: ...`."""
    return [
        style.paint(f"{d.severity}[{d.code}]: {d.message}", "!" if d.severity == "error" else "?") for d in diagnostics
    ]


def plan_text(plan: Plan, style: Style, source: str = "") -> str:
    """The readable plan."""
    lines = [style.bold(f"Tenant {plan.tenant}") + (f" ({source})" if source else "")]
    if plan.actions:
        lines.append("")
        lines.extend(action_line(a, style, plan.cost.for_action(a.id) if plan.cost else None) for a in plan.actions)
    if plan.diagnostics:
        lines.append("")
        lines.extend(diagnostics_text(plan.diagnostics, style))
    lines.append("")
    lines.append(style.bold(summary_line(plan)))
    if plan.actions or plan.guardrails:
        lines.extend(cost_lines(plan))
    return "\n".join(lines) + "\n"


def to_json(document: dict[str, Any]) -> str:
    """Stable JSON text: two-space indent, keys in the documented order."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def drift_text(report: DriftReport, style: Style) -> str:
    """The readable drift report."""
    lines = [style.bold(f"Tenant {report.tenant}")]
    for item in report.items:
        lines.append(
            style.paint(
                f"  ! {item.address} ({item.kind}): expected {brief(item.expected)}, actual {brief(item.actual)}", "!"
            )
        )
    for name in report.unknown:
        lines.append(style.paint(f"  ? {name}: unknown (the provider cannot read it; not drift)", "?"))
    for s in report.scheduled:
        when = s["effective"] or "date unknown"
        lines.append(
            style.paint(
                f"  ~ {s['address']}: seats {s['seats']} -> {s['scheduled']} at the renewal ({when}), "
                "as the spec wants (scheduled; not drift)",
                "~",
            )
        )
    lines.extend("  " + line for line in diagnostics_text(report.diagnostics, style))
    lines.extend("  " + line for line in diagnostics_text(report.health, style))
    errors = sum(1 for d in report.diagnostics if d.severity == "error")
    if report.items:
        verdict = f"Drift: {count(len(report.items), 'field differs', 'fields differ')} from the spec."
        verdict += f" {count(errors, 'error')} above." if errors else ""
    elif report.drifted:
        verdict = (
            f"Drift: {count(errors, 'error')} above (such as a listed user missing from the tenant); "
            "no compared field differs."
        )
    else:
        verdict = "No drift. The tenant matches the spec."
    lines.append(style.bold(verdict))
    return "\n".join(lines) + "\n"


def brief(value: Any) -> str:
    """A drift value in a few words."""
    if value is None:
        return "absent"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_value(v)}" for k, v in value.items())
    return _value(value)


def apply_text(result: ApplyResult) -> str:
    """What apply did and did not do."""
    done, same = result.count("done"), result.count("unchanged")
    failed, skipped = result.count("failed"), result.count("skipped")
    # Those a failure held back and those an interrupt stopped are both "not attempted".
    line = f"Apply: {done:,} done, {same:,} already so, {failed:,} failed, {skipped + result.left:,} not attempted"
    if result.left:
        line += f" ({result.left:,} stopped by the interrupt)"
    manual, waiting = result.count("manual"), result.count("waiting")
    if manual or waiting:
        line += f", {manual:,} manual, {waiting:,} waiting for them"
    if result.retries:
        line += f", {result.retries:,} retries"
    return line + "."


def checklist(result: ApplyResult) -> str:
    """The manual steps that remain, numbered, for a person to tick off; "" when there are none."""
    if not result.manual:
        return ""
    lines = [
        "",
        f"Manual steps remain: {len(result.manual)} change(s) have no API. tenantctl did NOT do them.",
        "Do them in the Microsoft 365 admin center, then run apply again to finish "
        f"({result.count('waiting'):,} action(s) wait for them):",
    ]
    for o in result.manual:
        a = o.action
        lines.append(f"  [ ] #{a.id} {a.type} {a.address}  {describe(a)}".rstrip())
        lines.extend(f"        {n}. {step}" for n, step in enumerate(a.steps, 1))
    return "\n".join(lines) + "\n"
