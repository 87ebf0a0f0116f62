"""Out-of-band changes to the fake tenant, as an admin makes them in the portal: no HTTP, for tests that change
the tenant between two reads (delta query, tests/fakegraph_delta.py, whose docstring lists the rules and choices).

Deleted users and groups follow Microsoft's documentation: a deleted user is restorable for 30 days ("soft", the
default) before it is permanently deleted (https://learn.microsoft.com/graph/api/user-delete); a Microsoft 365 group
is restorable, a security group "permanently deleted immediately" (https://learn.microsoft.com/graph/api/group-delete).
A soft-deleted user's "license assignments are moved to a temporary container" and restored with it; "after 30 days
and if not restored, the user object is permanently deleted and their assigned resources freed" (user-delete): so its
units stay consumed until it is purged. The fake's choices (fakegraph_delta X8): a deleted user leaves /users and the
member listings at once, but stays a member of its groups for delta query until purged (delta-query-groups); a deleted
group leaves its parent groups at once and its members lose its licenses when processed. There is no restore. Direct
assignments go through the checks assignLicense makes.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from fakegraph_catalog import plan_ids
from fakegraph_core import GraphError, _Group, _now, _Sku, _User


class TenantAdmin:
    """Mixed into FakeGraph: add_user, delete_user, rename_user, set_location, assign, unassign, delete_group."""

    # Provided by FakeGraph and the group mixins.
    _lock: threading.RLock
    _skus: dict[str, _Sku]
    _users: list[_User]
    _by_key: dict[str, _User]
    _groups: dict[str, _Group]
    _queue: dict[str, set[str]]
    if TYPE_CHECKING:

        def _make_user(self, raw: dict[str, Any]) -> _User: ...
        def _check_assign(self, u: _User, adds: dict[str, list[str]], removes: list[str]) -> dict[str, list[str]]: ...
        def _recount(self, u: _User, before: set[str]) -> None: ...
        def _enqueue(self, member_ids: Any, gid: str) -> None: ...
        def _group_named(self, key: str) -> _Group: ...
        def _settle(self) -> None: ...

    def _init_admin(self) -> None:
        self._deleted_users: dict[str, tuple[_User, list[str]]] = {}  # soft-deleted: the user, its groups' ids
        self._deleted_groups: dict[str, _Group] = {}  # soft-deleted Microsoft 365 groups

    def add_user(
        self, upn: str, usage_location: str | None = None, licenses: tuple[Any, ...] | list[Any] = (), user_id: str = ""
    ) -> str:
        """Create a user (licenses: SKU names or {sku, disabledPlans}), as an admin would; returns its id."""
        raw = {"userPrincipalName": upn, "usageLocation": usage_location, "licenses": list(licenses), "id": user_id}
        with self._lock:
            if upn.lower() in self._by_key:
                raise ValueError(f"a user {upn} exists already")
            user = self._make_user(raw)
            if user.id in self._deleted_users:  # the same UPN, so the same id: the deleted one is purged
                self._purge(self._deleted_users.pop(user.id)[0])
            self._users.append(user)
            self._by_key[user.id.lower()] = self._by_key[upn.lower()] = user
            self._recount(user, set())
            return user.id

    def delete_user(self, upn: str, permanent: bool = False) -> None:
        """Delete a user (soft: restorable, @removed changed; permanent: @removed deleted); also purges a soft one."""
        with self._lock:
            key = upn.lower()
            soft = next((uid for uid, (u, _) in self._deleted_users.items() if key in (uid, u.upn.lower())), None)
            if soft is not None:
                if not permanent:
                    raise ValueError(f"user {upn} is deleted already")
                self._purge(self._deleted_users.pop(soft)[0])
                return
            user = self._user_named(upn)
            self._users.remove(user)
            del self._by_key[user.id.lower()], self._by_key[user.upn.lower()]
            gids = [g.id for g in self._groups.values() if user.id in g.ids]
            for gid in gids:
                self._groups[gid].remove(user.id)
            self._queue.pop(user.id, None)
            if permanent:
                self._purge(user)
            else:  # its license assignments wait in the deleted items, still consuming their units
                self._deleted_users[user.id] = (user, gids)

    def _purge(self, user: _User) -> None:
        """A permanently deleted user's "assigned resources" are "freed" (user-delete)."""
        before = user.held()
        user.licenses, user.inherited, user.stamps = {}, [], {}
        self._recount(user, before)

    def rename_user(self, upn: str, new_upn: str) -> None:
        """Change a user's userPrincipalName (and so the displayName the fake derives from it)."""
        with self._lock:
            user = self._user_named(upn)
            if new_upn.lower() in self._by_key:
                raise ValueError(f"a user {new_upn} exists already")
            del self._by_key[user.upn.lower()]
            user.upn = new_upn
            self._by_key[new_upn.lower()] = user

    def set_location(self, upn: str, location: str | None) -> None:
        """Set (or clear, with None) a user's usageLocation out of band; group processing is not triggered (C1)."""
        if location is not None and not re.fullmatch(r"[A-Z]{2}", location):
            raise ValueError(f"a usage location is two capital letters, not {location!r}")
        with self._lock:
            self._user_named(upn).location = location

    def assign(self, upn: str, sku: str, disabled_plans: tuple[str, ...] | list[str] = ()) -> None:
        """Assign a SKU (by name) directly, checked as assignLicense is; ValueError with Graph's message."""
        with self._lock:
            user, sku_id = self._user_named(upn), self._sku_named(sku)
            self._apply(user, {sku_id: plan_ids(sku, list(disabled_plans))}, [])

    def unassign(self, upn: str, sku: str) -> None:
        """Remove a directly assigned SKU (by name); ValueError with Graph's message when Graph would refuse."""
        with self._lock:
            self._apply(self._user_named(upn), {}, [self._sku_named(sku)])

    def delete_group(self, name: str) -> None:
        """Delete a group: Microsoft 365 (Unified) groups are soft-deleted, security groups permanently (D7, X8)."""
        with self._lock:
            g = self._group_named(name)
            del self._groups[g.id]
            for other in self._groups.values():
                if g.id in other.ids:
                    other.remove(g.id)
            if "Unified" in g.types:
                self._deleted_groups[g.id] = g
            self._enqueue(list(g.members), g.id)  # members lose its licenses when processed

    def _user_named(self, upn: str) -> _User:
        found = self._by_key.get(upn.lower())
        if found is None:
            raise KeyError(f"no user {upn!r}")
        return found

    def _sku_named(self, part: str) -> str:
        found = next((s.sku_id for s in self._skus.values() if s.part == part), None)
        if found is None:
            raise ValueError(f"the tenant has no SKU {part}")
        return found

    def _apply(self, user: _User, adds: dict[str, list[str]], removes: list[str]) -> None:
        try:
            final = self._check_assign(user, adds, removes)
        except GraphError as err:
            raise ValueError(err.message) from None
        before = user.held()
        user.licenses = final
        user.stamps = {s: _now() if s in adds else user.stamps.get(s, _now()) for s in final}
        self._recount(user, before)
        self._settle()
