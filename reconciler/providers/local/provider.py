"""The embedded default: a simulated tenant in a SQLite file, one transaction per action.

It enforces the rules a real Microsoft 365 tenant enforces, so plans that would fail on a real
tenant fail here too, with the same kind of error. Reads are a handful of bulk queries (no
per-user round trips), so a 100,000-user tenant reads in well under a second.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from ...domain import catalog
from ...domain.catalog import CREDITS_SKU
from ...domain.commerce_actions import PurchaseSubscription, ScheduleSeats, SetPayAsYouGo, SetSeats, SetTerm
from ...domain.errors import PermanentProviderError, ProviderError
from ...domain.model import (CANCELLATION_WINDOW_DAYS, TERM_MONTHS, AutoRecharge, CreditsState, FundLot,
                             RefundableSeats, ScheduledSeats, SubscriptionState, TenantState, UserState, add_months)
from ...domain.roles import required
from ...support.crash_points import crash_point, current_action
from ...support.gc_pause import long_lived
from ..faults import FaultInjector
from ..sqlitefiles import close_at_rest
from .tables import (COUNTS, SCHEMA, SCHEMA_VERSION, SUBSCRIPTION_COLUMNS, SUBSCRIPTION_FROM, check_billable,
                     check_country, iso, subscription_state, take_refundable, text_of)

class NoTenantError(ProviderError):
    """The database holds no tenant yet."""


class LocalProvider:
    """A tenant simulated in SQLite at `path`, with the clock pinned to `today`."""

    def __init__(self, path: str | Path, today: date, faults: FaultInjector | None = None,
                 read_only: bool = False, create: bool = True) -> None:
        self.path = Path(path)
        self.today = today
        self.faults = faults
        self.read_only = read_only
        if read_only:
            self.db = self._open_read_only()
            return
        if not create and not self.path.is_file():  # only `snapshot load` brings a tenant into being
            raise NoTenantError(f"there is no simulated tenant at {self.path}; load one first: `tenantctl snapshot "
                                f"load SNAPSHOT.yaml --provider local:{self.path}`")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, one transaction per action.
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        if self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'consumed_remove'").fetchone() is None:
            self.db.executescript(COUNTS)

    def _open_read_only(self) -> sqlite3.Connection:
        """For commands that only read: never create or change the file (a missing tenant is an error)."""
        if not self.path.is_file():
            raise NoTenantError(f"there is no simulated tenant at {self.path}; load one first: `tenantctl snapshot "
                                f"load SNAPSHOT.yaml --provider local:{self.path}`")
        db = sqlite3.connect(f"file:{self.path.resolve()}?mode=ro", uri=True, isolation_level=None, timeout=30)
        names = {n for (n,) in db.execute("SELECT name FROM sqlite_master")}
        if "meta" not in names:
            db.close()
            raise NoTenantError(f"{self.path} is not a tenantctl simulated tenant; load one with "
                                "`tenantctl snapshot load SNAPSHOT.yaml`")
        # A file written by an older version lacks these; stand-ins in the connection's temp schema.
        if "commitments" not in names:
            db.execute("CREATE TEMP TABLE commitments (sku TEXT PRIMARY KEY, term_end TEXT, refundable TEXT, "
                       "scheduled_seats INTEGER, scheduled_effective TEXT)")
        if "consumed" not in names:
            db.execute("CREATE TEMP VIEW consumed AS SELECT sku, COUNT(*) AS n FROM user_licenses GROUP BY sku")
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
            raise NoTenantError(f"no tenant in {self.path}: load one first with "
                                "`tenantctl snapshot load SNAPSHOT.yaml`")
        # One row per user with its licenses joined; the few distinct license sets are built once
        # and shared (a 100,000-user tenant has a handful), which halves the time and memory.
        sets: dict[str | None, frozenset[str]] = {None: frozenset()}
        users = {}
        for key, upn, loc, joined in self.db.execute(
                "SELECT u.upn_key, u.upn, u.usage_location, (SELECT group_concat(sku, char(31)) FROM "
                "(SELECT sku FROM user_licenses l WHERE l.upn_key = u.upn_key ORDER BY sku)) FROM users u"):
            held = sets.get(joined)
            if held is None:
                held = sets[joined] = frozenset(joined.split("\x1f"))  # unit separator: never in a SKU
            users[key] = UserState(upn=upn, usage_location=loc, licenses=held)
        consumed = dict(self.db.execute("SELECT sku, n FROM consumed").fetchall())
        window = CANCELLATION_WINDOW_DAYS.get(meta["agreement"])
        # Renewals due by today are seen as done; the first write to the subscription records them.
        subscriptions = {row[0]: subscription_state(row, consumed.get(row[0], 0)).renewed(self.today, window)
                         for row in self.db.execute(f"SELECT {SUBSCRIPTION_COLUMNS} {SUBSCRIPTION_FROM}")}
        return TenantState(name=meta["name"], tenant_id=meta.get("tenant_id") or None, agreement=meta["agreement"],
                           today=self.today, currency=meta.get("currency", "USD"),
                           billing_roles=self._roles(meta),
                           subscriptions=subscriptions, credits=self._credits(), users=users)

    def _credits(self) -> CreditsState | None:
        row = self.db.execute("SELECT enabled, trigger_below, amount FROM credits").fetchone()
        if row is None:
            return None
        lots = tuple(FundLot(purchased=date.fromisoformat(p), amount=Decimal(a), remaining=Decimal(r),
                             idempotency_key=k)
                     for p, a, r, k in self.db.execute(
                         "SELECT purchased, amount, remaining, idempotency_key FROM funds ORDER BY purchased, id"))
        recharge = AutoRecharge(enabled=bool(row[0]), trigger_below=Decimal(row[1]) if row[1] is not None else None,
                                amount=Decimal(row[2]) if row[2] is not None else None)
        return CreditsState(auto_recharge=recharge, funds=lots)

    # ---- whole-state load (snapshot load) ----------------------------------------------------

    def replace_state(self, state: TenantState) -> None:
        """Make the database hold exactly `state`, in one transaction (the simulator's own
        administration: no injected faults)."""
        with self._tx(inject=False) as db:
            # A replaced tenant starts afresh: its purchase keys went with the old one.
            for table in ("user_licenses", "users", "funds", "credits", "commitments", "subscriptions", "purchases",
                          "meta"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            db.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("schema_version", SCHEMA_VERSION), ("name", state.name), ("tenant_id", state.tenant_id or ""),
                ("agreement", state.agreement), ("currency", state.currency),
                ("billing_roles", json.dumps(None if state.billing_roles is None else list(state.billing_roles)))])
            for sub in state.subscriptions.values():
                self._write_subscription(sub, insert=True)
            if state.credits is not None:
                r = state.credits.auto_recharge
                db.execute("INSERT INTO credits VALUES (1, ?, ?, ?)", (int(r.enabled), text_of(r.trigger_below),
                                                                         text_of(r.amount)))
                db.executemany("INSERT INTO funds (purchased, amount, remaining, idempotency_key) VALUES (?, ?, ?, ?)",
                               [(lot.purchased.isoformat(), str(lot.amount), str(lot.remaining), lot.idempotency_key)
                                for lot in state.credits.funds])
            db.executemany("INSERT INTO users VALUES (?, ?, ?)",
                           [(key, u.upn, u.usage_location) for key, u in state.users.items()])
            db.executemany("INSERT INTO user_licenses VALUES (?, ?)",
                           [(key, sku) for key, u in state.users.items() for sku in u.licenses])

    # ---- writes: one transaction each, rules checked inside it --------------------------------

    def _agreement(self) -> str:
        return self._meta()["agreement"]

    def _roles(self, meta: dict[str, str]) -> tuple[str, ...] | None:
        roles = json.loads(meta.get("billing_roles", "null"))
        return None if roles is None else tuple(roles)

    def _require_role(self, action_type: str, what: str) -> None:
        """Refuse when the identity's recorded roles lack the role Microsoft documents (unrecorded: allowed)."""
        meta = self._meta()
        need, held = required(action_type, meta["agreement"]), self._roles(meta)
        if need is not None and held is not None and not need.allows(held):
            raise PermanentProviderError(f"{what} needs {need.describe()} under {meta['agreement']}",
                                         f"grant one of those roles to the identity that applies ({need.source})",
                                         "forbidden")

    def _subscription(self, sku: str) -> SubscriptionState:
        """The subscription as of today, recording any renewal that fell due (inside a write transaction)."""
        row = self.db.execute(f"SELECT {SUBSCRIPTION_COLUMNS} {SUBSCRIPTION_FROM} WHERE s.sku = ?",
                              (sku,)).fetchone()
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
            self.db.execute("INSERT INTO subscriptions VALUES (?, ?, ?, ?, ?)",
                            (sub.sku, sub.seats, sub.term, sub.billing_frequency, int(sub.pay_as_you_go)))
        else:
            self.db.execute("UPDATE subscriptions SET seats = ?, term = ?, billing_frequency = ?, pay_as_you_go = ? "
                            "WHERE sku = ?", (sub.seats, sub.term, sub.billing_frequency, int(sub.pay_as_you_go),
                                              sub.sku))
        refundable = None if sub.refundable is None else json.dumps(
            [[r.seats, r.until.isoformat()] for r in sub.refundable])
        scheduled = sub.scheduled
        self.db.execute("INSERT OR REPLACE INTO commitments VALUES (?, ?, ?, ?, ?)", (
            sub.sku, iso(sub.term_end), refundable, scheduled.seats if scheduled else None,
            iso(scheduled.effective) if scheduled else None))

    def _credits_ready(self, sku: str, agreement: str) -> None:
        """Refuse a SKU that works only with Communications Credits when they are not set up."""
        if not catalog.needs_credits(sku, agreement):
            return
        credits = self._credits()
        if credits is None or not credits.licenses_available:
            raise PermanentProviderError(f"{sku} needs Communications Credits, which are not set up in the tenant",
                                         "fund Communications Credits or enable auto-recharge first",
                                         "no_available_licenses")

    def purchase_subscription(self, sku: str, seats: int, term: str, billing_frequency: str,
                              idempotency_key: str) -> bool:
        """Buy `seats` of `sku` once per idempotency key; already owned: no-op."""
        with self._tx() as db:
            self._require_role(PurchaseSubscription.kind, f"buying {sku}")
            # The key's own row is the guard: a key seen before is "already done", whatever became of the
            # subscription since (cancelled, say), and never a second purchase or a constraint error.
            if not _spend(db, "INSERT INTO purchases VALUES (?, ?) ON CONFLICT DO NOTHING", (idempotency_key, sku)):
                return False
            if db.execute("SELECT 1 FROM subscriptions WHERE sku = ?", (sku,)).fetchone():
                return False
            entry = catalog.lookup(sku)
            agreement = self._agreement()
            if entry is not None and entry.agreements is not None and agreement not in entry.agreements:
                raise PermanentProviderError(f"{sku} is not sold under a {agreement} agreement",
                                             "it is offered to volume-licensing (EA) customers only")
            self._credits_ready(sku, agreement)
            check_billable(term, billing_frequency)
            window = CANCELLATION_WINDOW_DAYS.get(agreement)
            self._write_subscription(SubscriptionState(
                sku, seats, term, billing_frequency, term_end=add_months(self.today, TERM_MONTHS[term]),
                refundable=(RefundableSeats(seats, self.today + timedelta(days=window)),) if window else None),
                insert=True)
            return True

    def set_seats(self, sku: str, seats: int) -> bool:
        """Change the seat count now: never below the seats in use, and where a cancellation window
        applies (NCE, MCA), a decrease only of seats still inside it."""
        with self._tx():
            self._require_role(SetSeats.kind, f"changing {sku} seats")
            sub = self._subscription(sku)
            if sub.seats == seats:
                return False
            if seats < sub.consumed:
                raise PermanentProviderError(f"cannot reduce {sku} to {seats} seats: {sub.consumed} are assigned",
                                             f"remove {sub.consumed - seats} {sku} licenses from users first")
            window = CANCELLATION_WINDOW_DAYS.get(self._agreement())
            if window is None:
                self._write_subscription(replace(sub, seats=seats))
                return True
            refundable = tuple(r for r in sub.refundable or () if r.until >= self.today)
            if seats < sub.seats:
                refundable = take_refundable(refundable, sub.seats - seats, sku)
            else:
                refundable += (RefundableSeats(seats - sub.seats, self.today + timedelta(days=window)),)
            # A change made now deletes any change scheduled for the renewal (Partner Center, admin center).
            self._write_subscription(replace(sub, seats=seats, refundable=refundable, scheduled=None))
            return True

    def schedule_seats(self, sku: str, seats: int) -> bool:
        """Set the seat count the subscription renews with; the current count cancels a scheduled change."""
        with self._tx():
            self._require_role(ScheduleSeats.kind, f"scheduling {sku} seats for the renewal")
            sub = self._subscription(sku)
            scheduled = None if seats == sub.seats else ScheduledSeats(seats, sub.term_end)
            if scheduled == sub.scheduled:
                return False
            self._write_subscription(replace(sub, scheduled=scheduled))
            return True

    def set_term(self, sku: str, term: str, billing_frequency: str) -> bool:
        """Change term and billing frequency."""
        with self._tx() as db:
            self._require_role(SetTerm.kind, f"changing the {sku} term")
            self._subscription(sku)
            check_billable(term, billing_frequency)
            cursor = db.execute("UPDATE subscriptions SET term = ?, billing_frequency = ? WHERE sku = ? AND "
                                "(term != ? OR billing_frequency != ?)", (term, billing_frequency, sku, term,
                                                                         billing_frequency))
            return cursor.rowcount > 0

    def set_pay_as_you_go(self, sku: str, enabled: bool) -> bool:
        """Toggle overage on a PAYG-capable subscription."""
        with self._tx() as db:
            self._require_role(SetPayAsYouGo.kind, f"turning pay-as-you-go {'on' if enabled else 'off'} for {sku}")
            self._subscription(sku)
            entry = catalog.lookup(sku)
            if entry is None or not entry.pay_as_you_go:
                raise PermanentProviderError(f"{sku} does not offer pay-as-you-go overage")
            agreement = self._agreement()
            if agreement in catalog.PREPAID_CREDITS:
                raise PermanentProviderError(f"the pay-as-you-go option is not offered under {agreement}",
                                             "minutes past a plan's allowance are paid from Communications Credits")
            cursor = db.execute("UPDATE subscriptions SET pay_as_you_go = ? WHERE sku = ? AND pay_as_you_go != ?",
                                (int(enabled), sku, int(enabled)))
            return cursor.rowcount > 0

    def set_auto_recharge(self, recharge: AutoRecharge) -> bool:
        """Set auto-recharge. Turning it on over a balance below the trigger buys `amount` at once,
        in the same transaction, so the purchase happens exactly once."""
        with self._tx() as db:
            agreement = self._agreement()
            if agreement == "NCE":
                raise PermanentProviderError("NCE calling subscriptions cannot use Communications Credits",
                                             "NCE bills overage after use; turn on pay-as-you-go instead")
            if agreement == "MCA" and recharge.enabled:
                raise PermanentProviderError("MCA customers must keep Communications Credits auto-recharge off",
                                             "under an MCA, calls are billed after use; set autoRecharge: "
                                             "{enabled: false}")
            if recharge.enabled and (recharge.trigger_below is None or recharge.amount is None):
                raise PermanentProviderError("auto-recharge needs a trigger and an amount")
            before = self._credits()
            new = (int(recharge.enabled), text_of(recharge.trigger_below), text_of(recharge.amount))
            if before is not None and before.auto_recharge == recharge:
                return False
            db.execute("INSERT OR REPLACE INTO credits VALUES (1, ?, ?, ?)", new)
            balance = before.balance(self.today) if before else Decimal(0)
            if recharge.amount is not None and recharge.buys_now(before.auto_recharge if before else None, balance):
                db.execute("INSERT INTO funds (purchased, amount, remaining) VALUES (?, ?, ?)",
                           (self.today.isoformat(), str(recharge.amount), str(recharge.amount)))
            return True

    def add_funds(self, amount: Decimal, idempotency_key: str) -> bool:
        """Buy a lot of credits dated today, once per idempotency key."""
        with self._tx() as db:
            agreement = self._agreement()
            if agreement in ("NCE", "MCA"):
                raise PermanentProviderError(f"{agreement} customers cannot buy Communications Credits",
                                             "their calls are billed after use; use the pay-as-you-go option")
            if not _spend(db, "INSERT INTO funds (purchased, amount, remaining, idempotency_key) VALUES (?, ?, ?, ?) "
                          "ON CONFLICT (idempotency_key) DO NOTHING",
                          (self.today.isoformat(), str(amount), str(amount), idempotency_key)):
                return False  # this key bought its lot already
            if db.execute("SELECT 1 FROM credits").fetchone() is None:
                db.execute("INSERT INTO credits VALUES (1, 0, NULL, NULL)")
            return True

    def _user(self, upn: str) -> tuple[str, str | None, set[str]]:
        key = upn.lower()
        row = self.db.execute("SELECT usage_location FROM users WHERE upn_key = ?", (key,)).fetchone()
        if row is None:
            raise PermanentProviderError(f"user '{upn}' does not exist", "create the user first", "not_found")
        held = {sku for (sku,) in self.db.execute("SELECT sku FROM user_licenses WHERE upn_key = ?", (key,))}
        return key, row[0], held

    def set_usage_location(self, upn: str, location: str) -> bool:
        """Set where a user's services are delivered from."""
        with self._tx() as db:
            key, current, held = self._user(upn)
            if current == location:
                return False
            for sku in sorted(held):
                check_country(sku, upn, location)
            db.execute("UPDATE users SET usage_location = ? WHERE upn_key = ?", (location, key))
            return True

    def assign_license(self, upn: str, sku: str) -> bool:
        """Assign under Microsoft's rules: usage location, a free seat, prerequisites."""
        with self._tx() as db:
            key, location, held = self._user(upn)
            if sku in held:
                return False
            if not location:
                raise PermanentProviderError(f"license assignment cannot be done for '{upn}': no usage location",
                                             "set usageLocation for the user first", "invalid_usage_location")
            check_country(sku, upn, location)
            self._credits_ready(sku, self._agreement())
            if sku != CREDITS_SKU:
                sub = self._subscription(sku)
                if sub.consumed >= sub.seats:
                    raise PermanentProviderError(f"subscription {sku} does not have any available licenses "
                                                 f"({sub.consumed} of {sub.seats} assigned)", f"raise {sku} seats",
                                                 "no_available_licenses")
            missing = catalog.missing_prerequisite(sku, held)
            if missing:
                raise PermanentProviderError(f"{sku} for '{upn}' needs {catalog.describe_caps(missing)}",
                                             f"assign one of {', '.join(catalog.providers_of(missing))} first",
                                             "dependency_violation")
            db.execute("INSERT INTO user_licenses VALUES (?, ?)", (key, sku))
            return True

    def remove_license(self, upn: str, sku: str) -> bool:
        """Remove a license unless another license on the user still needs it."""
        with self._tx() as db:
            key, _, held = self._user(upn)
            if sku not in held:
                return False
            rest = held - {sku}
            for other in sorted(rest):
                missing = catalog.missing_prerequisite(other, rest)
                if missing and not catalog.missing_prerequisite(other, held):
                    raise PermanentProviderError(f"cannot remove {sku} from '{upn}': {other} needs it",
                                                 f"remove {other} first", "dependency_violation")
            db.execute("DELETE FROM user_licenses WHERE upn_key = ? AND sku = ?", (key, sku))
            return True


def _spend(db: sqlite3.Connection, sql: str, args: tuple[object, ...]) -> bool:
    """Insert an idempotency key's row; False when the key was spent before (nothing inserted)."""
    return db.execute(sql, args).rowcount == 1
