"""The Communications Credits part of a plan: auto-recharge, funds, and who lacks MCOPSTNC.

Turning auto-recharge on over a balance below its trigger buys `amount` at once, so a top-up to
`minimumBalance` is planned from the balance after that recharge. Under an MCA auto-recharge
must be off, and turning it off there is not destructive. Sources: docs/rules.md.
"""

from __future__ import annotations

import heapq
from decimal import ROUND_CEILING, Decimal
from typing import Any, NamedTuple

from ..domain import catalog
from ..domain.actions import AddFunds, Builder, SetAutoRecharge
from ..domain.model import AUTO_RECHARGE, BALANCE, AutoRecharge, TenantSpec, TenantState, money_out
from .licenses import UserChange


class CreditsPlan(NamedTuple):
    """The credits actions MCOPSTNC assignments must wait for, and whether credits are set up after them."""

    ids: list[int]
    available: bool


def plan_credits(spec: TenantSpec, state: TenantState, changes: list[UserChange], b: Builder) -> CreditsPlan:
    """Credits actions: their ids, and whether credits licenses can be assigned once they are done."""
    want = spec.credits
    if want is None:
        return CreditsPlan([], state.credits is not None and state.credits.licenses_available)
    live = state.credits
    ids: list[int] = []
    recharged = 0  # the id of a set_auto_recharge that buys at once, if any
    # A provider that sees MCOPSTNC but not the settings leaves them unknown; no credits at all is known.
    recharge_unknown = live is not None and AUTO_RECHARGE in state.unknown
    balance_unknown = live is not None and BALANCE in state.unknown
    live_recharge = live.auto_recharge if live and not recharge_unknown else None
    balance = live.balance(state.today) if live else Decimal(0)
    if want.auto_recharge is not None and recharge_unknown:
        b.not_readable("communicationsCredits", "autoRecharge", _brief(want.auto_recharge.to_dict()))
    # No credits at all is the same as auto-recharge off: disabling it again is no change.
    elif want.auto_recharge is not None and want.auto_recharge != (live_recharge or AutoRecharge(enabled=False)):
        # Under an MCA, off is what Microsoft requires (usage is billed afterwards): nothing is lost.
        disabling = bool(
            live_recharge and live_recharge.enabled and not want.auto_recharge.enabled and spec.agreement != "MCA"
        )
        ids.append(b.add(SetAutoRecharge(live_recharge, want.auto_recharge), destructive=disabling))
        if not balance_unknown and want.auto_recharge.buys_now(live_recharge, balance):
            balance += want.auto_recharge.amount or Decimal(0)  # the recharge it triggers at once
            recharged = ids[-1]
    if want.minimum_balance is not None and balance_unknown:
        b.not_readable("communicationsCredits", "balance", f"at least {money_out(want.minimum_balance)}")
    # A top-up is planned from the balance after any recharge that turning auto-recharge on buys.
    buying = want.minimum_balance is not None and not balance_unknown and balance < want.minimum_balance
    if want.minimum_balance is not None and buying:
        amount = (want.minimum_balance - balance).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
        # A top-up counted from the recharge waits for it: if turning it on failed, this amount
        # would leave the balance short of the minimum.
        ids.append(b.add(AddFunds(balance, balance + amount, amount), False, [recharged] if recharged else []))
    # New MCOPSTNC licenses, and what bills against credits, need credits funded or auto-recharge
    # on: judge the state after this plan's credit actions.
    recharge_after = want.auto_recharge if want.auto_recharge is not None else live_recharge
    available = (
        bool(recharge_after and recharge_after.enabled)
        or bool(live and live.funds)
        or buying
        or bool(live and live.licensed)
    )
    needing = sorted(
        {sku for c in changes for sku in c.add if catalog.needs_credits(sku, spec.agreement)}
        | {
            sku
            for sku in spec.subscriptions
            if sku not in state.subscriptions and catalog.needs_credits(sku, spec.agreement)
        }
    )
    if not available and needing and spec.agreement == "MCA":
        b.diag(
            "error",
            "credits_not_set_up",
            f"{', '.join(needing)} cannot be bought or assigned: under an MCA "
            "Communications Credits are never bought (calls are billed after use), and this tenant has none "
            f"from before; take {', '.join(needing)} out of the spec",
            "communicationsCredits",
        )
    elif not available and needing:
        b.diag(
            "error",
            "credits_not_set_up",
            "Communications Credits must be funded or auto-recharge enabled "
            f"before {', '.join(needing)} can be bought or assigned; set communicationsCredits.minimumBalance "
            "or enable autoRecharge",
            "communicationsCredits",
        )
    return CreditsPlan(ids, available)


def credits_licenses(
    spec: TenantSpec, state: TenantState, changes: list[UserChange], b: Builder, available: bool
) -> None:
    """Warn about listed callers without MCOPSTNC where calls are paid from prepaid credits (EA, MOSA);
    `available` says whether credits are set up once the plan's credits actions are done."""
    set_up = spec.credits is not None or (state.credits is not None and state.credits.licenses_available)
    if not set_up or spec.agreement not in ("EA", "MOSA"):
        return
    targets = {c.key: c.target for c in changes}
    verdicts: dict[frozenset[str], bool] = {}  # license sets are few and shared at scale
    missing = []
    live_user, target, verdict = state.users.get, targets.get, verdicts.get  # a million times each
    for key in spec.users:  # not sorted: only the first few names are shown (heapq below)
        live = live_user(key)
        if live is None:
            continue
        held = target(key, live.licenses)
        lacks = verdict(held)
        if lacks is None:
            lacks = verdicts[held] = catalog.needs_credits_license(held)
        if lacks:
            missing.append(live.upn)
    if missing:
        first = heapq.nsmallest(5, missing, key=str.lower)
        shown = ", ".join(first) + (f" and {len(missing) - 5:,} more" if len(missing) > 5 else "")
        verb = "holds (or will, after this plan)" if len(missing) == 1 else "hold (or will, after this plan)"
        # Without funds or auto-recharge, MCOPSTNC cannot be assigned yet (credits_not_set_up).
        advice = (
            "add MCOPSTNC to their licenses"
            if available
            else (
                "fund Communications Credits first "
                "(communicationsCredits.minimumBalance, or autoRecharge enabled), then add MCOPSTNC to their "
                "licenses"
            )
        )
        b.diag(
            "warning",
            "credits_license_missing",
            f"{_count(len(missing), 'listed user')} {verb} a calling plan "
            "or audio conferencing (suites such as E5 include it) without the "
            "Communications Credits license (MCOPSTNC), so they cannot make calls or dial out of meetings paid "
            f"from credits: {shown}; {advice}",
            "communicationsCredits",
        )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _brief(fields: dict[str, Any]) -> str:
    """`enabled true, triggerBelow 20, amount 50`: the spec's own words, never a Python repr."""

    def word(value: Any) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else str(value)

    return ", ".join(f"{k} {word(v)}" for k, v in fields.items())
