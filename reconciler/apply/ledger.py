"""The ledger of applies: one lock per tenant, a journal of every action, and the history.

Kept in SQLite: for the local provider, in the tenant's own database file; for providers with no
database of their own, in a ledger file beside the run. Writes are committed as they are made,
so a process killed at any instant leaves a journal that says which action was in flight.

Journal protocol, per action: `intent` (committed before the provider is called), then the
outcome (done, unchanged, failed, skipped). An outcome is committed together with the next
write (the next action's intent, or the end of the run): one commit per action instead of two,
and still before the provider is called again. An intent with no outcome means the process died
while that action ran, or just after it: the next apply re-reads the tenant and plans again, and the provider's
idempotent writes (absolute seat counts, existence checks, idempotency keys on funds and
purchases) make sure nothing is bought twice.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from ..domain.errors import TenantctlError
from ..providers.sqlitefiles import close_at_rest, open_reader, open_writer
from .locks import LockedError, LockInfo

if TYPE_CHECKING:
    from ..plan.compute import Action
    from .outcomes import Outcome, Status

# A run's status in `history`: running until it finishes (or is found interrupted).
RunStatus: TypeAlias = Literal["running", "complete", "failed", "interrupted"]

_INTENT = "INSERT OR REPLACE INTO ledger_journal VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL)"
_OUTCOME = (
    "INSERT INTO ledger_journal VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?) "
    "ON CONFLICT (run_id, action_id) DO UPDATE SET outcome = excluded.outcome, "
    "message = excluded.message, retries = excluded.retries, outcome_at = excluded.outcome_at"
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger_lock (
    slot INTEGER PRIMARY KEY CHECK (slot = 1), lock_id TEXT NOT NULL, operation TEXT NOT NULL,
    host TEXT NOT NULL, pid INTEGER NOT NULL, since TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ledger_runs (
    run_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, started TEXT NOT NULL, finished TEXT,
    status TEXT NOT NULL, source TEXT NOT NULL, plan_digest TEXT, total INTEGER NOT NULL, summary TEXT);
CREATE TABLE IF NOT EXISTS ledger_journal (
    run_id TEXT NOT NULL REFERENCES ledger_runs (run_id), action_id INTEGER NOT NULL, type TEXT NOT NULL,
    address TEXT NOT NULL, idempotency_key TEXT, intent_at TEXT NOT NULL, outcome TEXT, message TEXT,
    retries INTEGER, outcome_at TEXT, PRIMARY KEY (run_id, action_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS applied_plans (plan_digest TEXT PRIMARY KEY, applied_at TEXT NOT NULL, outcome TEXT);
CREATE TABLE IF NOT EXISTS ledger_managed (sku TEXT PRIMARY KEY, last_applied TEXT NOT NULL) WITHOUT ROWID;
"""


