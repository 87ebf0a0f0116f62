"""How tenantctl leaves its SQLite files: in rollback-journal mode at rest, so that readers create nothing.

Writers work in WAL mode (readers never block them). A database left in WAL mode makes every
read-only connection create `-wal` and `-shm` files beside it, and `plan` must not create or
change files. So the last writer to close switches the file back to rollback mode; while
another connection is open the switch fails at once (never waiting) and that one does it.
"""

from __future__ import annotations

import sqlite3


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
