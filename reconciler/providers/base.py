"""Stage 2's contract: what a provider (the live tenant) must offer.

Reads return a whole TenantState. Every write is idempotent and re-checks its own precondition
inside the provider, where it can be done atomically: it returns True when it changed the
tenant and False when the tenant was already so ("already done: skip"). A write that breaks a
tenant rule raises PermanentProviderError with a hint; one that may succeed later raises
TransientProviderError. The planner never sees this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, TypeAlias, runtime_checkable

from ..domain.action_base import Writer
from ..domain.errors import ProviderError
from ..domain.model import TenantState


class Provider(Writer, Protocol):
    """A live tenant: its reads here, its writes in `Writer` (which the actions are carried out with).

    Implementations: LocalProvider (SQLite), GraphProvider (Microsoft Graph).
    """

    @property
    def address(self) -> str:
        """Where this provider points, for messages (never contains a secret)."""

    @property
    def ledger_path(self) -> Path:
        """The SQLite file that holds this tenant's lock, journal and history."""

    def read_state(self) -> TenantState:
        """The whole observed state."""

    def close(self) -> None:
        """Release connections."""


@dataclass(frozen=True)
class UserWrite:
    """Everything one user needs in one step: the usage location first, then one license call.

    A remote API wants a user's interdependent licenses in a single call (Teams Phone together
    with the calling plan that needs it), and a swap's add and remove together.
    """

    upn: str
    location: str | None = None
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    # Disabled plans: of SKUs in `add`, and of SKUs the user keeps whose plans change (re-added so).
    plans: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def plan(self, sku: str) -> tuple[str, ...]:
        """The plans to disable in `sku` (none unless given)."""
        return next((p for s, p in self.plans if s == sku), ())

    @property
    def replans(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Licenses kept whose disabled plans change."""
        return tuple((s, p) for s, p in self.plans if s not in self.add)

    @property
    def licensing(self) -> bool:
        """True when the write has a license call to make."""
        return bool(self.add or self.remove or self.plans)


@dataclass(frozen=True)
class GroupWrite:
    """One group's license changes in one assignLicense call: added (or re-planned) and removed."""

    group: str  # as the plan names it: display name, or id
    add: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (sku, disabled plans)
    remove: tuple[str, ...] = ()


# Which part of a UserWrite failed: "location" (nothing was done) or "licenses" (the location was set).
WritePart: TypeAlias = Literal["", "location", "licenses"]


@dataclass(frozen=True)
class WriteResult:
    """How one UserWrite ended: `error` None means it succeeded (`changed` False: already so)."""

    changed: bool = False
    error: ProviderError | None = None
    retries: int = 0
    part: WritePart = ""  # set with an error only


@runtime_checkable
class BatchProvider(Protocol):
    """A provider that performs many users' writes at once (batched and concurrent requests)."""

    def write_users(self, writes: list[UserWrite]) -> list[WriteResult]:
        """One result per write, in order; retries transient failures itself."""

    def write_group(self, write: GroupWrite) -> WriteResult:
        """One group's license changes in one call; retries transient failures itself."""
