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
