"""User changes grouped by pattern, so a 100,000-user change reads as a handful of lines.

`4,812 users: + MCOEV, + MCOPSTN1 (ann@…, bob@…, cat@… and 4,809 more)`. Every action stays in
the JSON plan; this is only how a review comment shows them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..domain.actions import Action, AssignLicense, RemoveLicense, SetUsageLocation
from ..domain.user_actions import UserAction

SHOWN = 3  # names shown per group


@dataclass(frozen=True)
class Pattern:
    """One change several users share: its words (`+ MCOEV`, `- SPE_E3`, `usageLocation -> NO`) and who."""

    words: tuple[str, ...]
    users: tuple[str, ...]

    @property
    def destructive(self) -> bool:
        """True when the pattern takes a license away."""
        return any(w.startswith("- ") for w in self.words)

    def line(self) -> str:
        """`**4,812 users**: `+ MCOEV`, `+ MCOPSTN1` (ann@x, bob@x, cat@x and 4,809 more)`."""
        who = ", ".join(self.users[:SHOWN]) + (
            f" and {len(self.users) - SHOWN:,} more" if len(self.users) > SHOWN else ""
        )
        noun = "user" if len(self.users) == 1 else "users"
        return f"**{len(self.users):,} {noun}**: " + ", ".join(f"`{w}`" for w in self.words) + f" ({who})"


def _word(change: SetUsageLocation | AssignLicense | RemoveLicense) -> str:
    if isinstance(change, SetUsageLocation):
        return f"usageLocation -> {change.after}"
    return f"+ {change.sku}" if isinstance(change, AssignLicense) else f"- {change.sku}"


def user_patterns(actions: Iterable[Action]) -> list[Pattern]:
    """The user actions grouped by each user's whole change, largest group first."""
    changes: dict[str, list[str]] = {}
    for a in actions:
        if isinstance(a.change, UserAction):
            changes.setdefault(a.change.upn, []).append(_word(a.change))
    groups: dict[tuple[str, ...], list[str]] = {}
    for upn, words in changes.items():
        groups.setdefault(tuple(sorted(words, key=lambda w: (w[0] != "u", w))), []).append(upn)
    return sorted(
        (Pattern(words, tuple(users)) for words, users in groups.items()), key=lambda p: (-len(p.users), p.words)
    )