def now() -> str:
    """Wall-clock time for the ledger, UTC, to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class RunRecord:
    """One past apply, as `history` lists it."""

    run_id: str
    tenant: str
    started: str
    finished: str | None
    status: RunStatus
    source: str
    plan_digest: str | None
    total: int
    summary: str | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return dict(self.__dict__)


class Ledger:
    """Lock, journal and history for one tenant, in the SQLite file at `path`."""

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._outcomes: list[tuple[Any, ...]] = []  # recorded, committed with the next write
        if read_only:
            self.db = _open_read_only(self.path)
            return
        self.db = open_writer(self.path)
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        """Write what is pending and close the database."""
        if self.read_only:
            self.db.close()
            return
        self._flush()
        close_at_rest(self.db)

    def _write(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        # One committed transaction: the journal survives a SIGKILL right after.
        if not self._outcomes:
            return self.db.execute(sql, args)
        return self._transaction(lambda: self.db.execute(sql, args))

    def _transaction(self, work: Callable[[], sqlite3.Cursor]) -> sqlite3.Cursor:
        """`work` and the pending outcomes, committed together; an interrupt anywhere leaves no
        transaction open (BEGIN and COMMIT are inside the try)."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany(_OUTCOME, self._outcomes)
            cursor = work()
            self.db.execute("COMMIT")
        except BaseException:
            self.abandon()
            raise
        self._outcomes.clear()
        return cursor

    def abandon(self) -> None:
        """Roll back a write cut short (safe to call at any time)."""
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def for_cleanup(self, seconds: float = 5) -> None:
        """Wait at most `seconds` for the database from now on: cleanup must never hang."""
        self.abandon()
        self.db.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")

    def _flush(self) -> None:
        if self._outcomes:
            self._transaction(lambda: self.db.execute("SELECT 1"))  # the pending outcomes alone

    # ---- the lock ----------------------------------------------------------------------------

    def holder(self) -> LockInfo | None:
        """The current lock, if any."""
        row = self.db.execute("SELECT lock_id, operation, host, pid, since FROM ledger_lock").fetchone()
        return LockInfo(*row) if row else None

    def acquire(
        self,
        tenant: str,
        operation: str,
        timeout: float,
        unlock_command: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> LockInfo:
        """Take the tenant's lock, waiting up to `timeout` seconds; raise LockedError naming the holder."""
        deadline = time.monotonic() + timeout
        mine = LockInfo(uuid.uuid4().hex[:12], operation, socket.gethostname(), os.getpid(), now())
        while True:
            cursor = self._write(
                "INSERT OR IGNORE INTO ledger_lock VALUES (1, ?, ?, ?, ?, ?)",
                (mine.lock_id, mine.operation, mine.host, mine.pid, mine.since),
            )
            if cursor.rowcount == 1:
                return mine
            holder = self.holder()
            remaining = deadline - time.monotonic()
            if holder is not None and remaining <= 0:
                raise LockedError(tenant, holder, unlock_command.replace("{lock_id}", holder.lock_id))
            sleep(min(0.2, max(remaining, 0.0)))

    def release(self, lock: LockInfo) -> None:
        """Give the lock back (only if it is still ours)."""
        self._write("DELETE FROM ledger_lock WHERE lock_id = ?", (lock.lock_id,))

    def force_unlock(self, lock_id: str) -> LockInfo | None:
        """Remove a lock by id (None: there was none); refuses a different id, so the wrong lock is never broken."""
        holder = self.holder()
        if holder is None:
            return None
        if holder.lock_id != lock_id:
            raise TenantctlError(
                f"the lock on {self.path} has id {holder.lock_id}, not {lock_id}; it is held by "
                f"{holder.describe()}. Nothing was changed"
            )
        self.release(holder)
        return holder

    # ---- the journal -------------------------------------------------------------------------

    def begin(self, tenant: str, source: str, plan_digest: str | None, total: int) -> str:
        """Open a run; returns its id."""
        run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]
        self._write(
            "INSERT INTO ledger_runs VALUES (?, ?, ?, NULL, 'running', ?, ?, ?, NULL)",
            (run_id, tenant, now(), source, plan_digest, total),
        )
        return run_id

    def intent(self, run_id: str, action_id: int, type_: str, address: str, key: str | None) -> None:
        """Record that an action is about to be attempted."""
        self._write(_INTENT, (run_id, action_id, type_, address, key, now()))

    def intents(self, run_id: str, actions: list[tuple[int, str, str, str | None]]) -> None:
        """Record that several actions (id, type, address, key) are about to be attempted: one commit."""
        stamp = now()
        self._transaction(lambda: self.db.executemany(_INTENT, [(run_id, *a[:3], a[3], stamp) for a in actions]))

    def outcome(
        self, run_id: str, action_id: int, type_: str, address: str, status: Status, message: str, retries: int
    ) -> None:
        """Record how an action ended (skipped actions get a row here without an intent).

        Committed with the next write, so thousands of skipped actions cost one commit."""
        stamp = now()
        self._outcomes.append((run_id, action_id, type_, address, stamp, status, message, retries, stamp))
        if len(self._outcomes) >= 1000:
            self._flush()

    def finish(self, run_id: str, status: RunStatus, summary: str) -> None:
        """Close a run."""
        self._write(
            "UPDATE ledger_runs SET finished = ?, status = ?, summary = ? WHERE run_id = ?",
            (now(), status, summary, run_id),
        )

    def interrupted(self) -> list[tuple[RunRecord, tuple[int, str, str] | None]]:
        """Runs that never finished, each with the action in flight (id, type, address) if any."""
        out = []
        for record in self.runs(status="running"):
            row = self.db.execute(
                "SELECT action_id, type, address FROM ledger_journal WHERE run_id = ? AND "
                "outcome IS NULL ORDER BY action_id LIMIT 1",
                (record.run_id,),
            ).fetchone()
            out.append((record, (int(row[0]), str(row[1]), str(row[2])) if row else None))
        return out

    def mark_interrupted(self, run_id: str) -> None:
        """Close a run whose process died."""
        self._write("UPDATE ledger_runs SET status = 'interrupted' WHERE run_id = ? AND status = 'running'", (run_id,))

    def runs(self, limit: int | None = None, status: RunStatus | None = None) -> list[RunRecord]:
        """Past runs, newest first."""
        self._flush()
        sql = (
            "SELECT * FROM ledger_runs" + (" WHERE status = ?" if status else "") + " ORDER BY started DESC, rowid DESC"
        )
        args: tuple[Any, ...] = (status,) if status else ()
        if limit is not None:
            sql += " LIMIT ?"
            args += (limit,)
        return [RunRecord(*row) for row in self.db.execute(sql, args)]

    def actions(self, run_id: str) -> list[dict[str, Any]]:
        """The journal of one run, in action order."""
        self._flush()
        cols = (
            "action_id",
            "type",
            "address",
            "idempotency_key",
            "intent_at",
            "outcome",
            "message",
            "retries",
            "outcome_at",
        )
        rows = self.db.execute(
            f"SELECT {', '.join(cols)} FROM ledger_journal WHERE run_id = ? ORDER BY action_id",
            (run_id,),
        )
        return [dict(zip(cols, row)) for row in rows]

    # ---- saved plans -------------------------------------------------------------------------

    def applied_at(self, plan_digest: str) -> str | None:
        """When the saved plan with this digest was applied here, or None."""
        row = self.db.execute("SELECT applied_at FROM applied_plans WHERE plan_digest = ?", (plan_digest,)).fetchone()
        return str(row[0]) if row else None

    def record_applied(self, plan_digest: str, outcome: str) -> None:
        """Remember that a saved plan was applied, so it is never applied twice."""
        self._write("INSERT OR IGNORE INTO applied_plans VALUES (?, ?, ?)", (plan_digest, now(), outcome))

    # ---- what the specs managed ---------------------------------------------------------------

    def managed(self) -> frozenset[str]:
        """The subscriptions earlier applies managed."""
        return frozenset(str(row[0]) for row in self.db.execute("SELECT sku FROM ledger_managed"))

    def record_managed(self, skus: Iterable[str]) -> None:
        """Remember the subscriptions an apply's spec manages, so a later plan can say which were dropped."""
        stamp = now()
        self._transaction(
            lambda: self.db.executemany(
                "INSERT OR REPLACE INTO ledger_managed VALUES (?, ?)", [(sku, stamp) for sku in skus]
            )
        )


