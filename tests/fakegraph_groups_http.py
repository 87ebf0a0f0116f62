"""The HTTP half of group-based licensing in tests/fakegraph.py: routes, request validation and JSON.

The rules (G1-G12) and the choices where Microsoft's documentation is silent (C1-C7) are listed, with their
sources, at the top of tests/fakegraph_groups.py.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from fakegraph_catalog import service_plans as catalog_plans
from fakegraph_core import (
    DEFAULT_USER_PROPS,
    USER_PROPS,
    GraphError,
    Recorded,
    Reply,
    _bad,
    _check_options,
    _decode_token,
    _encode_token,
    _Group,
    _header,
    _parse_assign,
    _select,
    _single,
    _User,
)
from fakegraph_groups import ADVANCED, DEFAULT_GROUP_PROPS, GROUP_PROPS, GroupLicensing, Route

MEMBER_PROPS = tuple(dict.fromkeys(USER_PROPS + GROUP_PROPS))
SELECTABLE = (*GROUP_PROPS, "hasMembersWithLicenseErrors")  # accepted by $select, never returned (G1)


class GroupRoutes(GroupLicensing):
    """Mixed into FakeGraph: /groups, /groups/{id}/members, assignLicense on groups, reprocessLicenseAssignment."""

    def _group_routes(self, rec: Recorded, rest: list[str], lowered: list[str]) -> list[Route]:
        n, grp = len(rest), lowered[:1] == ["groups"]
        return [
            (grp and n == 1, {"GET": lambda: self._list_groups(rec)}),
            (grp and n == 2, {"GET": lambda: self._get_group(rec, rest[1])}),
            (grp and lowered[2:] == ["members"], {"GET": lambda: self._list_members(rec, rest[1], "all")}),
            (
                grp and lowered[2:] == ["members", "microsoft.graph.user"],
                {"GET": lambda: self._list_members(rec, rest[1], "users")},
            ),
            (
                grp and lowered[2:] == ["memberswithlicenseerrors"],
                {"GET": lambda: self._list_members(rec, rest[1], "errors")},
            ),
            (grp and lowered[2:] == ["assignlicense"], {"POST": lambda: self._assign_group(rec, rest[1])}),
            (
                n == 3 and lowered[0] == "users" and lowered[2] == "reprocesslicenseassignment",
                {"POST": lambda: self._reprocess(rec, rest[1])},
            ),
        ]

    # ----- reads -----------------------------------------------------------------------------------
    def _group(self, key: str) -> _Group:
        try:
            gid = str(uuid.UUID(key))
        except ValueError:
            raise _bad(f"Invalid object identifier '{key}'.") from None
        with self._lock:
            found = self._groups.get(gid)
        if found is None:
            raise GraphError(
                404,
                "Request_ResourceNotFound",
                f"Resource '{key}' does not exist or one of its queried reference-property objects are not present.",
            )
        return found

    def _page(self, rec: Recorded, items: list[Any], keep: tuple[str, ...]) -> tuple[list[Any], str | None]:
        """One page of `items` and the @odata.nextLink to the next (the users listing's paging, G2)."""
        top, offset = self._page_size(rec.query), _decode_token(_single(rec.query, "$skiptoken"))
        if offset + top >= len(items):
            return items[offset : offset + top], None
        query = [(k, v) for k in keep if (v := _single(rec.query, k)) is not None]
        query.append(("$skiptoken", _encode_token(offset + top)))
        link = f"{self._base}{rec.path.removeprefix('/v1.0')}?" + "&".join(
            f"{k}={quote(v, safe=',')}" for k, v in query
        )
        base = self.next_link_base
        if base is not None:  # same path and query, another host
            own, other = urlsplit(link), urlsplit(base)
            link = urlunsplit((other.scheme, other.netloc, own.path, own.query, ""))
        return items[offset : offset + top], link

    def _eventual(self, rec: Recorded) -> bool:
        return (_header(rec.headers, "ConsistencyLevel") or "").strip().lower() == "eventual"

    def _counted(self, rec: Recorded) -> bool:
        return self._eventual(rec) and (_single(rec.query, "$count") or "").strip().lower() == "true"

    def _group_filter(self, rec: Recorded) -> tuple[Any, bool]:
        """The $filter of GET /groups as a predicate, and whether @odata.count is returned (G2)."""
        flt = _single(rec.query, "$filter")
        counted = (_single(rec.query, "$count") or "").strip().lower() == "true"
        eventual = self._eventual(rec)
        words = (flt or "").split()
        if flt is None:
            return (lambda g: True), counted and eventual
        if len(words) == 3 and words[0].lower() == "assignedlicenses/$count" and words[1].lower() in ("eq", "ne"):
            if not (eventual and counted):
                raise GraphError(400, "Request_UnsupportedQuery", ADVANCED.format(op=words[1].lower()))
            n, eq = int(words[2]), words[1].lower() == "eq"
            return (lambda g: (len(g.licenses) == n) == eq), True
        if len(words) == 3 and words[0].lower() == "hasmemberswithlicenseerrors" and words[1].lower() == "eq":
            if eventual:
                raise GraphError(
                    400,
                    "Request_UnsupportedQuery",
                    "Unsupported or invalid query filter clause specified for property 'hasMembersWithLicenseErrors' "
                    "of resource 'Group'.",
                )
            want = words[2].lower() == "true"
            return (lambda g: self._has_errors(g) == want), False
        name = re.fullmatch(r"displayName eq '((?:[^']|'')*)'", flt.strip())
        if name is not None:
            # displayName supports eq by default (https://learn.microsoft.com/graph/api/resources/group, "Supports
            # $filter (eq, ...)"); OData doubles a quote inside a literal; string comparison ignores case.
            wanted = name.group(1).replace("''", "'").lower()
            return (lambda g: g.name.lower() == wanted), counted and eventual
        raise GraphError(400, "Request_UnsupportedQuery", f"fakegraph does not support the $filter '{flt}' on groups.")

    def _list_groups(self, rec: Recorded) -> Reply:
        _check_options(rec.query, {"$select", "$top", "$skiptoken", "$filter", "$count"})
        props = _select(rec.query, SELECTABLE, "group") or DEFAULT_GROUP_PROPS
        keep, with_count = self._group_filter(rec)
        with self._lock:
            matched = [g for g in self._groups.values() if keep(g)]
            page, link = self._page(rec, matched, ("$select", "$top", "$filter", "$count"))
            value = [self._group_json(g, props) for g in page]
        ctx = "groups" if props is DEFAULT_GROUP_PROPS else f"groups({','.join(props)})"
        body: dict[str, Any] = {"@odata.context": self._context(ctx)}
        if with_count:
            body["@odata.count"] = len(matched)
        body["value"] = value
        if link:
            body["@odata.nextLink"] = link
        return Reply(200, body)

    def _get_group(self, rec: Recorded, key: str) -> Reply:
        _check_options(rec.query, {"$select"})
        props = _select(rec.query, SELECTABLE, "group") or DEFAULT_GROUP_PROPS
        g = self._group(key)
        with self._lock:
            return Reply(200, {"@odata.context": self._context("groups/$entity"), **self._group_json(g, props)})

    def _list_members(self, rec: Recorded, key: str, which: str) -> Reply:
        """members (users and groups, typed), members/microsoft.graph.user, or membersWithLicenseErrors (G3)."""
        _check_options(rec.query, {"$select", "$top", "$skiptoken", "$count"})
        typed = which == "all"
        props = _select(rec.query, MEMBER_PROPS if typed else USER_PROPS, "directoryObject" if typed else "user")
        g = self._group(key)
        with self._lock:
            if which == "errors":
                objects: list[Any] = [
                    u for u in self._users if any(i.group == g.id and i.error != "None" for i in u.inherited)
                ]
            else:
                objects = [self._groups.get(m) or self._by_key[m.lower()] for m in g.members]
                objects = [o for o in objects if typed or isinstance(o, _User)]
            page, link = self._page(rec, objects, ("$select", "$top", "$count"))
            value = [self._member_json(o, props, typed) for o in page]
        ctx = "directoryObjects" if typed else "users" if props is None else f"users({','.join(props)})"
        body: dict[str, Any] = {"@odata.context": self._context(ctx)}
        if self._counted(rec):  # $count=true needs ConsistencyLevel: eventual, else it is ignored (G2)
            body["@odata.count"] = len(objects)
        body["value"] = value
        if link:
            body["@odata.nextLink"] = link
        return Reply(200, body)

    def _member_json(self, o: _User | _Group, props: tuple[str, ...] | None, typed: bool) -> dict[str, Any]:
        if isinstance(o, _User):
            data = self._user_json(o, tuple(p for p in props or DEFAULT_USER_PROPS if p in USER_PROPS))
            return {"@odata.type": "#microsoft.graph.user", **data} if typed else data
        data = self._group_json(o, tuple(p for p in props or ("id", "displayName") if p in GROUP_PROPS))
        return {"@odata.type": "#microsoft.graph.group", **data}

    # ----- writes ----------------------------------------------------------------------------------
    def _assign_group(self, rec: Recorded, key: str) -> Reply:
        """POST /groups/{id}/assignLicense (G5): the group changes now, its members when processed (G6)."""
        g = self._group(key)
        adds, removes = _parse_assign(rec.body)
        with self._lock:
            if not g.security:
                raise _bad(
                    "License assignment is supported only for security groups and Microsoft 365 groups that have "
                    "securityEnabled set to true."
                )
            for sku in [*adds, *removes]:
                if sku not in self._skus:
                    raise _bad(f"License {sku} does not correspond to a valid company License.")
            self._check_disabled(adds)
            for sku in removes:
                if sku not in g.licenses:
                    raise _bad("Group does not have a corresponding license.")
            if set(adds) & set(removes):
                raise _bad("The same license cannot be both added and removed in one request.")
            final = {s: d for s, d in g.licenses.items() if s not in removes}
            final.update(adds)  # re-adding a SKU replaces its disabledPlans, in place
            message = self.rules([(self._skus[s].part, d) for s, d in final.items()]) if self.rules else None
            if message:  # C5: an add-on's prerequisite must be in the same group
                raise _bad(message)
            g.licenses = final
            self._queue_members(g)
            data = self._group_json(g, ("id", "displayName", "securityEnabled", "groupTypes", "assignedLicenses"))
        return Reply(202, {"@odata.context": self._context("groups/$entity"), **data})

    def _queue_members(self, g: _Group) -> None:
        for mid in g.members:
            if mid not in self._groups:
                self._queue.setdefault(mid, set()).add(g.id)  # processed after this request (C1), not during it

    def _reprocess(self, rec: Recorded, key: str) -> Reply:
        """POST /users/{id}/reprocessLicenseAssignment: this user's group licenses, processed now (G9)."""
        user = self._find(key)
        with self._lock:
            self._queue.pop(user.id, None)
            self._process_user(user)
            data = self._user_json(user, ("id", "userPrincipalName", "assignedLicenses", "licenseAssignmentStates"))
        return Reply(200, {"@odata.context": self._context("users/$entity"), **data})

    # ----- license rules shared with direct assignments, and JSON -----------------------------------------
    def _check_disabled(self, adds: dict[str, list[str]]) -> None:
        """disabledPlans must be service plans of the SKU (when the fake knows them). C4."""
        for sku, disabled in adds.items():
            plans = catalog_plans(self._skus[sku].part)
            for p in disabled:
                if plans and p not in plans:
                    raise _bad(f"The service plan {p} does not belong to the subscription with SKU {sku}.")

    def _direct_violation(self, u: _User, adds: dict[str, list[str]], final: dict[str, list[str]]) -> str | None:
        """Mutual exclusion and usage location for a direct assignLicense (C4, C6)."""
        holding = [(i.sku, i.disabled) for i in u.inherited if i.holding]
        for sku, disabled in adds.items():
            allowed = self.usage_restrictions.get(self._skus[sku].part)
            if allowed is not None and u.location not in allowed:
                return "License assignment cannot be done for user with invalid usage location."
            clash = self._exclusive(sku, disabled, [(s, d) for s, d in final.items() if s != sku] + holding)
            if clash:
                return (
                    f"License assignment failed because service plans {clash[0]} and {clash[1]} are mutually exclusive."
                )
        return None

    # ----- JSON ----------------------------------------------------------------------------------
    def _assigned_json(self, u: _User) -> list[dict[str, Any]]:
        """assignedLicenses: each held SKU once; a plan stays enabled if any assignment enables it (G11)."""
        copies: dict[str, list[list[str]]] = {}
        for s, d in u.licenses.items():
            copies.setdefault(s, []).append(d)
        for i in u.inherited:
            if i.holding:
                copies.setdefault(i.sku, []).append(i.disabled)
        return [
            {"skuId": s, "disabledPlans": [p for p in ds[0] if all(p in d for d in ds)]} for s, ds in copies.items()
        ]

    def _states_json(self, u: _User) -> list[dict[str, Any]]:
        rows: list[tuple[str, str | None, list[str], str, str, str | None]]
        rows = [(s, None, d, "Active", "None", u.stamps.get(s)) for s, d in u.licenses.items()]
        rows += [(i.sku, i.group, i.disabled, i.state, i.error, i.updated) for i in u.inherited]
        keys = ("skuId", "assignedByGroup", "disabledPlans", "state", "error", "lastUpdatedDateTime")
        return [dict(zip(keys, (s, g, list(d), st, e, t), strict=True)) for s, g, d, st, e, t in rows]

    def _group_json(self, g: _Group, props: tuple[str, ...]) -> dict[str, Any]:
        queued = any(g.id in gids for gids in self._queue.values())
        full = {
            "id": g.id,
            "displayName": g.name,
            "securityEnabled": g.security,
            "mailEnabled": g.mail,
            "groupTypes": list(g.types),
            "assignedLicenses": [{"skuId": s, "disabledPlans": list(d)} for s, d in g.licenses.items()],
            "licenseProcessingState": {"state": "QueuedForProcessing" if queued else "ProcessingComplete"},
        }
        return {p: full[p] for p in props if p in full}

    def _has_errors(self, g: _Group) -> bool:
        return any(i.group == g.id and i.error != "None" for u in self._users for i in u.inherited)
