"""`validate`'s line for a file that passed: what kind of document it is, whose, and how big."""

from __future__ import annotations

from ..domain.model import TenantSpec, TenantState
from .text import count


def spec_ok(spec: TenantSpec) -> str:
    """`ok (Tenant contoso: 3 users, 2 subscriptions)`, and `, 2 groups` where it has some."""
    return f"ok (Tenant {spec.name}: {_sizes(len(spec.users), len(spec.subscriptions), len(spec.groups))})"


def snapshot_ok(state: TenantState) -> str:
    """`ok (TenantSnapshot contoso: 3 users, 2 subscriptions)`, and `, 2 groups` where it has some."""
    return f"ok (TenantSnapshot {state.name}: {_sizes(len(state.users), len(state.subscriptions), len(state.groups))})"


def _sizes(users: int, subscriptions: int, groups: int) -> str:
    sizes = f"{count(users, 'user')}, {count(subscriptions, 'subscription')}"
    return sizes + (f", {count(groups, 'group')}" if groups else "")
