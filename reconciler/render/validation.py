"""`validate`'s line for a file that passed: what kind of document it is, whose, and how big."""

from __future__ import annotations

from ..domain.model import TenantSpec, TenantState
from .text import count


def spec_ok(spec: TenantSpec) -> str:
    """`ok (Tenant contoso: 3 users, 2 subscriptions)`."""
    return f"ok (Tenant {spec.name}: {_sizes(len(spec.users), len(spec.subscriptions))})"


def snapshot_ok(state: TenantState) -> str:
    """`ok (TenantSnapshot contoso: 3 users, 2 subscriptions)`."""
    return f"ok (TenantSnapshot {state.name}: {_sizes(len(state.users), len(state.subscriptions))})"


def _sizes(users: int, subscriptions: int) -> str:
    return f"{count(users, 'user')}, {count(subscriptions, 'subscription')}"
