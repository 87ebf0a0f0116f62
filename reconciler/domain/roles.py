"""Which billing roles Microsoft documents for each money action, per agreement.

Only what a source states is required (docs/rules.md names each one); where no role is
documented (Communications Credits, Enterprise Agreements), none is checked. The planner uses
this to refuse before apply, the simulator to refuse at apply, the manual steps to name the role.
"""

from __future__ import annotations

from dataclasses import dataclass

from .commerce_actions import PurchaseSubscription, ScheduleSeats, SetAutoRenew, SetPayAsYouGo, SetSeats, SetTerm

MCA_BILLING = frozenset(
    {"BillingAccountOwner", "BillingAccountContributor", "BillingProfileOwner", "BillingProfileContributor"}
)
MOSA_BILLING = frozenset({"BillingAdministrator", "GlobalAdministrator"})
PARTNER_SALES = frozenset({"AdminAgent", "SalesAgent"})
PARTNER_ADMIN = frozenset({"AdminAgent"})

ROLE_NAMES = {
    "BillingAccountOwner": "Billing account owner",
    "BillingAccountContributor": "Billing account contributor",
    "BillingProfileOwner": "Billing profile owner",
    "BillingProfileContributor": "Billing profile contributor",
    "BillingAdministrator": "Billing Administrator",
    "GlobalAdministrator": "Global Administrator",
    "AdminAgent": "the partner's Admin agent",
    "SalesAgent": "the partner's Sales agent",
    "BillingAccountReader": "Billing account reader",
}

# Keyed by the action's JSON type, which is also what the simulator checks a write against.
_SUBSCRIPTION_CHANGES = (PurchaseSubscription.kind, SetSeats.kind, ScheduleSeats.kind, SetTerm.kind)


@dataclass(frozen=True)
class Requirement:
    """Any one of `roles` may do the action; `source` is the article that says so."""

    roles: frozenset[str]
    source: str

    def describe(self) -> str:
        """`one of: Billing account owner, Billing account contributor`, or the one role."""
        names = [ROLE_NAMES.get(r, r) for r in sorted(self.roles)]
        return names[0] if len(names) == 1 else "one of: " + ", ".join(names)

    def allows(self, held: frozenset[str] | set[str] | tuple[str, ...]) -> bool:
        """True when one of `held` is enough."""
        return bool(self.roles & set(held))


_RULES: dict[tuple[str, str], Requirement] = {}
for _kind in _SUBSCRIPTION_CHANGES:
    _RULES[("MCA", _kind)] = Requirement(MCA_BILLING, "Buy or remove licenses for a Microsoft business subscription")
    _RULES[("MOSA", _kind)] = Requirement(MOSA_BILLING, "Buy or remove licenses for a Microsoft business subscription")
    _RULES[("NCE", _kind)] = Requirement(
        PARTNER_SALES, "New commerce experience cancellation policy; Manage customer subscriptions (Partner Center)"
    )
# Partner Center's auto-renew page names no role (docs/rules.md T14), so NCE checks none.
_RULES[("MCA", SetAutoRenew.kind)] = Requirement(
    MCA_BILLING, "Manage recurring billing in the Microsoft 365 admin center"
)
_RULES[("MOSA", SetAutoRenew.kind)] = Requirement(
    MOSA_BILLING, "Manage recurring billing in the Microsoft 365 admin center"
)
_RULES[("MCA", SetPayAsYouGo.kind)] = Requirement(MCA_BILLING, "Enable pay-as-you-go for your subscription")
_RULES[("NCE", SetPayAsYouGo.kind)] = Requirement(PARTNER_ADMIN, "New commerce overage for telco pay-as-you-go")


def required(action_type: str, agreement: str) -> Requirement | None:
    """The documented roles for `action_type` under `agreement`, or None when no role is documented."""
    return _RULES.get((agreement, action_type))
