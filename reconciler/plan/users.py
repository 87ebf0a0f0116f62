"""Per user, what to add, remove and re-plan: the spec's licenses against the user's direct ones,
with what groups give (now, or once Microsoft has processed them) taken into account.

A license a user holds only through a group is never removed from the user (docs/rules.md G3). A
direct copy of a license a group also gives is removed when the spec does not list it (Microsoft's
advice when moving to group licensing: nothing is lost, no seat is freed), but only once the group's
copy has arrived, never in the plan that gives the group the license.
"""

from __future__ import annotations

from collections import defaultdict

from ..domain import catalog
from ..domain.actions import Builder, SetDisabledPlans
from ..domain.model import TenantSpec, TenantState, UserSpec, UserState
from .groups import Groups
from .licenses import UserChange

Named = defaultdict[tuple[str, str], list[str]]  # (group name, SKU) -> the users a diagnostic names


def user_changes(spec: TenantSpec, state: TenantState, groups: Groups, b: Builder) -> list[UserChange]:
    """Per user, what to add and remove. Linear in the number of users."""
    managed = spec.managed_skus
    changes: list[tuple[str, UserState, UserSpec | None]] = []
    kept_by_group: Named = defaultdict(list)  # (group name, SKU) -> users keeping it unlisted
    waiting: Named = defaultdict(list)  # (group name, SKU) -> users whose direct copy stays until the group's arrives
    missing: list[UserSpec] = []
    # Not sorted: a million keys take a second to sort, and the few users with changes are sorted below.
    keys = spec.users.keys() | state.users.keys() if spec.prune else spec.users.keys()
    live_user, wanted, member_of = state.users.get, spec.users.get, groups.member_of.get  # a million times each
    for key in keys:
        live = live_user(key)
        want = wanted(key)
        if live is None:
            assert want is not None
            missing.append(want)
            continue
        if (
            want is not None
            and want.licenses == live.licenses
            and want.usage_location in (None, live.usage_location)
            and (not want.disabled or _plans_unchanged(want, live))
            and not member_of(key)
        ):
            continue  # the common case at scale, decided without building sets (spec licenses are all managed)
        changes.append((key, live, want))
    for want in sorted(missing, key=lambda u: u.upn.lower()):
        _missing(spec, want, b)
    found = []
    for key, live, want in sorted(changes, key=lambda c: c[0]):
        change = _change(key, live, want, managed, groups, b, kept_by_group, waiting)
        if change is not None:
            found.append(change)
    for (name, sku), upns in sorted(waiting.items()):
        b.diag(
            "info",
            "direct_copy_kept",
            f"{_some(upns)} hold {sku} directly and get it from group '{name}' once Microsoft has processed the "
            "group; their direct copies are removed by a later plan, after the group's copy has arrived "
            "(Microsoft's advice: check the group's licenses are applied before removing direct ones)",
            f"group/{name}/{sku}",
        )
    for (name, sku), upns in sorted(kept_by_group.items()):
        b.diag(
            "info",
            "license_from_group",
            f"{_some(upns)} hold {sku} through group '{name}', which the spec manages, without being listed with "
            "it; they keep it (a license from a group is the group's, never removed from the user)",
            f"group/{name}/{sku}",
        )
    return found


def _some(upns: list[str]) -> str:
    """`3 user(s) (a@x, b@x, c@x)`, or the first three and how many more."""
    shown = ", ".join(upns[:3]) + (f" and {len(upns) - 3:,} more" if len(upns) > 3 else "")
    return f"{len(upns):,} user(s) ({shown})"


def plan_changes(changes: list[UserChange], b: Builder) -> None:
    """Disabled plans of licenses users keep: turning a plan off is destructive, turning one on is not."""
    for c in changes:
        for sku, (before, after) in c.plans.items():
            b.add(SetDisabledPlans(f"user/{c.upn}", sku, before, after), bool(set(after) - set(before)))


def _plans_unchanged(want: UserSpec, live: UserState) -> bool:
    return all(live.disabled.get(sku, frozenset()) == plans for sku, plans in want.disabled.items())


