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
from datetime import date
from decimal import Decimal
from pathlib import Path

from .. import catalog
from ..catalog import CREDITS_SKU
from ..errors import PermanentProviderError, ProviderError
from ..longlived import long_lived
from ..model import (BILLING_WRITE_ROLES, AutoRecharge, CreditsState, FundLot, SubscriptionState,
                     TenantState, UserState)
from ..testhooks import crash_point, current_action
from .faults import FaultInjector

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions (
    sku TEXT PRIMARY KEY, seats INTEGER NOT NULL CHECK (seats >= 0), term TEXT NOT NULL,
    billing_frequency TEXT NOT NULL, pay_as_you_go INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS credits (
    id INTEGER PRIMARY KEY CHECK (id = 1), enabled INTEGER NOT NULL, trigger_below TEXT, amount TEXT);
CREATE TABLE IF NOT EXISTS funds (
    id INTEGER PRIMARY KEY, purchased TEXT NOT NULL, amount TEXT NOT NULL, remaining TEXT NOT NULL,
    idempotency_key TEXT UNIQUE);
CREATE TABLE IF NOT EXISTS users (upn_key TEXT PRIMARY KEY, upn TEXT NOT NULL, usage_location TEXT);
CREATE TABLE IF NOT EXISTS user_licenses (
    upn_key TEXT NOT NULL REFERENCES users (upn_key), sku TEXT NOT NULL,
    PRIMARY KEY (upn_key, sku)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS user_licenses_sku ON user_licenses (sku);
CREATE TABLE IF NOT EXISTS purchases (idempotency_key TEXT PRIMARY KEY, sku TEXT NOT NULL);
"""

# How many users hold each SKU, kept by triggers: counting holders at every assignment made a
# 100,000-user apply quadratic (137 s). Created and filled in one transaction the first time a file
# is opened by this version; from then on the triggers, stored in the file, keep it right.
_COUNTS = """
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS consumed (sku TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS consumed_add AFTER INSERT ON user_licenses BEGIN
    INSERT INTO consumed VALUES (NEW.sku, 1) ON CONFLICT (sku) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS consumed_remove AFTER DELETE ON user_licenses BEGIN
    UPDATE consumed SET n = n - 1 WHERE sku = OLD.sku; END;
DELETE FROM consumed;
INSERT INTO consumed SELECT sku, COUNT(*) FROM user_licenses GROUP BY sku;
COMMIT;
"""

class NoTenantError(ProviderError):
    """The database holds no tenant yet."""


class LocalProvider:
    """A tenant simulated in SQLite at `path`, with the clock pinned to `today`."""

    def __init__(self, path: str | Path, today: date, faults: FaultInjector | None = None) -> None:
        self.path = Path(path)
        self.today = today
        self.faults = faults
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, one transaction per action.
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(_SCHEMA)
        if self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'consumed_remove'").fetchone() is None:
            self.db.executescript(_COUNTS)

    @property
    def address(self) -> str:
        """`local:PATH`."""
        return f"local:{self.path}"

    @property
    def ledger_path(self) -> Path:
        """Locks, journal and history live in the tenant's own database."""
        return self.path

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    @contextmanager
    def _tx(self, inject: bool = True) -> Iterator[sqlite3.Connection]:
        faults = self.faults if inject else None
        if faults is not None:
            faults.before("write")
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
            crash_point(current_action.get(), "inside")  # test hook: die before the commit
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
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
        subscriptions = {
            sku: SubscriptionState(sku=sku, seats=seats, term=term, billing_frequency=freq,
                                   pay_as_you_go=bool(payg), consumed=consumed.get(sku, 0))
            for sku, seats, term, freq, payg in self.db.execute(
                "SELECT sku, seats, term, billing_frequency, pay_as_you_go FROM subscriptions")
        }
        return TenantState(name=meta["name"], tenant_id=meta.get("tenant_id") or None, agreement=meta["agreement"],
                           today=self.today, currency=meta.get("currency", "USD"),
                           billing_roles=tuple(json.loads(meta.get("billing_roles", "[]"))),
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
            for table in ("user_licenses", "users", "funds", "credits", "subscriptions", "meta"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            db.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("schema_version", SCHEMA_VERSION), ("name", state.name), ("tenant_id", state.tenant_id or ""),
                ("agreement", state.agreement), ("currency", state.currency),
                ("billing_roles", json.dumps(list(state.billing_roles)))])
            db.executemany("INSERT INTO subscriptions VALUES (?, ?, ?, ?, ?)", [
                (s.sku, s.seats, s.term, s.billing_frequency, int(s.pay_as_you_go))
                for s in state.subscriptions.values()])
            if state.credits is not None:
                r = state.credits.auto_recharge
                db.execute("INSERT INTO credits VALUES (1, ?, ?, ?)", (int(r.enabled), _text(r.trigger_below),
                                                                         _text(r.amount)))
                db.executemany("INSERT INTO funds (purchased, amount, remaining, idempotency_key) VALUES (?, ?, ?, ?)",
                               [(lot.purchased.isoformat(), str(lot.amount), str(lot.remaining), lot.idempotency_key)
                                for lot in state.credits.funds])
            db.executemany("INSERT INTO users VALUES (?, ?, ?)",
                           [(key, u.upn, u.usage_location) for key, u in state.users.items()])
            db.executemany("INSERT INTO user_licenses VALUES (?, ?)",
                           [(key, sku) for key, u in state.users.items() for sku in u.licenses])

    # ---- writes: one transaction each, rules checked inside it --------------------------------

    def _require_billing_role(self, what: str) -> None:
        roles = set(json.loads(self._meta().get("billing_roles", "[]")))
        if not roles & BILLING_WRITE_ROLES:
            raise PermanentProviderError(f"{what} needs the billing account owner or contributor role",
                                         "ask a billing account owner to grant BillingAccountOwner or "
                                         "BillingAccountContributor to the identity that applies", "forbidden")

    def _subscription(self, sku: str) -> tuple[int, int]:
        row = self.db.execute("SELECT seats, COALESCE((SELECT n FROM consumed WHERE sku = ?), 0) FROM subscriptions "
                              "WHERE sku = ?", (sku, sku)).fetchone()
        if row is None:
            raise PermanentProviderError(f"the tenant has no {sku} subscription", f"buy {sku} first", "not_found")
        return int(row[0]), int(row[1])

    def purchase_subscription(self, sku: str, seats: int, term: str, billing_frequency: str,
                              idempotency_key: str) -> bool:
        """Buy `seats` of `sku` once per idempotency key; already owned: no-op."""
        with self._tx() as db:
            self._require_billing_role(f"buying {sku}")
            if db.execute("SELECT 1 FROM purchases WHERE idempotency_key = ?", (idempotency_key,)).fetchone():
                return False
            if db.execute("SELECT 1 FROM subscriptions WHERE sku = ?", (sku,)).fetchone():
                return False
            entry = catalog.lookup(sku)
            agreement = self._meta()["agreement"]
            if entry is not None and entry.agreements is not None and agreement not in entry.agreements:
                raise PermanentProviderError(f"{sku} is not sold under a {agreement} agreement",
                                             "it is offered to volume-licensing (EA) customers only")
            db.execute("INSERT INTO subscriptions VALUES (?, ?, ?, ?, 0)", (sku, seats, term, billing_frequency))
            db.execute("INSERT INTO purchases VALUES (?, ?)", (idempotency_key, sku))
            return True

    def set_seats(self, sku: str, seats: int) -> bool:
        """Change the seat count; never below the seats in use."""
        with self._tx() as db:
            self._require_billing_role(f"changing {sku} seats")
            current, consumed = self._subscription(sku)
            if current == seats:
                return False
            if seats < consumed:
                raise PermanentProviderError(f"cannot reduce {sku} to {seats} seats: {consumed} are assigned",
                                             f"remove {consumed - seats} {sku} licenses from users first")
            db.execute("UPDATE subscriptions SET seats = ? WHERE sku = ?", (seats, sku))
            return True

    def set_term(self, sku: str, term: str, billing_frequency: str) -> bool:
        """Change term and billing frequency."""
        with self._tx() as db:
            self._require_billing_role(f"changing the {sku} term")
            self._subscription(sku)
            cursor = db.execute("UPDATE subscriptions SET term = ?, billing_frequency = ? WHERE sku = ? AND "
                                "(term != ? OR billing_frequency != ?)", (term, billing_frequency, sku, term,
                                                                         billing_frequency))
            return cursor.rowcount > 0

    def set_pay_as_you_go(self, sku: str, enabled: bool) -> bool:
        """Toggle overage on a PAYG-capable subscription."""
        with self._tx() as db:
            self._require_billing_role(f"turning pay-as-you-go {'on' if enabled else 'off'} for {sku}")
            self._subscription(sku)
            entry = catalog.lookup(sku)
            if entry is None or not entry.pay_as_you_go:
                raise PermanentProviderError(f"{sku} does not offer pay-as-you-go overage")
            cursor = db.execute("UPDATE subscriptions SET pay_as_you_go = ? WHERE sku = ? AND pay_as_you_go != ?",
                                (int(enabled), sku, int(enabled)))
            return cursor.rowcount > 0

    def set_auto_recharge(self, recharge: AutoRecharge) -> bool:
        """Set auto-recharge; NCE tenants have no Communications Credits."""
        with self._tx() as db:
            self._require_billing_role("changing Communications Credits auto-recharge")
            if self._meta()["agreement"] == "NCE":
                raise PermanentProviderError("NCE calling subscriptions cannot use Communications Credits",
                                             "NCE bills overage after use; turn on pay-as-you-go instead")
            if recharge.enabled and (recharge.trigger_below is None or recharge.amount is None):
                raise PermanentProviderError("auto-recharge needs a trigger and an amount")
            row = db.execute("SELECT enabled, trigger_below, amount FROM credits").fetchone()
            new = (int(recharge.enabled), _text(recharge.trigger_below), _text(recharge.amount))
            if row is not None and tuple(row) == new:
                return False
            db.execute("INSERT OR REPLACE INTO credits VALUES (1, ?, ?, ?)", new)
            return True

    def add_funds(self, amount: Decimal, idempotency_key: str) -> bool:
        """Buy a lot of credits dated today, once per idempotency key."""
        with self._tx() as db:
            self._require_billing_role("adding Communications Credits funds")
            agreement = self._meta()["agreement"]
            if agreement in ("NCE", "MCA"):
                raise PermanentProviderError(f"{agreement} customers cannot buy Communications Credits",
                                             "MCA: enable auto-recharge; NCE: use pay-as-you-go overage")
            if db.execute("SELECT 1 FROM funds WHERE idempotency_key = ?", (idempotency_key,)).fetchone():
                return False
            if db.execute("SELECT 1 FROM credits").fetchone() is None:
                db.execute("INSERT INTO credits VALUES (1, 0, NULL, NULL)")
            db.execute("INSERT INTO funds (purchased, amount, remaining, idempotency_key) VALUES (?, ?, ?, ?)",
                       (self.today.isoformat(), str(amount), str(amount), idempotency_key))
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
            key, current, _ = self._user(upn)
            if current == location:
                return False
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
            if sku == CREDITS_SKU:
                credits = self._credits()
                if credits is None or not credits.licenses_available:
                    raise PermanentProviderError("there are no Communications Credits licenses in the tenant",
                                                 "fund Communications Credits or enable auto-recharge first",
                                                 "no_available_licenses")
            else:
                seats, consumed = self._subscription(sku)
                if consumed >= seats:
                    raise PermanentProviderError(f"subscription {sku} does not have any available licenses "
                                                 f"({consumed} of {seats} assigned)", f"raise {sku} seats",
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


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
