"""Reading a large tenant's users through Microsoft Graph's delta query: the first read is a full one and
is kept, with a deltaLink, in the tenant's ledger file; later reads ask only for what changed since.

What delta tracks (docs/rules.md D1-D6): `userPrincipalName`, `usageLocation` and `assignedLicenses` when
selected; `licenseAssignmentStates` is selectable but NOT tracked ("Changes to the licenseAssignmentStates
property are currently not tracked", the user-delta page). So a user whose only change is there (a group's
copy of a license they also hold directly, an error state) is not reported: those states are as fresh as
the last full read, and the age bound (7 days by default, as long as Microsoft keeps delta tokens) is what
limits it. A full read is done instead of a delta one:
- with `--refresh full`, or when there is no stored state, or it is older than the bound;
- when the spec's managed SKUs or what is selected changed since the stored read;
- when Graph answers that the token expired or must be reset (400 `syncStateNotFound`, 410 `resyncRequired`);
- when Graph refuses the delta query otherwise (any other 4xx): a note says so, the run goes on.

The cache is written only from what Graph returned (a read), never from what an apply sent: the writes
of an apply show up in the next delta like anyone else's.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from ...domain.errors import PermanentProviderError, UsageError
from ...domain.groups import GroupState
from ..sqlitefiles import close_at_rest, open_writer
from .client import GraphClient, SubRequest

USER_FIELDS = "id,userPrincipalName,usageLocation,assignedLicenses,licenseAssignmentStates"
RESYNC = frozenset({"syncStateNotFound", "resyncRequired"})
# A kept user is their UPN, their country and the shape of their licenses: one JSON text of assignedLicenses
# and licenseAssignmentStates, kept once in graph_shapes. A tenant's users have a handful of shapes, each parsed
# once per read and shared (users_of): parsing 100,000 whole bodies took a third of a no-change drift.
SCHEMA = """
CREATE TABLE IF NOT EXISTS graph_read (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS graph_shapes (shape INTEGER PRIMARY KEY, licenses TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS graph_users (
    id TEXT PRIMARY KEY, upn TEXT, location TEXT, shape INTEGER NOT NULL REFERENCES graph_shapes) WITHOUT ROWID;
"""
# What earlier versions kept (one JSON body per user, or a user's whole licenses JSON) is forgotten with its
# deltaLink, so the next read is a full one. The deltaLink is kept under LINK, a key those versions do not
# know: one of them reading this file finds no link and reads in full, rather than a delta over no users.
OLD_TABLES = ("graph_read_users", "graph_users")
LINK = "users_link"
FORGOTTEN = "the read kept by an earlier version of tenantctl is in another form"
LICENSE_FIELDS = ("assignedLicenses", "licenseAssignmentStates")
Refresh = Literal["auto", "full"]


def max_age() -> timedelta:
    """How old a stored full read may be before a full read is forced (TENANTCTL_GRAPH_CACHE_DAYS, default 7)."""
    raw = os.environ.get("TENANTCTL_GRAPH_CACHE_DAYS", "7")
    try:
        days = float(raw)
    except ValueError:
        days = -1.0
    if not 0 <= days <= 3650:  # nan fails both comparisons
        raise UsageError(f"TENANTCTL_GRAPH_CACHE_DAYS={raw!r} is not a number of days from 0 to 3650")
    return timedelta(days=days)


@dataclass(frozen=True)
class Policy:
    """How a read may use the stored state: `refresh` full forces a full read; `scope` is what the stored
    read must have been made for (the managed SKUs and the selected fields): any change forces a full read."""

    refresh: Refresh = "auto"
    scope: str = ""
    max_age: timedelta = timedelta(days=7)


class UserCache:
    """The users as last read, and the deltaLink, in the ledger file (one small table, one row per user)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            db = open_writer(self.path)
        except (sqlite3.Error, OSError) as exc:
            raise CacheUnusable(str(exc)) from None
        try:
            if _kept_before(db):
                drops = "".join(f"DROP TABLE IF EXISTS {t};" for t in OLD_TABLES)
                db.executescript(f"{SCHEMA}{drops} DELETE FROM graph_read;")
                db.execute("INSERT INTO graph_read VALUES ('note', ?)", (FORGOTTEN,))
            db.executescript(SCHEMA)
            yield db
        except (sqlite3.Error, OSError, ValueError, TypeError, KeyError) as exc:  # ValueError: a damaged row's JSON
            raise CacheUnusable(f"{type(exc).__name__}: {exc}") from None
        finally:
            close_at_rest(db)

    def meta(self) -> dict[str, str]:
        """What is known of the stored read (empty: none)."""
        if not self.path.is_file():
            return {}
        with self._db() as db:
            return dict(db.execute("SELECT key, value FROM graph_read").fetchall())

    def users(self) -> dict[str, dict[str, Any]]:
        """The stored users by id, as Graph's JSON (the selected fields); users of one shape share one parsed
        `assignedLicenses` and `licenseAssignmentStates`, which nothing may change."""
        out: dict[str, dict[str, Any]] = {}
        with self._db() as db:
            shapes = {n: json.loads(text) for n, text in db.execute("SELECT shape, licenses FROM graph_shapes")}
            for uid, upn, location, shape in db.execute("SELECT id, upn, location, shape FROM graph_users"):
                if upn is not None and location is not None:  # the common case, in one step
                    out[uid] = {"id": uid, "userPrincipalName": upn, "usageLocation": location, **shapes[shape]}
                    continue
                user = {"id": uid, **shapes[shape]}
                if upn is not None:
                    user["userPrincipalName"] = upn
                if location is not None:
                    user["usageLocation"] = location
                out[uid] = user
        return out

    def replace(self, users: list[dict[str, Any]], link: str, scope: str) -> None:
        """Store a full read."""
        with self._db() as db, _transaction(db):
            db.execute("DELETE FROM graph_users")
            db.execute("DELETE FROM graph_shapes")
            _store(db, users)
            db.execute("DELETE FROM graph_read")
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            db.executemany("INSERT INTO graph_read VALUES (?, ?)", [(LINK, link), ("full_at", stamp), ("scope", scope)])

    def put(self, users: list[dict[str, Any]]) -> None:
        """Replace some users with what Graph answered for them now."""
        with self._db() as db, _transaction(db):
            _store(db, users)

    def update(self, changed: dict[str, dict[str, Any]], removed: set[str], link: str) -> None:
        """Store a delta read: changed users replaced, removed ones gone, the new deltaLink."""
        with self._db() as db, _transaction(db):
            _store(db, list(changed.values()))
            db.executemany("DELETE FROM graph_users WHERE id = ?", [(k,) for k in removed])
            db.execute("INSERT OR REPLACE INTO graph_read VALUES (?, ?)", (LINK, link))


def _kept_before(db: sqlite3.Connection) -> bool:
    """Whether the file holds a read kept by an earlier version, in another form."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'graph_read_users'").fetchone():
        return True
    columns = {row[1] for row in db.execute("PRAGMA table_info(graph_users)")}
    return bool(columns) and "shape" not in columns


def _store(db: sqlite3.Connection, users: list[dict[str, Any]]) -> None:
    """Keep `users` (new ones added, known ones replaced), their shapes first. Shapes no user has any more stay
    until the next full read: there are few."""
    rows = [_row(u) for u in users]
    db.executemany("INSERT OR IGNORE INTO graph_shapes (licenses) VALUES (?)", [(t,) for t in {r[3] for r in rows}])
    shapes = dict(db.execute("SELECT licenses, shape FROM graph_shapes").fetchall())
    db.executemany(
        "INSERT OR REPLACE INTO graph_users VALUES (?, ?, ?, ?)", [(i, u, loc, shapes[t]) for i, u, loc, t in rows]
    )


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    try:
        db.execute("BEGIN IMMEDIATE")
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _row(user: dict[str, Any]) -> tuple[str, str | None, str | None, str]:
    """A user as kept: id, UPN, country, and the licenses' JSON (a field Graph left out stays out)."""
    licenses = {k: user[k] for k in LICENSE_FIELDS if k in user}
    text = json.dumps(licenses, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return str(user["id"]), user.get("userPrincipalName"), user.get("usageLocation"), text


def read_users(client: GraphClient, cache: UserCache | None, policy: Policy) -> tuple[list[dict[str, Any]], str]:
    """Every user (Graph's JSON, the fields tenantctl selects), and what kind of read it was, in words.

    A ledger file that cannot be read or written (a read-only folder, a damaged file) costs the cache,
    never the run: the read is a full one, and the note says why nothing is kept."""
    if cache is None:
        return list(client.paged(f"/users?$select={USER_FIELDS}&$top=999")), "full read"
    try:
        return _cached(client, cache, policy)
    except CacheUnusable as exc:
        users = list(client.paged(f"/users?$select={USER_FIELDS}&$top=999"))
        return users, f"full read (the read kept in {cache.path} cannot be used: {exc}; nothing is kept)"


class CacheUnusable(Exception):
    """The ledger file cannot hold the read cache (read-only, damaged)."""


def _cached(client: GraphClient, cache: UserCache, policy: Policy) -> tuple[list[dict[str, Any]], str]:
    meta = cache.meta()
    reason = _why_full(meta, policy)
    if reason is None:
        try:
            changed, removed, link = _changes(client, meta[LINK])
        except PermanentProviderError as exc:
            reason = (
                "Microsoft Graph said the delta token expired"
                if exc.code in RESYNC
                else f"Microsoft Graph refused the delta query ({exc.code or exc})"
            )
        else:
            users = cache.users()
            users.update(changed)
            for uid in removed:
                users.pop(uid, None)
            cache.update(changed, removed, link)
            age = meta.get("full_at", "?")
            return list(users.values()), f"delta read: {len(changed)} changed, {len(removed)} removed (full read {age})"
    return _full(client, cache, policy.scope, reason)


def _why_full(meta: dict[str, str], policy: Policy) -> str | None:
    """Why the stored read cannot be followed by a delta one, or None when it can."""
    if policy.refresh == "full":
        return "--refresh full"
    if LINK not in meta:
        return meta.get("note", "nothing stored yet")
    if meta.get("scope") != policy.scope:
        return "the spec's managed SKUs changed since the stored read"
    try:
        full_at = datetime.fromisoformat(meta["full_at"])
        age = datetime.now(UTC) - full_at
    except (KeyError, ValueError, TypeError):  # no date, or one without a time zone
        return "the stored read has no date"
    if age > policy.max_age or age < timedelta(0):
        return f"the stored read is older than {policy.max_age / timedelta(days=1):g} days, or dated later than now"
    return None


def _full(client: GraphClient, cache: UserCache, scope: str, reason: str) -> tuple[list[dict[str, Any]], str]:
    """Read every user, keeping a deltaLink taken first, so the next read asks for what changed since."""
    try:
        latest = client.get(f"/users/delta?$select={USER_FIELDS}&$deltatoken=latest")
        link = latest.get("@odata.deltaLink")
    except PermanentProviderError as exc:
        link, reason = (
            None,
            f"{reason}; Microsoft Graph refused the delta query ({exc.code or exc}), so nothing is kept",
        )
    users = list(client.paged(f"/users?$select={USER_FIELDS}&$top=999"))
    if link:
        try:
            cache.replace(users, client.same_host(str(link)), scope)
        except CacheUnusable as exc:
            reason = f"{reason}; the read cannot be kept in {cache.path}: {exc}"
    return users, f"full read ({reason})"


def _changes(client: GraphClient, link: str) -> tuple[dict[str, dict[str, Any]], set[str], str]:
    """The users changed and removed since `link`, and the deltaLink to ask from next time."""
    changed: dict[str, dict[str, Any]] = {}
    removed: set[str] = set()
    last: dict[str, Any] = {}
    for page in client.pages(client.same_host(link)):
        for user in page.get("value", []):
            uid = str(user["id"])
            if "@removed" in user:
                removed.add(uid)
                changed.pop(uid, None)
            else:
                # The default answer carries every selected property; one never set is left out (null).
                changed[uid] = {**changed.get(uid, {}), **user}
                removed.discard(uid)
        last = page
    new_link = last.get("@odata.deltaLink")
    if not new_link:
        raise PermanentProviderError("Microsoft Graph ended a delta query without a deltaLink", code="no_delta_link")
    return changed, removed, str(new_link)


def stale(users: list[dict[str, Any]], groups: dict[str, GroupState]) -> list[str]:
    """The ids of users whose kept licenseAssignmentStates (which delta does not track) disagree with the groups
    read now: a license from a group the user is no longer in, or that no longer gives it; or a licensed group
    the user is in without any state for its licenses (processed since the kept read, or not yet)."""
    licensed = [g for g in groups.values() if g.licenses]
    members = frozenset().union(*(g.members for g in licensed))
    claims: dict[int, frozenset[str]] = {}  # the groups a list of states names, by the list (shared: UserCache.users)
    out = []
    for u in users:
        states = u.get("licenseAssignmentStates") or ()
        claimed = claims.get(id(states))
        if claimed is None:
            claimed = claims[id(states)] = frozenset(s["assignedByGroup"] for s in states if s.get("assignedByGroup"))
        key = str(u.get("userPrincipalName", "")).lower()
        if not claimed and key not in members:
            continue  # no group's license, in no licensed group: the common case
        if any(g not in groups or key not in groups[g].members for g in claimed) or any(
            key in g.members and g.id not in claimed for g in licensed
        ):
            out.append(str(u["id"]))
    return out


def read_again(client: GraphClient, ids: list[str]) -> list[dict[str, Any]]:
    """Those users as Graph has them now (20 to a $batch); a user gone since is left out."""
    answers = client.batch(
        [SubRequest(f"u{i}", "GET", f"/users/{uid}?$select={USER_FIELDS}") for i, uid in enumerate(ids)]
    )
    return [answers[f"u{i}"].body for i in range(len(ids)) if answers[f"u{i}"].status == 200]


def with_fresh_states(
    client: GraphClient, cache: UserCache, users: list[dict[str, Any]], groups: dict[str, GroupState]
) -> tuple[list[dict[str, Any]], str]:
    """`users` with those whose kept states the groups read now contradict (see `stale`) read again and kept,
    so a license is never taken for a group's when it is the user's last copy; and a note, if any were."""
    ids = stale(users, groups)
    if not ids:
        return users, ""
    fresh = {str(u["id"]): u for u in read_again(client, ids)}
    with contextlib.suppress(CacheUnusable):  # not kept: the next delta read reads them again
        cache.put(list(fresh.values()))
    return [fresh.get(str(u["id"]), u) for u in users], f"; {len(fresh)} user(s) read again for their group licenses"
