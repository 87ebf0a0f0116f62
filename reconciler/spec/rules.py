"""The spec's business rules beyond its schema: RuleChecker builds a TenantSpec from a schema-valid
document while it collects every problem, each located at its file:line:col (loader.py runs it)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from ..domain import catalog
from ..domain.catalog import CREDITS_SKU
from ..domain.errors import Problem
from ..domain.model import (
    AutoRecharge,
    CreditsSpec,
    Guardrails,
    Subscription,
    TenantSpec,
    UserSpec,
    money,
)
from .commerce import check_one_overage, commerce_of
from .entries import Deferred, Entry
from .groups import spec_groups
from .licenses import known_sku, unknown_sku_hint
from .prices import price_list
from .salvage import Salvage
from .users import UserRules
from .yamlload import Document

Path_ = tuple[str | int, ...]


class RuleChecker(UserRules):
    """Business rules over a schema-valid document; builds the spec while collecting problems."""

    def __init__(self, doc: Document, entries: list[Entry | Deferred], rest: Salvage) -> None:
        self.doc = doc
        self.entries = entries
        self.rest = rest
        self.problems: list[Problem] = []
        self.trouble: list[Problem] = []  # of the rosters read here (Deferred): the files' and the schema's
        self.raw: dict[str, Any] = doc.data["spec"]
        self.agreement: str = self.raw["agreement"]
        # SKUs a misspelt subscription was probably meant to be, or declared by one with bad fields
        self.presumed: set[str] = set(rest.presumed)

    def fail(self, where: Path_, message: str, hint: str = "", key: bool = False, doc: Document | None = None) -> None:
        self.problems.append((doc or self.doc).problem(where, message, hint, key=key))

    def build(self) -> TenantSpec:
        subscriptions = self._subscriptions()
        credits = self._credits()
        managed = set(subscriptions) | ({CREDITS_SKU} if credits is not None or self.rest.credits_unknown else set())
        profiles = self._profiles(managed)
        groups = spec_groups(
            self.raw.get("groups") or [], lambda where, raw: self._license_list(where, raw, managed), self.fail
        )
        # A user's prerequisite may come from a group they are in: membership is only known at plan time.
        self.from_groups = catalog.capabilities(frozenset().union(*(g.licenses for g in groups)))
        users = self._users(managed, profiles)
        self._skus_need(subscriptions, credits)
        self._seats(subscriptions, users)
        meta = self.doc.data["metadata"]
        currency = self.raw.get("currency", "USD")
        managed_subscriptions = [(i, catalog.canonical(raw["sku"])) for i, raw in self._subscription_items()]
        commerce = commerce_of(meta, self.raw, managed_subscriptions, self.fail)
        check_one_overage(self.raw, self.fail)
        return TenantSpec(
            name=meta["name"],
            tenant_id=meta.get("tenantId"),
            agreement=self.agreement,
            currency=currency,
            subscriptions=subscriptions,
            credits=credits,
            users=users,
            prune=bool(self.raw.get("prune", False)),
            source=self.doc.path,
            missing_users=self.raw.get("missingUsers", "error"),
            prices=price_list(currency, self._price_overrides()),
            guardrails=self._guardrails(),
            commerce=commerce,
            groups=groups,
        )

    def _subscription_items(self) -> list[tuple[int, dict[str, Any]]]:
        """spec.subscriptions with their indexes, less those salvage left out."""
        return [(i, raw) for i, raw in enumerate(self.raw.get("subscriptions") or []) if raw is not None]

    def _price_overrides(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for name, value in (self.raw.get("prices") or {}).items():
            if catalog.lookup(name) is None:
                near = catalog.suggest(name)
                self.fail(
                    ("spec", "prices", name),
                    f"unknown SKU '{name}'",
                    f"did you mean '{near}'?" if near else "see `tenantctl catalog`",
                    key=True,
                )
                continue
            out[catalog.canonical(name)] = money(value)
        return out

    def _guardrails(self) -> Guardrails:
        raw = self.raw.get("guardrails") or {}
        return Guardrails(
            max_monthly_increase=money(raw["maxMonthlyIncrease"]) if "maxMonthlyIncrease" in raw else None,
            max_seats_per_subscription=raw.get("maxSeatsPerSubscription"),
            max_funds_per_apply=money(raw["maxFundsPerApply"]) if "maxFundsPerApply" in raw else None,
        )

    def _known_sku(self, where: Path_, name: str, doc: Document | None = None) -> str | None:
        """The canonical skuPartNumber (of a SKU named by part number or id), or None after reporting an unknown one."""
        sku = known_sku(name)
        if sku is not None:
            return sku
        self.fail(where, f"unknown SKU '{name}'", unknown_sku_hint(name), doc=doc)
        return None

    def _subscriptions(self) -> dict[str, Subscription]:
        out: dict[str, Subscription] = {}
        for i, raw in self._subscription_items():
            where: Path_ = ("spec", "subscriptions", i)
            sku = self._known_sku(where + ("sku",), raw["sku"])
            if sku is None:
                near = catalog.suggest(raw["sku"])
                if near is not None:
                    self.presumed.add(near)
                continue
            if sku == CREDITS_SKU:
                self.fail(
                    where + ("sku",),
                    "MCOPSTNC licenses come with Communications Credits, not a subscription",
                    "declare spec.communicationsCredits instead",
                )
                continue
            if sku in out:
                self.fail(where + ("sku",), f"duplicate subscription '{sku}'", "each SKU may appear once")
                continue
            # A SKU only Microsoft's table knows has no rule of tenantctl's: no overage, any agreement.
            entry = catalog.lookup(sku) or catalog.Sku(sku, "", sku)
            if "payAsYouGo" in raw and not entry.pay_as_you_go:
                self.fail(
                    where + ("payAsYouGo",),
                    f"{sku} does not offer pay-as-you-go overage",
                    "only calling plans tagged PAY-AS-YOU-GO AVAILABLE do; remove payAsYouGo",
                    key=True,
                )
            elif "payAsYouGo" in raw and self.agreement in catalog.PREPAID_CREDITS:
                self.fail(
                    where + ("payAsYouGo",),
                    f"the pay-as-you-go option is not offered under {self.agreement}: "
                    "it is for MCA billing accounts (admin center) and NCE subscriptions (the partner's "
                    "Manage Overage)",
                    "remove payAsYouGo; under EA and MOSA, minutes past a plan's "
                    "allowance are paid from Communications Credits (spec.communicationsCredits)",
                    key=True,
                )
            elif (
                entry.minutes_billed
                and self.agreement not in catalog.PREPAID_CREDITS
                and raw.get("payAsYouGo") is not True
            ):
                self.fail(
                    where + (("payAsYouGo",) if "payAsYouGo" in raw else ()),
                    f"{sku} includes no outgoing "
                    f"minutes: under {self.agreement} they are billed after use only with pay-as-you-go on, "
                    "so without it its users could not call out",
                    "declare payAsYouGo: true",
                    key="payAsYouGo" in raw,
                )
            if raw.get("term") == "P1M" and raw.get("billingFrequency") == "annual":
                self.fail(
                    where + ("billingFrequency",),
                    "a monthly term (P1M) is billed monthly, not annually",
                    "use billingFrequency: monthly, or an annual term (P1Y, P3Y) to pay annually",
                )
            if entry.agreements is not None and self.agreement not in entry.agreements:
                self.fail(
                    where + ("sku",),
                    f"{sku} is only sold under {'/'.join(sorted(entry.agreements))} agreements, not {self.agreement}",
                    "pay-per-minute audio conferencing is for volume-licensing customers; use MCOMEETADV instead",
                )
            out[sku] = Subscription(
                sku=sku,
                seats=raw["seats"],
                term=raw.get("term"),
                billing_frequency=raw.get("billingFrequency"),
                pay_as_you_go=raw.get("payAsYouGo"),
                auto_renew=raw.get("autoRenew"),
            )
        return out

    def _credits(self) -> CreditsSpec | None:
        raw = self.raw.get("communicationsCredits")
        if raw is None:
            return None
        where: Path_ = ("spec", "communicationsCredits")
        if self.agreement == "NCE":
            self.fail(
                where,
                "NCE calling subscriptions cannot buy Communications Credits",
                "NCE bills overage minutes after use: remove communicationsCredits and set "
                "payAsYouGo on the calling plan",
                key=True,
            )
        auto = raw.get("autoRecharge")
        recharge = None
        if auto is not None:
            if auto["enabled"]:
                for name in ("triggerBelow", "amount"):
                    if name not in auto:
                        self.fail(
                            where + ("autoRecharge",), f"missing '{name}': required when auto-recharge is enabled"
                        )
            recharge = AutoRecharge.from_dict(auto)
        if self.agreement == "MCA":
            self._mca_credits(where, raw, recharge)
        minimum = money(raw["minimumBalance"]) if "minimumBalance" in raw else None
        return CreditsSpec(auto_recharge=recharge, minimum_balance=minimum)

    def _mca_credits(self, where: Path_, raw: dict[str, Any], recharge: AutoRecharge | None) -> None:
        """MCA bills Communications Credits usage afterwards: no funds, and auto-recharge must be off."""
        post_usage = "under an MCA, calls are billed after use"
        refills = (
            "with auto-recharge on, the balance refills itself and Microsoft's commerce system never "
            "switches to post-usage billing"
        )
        if "minimumBalance" in raw:
            self.fail(
                where + ("minimumBalance",),
                "MCA customers do not buy Communications Credits, so minimumBalance cannot be met by adding funds",
                f"remove minimumBalance: {post_usage}",
                key=True,
            )
        if recharge is None:
            self.fail(
                where,
                "MCA customers must turn Communications Credits auto-recharge off: declare "
                "autoRecharge: {enabled: false}",
                f"{post_usage}; {refills}",
                key=True,
            )
        elif recharge.enabled:
            self.fail(
                where + ("autoRecharge", "enabled"),
                "MCA customers must turn Communications Credits auto-recharge off, not on",
                f"write autoRecharge: {{enabled: false}}; {post_usage}; {refills}",
            )

    def _skus_need(self, subscriptions: dict[str, Subscription], credits: CreditsSpec | None) -> None:
        for i, raw in self._subscription_items():
            sku = catalog.canonical(raw["sku"])
            if (
                catalog.needs_credits(sku, self.agreement)
                and sku in subscriptions
                and credits is None
                and not self.rest.credits_unknown
            ):
                self.fail(
                    ("spec", "subscriptions", i, "sku"),
                    f"{sku} bills every minute against Communications Credits under {self.agreement}",
                    "declare spec.communicationsCredits",
                )

    def _seats(self, subscriptions: dict[str, Subscription], users: dict[str, UserSpec]) -> None:
        holders: Counter[str] = Counter()
        for held, n in Counter(user.licenses for user in users.values()).items():  # a few shared sets
            for sku in held:
                holders[sku] += n
        for i, raw in self._subscription_items():
            sub = subscriptions.get(catalog.canonical(raw["sku"]))
            if sub is not None and holders[sub.sku] > sub.seats:
                self.fail(
                    ("spec", "subscriptions", i, "seats"),
                    f"{holders[sub.sku]} listed "
                    f"user{'s hold' if holders[sub.sku] != 1 else ' holds'} {sub.sku} but seats is {sub.seats}",
                    f"raise seats to at least {holders[sub.sku]}",
                )
