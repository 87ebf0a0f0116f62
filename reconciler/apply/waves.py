"""Apply in waves, for providers that write many users at once (Microsoft Graph's $batch).

A wave is every pending action whose dependencies are done, where a dependency on the same
user's own license or location action counts as done when both are in the wave: that user's
actions become one UserWrite (location first, then one license call with every add and remove),
which is what lets Graph check Teams Phone and the calling plan that needs it together.
A group's license actions merge the same way into one GroupWrite (one assignLicense call, so a swap
never leaves members without the service in between). Actions of other kinds (subscriptions,
credits) run one by one, as in the sequential path.
"""

from __future__ import annotations

from collections.abc import Callable

from ..domain.actions import (
    Action,
    AssignGroupLicense,
    AssignLicense,
    RemoveLicense,
    SetDisabledPlans,
    SetUsageLocation,
)
from ..domain.errors import ProviderError
from ..domain.group_actions import GroupAction
from ..domain.user_actions import UserAction
from ..plan.compute import Plan
from ..providers.base import BatchProvider, GroupWrite, UserWrite, WriteResult
from ..support.crash_points import crash_point
from .outcomes import MANUAL_NOTE, ApplyResult, Journal, Outcome, blocked_by, not_attempted


def user_of(action: Action) -> str | None:
    """The user (lower-case UPN) a user-level action changes; None for tenant-level actions."""
    change = action.change
    if isinstance(change, UserAction) or (isinstance(change, SetDisabledPlans) and change.upn is not None):
        return (change.upn or "").lower()
    return None


def group_of(action: Action) -> str | None:
    """The group (as the plan names it) a group-level action changes; None for other actions."""
    change = action.change
    if isinstance(change, GroupAction) or (isinstance(change, SetDisabledPlans) and change.group is not None):
        return change.group
    return None


def subject_of(action: Action) -> str | None:
    """The user or group whose actions merge into one write; None for actions that run one by one."""
    user, group = user_of(action), group_of(action)
    return f"user/{user}" if user is not None else f"group/{group}" if group is not None else None


def next_wave(pending: list[Action], done: set[int]) -> tuple[list[Action], list[Action]]:
    """(this wave, the rest): actions whose dependencies are done or merge into the same user's write."""
    wave: list[Action] = []
    rest: list[Action] = []
    in_wave: dict[int, str | None] = {}
    for action in pending:  # plan order is topological: dependencies come first
        subject = subject_of(action)
        # A write sets the location before its license call, so a move that waits for the user's
        # own removal (a license sold only where they are leaving) goes in a later wave.
        merges = subject is not None and not isinstance(action.change, SetUsageLocation)
        if all(d in done or (merges and d in in_wave and in_wave[d] == subject) for d in action.depends_on):
            wave.append(action)
            in_wave[action.id] = subject
        else:
            rest.append(action)
    return wave, rest


def writes_of(actions: list[Action]) -> dict[str, UserWrite]:
    """One UserWrite per user for a wave's user actions."""
    location: dict[str, str] = {}
    add: dict[str, list[str]] = {}
    remove: dict[str, list[str]] = {}
    plans: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    upns: dict[str, str] = {}
    for a in actions:
        change = a.change
        key = user_of(a) or ""
        if isinstance(change, SetUsageLocation):
            location[key] = change.after
        elif isinstance(change, SetDisabledPlans):
            plans.setdefault(key, []).append((change.sku, change.after))
        elif isinstance(change, AssignLicense):
            add.setdefault(key, []).append(change.sku)
            if change.disabled:
                plans.setdefault(key, []).append((change.sku, change.disabled))
        elif isinstance(change, RemoveLicense):
            remove.setdefault(key, []).append(change.sku)
        upns.setdefault(key, (change.upn or key) if isinstance(change, (UserAction, SetDisabledPlans)) else key)
    return {
        key: UserWrite(
            upn, location.get(key), tuple(add.get(key, ())), tuple(remove.get(key, ())), tuple(plans.get(key, ()))
        )
        for key, upn in upns.items()
    }


