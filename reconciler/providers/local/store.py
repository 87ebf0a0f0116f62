"""The local provider's file: opening it, one transaction per write, reading the whole state, loading a snapshot.

Reads are a handful of bulk queries (no per-user round trips), so a 100,000-user tenant reads in
well under a second. The writes, and the rules they check, are the provider's (provider.py); the
SQL is tables.py's.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ...domain.errors import PermanentProviderError, ProviderError
from ...domain.groups import GroupState, LicenseError, plans_of
from ...domain.model import (
    CANCELLATION_WINDOW_DAYS,
    AutoRecharge,
    CreditsState,
    FundLot,
    SubscriptionState,
    TenantState,
    UserState,
)
from ...support.crash_points import crash_point, current_action
from ...support.gc_pause import long_lived
from ..faults import FaultInjector
from ..sqlitefiles import close_at_rest, open_reader, open_writer
from .tables import (
    COUNTS,
    GROUP_SCHEMA,
    HELD,
    HELD_SCHEMA,
    HELD_TRIGGERS,
    LICENSE_COLUMNS,
    NOTHING,
    REFRESH_HELD,
    SCHEMA,
    SCHEMA_VERSION,
    SUBSCRIPTION_COLUMNS,
    SUBSCRIPTION_FROM,
    Held,
    held_text,
    iso,
    parse_held,
    plans_set,
    plans_text,
    subscription_state,
    text_of,
)


class NoTenantError(ProviderError):
    """The database holds no tenant yet."""


class LocalStore:
    """A tenant simulated in SQLite at `path`, with the clock pinned to `today`: the file, its reads and
    snapshot load. `LocalProvider` adds the writes."""

    _license_fields = ("l.direct", "l.disabled")  # a file written before groups has neither column
    _has_held = True  # users.held (tables.HELD); a file written before it, opened read-only, lacks it

    def __init__(
        self,
        path: str | Path,
        today: date,
        faults: FaultInjector | None = None,
        read_only: bool = False,
        create: bool = True,
    ) -> None:
        self.path = Path(path)
        self.today = today
        self.faults = faults
        self.read_only = read_only
        if read_only:
            self.db = self._open_read_only()
            return
        if not create and not self.path.is_file():  # only `snapshot load` brings a tenant into being
            raise NoTenantError(
                f"there is no simulated tenant at {self.path}; load one first: `tenantctl snapshot "
                f"load SNAPSHOT.yaml --provider local:{self.path}`"
            )
        self.db = open_writer(self.path)  # autocommit: one BEGIN IMMEDIATE transaction per action
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(user_licenses)")}
        for name, alter in LICENSE_COLUMNS:
            if name not in columns:
                self.db.execute(alter)
        if self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'consumed_remove'").fetchone() is None:
            self.db.executescript(COUNTS)
        if "held" not in {row[1] for row in self.db.execute("PRAGMA table_info(users)")}:
            with self._tx(inject=False) as db:  # a file from before users.held: every user starts stale
                db.execute("ALTER TABLE users ADD COLUMN held TEXT")
        self.db.executescript(HELD_SCHEMA)

    def _open_read_only(self) -> sqlite3.Connection:
        """For commands that only read: never create or change the file (a missing tenant is an error)."""
        if not self.path.is_file():
            raise NoTenantError(
                f"there is no simulated tenant at {self.path}; load one first: `tenantctl snapshot "
                f"load SNAPSHOT.yaml --provider local:{self.path}`"
            )
        db = open_reader(self.path)
        names = {n for (n,) in db.execute("SELECT name FROM sqlite_master")}
        if "meta" not in names:
            db.close()
            raise NoTenantError(
                f"{self.path} is not a tenantctl simulated tenant; load one with "
                "`tenantctl snapshot load SNAPSHOT.yaml`"
            )
        # A file written by an older version lacks these; stand-ins in the connection's temp schema.
        if "commitments" not in names:
            db.execute(
                "CREATE TEMP TABLE commitments (sku TEXT PRIMARY KEY, term_end TEXT, refundable TEXT, "
                "scheduled_seats INTEGER, scheduled_effective TEXT)"
            )
        if "renewals" not in names:
            db.execute("CREATE TEMP TABLE renewals (sku TEXT PRIMARY KEY, auto_renew INTEGER NOT NULL)")
        if "consumed" not in names:
            db.execute("CREATE TEMP VIEW consumed AS SELECT sku, COUNT(*) AS n FROM user_licenses GROUP BY sku")
        if "groups" not in names:
            db.executescript(GROUP_SCHEMA.replace("CREATE TABLE IF NOT EXISTS", "CREATE TEMP TABLE IF NOT EXISTS"))
        if "direct" not in {row[1] for row in db.execute("PRAGMA table_info(user_licenses)")}:
            self._license_fields = ("1", "''")
        self._has_held = "held" in {row[1] for row in db.execute("PRAGMA table_info(users)")}
        return db

    def stored_name(self) -> str | None:
        """The name of the tenant the file holds, if any."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'name'").fetchone()
        return str(row[0]) if row else None

    @property
    def address(self) -> str:
        """`local:PATH`."""
        return f"local:{self.path}"

    @property
    def ledger_path(self) -> Path:
        """Locks, journal and history live in the tenant's own database."""
        return self.path

    def close(self) -> None:
        """Close the database (read-only connections never write, not even the journal mode)."""
        if self.read_only:
            self.db.close()
        else:
            close_at_rest(self.db)

    def abandon(self) -> None:
        """Roll back a write cut short, so the file's write lock is free (safe to call at any time)."""
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    @contextmanager
    def _tx(self, inject: bool = True) -> Iterator[sqlite3.Connection]:
        faults = self.faults if inject else None
        if faults is not None:
            faults.before("write")
        # BEGIN and COMMIT inside the try: an interrupt (Ctrl-C, SIGTERM) landing anywhere leaves no
        # transaction open, which would hold the database's write lock against the cleanup.
        try:
            self.db.execute("BEGIN IMMEDIATE")
            yield self.db
            self.db.execute(REFRESH_HELD)  # the users this write changed (tables.HELD)
            crash_point(current_action.get(), "inside")  # test hook: die before the commit
            self.db.execute("COMMIT")
        except BaseException:
            self.abandon()
            raise
        if faults is not None:
            faults.after("write")

    # ---- reads -------------------------------------------------------------------------------

    def _meta(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, value FROM meta").fetchall())

    @long_lived
    def read_state(self) -> TenantState:
        """Everything, in five queries."""
        if self.faults is not None:
            self.faults.before("read")
        meta = self._meta()
        if "name" not in meta:
            raise NoTenantError(
                f"no tenant in {self.path}: load one first with `tenantctl snapshot load SNAPSHOT.yaml`"
            )
        users = self._users()
        consumed = dict(self.db.execute("SELECT sku, n FROM consumed").fetchall())
        window = CANCELLATION_WINDOW_DAYS.get(meta["agreement"])
        # Renewals due by today are seen as done; the first write to the subscription records them.
        subscriptions = {
            row[0]: subscription_state(row, consumed.get(row[0], 0)).renewed(self.today, window)
            for row in self.db.execute(f"SELECT {SUBSCRIPTION_COLUMNS} {SUBSCRIPTION_FROM}")
        }
        return TenantState(
            name=meta["name"],
            tenant_id=meta.get("tenant_id") or None,
            agreement=meta["agreement"],
            today=self.today,
            currency=meta.get("currency", "USD"),
            billing_roles=self._roles(meta),
            subscriptions=subscriptions,
            credits=self._credits(),
            users=users,
            groups=self._groups(),
            default_usage_location=meta.get("default_usage_location") or None,
            license_errors=self._license_errors(users),
        )

    def _users(self) -> dict[str, UserState]:
        # One row per user with its licenses joined (users.held); the few distinct license sets are parsed
        # once and shared (a 100,000-user tenant has a handful), which halves the time and memory.
        def fields(h: Held) -> tuple[Any, ...]:  # UserState's last four, passed as one (a million users)
            return (h.licenses, h.inherited, h.also_inherited, h.disabled)

        parsed: dict[str | None, tuple[Any, ...]] = {None: fields(NOTHING), "": fields(NOTHING)}
        users = {}
        for key, upn, loc, joined in self.db.execute(f"SELECT upn_key, upn, usage_location, {self._held()} FROM users"):
            held = parsed.get(joined)
            if held is None:
                held = parsed[joined] = fields(parse_held(joined))
            users[key] = UserState(upn, loc, *held)
        return users

    def _held(self) -> str:
        """The SQL of a user's joined licenses: the kept column, computed where it is stale or missing."""
        if not self._has_held:
            direct, disabled = self._license_fields
            return HELD.replace("l.direct", direct).replace("l.disabled", disabled)
        return f"coalesce(held, {HELD})"

    def _groups(self) -> dict[str, GroupState]:
        members: dict[str, set[str]] = defaultdict(set)
        for gid, key in self.db.execute("SELECT group_id, upn_key FROM group_members"):
            members[gid].add(key)
        licenses: dict[str, dict[str, frozenset[str]]] = defaultdict(dict)
        for gid, sku, disabled in self.db.execute("SELECT group_id, sku, disabled FROM group_licenses"):
            licenses[gid][sku] = plans_set(disabled)
        return {
            gid: GroupState(
                gid, name, frozenset(members[gid]), frozenset(licenses[gid]), plans_of(licenses[gid]), bool(security)
            )
            for gid, name, security in self.db.execute("SELECT id, name, security_enabled FROM groups")
        }

    def _license_errors(self, users: dict[str, UserState]) -> tuple[LicenseError, ...]:
        return tuple(
            LicenseError(users[key].upn if key in users else key, sku, error, gid)
            for key, sku, gid, error in self.db.execute(
                "SELECT upn_key, sku, group_id, error FROM group_grants WHERE error IS NOT NULL "
                "ORDER BY upn_key, sku, group_id"
            )
        )

    def _credits(self) -> CreditsState | None:
        row = self.db.execute("SELECT enabled, trigger_below, amount FROM credits").fetchone()
        if row is None:
            return None
        lots = tuple(
            FundLot(purchased=date.fromisoformat(p), amount=Decimal(a), remaining=Decimal(r), idempotency_key=k)
            for p, a, r, k in self.db.execute(
                "SELECT purchased, amount, remaining, idempotency_key FROM funds ORDER BY purchased, id"
            )
        )
        recharge = AutoRecharge(
            enabled=bool(row[0]),
            trigger_below=Decimal(row[1]) if row[1] is not None else None,
            amount=Decimal(row[2]) if row[2] is not None else None,
        )
        return CreditsState(auto_recharge=recharge, funds=lots)

    # ---- whole-state load (snapshot load) ----------------------------------------------------

    def replace_state(self, state: TenantState) -> None:
        """Make the database hold exactly `state`, in one transaction (the simulator's own
        administration: no injected faults)."""
        with self._tx(inject=False) as db:
            # A replaced tenant starts afresh: its purchase keys went with the old one.
            for table in (
                "group_grants",
                "group_licenses",
                "group_members",
                "groups",
                "user_licenses",
                "users",
                "funds",
                "credits",
                "commitments",
                "renewals",
                "subscriptions",
                "purchases",
                "meta",
            ):
                db.execute(f"DELETE FROM {table}")
            for trigger in HELD_TRIGGERS:  # users.held is written with each user: marking them stale cost 9 s at 1M
                db.execute(f"DROP TRIGGER {trigger}")
            db.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [
                    ("schema_version", SCHEMA_VERSION),
                    ("name", state.name),
                    ("tenant_id", state.tenant_id or ""),
                    ("agreement", state.agreement),
                    ("currency", state.currency),
                    ("billing_roles", json.dumps(None if state.billing_roles is None else list(state.billing_roles))),
                    ("default_usage_location", state.default_usage_location or ""),
                ],
            )
            for sub in state.subscriptions.values():
                self._write_subscription(sub, insert=True)
            if state.credits is not None:
                r = state.credits.auto_recharge
                db.execute(
                    "INSERT INTO credits VALUES (1, ?, ?, ?)",
                    (int(r.enabled), text_of(r.trigger_below), text_of(r.amount)),
                )
                db.executemany(
                    "INSERT INTO funds (purchased, amount, remaining, idempotency_key) VALUES (?, ?, ?, ?)",
                    [
                        (lot.purchased.isoformat(), str(lot.amount), str(lot.remaining), lot.idempotency_key)
                        for lot in state.credits.funds
                    ],
                )
            db.executemany(
                "INSERT INTO users VALUES (?, ?, ?, ?)",
                [(key, u.upn, u.usage_location, held_text(u.direct, u.disabled)) for key, u in state.users.items()],
            )
            db.executemany(
                "INSERT INTO user_licenses (upn_key, sku, direct, disabled) VALUES (?, ?, 1, ?)",
                [(key, sku, plans_text(u.disabled.get(sku))) for key, u in state.users.items() for sku in u.direct],
            )
            groups = state.groups.values()
            db.executemany(
                "INSERT INTO groups VALUES (?, ?, ?)", [(g.id, g.name, int(g.security_enabled)) for g in groups]
            )
            db.executemany(
                "INSERT INTO group_members VALUES (?, ?)", [(g.id, key) for g in groups for key in sorted(g.members)]
            )
            db.executemany(
                "INSERT INTO group_licenses VALUES (?, ?, ?)",
                [(g.id, sku, plans_text(g.disabled.get(sku))) for g in groups for sku in sorted(g.licenses)],
            )
            for sql in HELD_TRIGGERS.values():
                db.execute(sql)
            self.process_groups()

    def process_groups(self) -> None:
        """Give licensed groups' members their licenses (the provider's; the store has no groups to process)."""

    # ---- what the writes share ---------------------------------------------------------------

    def _agreement(self) -> str:
        return self._meta()["agreement"]

    def _roles(self, meta: dict[str, str]) -> tuple[str, ...] | None:
        roles = json.loads(meta.get("billing_roles", "null"))
        return None if roles is None else tuple(roles)

    def _subscription(self, sku: str) -> SubscriptionState:
        """The subscription as of today, recording any renewal that fell due (inside a write transaction)."""
        row = self.db.execute(f"SELECT {SUBSCRIPTION_COLUMNS} {SUBSCRIPTION_FROM} WHERE s.sku = ?", (sku,)).fetchone()
        if row is None:
            raise PermanentProviderError(f"the tenant has no {sku} subscription", f"buy {sku} first", "not_found")
        consumed = self.db.execute("SELECT COALESCE((SELECT n FROM consumed WHERE sku = ?), 0)", (sku,)).fetchone()[0]
        sub = subscription_state(row, int(consumed))
        renewed = sub.renewed(self.today, CANCELLATION_WINDOW_DAYS.get(self._agreement()))
        if renewed != sub:
            self._write_subscription(renewed)
        return renewed

    def _write_subscription(self, sub: SubscriptionState, insert: bool = False) -> None:
        if insert:
            self.db.execute(
                "INSERT INTO subscriptions VALUES (?, ?, ?, ?, ?)",
                (sub.sku, sub.seats, sub.term, sub.billing_frequency, int(sub.pay_as_you_go)),
            )
        else:
            self.db.execute(
                "UPDATE subscriptions SET seats = ?, term = ?, billing_frequency = ?, pay_as_you_go = ? WHERE sku = ?",
                (sub.seats, sub.term, sub.billing_frequency, int(sub.pay_as_you_go), sub.sku),
            )
        refundable = (
            None if sub.refundable is None else json.dumps([[r.seats, r.until.isoformat()] for r in sub.refundable])
        )
        scheduled = sub.scheduled
        self.db.execute("INSERT OR REPLACE INTO renewals VALUES (?, ?)", (sub.sku, int(sub.auto_renew)))
        self.db.execute(
            "INSERT OR REPLACE INTO commitments VALUES (?, ?, ?, ?, ?)",
            (
                sub.sku,
                iso(sub.term_end),
                refundable,
                scheduled.seats if scheduled else None,
                iso(scheduled.effective) if scheduled else None,
            ),
        )
