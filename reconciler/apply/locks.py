"""A tenant's apply lock, as values: who holds it, whether it is provably abandoned, and the refusal
a second run gets. The ledger (ledger.py) stores it in its SQLite file."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from ..domain.errors import TenantctlError


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class LockInfo:
    """Who holds a tenant's lock."""

    lock_id: str
    operation: str
    host: str
    pid: int
    since: str

    @property
    def stale(self) -> bool:
        """Provably abandoned: taken on this host by a process that no longer runs."""
        return self.host == socket.gethostname() and not pid_alive(self.pid)

    def describe(self) -> str:
        """`apply (host h, pid 12, since 2026-11-21T10:00:00Z, lock id 3f2a...)`."""
        return f"{self.operation} (host {self.host}, pid {self.pid}, since {self.since}, lock id {self.lock_id})"


class LockedError(TenantctlError):
    """Another run holds the tenant's lock; nothing was changed."""

    def __init__(self, tenant: str, holder: LockInfo, unlock_command: str) -> None:
        self.holder = holder
        if holder.stale:
            advice = (
                f"That process is no longer running, so the lock is stale. If no other apply is running, "
                f"clear it with `{unlock_command}` and run again"
            )
        else:
            advice = "Wait for it to finish, or pass --lock-timeout SECONDS to wait for it"
        super().__init__(f"tenant {tenant} is locked by {holder.describe()}; nothing was changed. {advice}")
