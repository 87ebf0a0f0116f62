"""What apply reports: one Outcome per action, the whole ApplyResult, and the Journal it writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeAlias

from ..domain.actions import Action

# How an action ended; the words are the journal's `outcome` column and what apply reports.
Status: TypeAlias = Literal["done", "unchanged", "failed", "skipped", "manual", "waiting"]
MANUAL_NOTE = "no API: a person does it in the admin center (see the checklist)"


@dataclass(frozen=True)
class Outcome:
    """What happened to one action: done, unchanged (already so), failed, skipped, manual or waiting."""

    action: Action
    status: Status
    message: str = ""
    retries: int = 0


@dataclass
class ApplyResult:
    """All outcomes, in plan order; `left` counts the actions a stop request left unattempted."""

    outcomes: list[Outcome] = field(default_factory=list)
    left: int = 0

    def count(self, status: Status) -> int:
        """How many actions ended with `status`."""
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        """True when nothing failed, was skipped or was left by a stop (manual steps may remain)."""
        return not self.left and all(o.status in ("done", "unchanged", "manual", "waiting") for o in self.outcomes)

    @property
    def manual(self) -> list[Outcome]:
        """The actions a person must still do, in plan order."""
        return [o for o in self.outcomes if o.status == "manual"]

    @property
    def retries(self) -> int:
        """Transient failures retried across the run."""
        return sum(o.retries for o in self.outcomes)


class Journal(Protocol):
    """Where apply records each action's intent and outcome (see ledger.py)."""

    def intent(self, action: Action, key: str | None) -> None:
        """Before the provider is called."""

    def intents(self, actions: list[Action]) -> None:
        """Before one provider call that performs all of `actions`; recorded at once."""

    def outcome(self, outcome: Outcome) -> None:
        """After the action ended (or was skipped)."""


def blocked_by(action: Action, bad: dict[int, Outcome]) -> Outcome | None:
    """The failed or manual outcome that stops `action`, if one of its dependencies has one."""
    return next((bad[d] for d in action.depends_on if d in bad), None)


def not_attempted(action: Action, root: Outcome) -> Outcome:
    """`action` cannot run: "waiting" on a manual step, or "skipped" after a failure."""
    if root.status == "manual":
        return Outcome(action, "waiting", f"waits for manual step #{root.action.id}; run apply again once it is done")
    return Outcome(action, "skipped", f"not attempted: action {root.action.id} failed")
