"""The plan's vocabulary: actions and diagnostics (public JSON), and the builder that numbers them.

An action's kind is its value's class (commerce_actions.py, user_actions.py); `Change` is the
closed set of them, in the public type order, and the registry is derived from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeAlias, get_args

from .action_base import ActionKind, Fields, Writer
from .commerce_actions import (
    AddFunds,
    PurchaseSubscription,
    ScheduleSeats,
    SetAutoRecharge,
    SetAutoRenew,
    SetPayAsYouGo,
    SetSeats,
    SetTerm,
)
from .errors import PermanentProviderError
from .group_actions import AssignGroupLicense, RemoveGroupLicense, SetDisabledPlans
from .user_actions import AssignLicense, RemoveLicense, SetUsageLocation

FORMAT_VERSION = "1"

# Every kind the planner may emit and apply can carry out. The order is the public type order
# (a plan's `summary.by_type`): a new kind goes in here, where it should be counted.
Change: TypeAlias = (
    PurchaseSubscription
    | SetSeats
    | SetTerm
    | SetPayAsYouGo
    | SetAutoRenew
    | SetAutoRecharge
    | AddFunds
    | SetUsageLocation
    | AssignLicense
    | RemoveLicense
    | ScheduleSeats
    | AssignGroupLicense
    | RemoveGroupLicense
    | SetDisabledPlans
)
ACTION_CLASSES: tuple[type[Change], ...] = get_args(Change)
KINDS: dict[str, type[Change]] = {c.kind: c for c in ACTION_CLASSES}
ACTION_TYPES = tuple(KINDS)
MONEY_ACTIONS = frozenset(c.kind for c in ACTION_CLASSES if c.moves_money)

Severity: TypeAlias = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Unrecognized:
    """A saved plan's action that is not exactly one of `Change` (another tenantctl wrote it, or a hand).

    It keeps what the file says, so the plan shows as written; it never runs: apply re-plans and
    refuses a saved plan whose actions differ from the planner's (savedplan.check_same).
    """

    kind: str
    address: str
    json_before: Fields
    json_after: Fields

    symbol: ClassVar[str] = "~"
    moves_money: ClassVar[bool] = False
    keyed: ClassVar[bool] = False
    per_user: ClassVar[bool] = False
    graph_api: ClassVar[bool] = False

    def carry_out(self, provider: Writer, key: str | None) -> bool:
        """Refuse: there is nothing this tenantctl knows how to do."""
        if self.kind not in KINDS:
            raise PermanentProviderError(f"unknown action type '{self.kind}'", "upgrade tenantctl")
        raise PermanentProviderError(
            f"{self.kind} {self.address} is not in the form this tenantctl writes", "plan again"
        )


def change_of(kind: Any, address: Any, before: Any, after: Any) -> Change | Unrecognized:
    """The value a saved plan's action holds: its kind's, when that gives back exactly what was written."""
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is not None and isinstance(address, str):
        try:
            change = cls.parse(address, before, after)
        except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError):
            pass
        else:
            if (change.address, change.json_before, change.json_after) == (address, before, after):
                return change
    return Unrecognized(kind, address, before, after)


@dataclass(frozen=True)
class Action:
    """One change to the tenant. `depends_on` lists ids that must succeed first."""

    id: int
    change: Change | Unrecognized
    destructive: bool = False
    depends_on: tuple[int, ...] = ()
    # True when the provider has no API for it: a person does it, following `steps`.
    manual: bool = False
    steps: tuple[str, ...] = ()

    @property
    def type(self) -> str:
        """The public JSON type: `set_seats`, `assign_license`, ..."""
        return self.change.kind

    @property
    def address(self) -> str:
        """What it changes: `subscription/SKU`, `communicationsCredits`, `user/UPN`, `user/UPN/SKU`."""
        return self.change.address

    @property
    def before(self) -> Fields:
        """The managed fields as they are (public JSON)."""
        return self.change.json_before

    @property
    def after(self) -> Fields:
        """The managed fields as the action leaves them (public JSON)."""
        return self.change.json_after

    def to_dict(self) -> dict[str, Any]:
        """The public JSON form (format_version 1); `manual` and `steps` only on manual actions."""
        change = self.change
        out = {
            "id": self.id,
            "type": change.kind,
            "address": change.address,
            "before": change.json_before,
            "after": change.json_after,
            "destructive": self.destructive,
            "depends_on": list(self.depends_on),
        }
        if self.manual:
            out["manual"] = True
            out["steps"] = list(self.steps)
        return out


@dataclass(frozen=True)
class Diagnostic:
    """Something the user should know; severity "error" means the plan must not be applied."""

    severity: Severity
    code: str
    message: str
    address: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The public JSON form."""
        out = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.address:
            out["address"] = self.address
        return out


@dataclass
class Builder:
    """Collects actions in order, handing out ids."""

    actions: list[Action] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def add(self, change: Change, destructive: bool = False, depends_on: list[int] | tuple[int, ...] = ()) -> int:
        """Append an action for `change`, after the actions `depends_on` names; returns its id."""
        action_id = len(self.actions) + 1
        deps = tuple(sorted(set(depends_on)))
        self.actions.append(Action(action_id, change, destructive, deps))
        return action_id

    def diag(self, severity: Severity, code: str, message: str, address: str = "") -> None:
        """Add a diagnostic."""
        self.diagnostics.append(Diagnostic(severity, code, message, address))

    def not_readable(self, address: str, field: str, wanted: str) -> None:
        """Say that a managed value is not compared because the provider cannot read it (never drift)."""
        self.diag(
            "info",
            "not_readable",
            f"{address}: {field} cannot be read through this provider, so it is not "
            f"compared (the spec wants {wanted}); check it in the Microsoft 365 admin center under Billing > "
            "Your products",
            address,
        )


__all__ = [
    "ACTION_CLASSES",
    "ACTION_TYPES",
    "FORMAT_VERSION",
    "KINDS",
    "MONEY_ACTIONS",
    "Action",
    "ActionKind",
    "AddFunds",
    "AssignGroupLicense",
    "AssignLicense",
    "Builder",
    "Change",
    "Diagnostic",
    "PurchaseSubscription",
    "RemoveGroupLicense",
    "RemoveLicense",
    "ScheduleSeats",
    "SetAutoRecharge",
    "SetAutoRenew",
    "SetDisabledPlans",
    "SetPayAsYouGo",
    "SetSeats",
    "SetTerm",
    "SetUsageLocation",
    "Severity",
    "Unrecognized",
    "change_of",
]