def _change(
    key: str,
    live: UserState,
    want: UserSpec | None,
    managed: frozenset[str],
    groups: Groups,
    b: Builder,
    kept_by_group: Named,
    waiting: Named,
) -> UserChange | None:
    listed = want.licenses if want else frozenset()
    direct, via = live.direct, live.through_groups
    # What groups give once this plan is applied and processed; a license from a group tenantctl cannot see
    # (Graph without permission to read groups) is taken to stay.
    after = groups.gives(key) | (via - groups.given_now(key))
    soon = after - via  # what a group gives once processed (or once this plan is applied)
    for sku in sorted((live.inherited & managed) - listed):
        _from_group(live, sku, key, groups, b, kept_by_group)
    # Direct copies that stay: unmanaged ones, listed ones no group will give, and unlisted ones a group is
    # about to give (removed by a later plan, once the group's copy has arrived).
    keep = (direct - managed) | (listed - after) | (direct & listed) | (direct & soon)
    for sku in sorted((direct & soon & managed) - listed):
        giver = next(g for g in groups.member_of[key] if sku in groups.target[g])
        waiting[(groups.names[giver], sku)].append(live.upn)
    add, remove = keep - direct, direct - keep
    target = keep | after
    location = want.usage_location if want and want.usage_location != live.usage_location else None
    plans = _plans(want, live, keep & direct)
    if want is not None and want.disabled:
        for sku in sorted(set(want.disabled) & (after - keep)):
            b.diag(
                "warning",
                "disabled_plans_from_group",
                f"'{live.upn}' gets {sku} from a group, whose disabled plans are the group's: the user's "
                f"disabledPlans for {sku} are not applied; set them on the group, or take the user out of it "
                "to give the license directly",
                f"user/{live.upn}/{sku}",
            )
    if not add and not remove and location is None and not plans:
        return None
    _check_target(live, target, location, b)
    disabled = {sku: tuple(sorted(want.disabled[sku])) for sku in add if want and sku in want.disabled}
    doubled = remove & via & after  # a group keeps giving it: removing the direct copy loses nothing
    narrowing = frozenset(
        sku for sku in doubled if _groups_disable(key, sku, groups) - live.disabled.get(sku, frozenset())
    )
    return UserChange(key, live.upn, add, remove, target, location, doubled, disabled, plans, narrowing, add & via)


def _groups_disable(key: str, sku: str, groups: Groups) -> frozenset[str]:
    """The service plans of `sku` that every group giving it to the user disables (a plan is on for the
    user when any of their assignments enables it)."""
    sets = [groups.disabled[g].get(sku, frozenset()) for g in groups.member_of.get(key, ()) if sku in groups.target[g]]
    return frozenset.intersection(*sets) if sets else frozenset()


def _plans(
    want: UserSpec | None, live: UserState, held: frozenset[str]
) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """The disabled plans the spec manages that differ on licenses the user holds directly."""
    if want is None or not want.disabled:
        return {}
    return {
        sku: (tuple(sorted(live.disabled.get(sku, ()))), tuple(sorted(plans)))
        for sku, plans in sorted(want.disabled.items())
        if sku in held and plans != live.disabled.get(sku, frozenset())
    }


def _from_group(live: UserState, sku: str, key: str, groups: Groups, b: Builder, kept_by_group: Named) -> None:
    """An unlisted license the user holds only through a group: kept; information when the spec manages
    the group, else a warning (the spec says the user should not hold it)."""
    givers = [g for g in groups.member_of.get(key, ()) if sku in groups.target.get(g, frozenset())]
    if not givers and any(sku in groups.live[g] for g in groups.member_of.get(key, ())):
        return  # the plan takes it from the group itself (prune), and says so
    if givers and all(g in groups.managed_ids for g in givers):
        kept_by_group[(groups.names[givers[0]], sku)].append(live.upn)
        return
    named = [groups.names[g] for g in givers if g not in groups.managed_ids]
    through = f"group '{named[0]}', which the spec does not manage" if named else "a group"
    b.diag(
        "warning",
        "license_from_group",
        f"'{live.upn}' holds {sku} through {through}, so tenantctl "
        "cannot take it away; remove the user from the licensing group, or list the license in the "
        "spec",
        f"user/{live.upn}/{sku}",
    )


def _check_target(live: UserState, target: frozenset[str], location: str | None, b: Builder) -> None:
    for sku in sorted(target):
        missing = catalog.missing_prerequisite(sku, target)
        if missing:
            b.diag(
                "error",
                "prerequisite_violation",
                f"'{live.upn}' would hold {sku} without "
                f"{catalog.describe_caps(missing)} (licenses outside the spec count too); "
                "add the prerequisite to the user or manage that SKU",
                f"user/{live.upn}/{sku}",
            )
        entry = catalog.lookup(sku)
        allowed = entry.countries if entry is not None else None
        if allowed is not None and (location or live.usage_location) not in allowed:
            b.diag(
                "error",
                "usage_location_not_allowed",
                f"'{live.upn}' would hold {sku} in "
                f"{location or live.usage_location}, but it is only for users in {', '.join(sorted(allowed))} "
                "(licenses outside the spec count too); give the user a calling plan sold there",
                f"user/{live.upn}/{sku}",
            )


def _missing(spec: TenantSpec, want: UserSpec, b: Builder) -> None:
    where = want.where
    if spec.missing_users == "warn":
        b.diag(
            "warning",
            "user_not_found",
            f"user '{want.upn}' ({where}) does not exist in the tenant, so "
            "it is skipped (spec.missingUsers: warn); create it, or remove it from the spec",
            f"user/{want.upn}",
        )
    else:
        b.diag(
            "error",
            "user_not_found",
            f"user '{want.upn}' ({where}) does not exist in the tenant; "
            "tenantctl does not create users: create it first or remove it from the spec (or set "
            "spec.missingUsers: warn to skip it and apply the rest)",
            f"user/{want.upn}",
        )
