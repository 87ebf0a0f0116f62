"""The users' part of a plan: which licenses come off first, which wait for a swap, and the
order of assignments (prerequisites first, each after the seat it takes is free).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from ..domain import catalog
from ..domain.actions import AssignLicense, Builder, RemoveLicense
from ..domain.catalog import CREDITS_SKU


@dataclass(frozen=True)
class UserChange:
    """One user's licenses: `target` is every SKU they hold once the plan is applied (groups' too)."""

    key: str
    upn: str
    add: frozenset[str]
    remove: frozenset[str]
    target: frozenset[str]
    location: str | None  # new usage location, None when unchanged
    # Direct copies of licenses a group gives the user too: removed, but no seat is freed and nothing is lost.
    doubled: frozenset[str] = frozenset()
    disabled: dict[str, tuple[str, ...]] = field(default_factory=dict)  # disabled plans of the SKUs added
    plans: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)  # sku -> (before, after)
    # Doubled SKUs whose direct copy enables service plans every group's copy disables: removing it turns them off.
    narrowing: frozenset[str] = frozenset()
    # Added directly while a group gives them already (a group is about to lose them): no seat is taken.
    covered: frozenset[str] = frozenset()


@dataclass
class Seats:
    """What assignments need to know about seats, per SKU."""

    action: dict[str, int] = field(default_factory=dict)  # purchase or increase to wait for
    free: dict[str, int] = field(default_factory=dict)  # seats free when assignments start
    deferred: dict[str, tuple[int, int]] = field(default_factory=dict)  # decreases after a swap
    decreased: dict[str, int] = field(default_factory=dict)  # the set_seats that lowers seats now
    after_credits: list[str] = field(default_factory=list)  # purchases that wait for the credits
    # At the renewal: the count now, the count already scheduled (None), the new count, the date.
    scheduled: dict[str, tuple[int, int | None, int, date | None]] = field(default_factory=dict)
    renewal: dict[str, int] = field(default_factory=dict)  # the set_auto_renew that changes at the renewal wait for


def split_removals(changes: list[UserChange]) -> tuple[list[tuple[UserChange, str]], list[tuple[UserChange, str]]]:
    """Removals that can go first, and those that must wait for their replacement (a swap).

    A removal waits only when the licenses the user keeps throughout cannot meet a prerequisite
    that the removed license meets: swapping E5 for Teams Phone under a calling plan waits, but
    dropping MCOEV from a user who keeps E5 does not (E5 provides Teams Phone already).
    """
    early: list[tuple[UserChange, str]] = []
    late: list[tuple[UserChange, str]] = []
    for c in changes:
        kept = c.target - c.add
        unmet: set[str] = set()
        for sku in c.target:
            unmet |= catalog.missing_prerequisite(sku, kept)
        waits = {sku for sku in c.remove if c.add and catalog.capabilities({sku}) & unmet}
        newly = waits
        while newly:  # a license that a waiting removal's own license needs waits too, transitively
            needed = frozenset().union(*(catalog.missing_prerequisite(sku, kept) for sku in newly))
            newly = {sku for sku in c.remove if catalog.capabilities({sku}) & needed} - waits
            waits |= newly
        for sku in c.remove:
            (late if sku in waits else early).append((c, sku))
    key = lambda item: (-catalog.tier(item[1]), item[0].key, item[1])  # noqa: E731
    return sorted(early, key=key), sorted(late, key=key)


def removals(
    items: list[tuple[UserChange, str]], b: Builder, removal_ids: dict[str, list[int]], assigned: dict[str, list[int]]
) -> None:
    """Remove licenses; `assigned` maps a user to assignments that must come first (a swap)."""
    by_user: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for c, sku in items:
        # A license goes only after the licenses on the same user that need it.
        deps = [i for other, i in by_user[c.key] if catalog.tier(other) > catalog.tier(sku)]
        deps += assigned.get(c.key, [])
        action_id = b.add(RemoveLicense(c.upn, sku), sku not in c.doubled or sku in c.narrowing, deps)
        by_user[c.key].append((sku, action_id))
        if sku not in c.doubled:  # a direct copy the user also holds from a group frees no seat
            removal_ids[sku].append(action_id)


@dataclass
class AssignContext:
    """What assignments depend on, and the ids they were given."""

    seats: Seats
    credit_ids: list[int]
    location_ids: dict[str, int]
    removal_ids: dict[str, list[int]]
    late_removals: Counter[str]  # per SKU, how many seats swaps free at the end
    ids: dict[tuple[str, str], int] = field(default_factory=dict)
    waiting_keys: set[tuple[str, str]] = field(default_factory=set)  # (user, SKU) waiting for a swap
    per_user: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))


# An assignment waiting for the n-th swap removal of its SKU (n None: waits for a same-user one).
Waiting = tuple[UserChange, str, int | None]


def assignments(changes: list[UserChange], b: Builder, ctx: AssignContext, credits_phase: bool) -> list[Waiting]:
    """Assignments, prerequisites first; returns those that must wait for a swap to free a seat.

    `credits_phase` picks the SKUs that need Communications Credits (they go after the credits
    are set up) or all the others.

    An assignment beyond the seats free at the start takes a seat a removal frees: the n-th such
    assignment depends on the n-th removal of that SKU, so a failed removal skips it (linear).
    When only a swap's removal (which comes after assignments) frees the seat, the assignment
    waits until after the swaps, and so do that user's licenses that need it.
    """
    taken: Counter[str] = Counter()
    items = sorted(
        ((c, sku) for c in changes for sku in c.add if catalog.uses_credits(sku) == credits_phase),
        key=lambda item: (catalog.tier(item[1]), item[0].key, item[1]),
    )
    waiting: list[Waiting] = []
    waiting_keys = ctx.waiting_keys
    for c, sku in items:
        if sku in c.covered:
            _assign(c, sku, None, b, ctx)  # held already (through a group): no seat to wait for
            continue
        beyond = taken[sku] - ctx.seats.free.get(sku, 0)  # negative free: a decrease used those removals
        taken[sku] += 1
        early = len(ctx.removal_ids.get(sku, ()))
        if sku != CREDITS_SKU and 0 <= beyond - early < ctx.late_removals[sku]:
            waiting.append((c, sku, beyond - early))
        elif any((c.key, other) in waiting_keys for other in _prerequisites_added(c, sku)):
            waiting.append((c, sku, None))
        else:
            seat_dep = ctx.removal_ids[sku][beyond] if sku != CREDITS_SKU and 0 <= beyond < early else None
            _assign(c, sku, seat_dep, b, ctx)
            continue
        waiting_keys.add((c.key, sku))
    return waiting


def _prerequisites_added(c: UserChange, sku: str) -> list[str]:
    """The SKUs added to the same user that provide what `sku` needs."""
    entry = catalog.CATALOG.get(sku)
    if entry is None or not entry.requires_any:
        return []
    return [
        other
        for other in c.add
        if other != sku
        and catalog.CATALOG.get(other) is not None
        and catalog.CATALOG[other].provides & entry.requires_any
    ]


def _assign(c: UserChange, sku: str, seat_dep: int | None, b: Builder, ctx: AssignContext) -> None:
    deps = [ctx.location_ids[c.key]] if c.key in ctx.location_ids else []
    if sku in ctx.seats.action:
        deps.append(ctx.seats.action[sku])
    if seat_dep is not None:
        deps.append(seat_dep)
    if catalog.uses_credits(sku):
        deps.extend(ctx.credit_ids)
    deps.extend(ctx.ids[(c.key, other)] for other in _prerequisites_added(c, sku) if (c.key, other) in ctx.ids)
    action_id = b.add(AssignLicense(c.upn, sku, c.disabled.get(sku, ())), False, deps)
    ctx.ids[(c.key, sku)] = action_id
    ctx.per_user[c.key].append(action_id)


def check_swap_cycles(late: list[tuple[UserChange, str]], waiting: list[Waiting], b: Builder) -> None:
    """A user whose swap needs a seat that only another swap frees cannot be ordered safely."""
    swapping = {c.key for c, _ in late}
    for c, sku, _ in waiting:
        if c.key in swapping:
            b.diag(
                "error",
                "swap_needs_spare_seat",
                f"'{c.upn}' swaps licenses, but the {sku} seat the swap needs "
                "is freed only by another user's swap; raise the seats of "
                f"{sku} by one for this change "
                "(lower them again afterwards)",
                f"user/{c.upn}/{sku}",
            )


def assign_after_swaps(waiting: list[Waiting], b: Builder, ctx: AssignContext) -> None:
    """Assignments whose seat a swap frees, each after the removal that frees it."""
    for c, sku, n in waiting:
        late_ids = ctx.removal_ids[sku][len(ctx.removal_ids[sku]) - ctx.late_removals[sku] :]
        _assign(c, sku, late_ids[n] if n is not None else None, b, ctx)
