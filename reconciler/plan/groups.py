"""The groups' part of a plan: which group is which, the licenses groups gain and lose, the seats
that costs, and what Microsoft has not processed yet or could not assign (docs/rules.md G1-G9).

Group members are not declared: membership belongs to the identity system. The planner reads each
licensed group's direct user members to predict seats (a member who holds the SKU already takes no
new one) and to know which licenses a user will get from a group, so a direct copy is never taken
away before the group's copy has arrived.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ..domain import catalog
from ..domain.actions import AssignGroupLicense, Builder, RemoveGroupLicense, SetDisabledPlans
from ..domain.groups import GROUP, NO_PLANS, DisabledPlans, GroupSpec, GroupState
from ..domain.model import TenantSpec, TenantState

# What each error Microsoft records on a user means, and what to do about it.
ERROR_HINTS = {
    "CountViolation": "no seat was free; raise the subscription's seats, then Microsoft assigns it again",
    "MutuallyExclusiveViolation": "the license conflicts with another the user holds; remove one of them",
    "DependencyViolation": "a service plan it needs is missing; give the group the prerequisite license",
    "ProhibitedInUsageLocationViolation": "it is not sold in the user's usage location; correct the location",
    "UniquenessViolation": "the user's proxy address is not unique; correct it in Exchange",
    "Other": "see the user's licenses in the Microsoft 365 admin center",
}


@dataclass
class Groups:
    """Which live group each spec entry is, and each licensed group's licenses after the plan."""

    resolved: dict[str, GroupState] = field(default_factory=dict)  # spec handle -> live group
    target: dict[str, frozenset[str]] = field(default_factory=dict)  # group id -> its licenses after the plan
    names: dict[str, str] = field(default_factory=dict)  # group id -> how the plan names it
    member_of: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # user key -> group ids
    failed: set[tuple[str, str]] = field(default_factory=set)  # (user key, group id): Microsoft recorded an error
    managed_ids: set[str] = field(default_factory=set)
    disabled: dict[str, DisabledPlans] = field(default_factory=dict)  # group id -> its disabled plans after the plan
    live: dict[str, frozenset[str]] = field(default_factory=dict)  # group id -> its licenses now
    wanted: dict[str, GroupSpec] = field(default_factory=dict)  # group id -> the spec's entry for it

    def given_now(self, key: str) -> frozenset[str]:
        """The SKUs the user's licensed groups hold now (whether processed for the user or not)."""
        ids = self.member_of.get(key)
        return frozenset().union(*(self.live[g] for g in ids)) if ids else frozenset()

    def gives(self, key: str) -> frozenset[str]:
        """The SKUs the user's groups give them once the plan is applied and Microsoft has processed it."""
        ids = self.member_of.get(key)
        if not ids:
            return frozenset()
        return frozenset().union(*(self.target[g] for g in ids if (key, g) not in self.failed))


@dataclass(frozen=True)
class GroupChange:
    """One group's licenses: what to add (with disabled plans), remove, and re-plan."""

    handle: str
    group: GroupState
    add: dict[str, tuple[str, ...]]
    remove: frozenset[str]
    plans: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # sku -> (disabled before, after)


