"""The plan's vocabulary: actions and diagnostics (public JSON), and the builder that numbers them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FORMAT_VERSION = "1"

ACTION_TYPES = ("purchase_subscription", "set_seats", "set_term", "set_pay_as_you_go", "set_auto_recharge",
                "add_funds", "set_usage_location", "assign_license", "remove_license", "schedule_seats")
MONEY_ACTIONS = frozenset({"purchase_subscription", "set_seats", "schedule_seats", "add_funds"})


@dataclass(frozen=True)
class Action:
    """One change to the tenant. `depends_on` lists ids that must succeed first."""

    id: int
    type: str
    address: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    destructive: bool = False
    depends_on: tuple[int, ...] = ()
    # True when the provider has no API for it: a person does it, following `steps`.
    manual: bool = False
    steps: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The public JSON form (format_version 1); `manual` and `steps` only on manual actions."""
        out = {"id": self.id, "type": self.type, "address": self.address, "before": self.before,
               "after": self.after, "destructive": self.destructive, "depends_on": list(self.depends_on)}
        if self.manual:
            out["manual"] = True
            out["steps"] = list(self.steps)
        return out


@dataclass(frozen=True)
class Diagnostic:
    """Something the user should know; severity "error" means the plan must not be applied."""

    severity: str  # error | warning | info
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

    def add(self, type_: str, address: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
            destructive: bool = False, depends_on: list[int] | tuple[int, ...] = ()) -> int:
        action_id = len(self.actions) + 1
        deps = tuple(sorted(set(depends_on)))
        self.actions.append(Action(action_id, type_, address, before, after, destructive, deps))
        return action_id

    def diag(self, severity: str, code: str, message: str, address: str = "") -> None:
        self.diagnostics.append(Diagnostic(severity, code, message, address))

    def not_readable(self, address: str, field: str, wanted: str) -> None:
        """Say that a managed value is not compared because the provider cannot read it (never drift)."""
        self.diag("info", "not_readable", f"{address}: {field} cannot be read through this provider, so it is not "
                  f"compared (the spec wants {wanted}); check it in the Microsoft 365 admin center under Billing > "
                  "Your products", address)