def groups_changed(path: str | Path, seconds: float) -> frozenset[str]:
    """The groups (as plans named them) whose licenses an apply changed in the last `seconds`: Microsoft
    may still be processing them. Read-only, and empty when there is no ledger yet."""
    if seconds <= 0:
        return frozenset()
    since = (datetime.now(UTC) - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ledger = Ledger(path, read_only=True)
    try:
        rows = ledger.db.execute(
            "SELECT address FROM ledger_journal WHERE outcome = 'done' AND outcome_at > ? AND address LIKE 'group/%'",
            (since,),
        ).fetchall()
    finally:
        ledger.close()
    return frozenset(str(address).removeprefix("group/").rpartition("/")[0] for (address,) in rows)


def managed_before(path: str | Path) -> frozenset[str]:
    """The subscriptions earlier applies managed; read-only, and empty when there is no ledger yet."""
    ledger = Ledger(path, read_only=True)
    try:
        return ledger.managed()
    finally:
        ledger.close()


def _open_read_only(path: Path) -> sqlite3.Connection:
    """For commands that only read: never create or change the file; what is missing reads as empty."""
    if path.is_file():
        db = open_reader(path)
    else:
        db = sqlite3.connect(":memory:", isolation_level=None)
    present = {str(name) for (name,) in db.execute("SELECT name FROM sqlite_master")}
    for statement in _SCHEMA.split(";"):
        table = re.search(r"CREATE TABLE IF NOT EXISTS (\w+)", statement)
        if table and table.group(1) not in present:  # an empty stand-in in the connection's temp schema
            db.execute(statement.replace("CREATE TABLE", "CREATE TEMP TABLE"))
    return db


class RunJournal:
    """The journal of one run, in the shape apply_plan writes to."""

    def __init__(self, ledger: Ledger, run_id: str) -> None:
        self.ledger = ledger
        self.run_id = run_id

    def intent(self, action: Action, key: str | None) -> None:
        """Before the provider is called."""
        self.ledger.intent(self.run_id, action.id, action.type, action.address, key)

    def intents(self, actions: list[Action]) -> None:
        """Before one provider call that performs all of `actions` (none of them keyed)."""
        self.ledger.intents(self.run_id, [(a.id, a.type, a.address, None) for a in actions])

    def outcome(self, outcome: Outcome) -> None:
        """After the action ended or was skipped."""
        a = outcome.action
        self.ledger.outcome(self.run_id, a.id, a.type, a.address, outcome.status, outcome.message, outcome.retries)


@contextmanager
def locked(
    ledger_path: Path,
    tenant: str,
    operation: str,
    timeout: float,
    provider_address: str,
    guard: Callable[[], AbstractContextManager[None]] = nullcontext,
) -> Iterator[Ledger]:
    """Hold the tenant's lock for the duration; the ledger is open inside.

    `guard` wraps the release (interrupts.Signals.shielded), so a second Ctrl-C cannot leave it held."""
    ledger = Ledger(ledger_path)
    try:
        unlock = f"tenantctl force-unlock {{lock_id}} --provider {provider_address}"
        lock = ledger.acquire(tenant, operation, timeout, unlock)
        try:
            yield ledger
        finally:
            with guard():
                ledger.for_cleanup()
                ledger.release(lock)
    finally:
        with guard():
            ledger.close()
