"""What Microsoft 365 does when it processes licensed groups, as a pure function (the simulator's
and the snapshot loader's; Microsoft does it asynchronously, the simulator at once).

Each direct user member gets each of the group's licenses unless the assignment fails, and a failure
is recorded on the user as Microsoft records it (docs/rules.md G4-G7):
- ProhibitedInUsageLocationViolation: the SKU is not sold where the member is; a member with no usage
  location is taken to be in the tenant's country;
- DependencyViolation: the SKU needs a prerequisite the group itself does not hold (an add-on's
  prerequisite must be in the same group);
- CountViolation: no seat is free. A member who already holds the SKU (directly or from another
  group) takes no second seat.
Groups are processed in a fixed order (by name, then id) and members in UPN order, so the outcome
is the same every time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from . import catalog
from .groups import GroupState, LicenseError
from .model import TenantState


@dataclass(frozen=True)
class Member:
    """What processing needs to know of a user: their direct licenses and usage location."""

    upn: str
    direct: frozenset[str]
    usage_location: str | None


@dataclass
class Processed:
    """The outcome: per user, the SKUs each group gives them (sku -> group ids), and the failures."""

    grants: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # user key -> sku -> group ids
    errors: list[LicenseError] = field(default_factory=list)
    holders: Counter[str] = field(default_factory=Counter)  # users holding each SKU, directly or not


def process_groups(
    members: Mapping[str, Member],
    groups: Mapping[str, GroupState],
    seats: Mapping[str, int],
    default_location: str | None,
    holders: Counter[str],
) -> Processed:
    """Give every licensed group's members its licenses; `holders` counts the direct holders of each SKU."""
    out = Processed(holders=Counter(holders))
    for group in sorted(groups.values(), key=lambda g: (g.name.lower(), g.id)):
        if not group.security_enabled or not group.licenses:
            continue  # Microsoft licenses security groups only
        for key in sorted(group.members):
            user = members.get(key)
            if user is not None:
                _grant(out, key, user, group, seats, default_location)
    return out


def _grant(
    out: Processed, key: str, user: Member, group: GroupState, seats: Mapping[str, int], default_location: str | None
) -> None:
    """One member's licenses from one group: all of them, or none (Microsoft assigns none of a group's
    licenses to a member when one of them fails), with each failure recorded."""
    location = user.usage_location or default_location
    given = out.grants.setdefault(key, {})
    new = [sku for sku in sorted(group.licenses) if sku not in user.direct and sku not in given]
    short = {sku for sku in new if out.holders[sku] >= seats.get(sku, 0)}
    errors = []
    for sku in sorted(group.licenses):
        entry = catalog.lookup(sku)
        if entry is not None and entry.countries is not None and location not in entry.countries:
            errors.append(LicenseError(user.upn, sku, "ProhibitedInUsageLocationViolation", group.id))
        elif catalog.missing_prerequisite(sku, group.licenses):
            errors.append(LicenseError(user.upn, sku, "DependencyViolation", group.id))
        elif sku in short:
            errors.append(LicenseError(user.upn, sku, "CountViolation", group.id))
    if errors:
        out.errors.extend(errors)
        return
    for sku in sorted(group.licenses):
        if sku in new:
            out.holders[sku] += 1
        given.setdefault(sku, []).append(group.id)


def processed(state: TenantState) -> TenantState:
    """`state` with its groups processed: each user's licenses are their direct ones and what groups
    give them, the seats consumed count each holder once, and the failures are recorded."""
    members = {
        key: Member(u.upn, u.direct, u.usage_location)
        for g in state.groups.values()
        for key in g.members
        if (u := state.users.get(key)) is not None
    }
    direct: Counter[str] = Counter()
    for u in state.users.values():
        direct.update(u.direct)
    seats = {sku: s.seats for sku, s in state.subscriptions.items() if not s.lapsed(state.today)}
    out = process_groups(members, state.groups, seats, state.default_usage_location, direct)
    users = dict(state.users)
    for key, grants in out.grants.items():
        if not grants:
            continue
        u = users[key]
        given = frozenset(grants)
        own = u.direct
        users[key] = replace(u, licenses=own | given, inherited=given - own, also_inherited=given & own)
    subscriptions = {
        sku: replace(s, consumed=out.holders[sku]) if out.holders[sku] != s.consumed else s
        for sku, s in state.subscriptions.items()
    }
    return replace(state, users=users, subscriptions=subscriptions, license_errors=tuple(out.errors))
