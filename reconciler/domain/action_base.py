"""What every kind of action is: its facts, its JSON form, its parser and how it is carried out.

Each kind is a frozen dataclass (commerce_actions.py, user_actions.py) deriving from `ActionKind`.
Its facts are class constants, stated once, next to its fields; `actions.py` gathers the kinds
into the `Change` union and the registry. Modelled on Terraform's `plans.Action` and pyinfra's
command classes: the planner builds values, apply asks each value to carry itself out.

`Writer` is the part of a provider that carrying out needs. It is declared here, and
`providers.base.Provider` extends it, so the planner (which imports this module) never imports
a provider module.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from decimal import Decimal
from typing import Any, ClassVar, Protocol, Self

from .model import AutoRecharge


class Writer(Protocol):
    """A provider's writes: each idempotent, True when it changed the tenant, False when it was already so."""

    def purchase_subscription(
        self, sku: str, seats: int, term: str, billing_frequency: str, idempotency_key: str
    ) -> bool:
        """Buy a subscription once per key; False when that key was honoured or `sku` is owned."""

    def set_seats(self, sku: str, seats: int) -> bool:
        """Set the seat count (never below the seats consumed)."""

    def schedule_seats(self, sku: str, seats: int) -> bool:
        """Set the seat count the subscription renews with (the current count cancels a scheduled change)."""

    def set_term(self, sku: str, term: str, billing_frequency: str) -> bool:
        """Change term and billing frequency (effective at renewal)."""

    def set_pay_as_you_go(self, sku: str, enabled: bool) -> bool:
        """Turn pay-as-you-go overage on or off."""

    def set_auto_renew(self, sku: str, enabled: bool) -> bool:
        """Turn auto-renew (recurring billing) on or off."""

    def set_auto_recharge(self, recharge: AutoRecharge) -> bool:
        """Set Communications Credits auto-recharge."""

    def add_funds(self, amount: Decimal, idempotency_key: str) -> bool:
        """Add funds once per key; False when that key was already honoured."""

    def set_usage_location(self, upn: str, location: str) -> bool:
        """Set a user's usage location."""

    def assign_license(self, upn: str, sku: str, disabled: tuple[str, ...] = ()) -> bool:
        """Give a user a license with the service plans `disabled` off; False when held already."""

    def remove_license(self, upn: str, sku: str) -> bool:
        """Take a license from a user; False when not held."""

    def set_user_disabled_plans(self, upn: str, sku: str, disabled: tuple[str, ...]) -> bool:
        """Set the disabled service plans of a license the user holds directly."""

    def assign_group_license(self, group: str, sku: str, disabled: tuple[str, ...]) -> bool:
        """Give a group (named by display name or id) a license; False when it holds it already."""

    def remove_group_license(self, group: str, sku: str) -> bool:
        """Take a license from a group; False when it does not hold it."""

    def set_group_disabled_plans(self, group: str, sku: str, disabled: tuple[str, ...]) -> bool:
        """Set the disabled service plans of a license the group holds."""


Fields = dict[str, Any] | None  # an action's `before` or `after` in the public JSON


class ActionKind(ABC):
    """One kind of change to the tenant. Subclasses are frozen dataclasses and set the facts below.

    The defaults are the common case: shown as `~` (changed in place), no money moves, no
    idempotency key, tenant-level, and no Microsoft Graph call for it.
    """

    kind: ClassVar[str]  # the public JSON `type`
    symbol: ClassVar[str] = "~"  # + adds, - removes, ~ changes in place
    moves_money: ClassVar[bool] = False  # buys or resizes what is billed (actions.MONEY_ACTIONS)
    keyed: ClassVar[bool] = False  # carried out with an idempotency key, so a re-run never buys twice
    per_user: ClassVar[bool] = False  # changes one user; batch providers merge a user's actions
    graph_api: ClassVar[bool] = False  # Microsoft Graph can do it; otherwise a person does (manual steps)

    @property
    @abstractmethod
    def address(self) -> str:
        """What it changes: `subscription/SKU`, `communicationsCredits`, `user/UPN`, `user/UPN/SKU`."""

    @property
    @abstractmethod
    def json_before(self) -> Fields:
        """The managed fields as they are, exactly as the public JSON plan shows them (None: absent)."""

    @property
    @abstractmethod
    def json_after(self) -> Fields:
        """The managed fields as the action leaves them, exactly as the public JSON plan shows them."""

    @classmethod
    @abstractmethod
    def parse(cls, address: str, before: Any, after: Any) -> Self:
        """The value a saved plan's action holds. It may raise KeyError, TypeError or ValueError on a bad one,
        and need not check the rest: `actions.change_of` keeps the value only when its address and fields
        are exactly what was written."""

    @abstractmethod
    def carry_out(self, provider: Writer, key: str | None) -> bool:
        """Perform it through `provider`; `key` is the idempotency key (given to keyed kinds only).

        True when the tenant changed."""


def needs_key(kind: str, key: str | None) -> str:
    """`key`, which a keyed kind cannot be carried out without (a purchase must never run unkeyed)."""
    if key is None:
        raise ValueError(f"{kind} needs an idempotency key")
    return key
