"""The user actions: a usage location, a license given, a license taken away.
(Disabled service plans, of a user's license or a group's, are group_actions.SetDisabledPlans.)

Microsoft Graph writes all three (batched per user, see apply/waves.py), so none is ever manual.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

from .action_base import ActionKind, Fields, Writer

USER = "user/"


@dataclass(frozen=True)
class UserAction(ActionKind):
    """A change to one user, named by UPN."""

    per_user: ClassVar[bool] = True
    graph_api: ClassVar[bool] = True

    upn: str


@dataclass(frozen=True)
class SetUsageLocation(UserAction):
    """Change the user's usage location (the country licenses are sold for) from `before` to `after`."""

    kind: ClassVar[str] = "set_usage_location"

    before: str | None
    after: str

    @property
    def address(self) -> str:
        """`user/UPN`."""
        return USER + self.upn

    @property
    def json_before(self) -> Fields:
        """`{usageLocation}` (null when none is set)."""
        return {"usageLocation": self.before}

    @property
    def json_after(self) -> Fields:
        """`{usageLocation}`."""
        return {"usageLocation": self.after}

    @classmethod
    def parse(cls, address: str, before: Any, after: Any) -> Self:
        """From a saved plan."""
        return cls(address.removeprefix(USER), before["usageLocation"], after["usageLocation"])

    def carry_out(self, provider: Writer, key: str | None) -> bool:
        """Set the location."""
        return provider.set_usage_location(self.upn, self.after)


@dataclass(frozen=True)
class LicenseAction(UserAction):
    """A license of `sku` given to or taken from the user (address `user/UPN/SKU`)."""

    sku: str

    @property
    def address(self) -> str:
        """`user/UPN/SKU`."""
        return f"{USER}{self.upn}/{self.sku}"

    @classmethod
    def parse(cls, address: str, before: Any, after: Any) -> Self:
        """From a saved plan: everything is in the address (a UPN never holds a `/`)."""
        upn, _, sku = address.removeprefix(USER).partition("/")
        return cls(upn, sku)


@dataclass(frozen=True)
class AssignLicense(LicenseAction):
    """Give the user a license, with the service plans in `disabled` switched off."""

    kind: ClassVar[str] = "assign_license"
    symbol: ClassVar[str] = "+"

    disabled: tuple[str, ...] = ()

    @property
    def json_before(self) -> Fields:
        """Nothing: not held."""
        return None

    @property
    def json_after(self) -> Fields:
        """`{sku}`, with `disabledPlans` when some are (plans written before it had none stay the same)."""
        return {"sku": self.sku, "disabledPlans": list(self.disabled)} if self.disabled else {"sku": self.sku}

    @classmethod
    def parse(cls, address: str, before: Any, after: Any) -> Self:
        """From a saved plan: the address, and the disabled plans."""
        upn, _, sku = address.removeprefix(USER).partition("/")
        return cls(upn, sku, tuple(after.get("disabledPlans", ())))

    def carry_out(self, provider: Writer, key: str | None) -> bool:
        """Assign it; False when held already."""
        return provider.assign_license(self.upn, self.sku, self.disabled)


@dataclass(frozen=True)
class RemoveLicense(LicenseAction):
    """Take a license from the user."""

    kind: ClassVar[str] = "remove_license"
    symbol: ClassVar[str] = "-"

    @property
    def json_before(self) -> Fields:
        """`{sku}`."""
        return {"sku": self.sku}

    @property
    def json_after(self) -> Fields:
        """Nothing: no longer held."""
        return None

    def carry_out(self, provider: Writer, key: str | None) -> bool:
        """Remove it; False when not held."""
        return provider.remove_license(self.upn, self.sku)