def resolve(spec: TenantSpec, state: TenantState, b: Builder) -> Groups:
    """Find each spec group among the live ones (exactly one security-enabled group), and index membership."""
    out = Groups()
    for g in spec.groups:
        found = [live for live in state.groups.values() if g.matches(live)]
        address = f"{GROUP}{g.handle}"
        if not found:
            b.diag(
                "error",
                "group_not_found",
                f"group '{g.handle}' ({g.origin}) is not in the tenant; tenantctl does not create groups: create "
                "it (a security group) first, or correct the name",
                address,
            )
        elif len(found) > 1:
            ids = ", ".join(sorted(live.id for live in found))
            b.diag(
                "error",
                "group_ambiguous",
                f"{len(found)} groups are named '{g.handle}' ({ids}); name the one to license with `id:`",
                address,
            )
        elif not found[0].security_enabled:
            b.diag(
                "error",
                "group_not_security_enabled",
                f"group '{g.handle}' is not security-enabled, and Microsoft licenses security groups only; "
                "license a security group (or a Microsoft 365 group with securityEnabled true)",
                address,
            )
        elif found[0].id in out.managed_ids:
            b.diag(
                "error",
                "group_listed_twice",
                f"group '{g.handle}' ({g.origin}) is group '{out.names[found[0].id]}' already listed in the spec (by "
                "name and by id); list each group once, with all its licenses",
                address,
            )
        else:
            out.resolved[g.handle] = found[0]
            out.names[found[0].id] = g.handle
            out.managed_ids.add(found[0].id)
    managed = spec.managed_skus
    wanted = out.wanted = {out.resolved[g.handle].id: g for g in spec.groups if g.handle in out.resolved}
    taken = Counter(live.name.lower() for live in state.groups.values())
    for live in state.groups.values():
        # A group the spec does not list is named by its id where its name is not unique (prune acts on it).
        out.names.setdefault(live.id, live.name if taken[live.name.lower()] == 1 else live.id)
        want = wanted.get(live.id)
        out.disabled[live.id] = live.disabled
        out.live[live.id] = live.licenses
        if want is not None:
            out.target[live.id] = (live.licenses - managed) | want.licenses
            out.disabled[live.id] = {**live.disabled, **want.disabled}
        elif spec.prune:
            out.target[live.id] = live.licenses - managed
        else:
            out.target[live.id] = live.licenses
        if live.security_enabled and (live.licenses or out.target[live.id]):
            for key in live.members:
                out.member_of[key].append(live.id)
    out.failed = {(e.upn.lower(), e.group) for e in state.license_errors if e.group is not None}
    return out


def changes(spec: TenantSpec, state: TenantState, groups: Groups, b: Builder) -> list[GroupChange]:
    """Per managed (or, with prune, licensed) group, the licenses to add, remove and re-plan."""
    managed = spec.managed_skus
    out = []
    wanted = groups.wanted
    for live in sorted(state.groups.values(), key=lambda g: (groups.names[g.id].lower(), g.id)):
        want = wanted.get(live.id)
        if want is None and not (spec.prune and live.licenses & managed):
            continue
        licenses = want.licenses if want else frozenset()
        disabled: DisabledPlans = want.disabled if want else NO_PLANS
        target = groups.target[live.id]
        for sku in sorted(target):
            missing = catalog.missing_prerequisite(sku, target)
            if missing and sku in managed:
                b.diag(
                    "error",
                    "group_prerequisite_violation",
                    f"group '{groups.names[live.id]}' would hold {sku} without {catalog.describe_caps(missing)} "
                    "(licenses outside the spec count too), and Microsoft assigns an add-on through a group only "
                    "with its prerequisite in the same group; add the prerequisite to the group",
                    f"{GROUP}{groups.names[live.id]}/{sku}",
                )
        plans = {
            sku: (tuple(sorted(live.disabled.get(sku, ()))), tuple(sorted(disabled[sku])))
            for sku in sorted(licenses & live.licenses)
            if sku in disabled and disabled[sku] != live.disabled.get(sku, frozenset())
        }
        add = {sku: tuple(sorted(disabled.get(sku, ()))) for sku in sorted(licenses - live.licenses)}
        remove = (live.licenses & managed) - licenses
        if add or remove or plans:
            out.append(GroupChange(groups.names[live.id], live, add, frozenset(remove), plans))
    return out


