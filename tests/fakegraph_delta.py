"""Delta query (change tracking) for users and groups in tests/fakegraph.py, from Microsoft's documentation only.

Sources: Learn pages, read through the search tool's stored copies (docs and pages corpora) and the markdown in
github.com/microsoftgraph/microsoft-graph-docs-contrib. That repository's stored user-delta.md is old (no
licenseAssignmentStates note), so the current Learn text was preferred: delta-query-overview as published
2025-04-30, the user-delta page's note, delta-query-users (2024-01-12), group-delta (2024-10-22), delta-query-groups.
  OVERVIEW = https://learn.microsoft.com/graph/delta-query-overview
  USERS = https://learn.microsoft.com/graph/delta-query-users     USER_DELTA = https://learn.microsoft.com/graph/api/user-delta
  GROUPS = https://learn.microsoft.com/graph/delta-query-groups   GROUP_DELTA = https://learn.microsoft.com/graph/api/group-delta

Rules
 D1 GET /users/delta and /groups/delta (also /microsoft.graph.delta, with or without "()") answer 200 with a
    collection and exactly one of @odata.nextLink (a $skiptoken: more pages, even when this page is empty) or
    @odata.deltaLink (a $deltatoken: this round is complete) (OVERVIEW "State tokens"; USER_DELTA; GROUP_DELTA).
 D2 Query options given in the first request are encoded in the tokens and not repeated ($select); "Delta queries
    with both $select and $skiptoken aren't supported"; $select with a $deltatoken changes what is tracked for an
    existing deltaLink (OVERVIEW). $top, $expand, $orderby "isn't supported" for users and groups (OVERVIEW);
    $top "will be silently ignored in delta for unsupported APIs" (Microsoft's docs team,
    github.com/microsoftgraph/microsoft-graph-docs/issues/17516; #7160 "$top doesn't work on delta of users").
 D3 The first round returns the objects that currently exist, at their latest state; objects deleted before it
    are not returned; a soft-deleted object that can still be restored "shows up as @removed: {reason: changed}"
    in the initial response too (OVERVIEW "Resource representation").
 D4 Only selected properties are tracked: "If a change occurs to a property that isn't selected, the resource ...
    doesn't appear"; without $select all properties are tracked (OVERVIEW; USERS). id is always returned.
 D5 Default response: "the same properties as selected in the initial delta query": a changed property's new value
    (null included), an unchanged property's old value, and a property "never set before ... not included at all".
    Prefer: return=minimal on a deltaLink round returns only the properties changed since (USER_DELTA, GROUP_DELTA).
 D6 user: "Changes to the licenseAssignmentStates property are currently not tracked" (USER_DELTA note); it can
    still be selected (github.com/microsoftgraph/microsoft-graph-docs/issues/16690). assignedLicenses,
    usageLocation, userPrincipalName and displayName are ordinary Entra ID properties (not "stored outside the
    main data store", OVERVIEW "Limitations"): tracked when selected. No Microsoft page names assignedLicenses
    either way; a public client selects it on users/delta so that license-only changes surface
    (github.com/pnp/Microsoft365-Analytics-Insights/pull/104); one unsourced Q&A page claims it is not tracked.
 D7 Removed users: soft delete gives @removed {reason: changed}, permanent delete {reason: deleted}; created or
    restored users come with no annotation (USERS, "Initial response"; OVERVIEW). Groups: Microsoft 365 groups
    are soft-deleted, security groups "permanently deleted immediately" (https://learn.microsoft.com/graph/api/group-delete).
 D8 Groups: $select=members (or no $select) tracks membership as members@delta, [{"@odata.type", "id"}] (only id
    of the member); the first round lists all current members, omitted for a group without members; later rounds
    list added members and removed ones with "@removed": {"reason": "deleted"}. "Only users that have been
    permanently deleted are removed from groups. Users that have been temporary deleted keep their group
    memberships" (GROUPS; GROUP_DELTA).
 D9 "Append $deltatoken=latest ... the response contains a @odata.deltaLink and no resource data" (OVERVIEW note).
 D10 Expired token (directory objects live seven days): "a 40X-series error with error codes such as
    syncStateNotFound" (OVERVIEW "Token duration"); Microsoft's announcement gives 400 BadRequest, code
    syncStateNotFound, message "The sync state generation is not found. The delta token is expired and data must
    be synchronized again." (https://devblogs.microsoft.com/microsoft365dev/duration-of-change-tracking-tokens-
    for-identity-and-education-resources/; the same text for the code in https://learn.microsoft.com/graph/errors).
 D11 Synchronization reset: "410 Gone and a Location header containing a request URL with an empty $deltatoken
    (same as the initial query)" (OVERVIEW "Synchronization reset").
 D12 "The change tracking feature isn't supported in Microsoft Entra External ID in external tenants and Azure AD
    B2C tenants" (OVERVIEW); such a tenant answered /users/delta with 400 Request_UnsupportedQuery "Change
    enumeration is not supported for requested tenant." (reported in
    github.com/microsoftgraph/microsoft-graph-docs-contrib/issues/7430).

Choices where the documentation is silent
 X1 Changes are found by comparing each object's tracked properties at the start of a round (initial or deltaLink
    request) with the last comparison: each comparison that finds changes is one version of a log kept per object
    (kind, changed properties, members added and removed). A token means "changes after version N"; a change undone
    between two rounds is not reported. Pages render current state, so a change made during a round can show early
    and again in the next round (replays are documented, OVERVIEW "Replays").
 X2 Token format: base64url JSON {k: users|groups, t: skip|delta, s: $select or null, v: version, e: epoch,
    n: since (skip), o: offset (skip)}; opaque to clients. A token that does not decode, or of the other
    collection: 400 Request_BadRequest "The specified page token value has expired or is invalid." (as /users paging).
 X3 Page size: delta_page (default 200, the /users delta page size Microsoft staff mention in
    microsoft-graph-docs#5566); order is the log's, not /users'. Prefer: odata.maxpagesize is ignored.
 X4 expire_delta_tokens(): every token issued before answers 400 syncStateNotFound (D10). reset_delta_tokens():
    every earlier token answers 410 Gone, code resyncRequired ("The delta token is no longer valid, and the app must
    reset the sync state.", https://learn.microsoft.com/graph/errors), Location {base}/{users|groups}/delta?
    $deltatoken= plus the token's $select (so following it repeats the same full read). An empty $deltatoken is
    an initial request.
 X5 delta_unsupported=True: both delta functions answer D12's 400. $select of an unknown property is refused as on
    /users. $filter and other options: the fake's usual 400 Request_UnsupportedQuery (it has no delta $filter).
 X6 Collections are never "never set": an empty assignedLicenses or groupTypes is returned as []. A null property
    is omitted unless it was non-null at an earlier comparison or changed to null in the reported range.
 X7 licenseAssignmentStates, when selected, is returned at its current value whenever the user appears.
 X8 A deleted user is dropped from /users and from /groups/{id}/members listings at once; its licenses stay
    consumed until purged (https://learn.microsoft.com/graph/api/user-delete: "assigned resources freed" after 30
    days); in groups delta it stays a member until purged (D8). A deleted group leaves its parents at once and its
    members lose its licenses when processed (tests/fakegraph_admin.py).
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

from fakegraph_core import (
    DEFAULT_USER_PROPS,
    USER_PROPS,
    GraphError,
    Recorded,
    Reply,
    _bad,
    _check_options,
    _error_body,
    _Group,
    _header,
    _select,
    _single,
    _User,
)
from fakegraph_groups import DEFAULT_GROUP_PROPS, GROUP_PROPS

# D6: licenseAssignmentStates can be selected but is not tracked.
USER_TRACKED = ("userPrincipalName", "displayName", "usageLocation", "assignedLicenses")
GROUP_TRACKED = GROUP_PROPS[1:]  # all but id; members is tracked apart
GROUP_SELECTABLE = (*GROUP_PROPS, "hasMembersWithLicenseErrors", "members")
DELTA_NAMES = {"delta", "delta()", "microsoft.graph.delta", "microsoft.graph.delta()"}
DELTA_KEYS = {"delta_page", "delta_unsupported"}
FLAGS = frozenset({"@created", "@removed"})
EXPIRED = "The sync state generation is not found. The delta token is expired and data must be synchronized again."
RESYNC = "The delta token is no longer valid, and the app must reset the sync state."
UNSUPPORTED = "Change enumeration is not supported for requested tenant."
BAD_TOKEN = "The specified page token value has expired or is invalid."
SELECT_SKIP = "Delta queries with both $select and $skiptoken aren't supported."


@dataclass
class _Entry:
    version: int
    props: frozenset[str]  # changed properties, "members", "@created" (new or restored), "@removed"
    added: dict[str, str] = field(default_factory=dict)  # member id -> "user" | "group"
    removed: dict[str, str] = field(default_factory=dict)


@dataclass
class _Tracked:
    kind: str  # "users" | "groups"
    props: dict[str, str]  # property -> canonical JSON at the last comparison
    members: dict[str, str]
    status: str  # "alive" | "changed" (soft-deleted) | "deleted"
    born: int
    gone: int | None = None
    ever: set[str] = field(default_factory=set)  # properties seen non-null (X6)
    log: list[_Entry] = field(default_factory=list)


def _canon(value: Any) -> str:
    def norm(v: Any) -> Any:
        if isinstance(v, list):
            return sorted((norm(x) for x in v), key=lambda x: json.dumps(x, sort_keys=True))
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        return v

    return json.dumps(norm(value), sort_keys=True)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


class DeltaQuery:
    """Mixed into FakeGraph: /users/delta, /groups/delta, their change log, and out-of-band tenant changes."""

    # Provided by FakeGraph and the group mixins.
    _lock: threading.RLock
    _users: list[_User]
    _by_key: dict[str, _User]
    _groups: dict[str, _Group]
    _deleted_users: dict[str, tuple[_User, list[str]]]  # fakegraph_admin: soft-deleted users and their groups
    _deleted_groups: dict[str, _Group]
    _base: str
    next_link_base: str | None
    if TYPE_CHECKING:

        def _context(self, what: str) -> str: ...
        def _user_json(self, u: _User, props: tuple[str, ...]) -> dict[str, Any]: ...
        def _group_json(self, g: _Group, props: tuple[str, ...]) -> dict[str, Any]: ...

    def _init_delta(self) -> None:
        self.delta_page, self.delta_unsupported = 200, False
        self._tracked: dict[str, _Tracked] = {}
        self._version, self._epoch = 0, 0
        self._dead: dict[int, str] = {}  # epoch -> "expired" | "reset", for tokens issued in it
        self._rounds: dict[tuple[Any, ...], list[str]] = {}

    def _set_delta_knob(self, key: str, value: Any) -> None:
        if key == "delta_page" and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"delta_page is a page size >= 1, not {value!r}")
        setattr(self, key, bool(value) if key == "delta_unsupported" else value)

    # ----- knobs -----------------------------------------------------------------------------------------
    def expire_delta_tokens(self) -> None:
        """Every delta or skip token issued so far answers 400 syncStateNotFound (D10, X4)."""
        with self._lock:
            self._dead[self._epoch], self._epoch = "expired", self._epoch + 1

    def reset_delta_tokens(self) -> None:
        """Every token issued so far answers 410 Gone with a Location for a full read (D11, X4)."""
        with self._lock:
            self._dead[self._epoch], self._epoch = "reset", self._epoch + 1

    # ----- the change log (X1) ---------------------------------------------------------------------------
    def _members(self, g: _Group) -> dict[str, str]:
        found = {m: "group" if m in self._groups else "user" for m in g.members}
        found.update({uid: "user" for uid, (_, gids) in self._deleted_users.items() if g.id in gids})  # D8
        return found

    def _compare(self) -> None:
        """Compare every object with the last comparison; log what changed under one new version."""
        v, seen = self._version + 1, set[str]()
        now: list[tuple[str, str, str, dict[str, str], dict[str, str]]] = []
        seen_props: dict[str, tuple[Any, dict[str, str]]] = getattr(self, "_rendered", {})
        for u in self._users:
            # What the tracked properties are made of: unchanged, they need not be rendered again (a
            # 100,000-user round would spend seconds rendering JSON that benchmarks then charge the client).
            made_of = (
                u.upn,
                u.location,
                [(k, tuple(v)) for k, v in u.licenses.items()],
                [(i.sku, tuple(i.disabled), i.holding) for i in u.inherited],
            )
            known = seen_props.get(u.id)
            if known is None or known[0] != made_of:
                state = self._user_json(u, USER_TRACKED)
                known = seen_props[u.id] = (made_of, {p: _canon(state[p]) for p in USER_TRACKED})
            now.append((u.id, "users", "alive", known[1], {}))
        self._rendered = seen_props
        now += [(uid, "users", "changed", {}, {}) for uid in self._deleted_users]
        for g in self._groups.values():
            state = self._group_json(g, GROUP_TRACKED)
            now.append((g.id, "groups", "alive", {p: _canon(state[p]) for p in GROUP_TRACKED}, self._members(g)))
        now += [(gid, "groups", "changed", {}, {}) for gid in self._deleted_groups]
        changed = False
        for oid, kind, status, props, members in now:
            seen.add(oid)
            changed |= self._track(oid, kind, status, props, members, v)
        for oid, t in self._tracked.items():
            if oid not in seen and t.status != "deleted":
                t.status, t.gone, changed = "deleted", v, True
                t.log.append(_Entry(v, frozenset({"@removed"})))
        if changed:
            self._version = v

    def _track(self, oid: str, kind: str, status: str, props: dict[str, str], members: dict[str, str], v: int) -> bool:
        t = self._tracked.get(oid)
        if t is not None and t.props is props and status == t.status == "alive" and not members and not t.members:
            return False  # the very properties compared last time (_compare kept them): nothing changed
        if t is None or (t.status != "alive" and status == "alive"):  # new, or restored / created again
            fresh = _Tracked(kind, props, members, status, v, log=t.log if t is not None else [])
            if status == "alive":
                fresh.log.append(_Entry(v, frozenset({"@created", *props}), dict(members)))
            self._tracked[oid] = fresh
            fresh.ever |= {p for p, c in props.items() if c != "null"}
            return True
        if status != "alive":
            if t.status == status:
                return False
            t.status = status
            t.gone = v if status == "deleted" else t.gone
            t.log.append(_Entry(v, frozenset({"@removed"})))
            return True
        diff = {p for p, c in props.items() if t.props.get(p) != c}
        added = {m: k for m, k in members.items() if m not in t.members}
        removed = {m: k for m, k in t.members.items() if m not in members}
        if added or removed:
            diff.add("members")
        t.ever |= {p for p, c in props.items() if c != "null"}
        if not diff:
            return False
        t.props, t.members = props, members
        t.log.append(_Entry(v, frozenset(diff), added, removed))
        return True

    def _round(self, kind: str, tracked: frozenset[str], since: int | None, upto: int) -> list[str]:
        """The ids a round reports, in log order: all objects at `upto`, or those changed in (since, upto]."""
        key = (kind, tracked, since, upto, len(self._tracked))
        if key not in self._rounds:
            if len(self._rounds) > 32:
                self._rounds.clear()
            if since is None:  # D3: what exists at `upto`, soft-deleted objects included
                ids = [
                    o
                    for o, t in self._tracked.items()
                    if t.kind == kind and t.born <= upto and (t.gone is None or t.gone > upto)
                ]
            else:
                wanted = tracked | FLAGS
                ids = [
                    o
                    for o, t in self._tracked.items()
                    if t.kind == kind and any(since < e.version <= upto and e.props & wanted for e in t.log)
                ]
            self._rounds[key] = ids
        return self._rounds[key]

    # ----- HTTP ------------------------------------------------------------------------------------------
    def _delta_routes(self, rec: Recorded, rest: list[str], lowered: list[str]) -> list[Any]:
        hit = len(rest) == 2 and lowered[0] in ("users", "groups") and lowered[1] in DELTA_NAMES
        return [(hit, {"GET": lambda: self._delta(rec, lowered[0])})]

    def _delta(self, rec: Recorded, kind: str) -> Reply:
        if self.delta_unsupported:
            raise GraphError(400, "Request_UnsupportedQuery", UNSUPPORTED)
        tokens = ("$skiptoken", "$deltatoken")  # the docs spell them $deltaToken and $deltatoken alike
        query = {k.lower() if k.lower() in tokens else k: v for k, v in rec.query.items()}
        _check_options(query, {"$select", "$top", *tokens})  # $top: ignored (D2)
        skip, delta = _single(query, "$skiptoken"), _single(query, "$deltatoken")
        picked = _select(query, USER_PROPS if kind == "users" else GROUP_SELECTABLE, kind[:-1])
        minimal = "return=minimal" in (_header(rec.headers, "Prefer") or "").replace(" ", "").lower()
        if skip is not None and delta is not None:
            raise _bad("A delta request carries either $skiptoken or $deltatoken, not both.")
        with self._lock:
            if skip is not None:
                if picked is not None:  # D2
                    raise GraphError(400, "Request_UnsupportedQuery", SELECT_SKIP)
                tok = self._token(skip, kind, "skip")
                if isinstance(tok, Reply):
                    return tok
                return self._dpage(kind, tok["s"], tok["n"], tok["v"], tok["o"], minimal)
            since: int | None = None
            sel = list(picked) if picked is not None else None
            if delta and delta.lower() != "latest":
                tok = self._token(delta, kind, "delta")
                if isinstance(tok, Reply):
                    return tok
                since, sel = tok["v"], sel if picked is not None else tok["s"]
            self._compare()
            if delta and delta.lower() == "latest":  # D9: sync from now
                link = self._link(kind, "delta", sel, self._version)
                return Reply(200, {"@odata.context": self._context(kind), "@odata.deltaLink": link, "value": []})
            return self._dpage(kind, sel, since, self._version, 0, minimal)

    def _token(self, raw: str, kind: str, which: str) -> dict[str, Any] | Reply:
        try:
            tok = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            ok = isinstance(tok, dict) and tok.get("k") == kind and tok.get("t") == which
            ok = ok and all(isinstance(tok.get(n), int) for n in ("v", "e", *(("o",) if which == "skip" else ())))
        except (ValueError, TypeError):
            ok = False
        if not ok:
            raise _bad(BAD_TOKEN)
        if tok["e"] == self._epoch:
            return dict(tok)
        if self._dead.get(tok["e"]) == "reset":  # D11
            query = "$deltatoken=" + (f"&$select={quote(','.join(tok['s']), safe=',')}" if tok.get("s") else "")
            where = self._relink(f"{self._base}/{kind}/delta?{query}")
            return Reply(410, _error_body("resyncRequired", RESYNC), {"Location": where})
        raise GraphError(400, "syncStateNotFound", EXPIRED)  # D10

    def _link(self, kind: str, which: str, sel: list[str] | None, upto: int, **more: int | None) -> str:
        tok = _b64({"k": kind, "t": which, "s": sel, "v": upto, "e": self._epoch, **more})
        return self._relink(f"{self._base}/{kind}/delta?${which}token={tok}")

    def _relink(self, link: str) -> str:
        base = self.next_link_base
        if base is None:
            return link
        own, other = urlsplit(link), urlsplit(base)
        return urlunsplit((other.scheme, other.netloc, own.path, own.query, ""))

    def _shape(self, kind: str, sel: list[str] | None) -> tuple[tuple[str, ...], frozenset[str], bool]:
        """Returned properties, tracked properties (D4, D6), and whether members@delta is returned (D8)."""
        if kind == "users":
            shown = ("id", *(p for p in sel if p != "id")) if sel else DEFAULT_USER_PROPS
            return shown, frozenset(sel or USER_TRACKED) & set(USER_TRACKED), False
        props = tuple(p for p in (sel or DEFAULT_GROUP_PROPS) if p in GROUP_PROPS and p != "id")
        tracked = frozenset(sel or (*GROUP_TRACKED, "members")) & {*GROUP_TRACKED, "members"}
        return ("id", *props), tracked, sel is None or "members" in sel

    def _dpage(
        self, kind: str, sel: list[str] | None, since: int | None, upto: int, offset: int, minimal: bool
    ) -> Reply:
        shown, tracked, members = self._shape(kind, sel)
        ids = self._round(kind, tracked, since, upto)
        page = ids[offset : offset + self.delta_page]
        value = [self._item(kind, oid, shown, members, since, minimal) for oid in page]
        ctx = kind if sel is None else f"{kind}({','.join(shown)})"
        body: dict[str, Any] = {"@odata.context": self._context(ctx)}
        if offset + self.delta_page < len(ids):
            body["@odata.nextLink"] = self._link(kind, "skip", sel, upto, n=since, o=offset + self.delta_page)
        else:
            body["@odata.deltaLink"] = self._link(kind, "delta", sel, upto)  # the round's version, not a later one
        body["value"] = value
        return Reply(200, body)

    def _item(
        self, kind: str, oid: str, shown: tuple[str, ...], members: bool, since: int | None, minimal: bool
    ) -> dict[str, Any]:
        user = self._by_key.get(oid.lower()) if kind == "users" else None
        group = self._groups.get(oid) if kind == "groups" else None
        if user is None and group is None:  # D7: rendered as it is now (X1)
            soft = oid in (self._deleted_users if kind == "users" else self._deleted_groups)
            return {"id": oid, "@removed": {"reason": "changed" if soft else "deleted"}}
        t = self._tracked[oid]
        changed, added, removed = set[str](), dict[str, str](), dict[str, str]()
        created = since is None
        for e in t.log:
            if since is not None and e.version > since:  # net changes since the token (D5, D8)
                created |= "@created" in e.props
                changed |= e.props
                for m, k in e.added.items():
                    if removed.pop(m, None) is None:
                        added[m] = k
                for m, k in e.removed.items():
                    if added.pop(m, None) is None:
                        removed[m] = k
        data = self._user_json(user, shown) if user is not None else self._group_json(group, shown)  # type: ignore[arg-type]
        if minimal and not created:  # D5 alternative
            data = {p: v for p, v in data.items() if p == "id" or p in changed}
        nulled = set() if created else changed  # a created object's null properties were never set
        data = {p: v for p, v in data.items() if v is not None or p in t.ever or p in nulled}  # D5, X6
        if members and group is not None:
            now = self._members(group)
            gone = {"@removed": {"reason": "deleted"}}
            rows = [{"@odata.type": f"#microsoft.graph.{k}", "id": m} for m, k in (now if created else added).items()]
            rows += [{"@odata.type": f"#microsoft.graph.{k}", "id": m, **gone} for m, k in removed.items()]
            if rows:
                data["members@delta"] = rows
        return data
