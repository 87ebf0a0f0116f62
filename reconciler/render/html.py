"""`tenantctl report`: one self-contained HTML page for a tenant or a fleet.

No network, no external assets, no JavaScript: inline CSS and plain HTML, so the page can be
attached to a CI run or mailed, and read anywhere. Built from the same values as plan and drift
(spec, state, plan, drift report), so it can never disagree with them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from html import escape

from ..domain.model import BALANCE, TenantSpec, TenantState, money_out
from ..plan.compute import Plan
from ..plan.drift import EXPIRY_WARNING_DAYS, DriftReport
from .text import amount, count, describe, signed, summary_line

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1b1f24;max-width:72rem}
h1{font-size:1.6rem}h2{font-size:1.3rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2.2rem}
h3{font-size:1.05rem;margin-top:1.4rem}table{border-collapse:collapse;margin:.5rem 0 1rem}
th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.bar{background:#eaeef2;width:16rem;height:1rem;position:relative;border-radius:3px}
.fill{background:#2f81f7;height:100%;border-radius:3px}.full .fill{background:#cf222e}
.want{position:absolute;top:-3px;bottom:-3px;width:2px;background:#1b1f24}
.ok{color:#1a7f37}.bad{color:#cf222e}.warn{color:#9a6700}.muted{color:#57606a;font-size:.9rem}
ol.steps{margin:.2rem 0 .6rem 1.2rem}code{background:#f6f8fa;padding:0 .2rem}
"""


@dataclass(frozen=True)
class TenantReport:
    """What one tenant's section is made of."""

    spec: TenantSpec
    state: TenantState
    plan: Plan
    drift: DriftReport
    address: str


@dataclass(frozen=True)
class FailedTenant:
    """A tenant whose spec or state could not be read: its section says why."""

    file: str
    error: str


def page(tenants: list[TenantReport | FailedTenant], title: str) -> str:
    """The whole HTML document."""
    body = [f"<h1>{escape(title)}</h1>"]
    if len(tenants) > 1:
        body += _fleet(tenants)
    for t in tenants:
        body += _failed(t) if isinstance(t, FailedTenant) else _tenant(t)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _fleet(tenants: list[TenantReport | FailedTenant]) -> list[str]:
    rows = []
    for t in tenants:
        if isinstance(t, FailedTenant):
            rows.append(f'<tr><td>{escape(t.file)}</td><td class="bad" colspan="4">failed: {escape(t.error)}</td></tr>')
            continue
        cost = t.plan.cost
        rows.append(
            f'<tr><td><a href="#tenant-{escape(t.plan.tenant)}">{escape(t.plan.tenant)}</a></td>'
            f'<td class="num">{len(t.plan.actions):,}</td><td class="num">{len(t.drift.items):,}</td>'
            f'<td class="num">{signed(cost.monthly_delta) if cost else ""}</td>'
            f'<td class="num">{sum(1 for d in t.plan.diagnostics if d.severity == "error")}</td></tr>'
        )
    return [
        "<h2>Fleet</h2>",
        "<table><tr><th>tenant</th><th>planned actions</th><th>drifted fields</th>"
        "<th>monthly change</th><th>errors</th></tr>",
        *rows,
        "</table>",
    ]


def _failed(t: FailedTenant) -> list[str]:
    return [f"<h2>{escape(t.file)}</h2>", f'<p class="bad">Could not be reported: {escape(t.error)}</p>']


def _tenant(t: TenantReport) -> list[str]:
    name = escape(t.plan.tenant)
    out = [
        f'<h2 id="tenant-{name}">Tenant {name}</h2>',
        f'<p class="muted">{escape(t.spec.agreement)} · {escape(t.address)} · as of {t.state.today.isoformat()}</p>',
        f"<p><strong>{escape(summary_line(t.plan))}</strong></p>",
    ]
    out += _cost(t.plan) + _seats(t) + _drift(t.drift) + _credits(t) + _manual(t.plan) + _diagnostics(t.plan)
    return out


def _cost(plan: Plan) -> list[str]:
    cost = plan.cost
    if cost is None:
        return []
    rows = [
        f'<tr><td>now</td><td class="num">{amount(cost.monthly_before)}</td>'
        f'<td class="num">{amount(cost.monthly_after)}</td>'
        f'<td class="num">{signed(cost.monthly_delta)}</td></tr>'
    ]
    if cost.monthly_at_renewal is not None:
        rows.append(
            f'<tr><td>from the renewal</td><td class="num">{amount(cost.monthly_before)}</td>'
            f'<td class="num">{amount(cost.monthly_at_renewal)}</td>'
            f'<td class="num">{signed(cost.monthly_at_renewal - cost.monthly_before)}</td></tr>'
        )
    once = (
        f"<p>One-time: {amount(cost.one_time)} {escape(cost.currency)} of Communications Credits.</p>"
        if cost.one_time
        else ""
    )
    return [
        "<h3>Monthly cost of managed subscriptions</h3>",
        f"<table><tr><th>{escape(cost.currency)}, list prices as of {escape(cost.as_of)}</th><th>before</th>"
        "<th>after the plan</th><th>change</th></tr>",
        *rows,
        "</table>",
        once,
    ]


