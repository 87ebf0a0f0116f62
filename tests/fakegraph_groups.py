"""Group-based licensing for tests/fakegraph.py, written from Microsoft's documentation, never from reconciler/.

Rules, each with its source (Learn URL; the markdown is in github.com/microsoftgraph/microsoft-graph-docs-contrib
or github.com/MicrosoftDocs/entra-docs):
 G1 A group has id, displayName, securityEnabled, mailEnabled, groupTypes (default properties) and, on $select
    only, assignedLicenses [{skuId, disabledPlans}] and licenseProcessingState {state: QueuedForProcessing |
    ProcessingInProgress | ProcessingComplete}; hasMembersWithLicenseErrors is filterable, never returned
    (https://learn.microsoft.com/graph/api/resources/group, https://learn.microsoft.com/graph/api/group-list).
 G2 GET /groups pages by $top (default 100, most 999) with @odata.nextLink (group-list). `assignedLicenses/$count
    ne 0` (or eq) is an advanced query: without ConsistencyLevel: eventual and $count=true it is refused with
    Request_UnsupportedQuery; $count=true without the header is silently ignored; with both, @odata.count is
    returned (https://learn.microsoft.com/graph/aad-advanced-queries). `hasMembersWithLicenseErrors eq true`
    works as a plain query and is refused *with* the advanced parameters ("Unsupported or invalid query filter
    clause specified for property 'hasMembersWithLicenseErrors' of resource 'Group'.",
    github.com/microsoftgraph/microsoft-graph-docs-contrib/pull/9437).
 G3 GET /groups/{id}/members lists direct members, users and groups, with @odata.type; it is not transitive;
    /members/microsoft.graph.user (OData cast) lists the users only; $count as in G2
    (https://learn.microsoft.com/graph/api/group-list-members). membersWithLicenseErrors: "A list of group members
    with license errors from this group-based license assignment" (group resource, relationships).
 G4 Nested groups: "If you apply a license to a nested group, only the immediate first-level user members of the
    group have the licenses applied"; only security groups (or securityEnabled Microsoft 365 groups) license
    (https://learn.microsoft.com/entra/identity/users/licensing-group-advanced#limitations-and-known-issues).
 G5 POST /groups/{id}/assignLicense {addLicenses: [{skuId, disabledPlans}], removeLicenses: [skuId]} answers 202
    Accepted with the group (https://learn.microsoft.com/graph/api/group-assignlicense). Both parameters are
    required and validated as for users (fakegraph_core._parse_assign). Re-adding a SKU replaces its
    disabledPlans. An add-on needs its prerequisite plan in the same group ("the system requires that both the
    prerequisite and add-on service plans be present in the same group", licensing-groups-resolve-problems).
 G6 Processing is asynchronous: the group changes at once, its members later ("When a license changes on a
    group, Microsoft Entra ID starts applying the changes to all users, but the changes could take time",
    licensing-group-advanced); removals and additions of one change apply simultaneously
    (https://learn.microsoft.com/entra/identity/users/licensing-groups-change-licenses).
 G7 Errors are recorded on the user, not returned: CountViolation (not enough licenses), MutuallyExclusiveViolation
    (conflicting service plans), DependencyViolation ("when Microsoft Entra ID attempts to remove the underlying
    service plan ... when you remove the user from the group": the user keeps it), ProhibitedInUsageLocationViolation;
    "If Microsoft Entra ID can't assign one of the products ... it won't assign the other licenses in the group
    either" (https://learn.microsoft.com/entra/identity/users/licensing-groups-resolve-problems).
 G8 Users without a usage location "inherit the location of the directory" (same page; the organization's
    countryLetterCode, https://learn.microsoft.com/graph/api/resources/organization); group licensing never
    sets usageLocation (licensing-group-advanced#usage-location).
 G9 Freed licenses do not retry failed members: "you need to trigger the processing of groups that previously
    failed" (licensing-groups-resolve-problems#force-group-license-processing-to-resolve-errors); POST
    /users/{id}/reprocessLicenseAssignment reprocesses one user, 200 with the user
    (https://learn.microsoft.com/graph/api/user-reprocesslicenseassignment). Removing the user from a
    conflicting group fixes the conflict "after Microsoft Entra ID processes the change"
    (https://learn.microsoft.com/entra/identity/users/licensing-groups-assign).
 G10 licenseAssignmentStates: one per assignment; assignedByGroup null (direct) or the group id; state Active,
    ActiveWithError, Disabled, Error; error CountViolation, MutuallyExclusiveViolation, DependencyViolation,
    ProhibitedInUsageLocationViolation, UniquenessViolation, Other; lastUpdatedDateTime
    (https://learn.microsoft.com/graph/api/resources/licenseassignmentstate).
 G11 One unit per user and SKU however many assignments ("only one license is consumed",
    https://learn.microsoft.com/entra/identity/users/licensing-groups-migrate-users); plans combine: "all enabled
    services being applied" (licensing-group-advanced#multiple-groups-and-multiple-licenses).
 G12 A license inherited from a group cannot be removed from the user; "Directly assigned licenses can be removed
    and don't affect a user's inherited licenses" (licensing-group-advanced,
    #direct-licenses-coexist-with-group-licenses).

Choices where the documentation is silent (or not verbatim):
 C1 Processing: group_processing="immediate" (default; the queue is processed before any request is answered,
    so existing tests see settled state) or "manual" (only FakeGraph.process_groups()). Triggers: a group's
    assignLicense, add_member/remove_member, reprocess_group; not set_sku, direct license changes or a PATCH of
    usageLocation (G9). reprocessLicenseAssignment processes its user during the request (its reply is "an
    updated user object"). Construction (and from_snapshot) processes everything at once. licenseProcessingState
    is QueuedForProcessing while a member of the group waits, else ProcessingComplete (never InProgress).
 C2 Processing is per user, over all of that user's groups, in group creation order and each group's assignment
    order. Only SKUs a group newly gives the user are checked: usage location, then mutual exclusion, then a free
    unit (none needed if the user holds the SKU otherwise). When a group fails, its failing SKUs carry their error
    and its other new SKUs state Error, error "Other"; what the user already held from that group stays Active
    (so a later usage-location change does not revoke it). A removal or disabledPlans change that would break a
    dependency leaves the old assignment, ActiveWithError/DependencyViolation; an addition that would (only from
    an inconsistent group) fails with Error/DependencyViolation. Disabled and UniquenessViolation never occur.
 C3 error is the string "None" on success (as the fake always gave; the resource page says null; "Other", not
    "Others", per github.com/microsoftgraph/microsoft-graph-docs/issues/15734).
 C4 Messages not found verbatim: missing advanced parameters reuse the documented endsWith template with the
    operator ('ne'/'eq'); not security-enabled; a disabledPlan outside the SKU (users too, when the fake knows the
    SKU's plans: MicrosoftDocs/azure-docs#81269 reports Graph refusing one); removing a license the group lacks;
    an unknown group id ("Invalid object identifier"); mutually exclusive plans on a direct assignment. A SKU
    outside its usage locations on a direct assignment reuses Graph's "invalid usage location" message.
 C5 A group with a prerequisite missing is refused with plan_rules' Graph dependency message (the portal's words,
    "License operation failed. Make sure that the group has necessary services ...", are not Graph's).
 C6 Mutually exclusive plans: fakegraph_catalog.EXCLUSIVE_PLANS (calling plans only, see there) plus the
    exclusive_skus knob (pairs of skuPartNumbers); checked for added SKUs, in groups and on direct assignLicense.
 C7 In a snapshot or constructor, a group member without "@" names another group (a nested group).
 C8 The pay-as-you-go Calling Plan is restricted to zone 1 = US, PR, GB, CA (fakegraph_catalog.USAGE_RESTRICTIONS,
    knob usage_restrictions): the list was given with the task, not found in Microsoft's documentation.
 C9 servicePlans entries have provisioningStatus "Success" and appliesTo "User". An advanced query's nextLink
    needs the header again. A raw user's groupLicenses make a group per set of SKUs ("Licensing group", id
    GROUP_ID, then "Licensing group 2", ...).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from fakegraph_catalog import EXCLUSIVE_PLANS, USAGE_RESTRICTIONS, enabled_plans, group_id, license_entry, plan_ids
from fakegraph_catalog import service_plans as catalog_plans
from fakegraph_core import (
    Reply,
    _Group,
    _guid,
    _Inherited,
    _now,
    _Sku,
    _User,
)

GROUP_PROPS = (
    "id",
    "displayName",
    "securityEnabled",
    "mailEnabled",
    "groupTypes",
    "assignedLicenses",
    "licenseProcessingState",
)
DEFAULT_GROUP_PROPS = GROUP_PROPS[:5]
PROCESSING = ("immediate", "manual")
GROUP_ID = "9a1c7f52-0d3e-4b8a-a6f1-2c5e8d7b4a90"  # the first group the groupLicenses user knob makes
GROUP_KEYS = {"group_processing", "country_letter_code", "exclusive_plans", "exclusive_skus", "usage_restrictions"}
ADVANCED = (
    "Operator '{op}' is not supported because the required parameters might be missing. Try adding $count=true "
    "query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for "
    "more information"
)
Rules = Callable[[Sequence[tuple[str, Sequence[str]]]], str | None]
Route = tuple[bool, dict[str, Callable[[], Reply]]]


class GroupLicensing:
    """Mixed into FakeGraph: groups, their licenses, and the processing that hands them to members."""

    # Provided by FakeGraph.
    _lock: threading.RLock
    _skus: dict[str, _Sku]
    _users: list[_User]
    _by_key: dict[str, _User]
    _used: dict[str, int]
    _base: str
    rules: Rules | None
    next_link_base: str | None
    if TYPE_CHECKING:

        def _find(self, key: str) -> _User: ...
        def _page_size(self, query: dict[str, list[str]]) -> int: ...
        def _context(self, what: str) -> str: ...
        def _user_json(self, u: _User, props: tuple[str, ...]) -> dict[str, Any]: ...

    def _init_groups(self, groups: Iterable[dict[str, Any]], users: Sequence[dict[str, Any]], **knobs: Any) -> None:
        self._groups: dict[str, _Group] = {}
        self._queue: dict[str, set[str]] = {}  # user id -> ids of the groups whose change awaits processing
        self.group_processing, self.country_letter_code = "immediate", "US"
        self.exclusive_plans: tuple[frozenset[str], ...] = EXCLUSIVE_PLANS
        self.exclusive_skus: set[frozenset[str]] = set()
        self.usage_restrictions: dict[str, frozenset[str]] = dict(USAGE_RESTRICTIONS)
        self._set_knobs(**knobs)
        raws = list(groups)
        by_set: dict[tuple[str, ...], list[str]] = {}  # the groupLicenses knob: one group per set of SKUs
        for u in users:
            if u.get("groupLicenses"):
                by_set.setdefault(tuple(sorted(u["groupLicenses"])), []).append(u["userPrincipalName"])
        for n, (parts, upns) in enumerate(by_set.items()):
            name = "Licensing group" if n == 0 else f"Licensing group {n + 1}"
            raws.append(
                {"displayName": name, "id": GROUP_ID if n == 0 else None, "licenses": list(parts), "members": upns}
            )
        pending = [self._add_group(raw) for raw in raws]
        for group, members in zip(pending, [r.get("members") or [] for r in raws], strict=True):
            for m in members:
                group.add(self._member_id(str(m)))
        for user in self._users:  # snapshot state counts as processed
            self._process_user(user)

    def _set_knobs(self, **knobs: Any) -> None:
        for key, value in knobs.items():
            if key == "group_processing" and value not in PROCESSING:
                raise ValueError(f"group_processing is one of {PROCESSING}, not {value!r}")
            if key == "country_letter_code" and not re.fullmatch(r"[A-Z]{2}", str(value)):
                raise ValueError(f"country_letter_code is two capital letters, not {value!r}")
            if key == "exclusive_plans":
                value = tuple(frozenset(p.lower() for p in g) for g in value)
            if key == "exclusive_skus":
                value = {frozenset(pair) for pair in value}
            if key not in GROUP_KEYS:
                raise TypeError(f"unexpected group knob {key!r}")
            setattr(self, key, value)
        self._settle()

    # ----- test helpers ------------------------------------------------------------------------
    def add_group(self, raw: dict[str, Any]) -> str:
        """Add a group {displayName, id?, securityEnabled?, mailEnabled?, groupTypes?, licenses?, members?}; its id."""
        with self._lock:
            group = self._add_group(raw)
            for m in raw.get("members") or []:
                self.add_member(group.id, str(m))
            return group.id

    def groups(self) -> dict[str, dict[str, list[str]]]:
        """Group name -> {skuPartNumber: names of its disabled plans}."""
        with self._lock:
            return {
                g.name: {self._skus[s].part: self._plan_names(s, d) for s, d in g.licenses.items()}
                for g in self._groups.values()
            }

    def members(self, group: str) -> list[str]:
        """A group's direct members: user UPNs and nested group names, in order."""
        with self._lock:
            return [self._member_name(m) for m in self._group_named(group).members]

    def add_member(self, group: str, member: str) -> None:
        """Add a user (UPN) or group (name) out of band; the user waits for processing."""
        with self._lock:
            g, mid = self._group_named(group), self._member_id(member)
            if g.add(mid):
                self._enqueue([mid], g.id)

    def remove_member(self, group: str, member: str) -> None:
        """Remove a member out of band; the user keeps the group's licenses until processed."""
        with self._lock:
            g, mid = self._group_named(group), self._member_id(member)
            g.remove(mid)
            self._enqueue([mid], g.id)

    def reprocess_group(self, group: str) -> None:
        """The portal's Reprocess button: queue every member of the group."""
        with self._lock:
            g = self._group_named(group)
            self._enqueue(g.members, g.id)

    def pending(self) -> list[str]:
        """UPNs of the users awaiting group processing."""
        with self._lock:
            return [self._by_key[uid.lower()].upn for uid in self._queue]

    def process_groups(self) -> int:
        """Process every queued user (what Microsoft Entra ID does in the background); how many were processed."""
        with self._lock:
            done = 0
            while self._queue:
                uid = next(iter(self._queue))
                del self._queue[uid]
                self._process_user(self._by_key[uid.lower()])
                done += 1
            return done

    def license_states(self, upn: str) -> list[dict[str, Any]]:
        """A user's assignments, readable: {sku, group (name or None), state, error, disabledPlans (names)}."""
        with self._lock:
            u = self._find(upn)
            rows: list[tuple[str, str | None, list[str], str, str]]
            rows = [(s, None, d, "Active", "None") for s, d in u.licenses.items()]
            rows += [(i.sku, self._groups[i.group].name, i.disabled, i.state, i.error) for i in u.inherited]
            return [
                {
                    "sku": self._skus[s].part,
                    "group": g,
                    "state": st,
                    "error": e,
                    "disabledPlans": self._plan_names(s, d),
                }
                for s, g, d, st, e in rows
            ]

    # ----- model -------------------------------------------------------------------------------
    def _add_group(self, raw: dict[str, Any]) -> _Group:
        name = str(raw.get("displayName") or raw.get("name") or "")
        if not name or name.lower() in {g.name.lower() for g in self._groups.values()}:
            raise ValueError(f"a group needs a unique name, not {name!r}")
        by_part = {s.part: s.sku_id for s in self._skus.values()}
        licenses: dict[str, list[str]] = {}
        for entry in raw.get("licenses") or []:
            part, plans = license_entry(entry)
            if part not in by_part:
                raise ValueError(f"group {name} holds a SKU the tenant lacks: {part}")
            licenses[by_part[part]] = plan_ids(part, plans)
        gid = _guid(raw.get("id") or group_id(name))
        g = _Group(
            gid,
            name,
            bool(raw.get("securityEnabled", True)),
            bool(raw.get("mailEnabled", False)),
            list(raw.get("groupTypes") or []),
            licenses,
        )
        self._groups[gid] = g
        return g

    def _group_named(self, key: str) -> _Group:
        found = self._groups.get(key.lower()) or next(
            (g for g in self._groups.values() if g.name.lower() == key.lower()), None
        )
        if found is None:
            raise KeyError(f"no group {key!r}")
        return found

    def _member_id(self, member: str) -> str:
        if "@" not in member:
            return self._group_named(member).id
        found = self._by_key.get(member.lower())
        if found is None:
            raise KeyError(f"no user {member!r}")
        return found.id

    def _member_name(self, mid: str) -> str:
        return self._groups[mid].name if mid in self._groups else self._by_key[mid.lower()].upn

    def _plan_names(self, sku: str, disabled: Iterable[str]) -> list[str]:
        plans = catalog_plans(self._skus[sku].part)
        return [plans.get(p, p) for p in disabled]

    def _enqueue(self, member_ids: Iterable[str], gid: str) -> None:
        for mid in member_ids:
            if mid not in self._groups:  # nested groups' members are not licensed (G4)
                self._queue.setdefault(mid, set()).add(gid)
        self._settle()

    def _settle(self) -> None:
        if self.group_processing == "immediate" and getattr(self, "_queue", None):
            self.process_groups()

    def _recount(self, u: _User, before: set[str]) -> None:
        after = u.held()
        for s in after - before:
            self._used[s] = self._used.get(s, 0) + 1
        for s in before - after:
            self._used[s] -= 1

    # ----- license rules shared with direct assignments -----------------------------------------
    def _exclusive(
        self, sku: str, disabled: list[str], others: Iterable[tuple[str, list[str]]]
    ) -> tuple[str, str] | None:
        """A plan of (sku, disabled) and a different one of `others` that cannot be held together (C6)."""
        others = list(others)
        mine, theirs = (
            enabled_plans([(self._skus[sku].part, disabled)]),
            enabled_plans((self._skus[s].part, d) for s, d in others),
        )
        for group in self.exclusive_plans:
            for a in mine & group:
                for b in theirs & group:
                    if a != b:
                        return a, b
        part = self._skus[sku].part
        for s, _ in others:
            if frozenset({part, self._skus[s].part}) in self.exclusive_skus and s != sku:
                return part, self._skus[s].part
        return None

    # ----- processing (G6-G9, G11, C2) -----------------------------------------------------------
    def _broken(self, assignments: Iterable[tuple[str, list[str]]]) -> bool:
        return bool(self.rules and self.rules([(self._skus[s].part, d) for s, d in assignments]))

    def _why_not(
        self, u: _User, sku: str, disabled: list[str], others: list[tuple[str, list[str]]], holding: set[str]
    ) -> str | None:
        allowed = self.usage_restrictions.get(self._skus[sku].part)
        if allowed is not None and (u.location or self.country_letter_code) not in allowed:
            return "ProhibitedInUsageLocationViolation"
        if self._exclusive(sku, disabled, others):
            return "MutuallyExclusiveViolation"
        if sku not in holding and self._used.get(sku, 0) >= self._skus[sku].enabled:
            return "CountViolation"
        return None

    def _process_user(self, u: _User) -> None:
        before = u.held()
        old = {(i.group, i.sku): i for i in u.inherited}
        mine = [g for g in self._groups.values() if g.security and u.id in g.ids and g.licenses]
        result: dict[tuple[str, str], _Inherited] = {}
        for g in mine:  # what the user already holds from a group that still assigns it: a change, not an addition
            for sku, dis in g.licenses.items():
                prev = old.get((g.id, sku))
                if prev is not None and prev.holding:
                    result[(g.id, sku)] = _Inherited(g.id, sku, list(dis))
        direct = list(u.licenses.items())
        added: list[tuple[str, str]] = []
        holding = set(before)
        for g in mine:
            new = [(s, d) for s, d in g.licenses.items() if (g.id, s) not in result]
            held = direct + [(i.sku, i.disabled) for i in result.values() if i.holding]
            errors = {}
            for sku, dis in new:
                others = held + [(s, d) for s, d in new if s != sku]
                if error := self._why_not(u, sku, dis, others, holding):
                    errors[sku] = error
            for sku, dis in new:
                if errors:
                    result[(g.id, sku)] = _Inherited(g.id, sku, list(dis), "Error", errors.get(sku, "Other"))
                else:
                    result[(g.id, sku)] = _Inherited(g.id, sku, list(dis))
                    added.append((g.id, sku))
                    holding.add(sku)

        def holdings() -> list[tuple[str, list[str]]]:
            return direct + [(i.sku, i.disabled) for i in result.values() if i.holding]

        if self._broken(holdings()) and not self._broken(
            direct + [(i.sku, i.disabled) for i in old.values() if i.holding]
        ):
            for key, i in old.items():  # a removal or change that strands a dependent plan does not happen
                now = result.get(key)
                if i.holding and (now is None or now.disabled != i.disabled):
                    result[key] = _Inherited(i.group, i.sku, list(i.disabled), "ActiveWithError", "DependencyViolation")
            if self._broken(holdings()):
                for key in added:
                    result[key].state, result[key].error = "Error", "DependencyViolation"
        for key, i in result.items():
            prev = old.get(key)
            same = prev is not None and (prev.state, prev.error, prev.disabled) == (i.state, i.error, i.disabled)
            i.updated = prev.updated if same and prev is not None else _now()
        u.inherited = list(result.values())
        self._recount(u, before)
