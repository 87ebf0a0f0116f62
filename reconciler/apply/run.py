"""Stage 4: execute a plan through a provider, in order, each action idempotent.

A failed action stops the actions that depend on it (transitively); the others still run.
A manual action (no API) is never claimed as done: it ends "manual", and what depends on it
ends "waiting" until a person has done it and apply runs again.
Transient provider errors are retried with backoff that honours Retry-After, within a budget.
Each action is journaled: its intent before the provider is called, its outcome after.

A provider that writes many users at once (BatchProvider) gets the plan in waves: every action
whose dependencies are done, one UserWrite per user (see waves.py).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from ..domain.errors import ProviderError
from ..plan.compute import Action, Plan
from ..providers.base import BatchProvider, Provider
from ..providers.retry import RetryPolicy, with_retries
from ..support.crash_points import crash_point, current_action
from .outcomes import MANUAL_NOTE, ApplyResult, Journal, Outcome, blocked_by, not_attempted
from .waves import apply_in_waves

__all__ = ["ApplyResult", "Outcome", "RetryPolicy", "apply_plan", "with_retries"]


def idempotency_key(plan: Plan, action: Action) -> str:
    """Stable per (observed state, action): re-running the same plan never buys twice."""
    text = f"{plan.state_digest}|{action.type}|{action.address}|{action.after}"
    return "tenantctl-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def key_of(plan: Plan, action: Action) -> str | None:
    """The idempotency key a keyed kind (a purchase, funds) is carried out and journaled with; None for others."""
    return idempotency_key(plan, action) if action.change.keyed else None


def execute(action: Action, provider: Provider, plan: Plan) -> bool:
    """Perform one action: its kind knows the provider call. True when the tenant changed."""
    return action.change.carry_out(provider, key_of(plan, action))


def apply_plan(
    plan: Plan,
    provider: Provider,
    policy: RetryPolicy = RetryPolicy(),
    on_outcome: Callable[[Outcome], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    journal: Journal | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> ApplyResult:
    """Run every action of `plan` whose dependencies succeeded, journaling each.

    `stop()` is asked before each action (each wave, for a batch provider): once it says yes, the
    rest is left unattempted and counted in `ApplyResult.left` (Ctrl-C, a CI cancel).
    """
    if isinstance(provider, BatchProvider):
        return apply_in_waves(
            plan, provider, lambda a: _run_one(a, provider, plan, policy, sleep, journal), on_outcome, journal, stop
        )
    result = ApplyResult()
    bad: dict[int, Outcome] = {}  # action id -> the outcome that stopped it
    for n, action in enumerate(plan.actions):
        if stop():
            result.left = len(plan.actions) - n
            break
        root = blocked_by(action, bad)
        if root is not None:
            outcome = not_attempted(action, root)
        elif action.manual:
            outcome = Outcome(action, "manual", MANUAL_NOTE)
        else:
            if journal is not None:
                journal.intent(action, key_of(plan, action))
            crash_point(action.id, "intent")
            token = current_action.set(action.id)
            try:
                outcome = _attempt(action, provider, plan, policy, sleep)
            finally:
                current_action.reset(token)
        if outcome.status not in ("done", "unchanged"):
            bad[action.id] = root or outcome
        if journal is not None:
            journal.outcome(outcome)
        crash_point(action.id, "outcome")
        result.outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return result


def _run_one(
    action: Action,
    provider: Provider,
    plan: Plan,
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    journal: Journal | None,
) -> Outcome:
    if journal is not None:
        journal.intent(action, key_of(plan, action))
    crash_point(action.id, "intent")
    token = current_action.set(action.id)
    try:
        return _attempt(action, provider, plan, policy, sleep)
    finally:
        current_action.reset(token)


def _attempt(
    action: Action, provider: Provider, plan: Plan, policy: RetryPolicy, sleep: Callable[[float], None]
) -> Outcome:
    counter = [0]
    try:
        changed = with_retries(lambda: execute(action, provider, plan), policy, sleep, counter)
    except ProviderError as exc:
        return Outcome(action, "failed", str(exc), counter[0])
    return Outcome(action, "done" if changed else "unchanged", "" if changed else "already so", counter[0])
