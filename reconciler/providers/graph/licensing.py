"""Group-based licensing and service plans through Microsoft Graph: reading them, and the bodies of
assignLicense for a user or a group.

Reads (docs/rules.md G1-G9): the tenant's SKUs with their service plans (`subscribedSkus.servicePlans`),
each user's `licenseAssignmentStates` (one per assignment: direct, or from a group, with its disabled
plans and any error), the groups that hold licenses (an advanced query: `$filter=assignedLicenses/$count
ne 0` needs `$count=true` and `ConsistencyLevel: eventual`), the spec's groups by name or id, and each
group's direct user members (`/members/microsoft.graph.user`: not transitive, and a cast, which needs the
same header). Group processing is asynchronous; what Graph shows is what has been processed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import quote

from ...domain import catalog
from ...domain.errors import PermanentProviderError
from ...domain.groups import NO_PLANS, DisabledPlans, GroupSpec, GroupState, LicenseError, plans_of
from ...domain.model import UserState
from .client import GraphClient

GROUP_FIELDS = "id,displayName,securityEnabled,assignedLicenses"
LICENSED_GROUPS = f"/groups?$filter=assignedLicenses/$count ne 0&$count=true&$select={GROUP_FIELDS}&$top=999"
MEMBER_FIELDS = "id,userPrincipalName"
# licenseAssignmentState.state values under which the user holds the license.
HELD_STATES = frozenset({"Active", "ActiveWithError"})


@dataclass
class TenantSkus:
    """The tenant's own SKUs: part number and skuId both ways, and each SKU's service plans by name."""

    ids: dict[str, str] = field(default_factory=dict)  # part -> skuId
    parts: dict[str, str] = field(default_factory=dict)  # skuId -> part
    plans: dict[str, dict[str, str]] = field(default_factory=dict)  # part -> plan name -> plan id
    plan_names: dict[str, str] = field(default_factory=dict)  # plan id -> plan name

    @classmethod
    def of(cls, skus: Iterable[dict[str, Any]]) -> TenantSkus:
        """From `GET /subscribedSkus`."""
        out = cls()
        for s in skus:
            part = catalog.canonical(s["skuPartNumber"])
            out.ids[part], out.parts[s["skuId"]] = s["skuId"], part
            named = out.plans.setdefault(part, {})
            for plan in s.get("servicePlans") or []:
                named[plan["servicePlanName"]] = plan["servicePlanId"]
                out.plan_names[str(plan["servicePlanId"]).lower()] = plan["servicePlanName"]
        return out

    def part(self, sku_id: str) -> str:
        """The part number of a skuId (the id itself for one the tenant does not own)."""
        return self.parts.get(sku_id, sku_id)

    def names(self, plan_ids: Iterable[str]) -> frozenset[str]:
        """Service plan names of ids (an id the tenant's SKUs do not name stays an id)."""
        return frozenset(self.plan_names.get(str(i).lower(), str(i)) for i in plan_ids)

    def plan_ids(self, part: str, names: Iterable[str]) -> list[str]:
        """The ids of a SKU's service plans, by name; a name the SKU lacks is refused before Graph is asked."""
        known = {name.lower(): plan_id for name, plan_id in self.plans.get(part, {}).items()}
        out = []
        for name in sorted(names):
            plan_id = known.get(name.lower())
            if plan_id is None:
                raise PermanentProviderError(
                    f"the tenant's {part} has no service plan named {name}",
                    f"check the name against `tenantctl catalog {part}`",
                    code="unknown_service_plan",
                )
            out.append(plan_id)
        return out


def user_of(u: dict[str, Any], skus: TenantSkus, upn: str = "") -> tuple[UserState, tuple[LicenseError, ...]]:
    """A user from Graph, and the assignments Microsoft could not complete for them (`upn` when the body
    does not say: a read-back)."""
    return _user(u, skus, upn, _licenses(u, skus))


def users_of(
    bodies: Iterable[dict[str, Any]], skus: TenantSkus
) -> Iterator[tuple[UserState, tuple[LicenseError, ...]]]:
    """user_of of each body; bodies that share their license lists (UserCache.users) share the work on them."""
    known: dict[tuple[int, int], _Licenses] = {}  # by the lists' identity: alive as long as `bodies`
    for u in bodies:
        key = (id(u.get("assignedLicenses")), id(u.get("licenseAssignmentStates")))
        licenses = known.get(key)
        if licenses is None:
            licenses = known[key] = _licenses(u, skus)
        yield _user(u, skus, "", licenses)


class _Licenses(NamedTuple):
    held: frozenset[str]
    inherited: frozenset[str]
    also: frozenset[str]
    disabled: DisabledPlans
    failed: tuple[tuple[str, str, str | None], ...]  # (SKU, error, group) of the user's failed assignments


def _user(
    u: dict[str, Any], skus: TenantSkus, upn: str, licenses: _Licenses
) -> tuple[UserState, tuple[LicenseError, ...]]:
    upn = u.get("userPrincipalName") or upn
    held, inherited, also, disabled, failed = licenses
    user = UserState(upn, u.get("usageLocation") or None, held, inherited, also, disabled)
    return user, tuple(LicenseError(upn, part, error, group) for part, error, group in failed) if failed else ()


def _licenses(u: dict[str, Any], skus: TenantSkus) -> _Licenses:
    held = frozenset(skus.part(a["skuId"]) for a in u.get("assignedLicenses") or [])
    states = u.get("licenseAssignmentStates")
    if states is None:  # not selected: every license counts as direct
        return _Licenses(held, frozenset(), frozenset(), NO_PLANS, ())
    direct: set[str] = set()
    via: set[str] = set()
    disabled: dict[str, frozenset[str]] = {}
    failed: list[tuple[str, str, str | None]] = []
    for state in states:
        part, group = skus.part(state.get("skuId", "")), state.get("assignedByGroup")
        error = state.get("error")
        if error not in (None, "None") or state.get("state", "Active") not in HELD_STATES:
            failed.append((part, str(error) if error not in (None, "None") else "Other", group))
        elif group:
            via.add(part)
        else:
            direct.add(part)
            if state.get("disabledPlans"):
                disabled[part] = skus.names(state["disabledPlans"])
    held |= direct | via
    return _Licenses(held, frozenset(via - direct), frozenset(via & direct), plans_of(disabled), tuple(failed))


def read_groups(client: GraphClient, wanted: tuple[GroupSpec, ...], skus: TenantSkus) -> dict[str, GroupState]:
    """The groups that hold licenses, and the spec's groups (which may hold none yet), with their members.

    A spec without groups plans as before without permission to read groups (GroupMember.Read.All): its
    users' inherited licenses still show in their licenseAssignmentStates, only not which group gives them."""
    try:
        found = {g["id"]: g for g in client.paged(LICENSED_GROUPS, eventual=True)}
    except PermanentProviderError as exc:
        if exc.code != "forbidden":
            raise
        if not wanted:
            return {}
        raise PermanentProviderError(
            f"{exc} while reading the spec's groups",
            "grant the app GroupMember.Read.All to plan a spec with groups, and LicenseAssignment.ReadWrite.All "
            "to apply it",
            code="forbidden",
        ) from None
    for spec in wanted:
        if spec.id is not None and any(_matches(spec, g) for g in found.values()):
            continue  # an id names one group; a name may name others that hold no license (ambiguous)
        if spec.id is not None:
            found.update({g["id"]: g for g in _by_id(client, spec.id)})
        elif spec.name is not None:
            name = spec.name.replace("'", "''")  # OData doubles a quote inside a string literal
            query = f"/groups?$filter=displayName eq '{quote(name, safe='')}'&$select={GROUP_FIELDS}"
            found.update({g["id"]: g for g in client.paged(query)})
    return {gid: _group(client, g, skus) for gid, g in found.items()}


def _matches(spec: GroupSpec, g: dict[str, Any]) -> bool:
    if spec.id is not None:
        return str(g["id"]).lower() == spec.id.lower()
    return str(g.get("displayName", "")).lower() == (spec.name or "").lower()


def _by_id(client: GraphClient, group_id: str) -> list[dict[str, Any]]:
    try:
        return [client.get(f"/groups/{quote(group_id, safe='')}?$select={GROUP_FIELDS}")]
    except PermanentProviderError as exc:
        if exc.code in ("Request_ResourceNotFound", "ResourceNotFound"):
            return []  # the plan says it is not found
        raise


def _group(client: GraphClient, g: dict[str, Any], skus: TenantSkus) -> GroupState:
    members = frozenset(
        str(m["userPrincipalName"]).lower()
        for m in client.paged(
            f"/groups/{g['id']}/members/microsoft.graph.user?$select={MEMBER_FIELDS}&$top=999&$count=true",
            eventual=True,
        )
        if m.get("userPrincipalName")
    )
    licenses = {
        skus.part(a["skuId"]): skus.names(a.get("disabledPlans") or []) for a in g.get("assignedLicenses") or []
    }
    return GroupState(
        g["id"],
        g.get("displayName") or g["id"],
        members,
        frozenset(licenses),
        plans_of(licenses),
        bool(g.get("securityEnabled", False)),
    )


def group_id(groups: dict[str, GroupState], handle: str) -> str:
    """The id of the one group a plan names (display name or id), as read."""
    found = [g.id for g in groups.values() if g.id.lower() == handle.lower() or g.name.lower() == handle.lower()]
    if len(found) != 1:
        raise PermanentProviderError(
            f"{'no' if not found else len(found)} group(s) named '{handle}' in the tenant",
            "plan again: the groups changed since the plan was made",
            code="group_not_found",
        )
    return found[0]


def license_body(adds: Iterable[tuple[str, Iterable[str]]], removes: Iterable[str], skus: TenantSkus) -> dict[str, Any]:
    """An assignLicense body: both arrays always (an omitted one has been seen to give 400); a SKU already
    assigned is added again with its new disabled plans, which is how Graph changes them."""
    return {
        "addLicenses": [
            {"skuId": _sku_id(skus, part), "disabledPlans": skus.plan_ids(part, plans)} for part, plans in adds
        ],
        "removeLicenses": [_sku_id(skus, part) for part in removes],
    }


def _sku_id(skus: TenantSkus, part: str) -> str:
    sku_id = skus.ids.get(part)
    if sku_id is None:
        raise PermanentProviderError(
            f"the tenant has no {part} subscription",
            "buy it first (the plan lists the admin-center steps), then run apply again",
            code="no_subscription",
        )
    return sku_id
