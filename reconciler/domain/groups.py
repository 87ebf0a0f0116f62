"""Group-based licensing and disabled service plans, as values.

A license is a SKU plus the service plans switched off inside it (`disabledPlans`, by service plan
name). Groups hold licenses too: Microsoft 365 gives each direct user member of a licensed security
group the group's licenses, asynchronously (docs/rules.md, G1-G9).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# SKU -> the service plans disabled in it. Shared and read-only: a million users with none share one.
DisabledPlans = Mapping[str, frozenset[str]]
NO_PLANS: DisabledPlans = MappingProxyType({})
GROUP = "group/"

# The errors Microsoft records on a user's license assignment (licenseAssignmentState.error).
LICENSE_ERRORS = (
    "CountViolation",
    "MutuallyExclusiveViolation",
    "DependencyViolation",
    "ProhibitedInUsageLocationViolation",
    "UniquenessViolation",
    "Other",
)


def plans_of(pairs: Mapping[str, frozenset[str]] | None) -> DisabledPlans:
    """A DisabledPlans without empty entries (an empty set means every plan enabled, the default)."""
    kept = {sku: plans for sku, plans in (pairs or {}).items() if plans}
    return MappingProxyType(kept) if kept else NO_PLANS


@dataclass(frozen=True)
class GroupSpec:
    """A group as declared: found by `name` (its display name) or `id` (its object id), and its licenses.

    `disabled` holds the SKUs written in the long form (their disabled plans are managed, `[]` too);
    a SKU written by name alone leaves an existing assignment's disabled plans as they are.
    """

    handle: str  # how the spec names it: the display name, or the object id when only `id:` is written
    name: str | None
    id: str | None
    licenses: frozenset[str]
    disabled: Mapping[str, frozenset[str]] = field(default_factory=lambda: NO_PLANS, hash=False)
    index: int = 0
    origin: str = field(default="", compare=False)

    def matches(self, group: GroupState) -> bool:
        """True when `group` is the one this entry names (ids and names compared case-insensitively)."""
        if self.id is not None:
            return group.id.lower() == self.id.lower()
        return self.name is not None and group.name.lower() == self.name.lower()


@dataclass(frozen=True)
class GroupState:
    """An observed group: its direct user members (lower-case UPNs) and the licenses it assigns."""

    id: str
    name: str
    members: frozenset[str] = frozenset()
    licenses: frozenset[str] = frozenset()
    disabled: DisabledPlans = field(default_factory=lambda: NO_PLANS, hash=False)
    security_enabled: bool = True


@dataclass(frozen=True)
class LicenseError:
    """An assignment Microsoft could not complete for a user (licenseAssignmentStates): `group` is the
    id of the group it comes from, None for a direct assignment."""

    upn: str
    sku: str
    error: str
    group: str | None = None
