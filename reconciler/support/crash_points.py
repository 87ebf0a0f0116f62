"""Test hooks for crash-safety tests: die with SIGKILL at a chosen point of an apply.

`TENANTCTL_CRASH_AT=ID:PHASE` kills the process at action ID, where PHASE is `intent` (journal
intent written, provider not yet called), `inside` (inside the provider's write, after the change
and before it is committed; for Partner Center, after the checkout answered) or `outcome` (outcome
written). Nothing else reads it; it exists so
tests can prove that an apply killed at any point converges on the next run without buying twice.
"""

from __future__ import annotations

import os
import signal
from contextvars import ContextVar

current_action: ContextVar[int | None] = ContextVar("current_action", default=None)


def crash_point(action_id: int | None, phase: str) -> None:
    """SIGKILL this process when TENANTCTL_CRASH_AT names this action and phase."""
    target = os.environ.get("TENANTCTL_CRASH_AT")
    if target and action_id is not None and target == f"{action_id}:{phase}":
        os.kill(os.getpid(), signal.SIGKILL)
