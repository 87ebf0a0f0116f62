"""Stage 1: load the desired state (`kind: Tenant`) and check it against the business rules.

Every problem is collected with its file:line:col before anything is raised, so a user fixes
a spec in one pass. The rules come from the seed articles (see shared/reference).
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import catalog
from .catalog import CREDITS_SKU
from .countries import ISO_3166_ALPHA2
from .errors import Problem, ValidationError
from .model import AutoRecharge, CreditsSpec, Guardrails, Subscription, TenantSpec, UserSpec, money
from .prices import price_list
from .schema import validate
from .yamlload import Document, load_file

Path_ = tuple[str | int, ...]


def load_spec(path: str | Path) -> TenantSpec:
    """Read, schema-check and rule-check a Tenant spec; raise ValidationError listing every problem."""
    doc = load_file(path)
    return spec_from_document(doc)


def spec_from_document(doc: Document) -> TenantSpec:
    """Build a TenantSpec from parsed YAML, or raise ValidationError."""
    if not isinstance(doc.data, dict):
        raise ValidationError([doc.problem((), "expected a mapping with apiVersion, kind, metadata, spec")])
    if doc.data.get("kind") == "TenantSnapshot":
        raise ValidationError([doc.problem(("kind",), "this is a TenantSnapshot (observed state), not a Tenant spec",
                                           "load it with `tenantctl snapshot load`")])
    problems = validate(doc, "tenant")
    if problems:
        raise ValidationError(problems)
    checker = _RuleChecker(doc)
    spec = checker.build()
    if checker.problems:
        raise ValidationError(checker.problems)
    return spec


class _RuleChecker:
    """Business rules over a schema-valid document; builds the spec while collecting problems."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.problems: list[Problem] = []
        self.raw: dict[str, Any] = doc.data["spec"]
        self.agreement: str = self.raw["agreement"]
        self.presumed: set[str] = set()  # SKUs a misspelt subscription was probably meant to be

    def fail(self, where: Path_, message: str, hint: str = "", key: bool = False) -> None:
        self.problems.append(self.doc.problem(where, message, hint, key=key))

    def build(self) -> TenantSpec:
        subscriptions = self._subscriptions()
        credits = self._credits()
        managed = set(subscriptions) | ({CREDITS_SKU} if credits is not None else set())
        profiles = self._profiles(managed)
        users = self._users(managed, profiles)
        self._skus_need(subscriptions, credits)
        self._seats(subscriptions, users)
        meta = self.doc.data["metadata"]
        currency = self.raw.get("currency", "USD")
        return TenantSpec(
            name=meta["name"], tenant_id=meta.get("tenantId"), agreement=self.agreement,
            currency=currency, subscriptions=subscriptions, credits=credits,
            users=users, prune=bool(self.raw.get("prune", False)), source=self.doc.path,
            prices=price_list(currency, self._price_overrides()), guardrails=self._guardrails(),
        )

    def _price_overrides(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for name, value in (self.raw.get("prices") or {}).items():
            if catalog.lookup(name) is None:
                near = catalog.suggest(name)
                self.fail(("spec", "prices", name), f"unknown SKU '{name}'",
                          f"did you mean '{near}'?" if near else "see `tenantctl catalog`", key=True)
                continue
            out[catalog.canonical(name)] = money(value)
        return out

    def _guardrails(self) -> Guardrails:
        raw = self.raw.get("guardrails") or {}
        return Guardrails(
            max_monthly_increase=money(raw["maxMonthlyIncrease"]) if "maxMonthlyIncrease" in raw else None,
            max_seats_per_subscription=raw.get("maxSeatsPerSubscription"),
            max_funds_per_apply=money(raw["maxFundsPerApply"]) if "maxFundsPerApply" in raw else None)

    def _known_sku(self, where: Path_, name: str) -> str | None:
        """The canonical skuPartNumber, or None after reporting an unknown one."""
        if catalog.lookup(name) is not None:
            return catalog.canonical(name)
        near = catalog.suggest(name)
        self.fail(where, f"unknown SKU '{name}'", f"did you mean '{near}'?" if near else
                  "see `tenantctl catalog` for the SKUs tenantctl manages")
        return None

    def _subscriptions(self) -> dict[str, Subscription]:
        out: dict[str, Subscription] = {}
        for i, raw in enumerate(self.raw.get("subscriptions") or []):
            where: Path_ = ("spec", "subscriptions", i)
            sku = self._known_sku(where + ("sku",), raw["sku"])
            if sku is None:
                near = catalog.suggest(raw["sku"])
                if near is not None:
                    self.presumed.add(near)
                continue
            if sku == CREDITS_SKU:
                self.fail(where + ("sku",), "MCOPSTNC licenses come with Communications Credits, not a subscription",
                          "declare spec.communicationsCredits instead")
                continue
            if sku in out:
                self.fail(where + ("sku",), f"duplicate subscription '{sku}'", "each SKU may appear once")
                continue
            entry = catalog.CATALOG[sku]
            if "payAsYouGo" in raw and not entry.pay_as_you_go:
                self.fail(where + ("payAsYouGo",), f"{sku} does not offer pay-as-you-go overage",
                          "only calling plans tagged PAY-AS-YOU-GO AVAILABLE do; remove payAsYouGo", key=True)
            if entry.agreements is not None and self.agreement not in entry.agreements:
                self.fail(where + ("sku",), f"{sku} is only sold under {'/'.join(sorted(entry.agreements))} "
                          f"agreements, not {self.agreement}", "pay-per-minute audio conferencing is for "
                          "volume-licensing customers; use MCOMEETADV instead")
            out[sku] = Subscription(sku=sku, seats=raw["seats"], term=raw.get("term", "P1Y"),
                                    billing_frequency=raw.get("billingFrequency", "monthly"),
                                    pay_as_you_go=raw.get("payAsYouGo"))
        return out

    def _credits(self) -> CreditsSpec | None:
        raw = self.raw.get("communicationsCredits")
        if raw is None:
            return None
        where: Path_ = ("spec", "communicationsCredits")
        if self.agreement == "NCE":
            self.fail(where, "NCE calling subscriptions cannot buy Communications Credits",
                      "NCE bills overage minutes after use: remove communicationsCredits and set "
                      "payAsYouGo on the calling plan", key=True)
        auto = raw.get("autoRecharge")
        recharge = None
        if auto is not None:
            if auto["enabled"]:
                for name in ("triggerBelow", "amount"):
                    if name not in auto:
                        self.fail(where + ("autoRecharge",), f"missing '{name}': required when auto-recharge "
                                  "is enabled")
            recharge = AutoRecharge(enabled=auto["enabled"],
                                    trigger_below=money(auto["triggerBelow"]) if "triggerBelow" in auto else None,
                                    amount=money(auto["amount"]) if "amount" in auto else None)
        if self.agreement == "MCA":
            if "minimumBalance" in raw:
                self.fail(where + ("minimumBalance",), "MCA customers do not buy credits, so minimumBalance "
                          "cannot be met by adding funds", "remove minimumBalance; keep auto-recharge enabled",
                          key=True)
            if recharge is None or not recharge.enabled:
                self.fail(where + (("autoRecharge", "enabled") if recharge else ()),
                          "MCA customers must enable auto-recharge",
                          "set autoRecharge: {enabled: true, triggerBelow: ..., amount: ...}")
        minimum = money(raw["minimumBalance"]) if "minimumBalance" in raw else None
        return CreditsSpec(auto_recharge=recharge, minimum_balance=minimum)

    def _profiles(self, managed: set[str]) -> dict[str, frozenset[str]]:
        out: dict[str, frozenset[str]] = {}
        for name, skus in (self.raw.get("licenseProfiles") or {}).items():
            out[name] = self._license_list(("spec", "licenseProfiles", name), skus, managed)
        return out

    def _license_list(self, where: Path_, names: list[str], managed: set[str]) -> frozenset[str]:
        seen: set[str] = set()
        for j, name in enumerate(names):
            sku = self._known_sku(where + (j,), name)
            if sku is None:
                continue
            if sku in seen:
                self.fail(where + (j,), f"'{name}' is listed twice")
            elif sku not in managed and sku not in self.presumed:
                hint = ("declare spec.communicationsCredits" if sku == CREDITS_SKU
                        else "add it to spec.subscriptions with a seat count")
                self.fail(where + (j,), f"{sku} is not a declared subscription", hint)
            seen.add(sku)
        return frozenset(seen)

    def _users(self, managed: set[str], profiles: dict[str, frozenset[str]]) -> dict[str, UserSpec]:
        out: dict[str, UserSpec] = {}
        for i, raw in enumerate(self.raw.get("users") or []):
            where: Path_ = ("spec", "users", i)
            upn: str = raw["upn"]
            key = upn.lower()
            if key in out:
                first = out[key].index
                self.fail(where + ("upn",), f"duplicate user '{upn}'", f"already listed as spec.users[{first}]; "
                          "UPNs are compared case-insensitively")
                continue
            licenses = set(self._license_list(where + ("licenses",), raw.get("licenses") or [], managed))
            profile = raw.get("profile")
            if profile is not None:
                if profile in profiles:
                    licenses |= profiles[profile]
                else:
                    near = [p for p in profiles if p.lower() == profile.lower()] or sorted(profiles)[:5]
                    self.fail(where + ("profile",), f"unknown license profile '{profile}'",
                              f"defined profiles: {', '.join(near)}" if near else "define it in spec.licenseProfiles")
            location = raw.get("usageLocation")
            if location is not None and location not in ISO_3166_ALPHA2:
                self.fail(where + ("usageLocation",), f"'{location}' is not an ISO 3166-1 country code",
                          "use the two-letter code, such as US, GB, DE, NO")
            if licenses and location is None:
                self.fail(where + ("usageLocation",), f"user '{upn}' is given licenses but no usageLocation",
                          "Microsoft 365 assigns licenses only to users with a usage location; add usageLocation")
            self._prerequisites(where, upn, frozenset(licenses))
            out[key] = UserSpec(upn=upn, usage_location=location, licenses=frozenset(licenses), index=i)
        return out

    def _prerequisites(self, where: Path_, upn: str, licenses: frozenset[str]) -> None:
        for sku in sorted(licenses):
            missing = catalog.missing_prerequisite(sku, licenses)
            if missing:
                options = ", ".join(catalog.providers_of(missing))
                self.fail(where + ("licenses",), f"{sku} for '{upn}' needs {catalog.describe_caps(missing)} "
                          "on the same user", f"also assign one of: {options}")

    def _skus_need(self, subscriptions: dict[str, Subscription], credits: CreditsSpec | None) -> None:
        for i, raw in enumerate(self.raw.get("subscriptions") or []):
            sku = catalog.canonical(raw["sku"])
            entry = catalog.lookup(sku)
            if entry is not None and entry.needs_credits and sku in subscriptions and credits is None:
                self.fail(("spec", "subscriptions", i, "sku"), f"{sku} bills every minute against "
                          "Communications Credits", "declare spec.communicationsCredits")

    def _seats(self, subscriptions: dict[str, Subscription], users: dict[str, UserSpec]) -> None:
        holders: Counter[str] = Counter()
        for user in users.values():
            holders.update(user.licenses)
        for i, raw in enumerate(self.raw.get("subscriptions") or []):
            sub = subscriptions.get(catalog.canonical(raw["sku"]))
            if sub is not None and holders[sub.sku] > sub.seats:
                self.fail(("spec", "subscriptions", i, "seats"), f"{holders[sub.sku]} listed users hold "
                          f"{sub.sku} but seats is {sub.seats}", f"raise seats to at least {holders[sub.sku]}")
