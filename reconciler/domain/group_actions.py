"""The group-licensing actions: a license given to a group or taken from it, and the service plans
disabled in a user's or a group's license.

Microsoft Graph does all three (assignLicense on a group or a user); batch providers merge a group's
actions into one call, so a swap never leaves members without the service in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

from .action_base import ActionKind, Fields, Writer
from .groups import GROUP
from .user_actions import USER


def _split(address: str) -> tuple[str, str]:
    """`group/NAME/SKU` -> (NAME, SKU): a SKU never holds a `/`, a group's display name may."""
    name, _, sku = address.removeprefix(GROUP).rpartition("/")
    return name, sku


@dataclass(frozen=True)
class GroupAction(ActionKind):
    """A change to the licenses of one group, named as the spec names it (display name, or id)."""

    graph_api: ClassVar[bool] = True

    group: str
    sku: str

    @property
    def address(self) -> str:
        """`group/NAME/SKU`."""
        return f"{GROUP}{self.group}/{self.sku}"


@dataclass(frozen=True)
class AssignGroupLicense(GroupAction):
    """Give the group a license: every direct user member gets it, once Microsoft has processed the group."""

    kind: ClassVar[str] = "assign_group_license"
    symbol: ClassVar[str] = "+"

    disabled: tuple[str, ...] = ()

    @property
    def json_before(self) -> Fields:
        """Nothing: the group does not hold it."""
        return None

    @property
    def json_after(self) -> Fields:
        """`{sku, disabledPlans}`."""
        return {"sku": self.sku, "disabledPlans": list(self.disabled)}

    @classmethod
    def parse(cls, address: str, before: Any, after: Any) -> Self:
        """From a saved plan."""
        name, sku = _split(address)
        return cls(name, sku, tuple(after["disabledPlans"]))

    def carry_out(self, provider: Writer, key: str | None) -> bool:
        """Assign it; False when the group holds it already."""
        return provider.assign_group_license(self.group, self.sku, self.disabled)


@dataclass(frozen=True)
class RemoveGroupLicense(GroupAction):
    """Take a license from the group: members who hold it only through this group lose it."""

    kind: ClassVar[str] = "remove_group_license"
    symbol: ClassVar[str] = "-"

    disabled: tuple[str, ...] = ()

    @property
    def json_before(self) -> Fields:
        """`{sku, disabledPlans}`."""
        return {"sku": self.sku, "disabledPlans": list(self.disabled)}

    @property
    def json_after(self) -> Fields:
        """Nothing: the group no longer holds it."""
        return None

    @classmethod
    def parse(cls, address: str, before: Any, after: Any) -> Self:
        """From a saved plan."""
        name, sku = _split(address)
        return cls(name, sku, tuple(before["disabledPlans"]))

    def carry_out(self, provider: Writer, key: str | None) -> bool:
        """Remove it; False when the group does not hold it."""
        return provider.remove_group_license(self.group, self.sku)


@dataclass(frozen=True)
class SetDisabledPlans(ActionKind):
    """Switch service plans off (or back on) inside a license a user holds directly or a group holds.

    `target` is `user/UPN` or `group/NAME`; `before` and `after` are the disabled plans' names.
    """

    kind: ClassVar[str] = "set_disabled_plans"
    graph_api: ClassVar[bool] = True

    target: str
    sku: str
    before: tuple[str, ...]
    after: tuple[str, ...]

    @property
    def upn(self) -> str | None:
        """The user whose license it changes, or None for a group's."""
        return self.target.removeprefix(USER) if self.target.startswith(USER) else None

    @property
    def group(self) -> str | None:
        """The group whose license it changes, or None for a user's."""
        return self.target.removeprefix(GROUP) if self.target.startswith(GROUP) else None

    @property
    def address(self) -> str:
        """`user/UPN/SKU` or `group/NAME/SKU`."""
        return f"{self.target}/{self.sku}"

    @property
    def json_before(self) -> Fields:
        """`{disabledPlans}` as they are."""
        return {"disabledPlans": list(self.before)}

    @property
    def json_after(self) -> Fields:
        """`{disabledPlans}` as the action leaves them."""
        return {"disabledPlans": list(self.after)}

    @classmethod
    def parse(cls, address: str, before: Any, after: Any) -> Self:
        """From a saved plan."""
        target, _, sku = address.rpartition("/")
        if not target.startswith((USER, GROUP)):
            raise ValueError(f"not a user's or a group's license: {address}")
        return cls(target, sku, tuple(before["disabledPlans"]), tuple(after["disabledPlans"]))

    def carry_out(self, provider: Writer, key: str | None) -> bool:
        """Set the disabled plans; False when they are so already."""
        if self.upn is not None:
            return provider.set_user_disabled_plans(self.upn, self.sku, self.after)
        return provider.set_group_disabled_plans(self.group or "", self.sku, self.after)
