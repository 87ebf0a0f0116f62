"""`--target ADDRESS`: a partial plan, as Terraform's -target: only the actions on those addresses
and what they depend on, renumbered, and said to be partial.

An address selects itself and what lies under it: `user/ann@x.com` selects Ann's location and
licenses, `subscription/MCOEV` that subscription's actions, `communicationsCredits` the credits,
`group/NAME` the actions on that group's licenses (and not on a group whose name goes on with `/`).
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..domain.actions import Action, Builder
from ..domain.errors import UsageError

ADDRESS = re.compile(r"^(subscription/[^/\s]+|communicationsCredits|user/[^/\s]+(/[^/\s]+)?|group/.+)$")


def check(targets: tuple[str, ...]) -> None:
    """Refuse an address that cannot name anything, before anything is read."""
    bad = [t for t in targets if not ADDRESS.match(t.rstrip("/"))]
    if bad:
        raise UsageError(
            f"--target {bad[0]!r} is not an address; use subscription/SKU, communicationsCredits, "
            "user/UPN, user/UPN/SKU, group/NAME or group/NAME/SKU (as the plan shows them)"
        )


def select(actions: tuple[Action, ...], targets: frozenset[str], b: Builder) -> tuple[Action, ...]:
    """The targeted actions and their dependencies, renumbered from 1, with a warning that says so."""
    wanted = {t.rstrip("/").lower() for t in targets}
    shown = ", ".join(sorted(t.rstrip("/") for t in targets))
    by_id = {a.id: a for a in actions}
    keep: set[int] = set()
    stack = [a.id for a in actions if _selected(a.address.lower(), wanted)]
    while stack:  # a targeted action brings what it depends on, transitively
        action_id = stack.pop()
        if action_id not in keep:
            keep.add(action_id)
            stack.extend(by_id[action_id].depends_on)
    for target in sorted(targets):
        if not any(_selected(a.address.lower(), {target.rstrip("/").lower()}) for a in actions):
            b.diag(
                "warning",
                "target_matches_nothing",
                f"--target {target} matches no planned action (nothing to change there, or a misspelt address)",
            )
    renumber = {old: new for new, old in enumerate(sorted(keep), start=1)}
    kept = tuple(
        replace(a, id=renumber[a.id], depends_on=tuple(renumber[d] for d in a.depends_on))
        for a in actions
        if a.id in keep
    )
    b.diag(
        "warning",
        "partial_plan",
        f"this plan is partial (--target {shown}): {len(kept):,} of "
        f"{len(actions):,} actions; the rest of the spec is not applied, so plan again without --target to "
        "converge",
    )
    return kept


def _selected(address: str, wanted: set[str]) -> bool:
    if address.startswith("group/"):
        # group/NAME/SKU: a display name may hold a '/', a SKU never does, so group/Sales selects the actions
        # on group "Sales", not those on group "Sales/EMEA" under it.
        return address in wanted or address.rpartition("/")[0] in wanted
    return any(address == t or address.startswith(t + "/") for t in wanted)