def seat_delta(state: TenantState, found: list[GroupChange], direct_adds: dict[str, set[str]]) -> Counter[str]:
    """How many more users hold each SKU once the groups' new licenses are processed: a member who holds the
    SKU (directly, from another group, or about to directly) takes no new seat. Seats a group's removal frees
    are not counted: Microsoft frees them only once it has processed the group, after this apply."""
    delta: Counter[str] = Counter()
    counted: set[tuple[str, str]] = set()
    for c in found:
        for sku in c.add:
            for key in sorted(c.group.members):
                user = state.users.get(key)
                if user is None or sku in user.licenses or sku in direct_adds.get(key, ()) or (key, sku) in counted:
                    continue
                counted.add((key, sku))
                delta[sku] += 1
    return delta


def assignments(
    found: list[GroupChange], b: Builder, seat_actions: dict[str, int], direct: dict[tuple[str, str], int]
) -> None:
    """Licenses groups gain (prerequisites first, after the seats they need), plan changes, and licenses groups
    lose: after what replaces them in the group (a swap) and after the direct copies given to members who keep
    them (`direct`: (user key, SKU) -> the assignment), so nobody is without the service in between."""
    for c in found:
        added: dict[str, int] = {}
        for sku in sorted(c.add, key=lambda s: (catalog.tier(s), s)):
            deps = [seat_actions[sku]] if sku in seat_actions else []
            needs = entry.requires_any if (entry := catalog.lookup(sku)) is not None else frozenset()
            deps += [i for other, i in added.items() if catalog.capabilities({other}) & needs]
            added[sku] = b.add(AssignGroupLicense(c.handle, sku, c.add[sku]), False, deps)
        for sku, (before, after) in c.plans.items():
            b.add(SetDisabledPlans(f"{GROUP}{c.handle}", sku, before, after), bool(set(after) - set(before)))
        for sku in sorted(c.remove, key=lambda s: (-catalog.tier(s), s)):
            kept = [direct[(key, sku)] for key in sorted(c.group.members) if (key, sku) in direct]
            b.add(RemoveGroupLicense(c.handle, sku, _plans(c.group, sku)), True, [*added.values(), *kept])


def _plans(group: GroupState, sku: str) -> tuple[str, ...]:
    return tuple(sorted(group.disabled.get(sku, ())))


def report(state: TenantState, groups: Groups, grace: frozenset[str], b: Builder) -> None:
    """What Microsoft has not processed yet (information within `grace`, a warning after) and the
    assignment errors it recorded, one diagnostic per group, SKU and error, with the user count."""
    waiting: Counter[tuple[str, str]] = Counter()
    for key, ids in groups.member_of.items():
        user = state.users.get(key)
        if user is None:
            continue
        for gid in ids:
            if (key, gid) in groups.failed:
                continue
            live = state.groups[gid]
            for sku in sorted(live.licenses - user.through_groups):
                waiting[(gid, sku)] += 1
    for (gid, sku), n in sorted(waiting.items(), key=lambda item: (groups.names[item[0][0]], item[0][1])):
        name = groups.names[gid]
        address = f"{GROUP}{name}/{sku}"
        if gid in grace or name in grace:
            b.diag(
                "info",
                "group_processing",
                f"{n} member(s) of group '{name}' do not hold {sku} from it yet: Microsoft is still processing a "
                "recent apply's change to the group (usually minutes); it is not drift until --group-grace has passed",
                address,
            )
        else:
            b.diag(
                "warning",
                "group_not_processed",
                f"{n} member(s) of group '{name}' do not hold {sku} from it, and Microsoft records no error for "
                "them; look at the group's licenses in the Microsoft 365 admin center (reprocess it there)",
                address,
            )
    failures: Counter[tuple[str, str, str]] = Counter(
        (e.error, e.sku, groups.names.get(e.group, e.group) if e.group else "") for e in state.license_errors
    )
    for (error, sku, group), n in sorted(failures.items()):
        source = f"from group '{group}'" if group else "assigned directly"
        b.diag(
            "warning",
            "license_assignment_error",
            f"{n} user(s): {error} for {sku} {source}: {ERROR_HINTS.get(error, ERROR_HINTS['Other'])}",
            f"{GROUP}{group}/{sku}" if group else "",
        )
