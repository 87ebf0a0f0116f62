"""The simulated tenant's group-based licensing: processing groups, and the writes to group licenses
and disabled plans.

Microsoft processes a group asynchronously; the simulator processes every licensed group at once,
inside the write's transaction, whenever something processing depends on changes: a group's licenses,
a subscription's seats, a snapshot load. It does not re-process after a single user's write (a direct
license or a usage location): a member's failure stays recorded until the next such change.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from ...domain import catalog
from ...domain.errors import PermanentProviderError
from ...domain.group_processing import Member, process_groups
from .store import LocalStore
from .tables import plans_set, plans_text


class GroupWrites(LocalStore):
    """Group licensing on the simulated tenant (mixed into LocalProvider)."""

    def process_groups(self) -> None:
        """Give every licensed group's members its licenses (inside a write transaction)."""
        db = self.db
        if not db.execute("SELECT 1 FROM group_licenses UNION ALL SELECT 1 FROM group_grants LIMIT 1").fetchone():
            return  # no licensed group, and nothing a group gave: nothing to process (the common case)
        db.execute("DELETE FROM group_grants")
        db.execute("DELETE FROM user_licenses WHERE direct = 0")
        groups = self._groups()  # the store's read of them
        if not any(g.licenses for g in groups.values()):
            return
        direct: dict[str, set[str]] = defaultdict(set)
        for key, sku in db.execute(
            "SELECT l.upn_key, l.sku FROM user_licenses l WHERE l.upn_key IN (SELECT upn_key FROM group_members)"
        ):
            direct[key].add(sku)
        members = {
            key: Member(upn, frozenset(direct[key]), location)
            for key, upn, location in db.execute(
                "SELECT upn_key, upn, usage_location FROM users WHERE upn_key IN (SELECT upn_key FROM group_members)"
            )
        }
        skus = sorted({sku for g in groups.values() for sku in g.licenses})
        seats = {}
        for sku in skus:
            if db.execute("SELECT 1 FROM subscriptions WHERE sku = ?", (sku,)).fetchone():
                sub = self._subscription(sku)
                seats[sku] = 0 if sub.lapsed(self.today) else sub.seats
        holders = Counter(dict(db.execute("SELECT sku, n FROM consumed").fetchall()))
        default = self._meta().get("default_usage_location") or None
        out = process_groups(members, groups, seats, default, holders)
        db.executemany(
            "INSERT INTO group_grants VALUES (?, ?, ?, NULL)",
            [(key, sku, gid) for key, given in out.grants.items() for sku, ids in given.items() for gid in ids],
        )
        db.executemany(
            "INSERT INTO user_licenses (upn_key, sku, direct, disabled) VALUES (?, ?, 0, '')",
            [(key, sku) for key, given in out.grants.items() for sku in given if sku not in direct[key]],
        )
        db.executemany(
            "INSERT OR REPLACE INTO group_grants VALUES (?, ?, ?, ?)",
            [(e.upn.lower(), e.sku, e.group, e.error) for e in out.errors],
        )

    def _group(self, handle: str) -> tuple[str, frozenset[str]]:
        """The id and licenses of the one group named `handle` (display name or id)."""
        rows = self.db.execute(
            "SELECT id, security_enabled FROM groups WHERE lower(id) = lower(?) OR lower(name) = lower(?)",
            (handle, handle),
        ).fetchall()
        if not rows:
            raise PermanentProviderError(f"group '{handle}' does not exist", "create the group first", "not_found")
        if len(rows) > 1:
            raise PermanentProviderError(f"{len(rows)} groups are named '{handle}'", "name it by id", "ambiguous")
        gid, security = rows[0]
        if not security:
            raise PermanentProviderError(
                f"group '{handle}' is not security-enabled", "license a security group", "not_security_enabled"
            )
        held = frozenset(sku for (sku,) in self.db.execute("SELECT sku FROM group_licenses WHERE group_id = ?", (gid,)))
        return gid, held

    def assign_group_license(self, group: str, sku: str, disabled: tuple[str, ...]) -> bool:
        """Give a group a license; refused, as Microsoft refuses it, when its prerequisite is not in the group."""
        with self._tx() as db:
            gid, held = self._group(group)
            if sku in held:
                return False
            if not db.execute("SELECT 1 FROM subscriptions WHERE sku = ?", (sku,)).fetchone() and sku != "MCOPSTNC":
                raise PermanentProviderError(f"the tenant has no {sku} subscription", f"buy {sku} first", "not_found")
            missing = catalog.missing_prerequisite(sku, held | {sku})
            if missing:
                raise PermanentProviderError(
                    f"license operation failed: {sku} needs {catalog.describe_caps(missing)} in group '{group}'",
                    f"give the group one of {', '.join(catalog.providers_of(missing))} first",
                    "dependency_violation",
                )
            db.execute("INSERT INTO group_licenses VALUES (?, ?, ?)", (gid, sku, plans_text(disabled)))
            self.process_groups()
            return True

    def remove_group_license(self, group: str, sku: str) -> bool:
        """Take a license from a group: members who hold it from nowhere else lose it."""
        with self._tx() as db:
            gid, held = self._group(group)
            if sku not in held:
                return False
            db.execute("DELETE FROM group_licenses WHERE group_id = ? AND sku = ?", (gid, sku))
            self.process_groups()
            return True

    def set_group_disabled_plans(self, group: str, sku: str, disabled: tuple[str, ...]) -> bool:
        """Set the disabled plans of a license the group holds."""
        with self._tx() as db:
            gid, held = self._group(group)
            if sku not in held:
                raise PermanentProviderError(f"group '{group}' does not hold {sku}", "assign it first", "not_found")
            row = db.execute(
                "SELECT disabled FROM group_licenses WHERE group_id = ? AND sku = ?", (gid, sku)
            ).fetchone()
            if plans_set(row[0]) == frozenset(disabled):
                return False
            db.execute(
                "UPDATE group_licenses SET disabled = ? WHERE group_id = ? AND sku = ?",
                (plans_text(disabled), gid, sku),
            )
            return True

    def set_user_disabled_plans(self, upn: str, sku: str, disabled: tuple[str, ...]) -> bool:
        """Set the disabled plans of a license the user holds directly."""
        with self._tx() as db:
            key = upn.lower()
            row = db.execute(
                "SELECT disabled FROM user_licenses WHERE upn_key = ? AND sku = ? AND direct = 1", (key, sku)
            ).fetchone()
            if row is None:
                raise PermanentProviderError(f"'{upn}' holds no direct {sku} license", "assign it first", "not_found")
            if plans_set(row[0]) == frozenset(disabled):
                return False
            db.execute(
                "UPDATE user_licenses SET disabled = ? WHERE upn_key = ? AND sku = ?", (plans_text(disabled), key, sku)
            )
            return True