def _seats(t: TenantReport) -> list[str]:
    rows = []
    for sku in sorted(t.spec.subscriptions):
        live = t.state.subscriptions.get(sku)
        seats, used = (live.seats, live.consumed) if live else (0, 0)
        wanted = t.spec.subscriptions[sku].seats
        scale = max(seats, wanted, 1)
        fill = 100 * used / scale
        full = " full" if seats and used >= seats else ""
        rows.append(
            f'<tr><td><code>{escape(sku)}</code></td><td class="num">{used:,} / {seats:,}</td>'
            f'<td class="num">{wanted:,}</td><td><div class="bar{full}" role="img" '
            f'aria-label="{used} of {seats} seats assigned; the spec wants {wanted}">'
            f'<div class="fill" style="width:{fill:.1f}%"></div>'
            f'<div class="want" style="left:{100 * wanted / scale:.1f}%"></div></div></td></tr>'
        )
    return [
        "<h3>Seats: assigned of bought (the mark: what the spec wants)</h3>",
        "<table><tr><th>SKU</th><th>assigned / bought</th><th>spec</th><th></th></tr>",
        *rows,
        "</table>",
    ]


def _drift(report: DriftReport) -> list[str]:
    if not report.drifted:
        out = ["<h3>Drift</h3>", '<p class="ok">No drift: the tenant matches the spec.</p>']
    else:
        kinds = Counter(i.kind for i in report.items)
        out = [
            "<h3>Drift</h3>",
            f'<p class="bad">{count(len(report.items), "field differs", "fields differ")} from the spec.</p>',
            "<table><tr><th>kind</th><th>fields</th></tr>",
            *(f'<tr><td><code>{escape(k)}</code></td><td class="num">{n:,}</td></tr>' for k, n in kinds.most_common()),
            "</table>",
        ]
    if report.unknown:
        out.append(
            '<p class="muted">Not readable through this provider (never drift): '
            + ", ".join(f"<code>{escape(u)}</code>" for u in report.unknown)
            + "</p>"
        )
    for s in report.scheduled:
        out.append(
            f"<p>Scheduled: <code>{escape(s['address'])}</code> seats {s['seats']} → {s['scheduled']} at the "
            f"renewal ({escape(s['effective'] or 'date unknown')}), as the spec wants.</p>"
        )
    return out


def _credits(t: TenantReport) -> list[str]:
    credits = t.state.credits
    if credits is None or BALANCE in t.state.unknown:
        return []
    soon = t.state.today + timedelta(days=EXPIRY_WARNING_DAYS)
    lots = [lot for lot in credits.live_lots(t.state.today) if lot.remaining > 0]
    rows = [
        f'<tr><td>{lot.purchased.isoformat()}</td><td class="num">{money_out(lot.remaining)}</td>'
        f'<td class="{"warn" if lot.expires <= soon else ""}">{lot.expires.isoformat()}</td></tr>'
        for lot in lots
    ]
    recharge = credits.auto_recharge
    state = f"on: below {recharge.trigger_below}, buy {recharge.amount}" if recharge.enabled else "off"
    return [
        "<h3>Communications Credits</h3>",
        f"<p>Balance {money_out(credits.balance(t.state.today))}; auto-recharge {escape(state)}.</p>",
        "<table><tr><th>bought</th><th>remaining</th><th>expires</th></tr>",
        *rows,
        "</table>",
    ]


def _manual(plan: Plan) -> list[str]:
    manual = [a for a in plan.actions if a.manual]
    if not manual:
        return []
    out = [f"<h3>Manual steps waiting ({len(manual)})</h3>"]
    for a in manual:
        out.append(f"<p><code>{escape(a.type)}</code> <code>{escape(a.address)}</code> {escape(describe(a))}</p>")
        out.append('<ol class="steps">' + "".join(f"<li>{escape(s)}</li>" for s in a.steps) + "</ol>")
    return out


def _diagnostics(plan: Plan) -> list[str]:
    shown = [d for d in plan.diagnostics if d.severity in ("error", "warning")]
    if not shown:
        return []
    css = {"error": "bad", "warning": "warn"}
    return [
        "<h3>Errors and warnings</h3>",
        "<ul>",
        *(
            f'<li class="{css[d.severity]}"><strong>{d.severity}</strong> <code>{escape(d.code)}</code>: '
            f"{escape(d.message)}</li>"
            for d in shown
        ),
        "</ul>",
    ]
