"""How tenantctl opens and leaves its SQLite files (the ledger's and the simulated tenant's), written once.

Writers work in WAL mode (readers never block them). A database left in WAL mode makes every
read-only connection create `-wal` and `-shm` files beside it, and `plan` must not create or
change files. So the last writer to close switches the file back to rollback mode; while
another connection is open the switch fails at once (never waiting) and that one does it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

LOCK_WAIT_S = 30  # how long a connection waits for another's write transaction before failing


def open_writer(path: Path) -> sqlite3.Connection:
    """A connection that may write, creating the file: WAL, and autocommit (callers BEGIN IMMEDIATE themselves)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, timeout=LOCK_WAIT_S)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


def open_reader(path: Path) -> sqlite3.Connection:
    """A connection that can neither create nor change the file. The path goes in as a file: URI, so a
    folder whose name holds `?`, `#` or `%` is still the folder meant."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=LOCK_WAIT_S)


def close_at_rest(db: sqlite3.Connection) -> None:
    """Close a writer's connection, leaving the file without -wal/-shm when it is the last one."""
    try:
        if not db.in_transaction:
            db.execute("PRAGMA busy_timeout=0")
            db.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error:
        pass  # another connection is open: it switches the mode when it closes
    finally:
        db.close()