def group_writes_of(actions: list[Action]) -> dict[str, GroupWrite]:
    """One GroupWrite per group for a wave's group actions."""
    add: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    remove: dict[str, list[str]] = {}
    for a in actions:
        change, group = a.change, group_of(a) or ""
        if isinstance(change, AssignGroupLicense):
            add.setdefault(group, []).append((change.sku, change.disabled))
        elif isinstance(change, SetDisabledPlans):
            add.setdefault(group, []).append((change.sku, change.after))
        elif isinstance(change, GroupAction):
            remove.setdefault(group, []).append(change.sku)
    return {g: GroupWrite(g, tuple(add.get(g, ())), tuple(remove.get(g, ()))) for g in {*add, *remove}}


def apply_in_waves(
    plan: Plan,
    provider: BatchProvider,
    run_one: Callable[[Action], Outcome],
    on_outcome: Callable[[Outcome], None] | None = None,
    journal: Journal | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> ApplyResult:
    """Run `plan` wave by wave; `run_one` runs a tenant-level action. Outcomes come back in plan order.

    `stop()` is asked before each tenant-level action and before each wave's user writes."""
    outcomes: dict[int, Outcome] = {}
    bad: dict[int, Outcome] = {}
    done: set[int] = set()

    def finish(outcome: Outcome) -> None:
        outcomes[outcome.action.id] = outcome
        if outcome.status in ("done", "unchanged"):
            done.add(outcome.action.id)
        else:
            bad[outcome.action.id] = blocked_by(outcome.action, bad) or outcome
        if journal is not None:
            journal.outcome(outcome)
        crash_point(outcome.action.id, "outcome")
        if on_outcome is not None:
            on_outcome(outcome)

    pending = list(plan.actions)
    while pending and not stop():
        for action in pending:
            if (root := blocked_by(action, bad)) is not None:
                finish(not_attempted(action, root))
        wave, pending = next_wave([a for a in pending if a.id not in outcomes], done)
        if not wave and pending:
            raise AssertionError("plan dependencies are out of order")  # compute_plan never makes such a plan
        users = [a for a in wave if user_of(a) is not None and not a.manual]
        groups = [a for a in wave if group_of(a) is not None and not a.manual]
        for action in wave:
            if action.manual:
                finish(Outcome(action, "manual", MANUAL_NOTE))
            elif subject_of(action) is None and not stop():
                finish(run_one(action))
        if groups and not stop():
            _write_groups(groups, provider, journal, finish)
        if users and not stop():
            _write_users(users, provider, journal, finish)
    ran = [outcomes[a.id] for a in plan.actions if a.id in outcomes]
    return ApplyResult(ran, left=len(plan.actions) - len(ran))


def _write_groups(
    actions: list[Action], provider: BatchProvider, journal: Journal | None, finish: Callable[[Outcome], None]
) -> None:
    writes = group_writes_of(actions)
    if journal is not None:
        journal.intents(actions)
    results: dict[str, WriteResult] = {}
    for group, write in sorted(writes.items()):
        try:
            results[group] = provider.write_group(write)
        except ProviderError as exc:
            results[group] = WriteResult(error=exc)
    for action in actions:
        r = results[group_of(action) or ""]
        finish(Outcome(action, "done", "", r.retries) if r.error is None else Outcome(action, "failed", str(r.error)))


def _write_users(
    actions: list[Action], provider: BatchProvider, journal: Journal | None, finish: Callable[[Outcome], None]
) -> None:
    writes = writes_of(actions)
    if journal is not None:
        journal.intents(actions)
    keys = list(writes)
    try:
        results = provider.write_users([writes[k] for k in keys])
    except ProviderError as exc:  # the whole call failed (sign-in, permissions): every write failed
        results = [WriteResult(error=exc)] * len(keys)
    by_user = dict(zip(keys, results))
    located: dict[str, Outcome] = {}  # a user's failed location: their license actions did not run
    counted: set[str] = set()  # a write's retries are reported once, on the user's first action
    for action in actions:
        key = user_of(action) or ""
        r = by_user[key]
        retries = 0 if key in counted else r.retries
        counted.add(key)
        is_location = isinstance(action.change, SetUsageLocation)
        if r.error is None or (is_location and r.part == "licenses"):
            finish(
                Outcome(
                    action,
                    "done" if r.changed or is_location else "unchanged",
                    "" if r.changed or is_location else "already so",
                    retries,
                )
            )
        elif not is_location and r.part == "location" and key in located:
            finish(not_attempted(action, located[key]))
        else:
            outcome = Outcome(action, "failed", str(r.error), retries)
            if is_location:
                located[key] = outcome
            finish(outcome)
