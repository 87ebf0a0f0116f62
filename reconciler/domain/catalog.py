"""The SKU catalog: what each license is, what it provides and what it needs.

Facts from Microsoft's "product names and service plan identifiers" table and the seed
articles (see shared/reference). A capability is a service a user gets from a license;
prerequisites are expressed as "needs any SKU that provides one of these capabilities",
because Teams Phone can come from MCOEV or from a bundle such as E5.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache

TEAMS_PHONE = "teams_phone"
CALLING_PLAN = "calling_plan"
AUDIO_CONFERENCING = "audio_conferencing"

CREDITS_SKU = "MCOPSTNC"
SKU_ALIASES = {"MCOPSTNPP": CREDITS_SKU}  # some Microsoft tables name Communications Credits so


@dataclass(frozen=True)
class Sku:
    """One catalog entry."""

    part_number: str
    sku_id: str
    name: str
    provides: frozenset[str] = frozenset()
    requires_any: frozenset[str] = frozenset()  # empty: no prerequisite
    pay_as_you_go: bool = False  # tagged "PAY-AS-YOU-GO AVAILABLE"
    agreements: frozenset[str] | None = None  # None: any agreement
    needs_credits: bool = False  # used only with Communications Credits set up (any agreement)
    # No included minutes: prepaid agreements pay every minute from credits; MCA and NCE pay them
    # after use, through the pay-as-you-go (overage) option.
    minutes_billed: bool = False
    countries: frozenset[str] | None = None  # usage locations it may be assigned in; None: anywhere


_AGREEMENTS_EA = frozenset({"EA"})
# Agreements whose calls are paid from a prepaid Communications Credits balance; MCA and NCE are
# billed after use instead (docs/rules.md).
PREPAID_CREDITS = frozenset({"EA", "MOSA"})
# "Pay-As-You-Go Calling Plan Zone 1: for users in the United States and Puerto Rico, United
# Kingdom, and Canada" (Microsoft Teams Calling Plans).
_ZONE_1 = frozenset({"US", "PR", "GB", "CA"})
_SUITE_WITH_CALLING = frozenset({TEAMS_PHONE, CALLING_PLAN, AUDIO_CONFERENCING})

_SKUS = (
    Sku(
        "ENTERPRISEPREMIUM",
        "c7df2760-2c81-4ef7-b578-5b5392b571df",
        "Office 365 E5",
        provides=frozenset({TEAMS_PHONE, AUDIO_CONFERENCING}),
    ),
    Sku(
        "ENTERPRISEPREMIUM_NOPSTNCONF",
        "26d45bd9-adf1-46cd-a9e1-51e9a5524128",
        "Office 365 E5 without Audio Conferencing",
        provides=frozenset({TEAMS_PHONE}),
    ),
    Sku(
        "SPE_E5",
        "06ebc4ee-1bb5-47dd-8120-11324bc54e06",
        "Microsoft 365 E5",
        provides=frozenset({TEAMS_PHONE, AUDIO_CONFERENCING}),
    ),
    Sku("SPE_E3", "05e9a617-0261-4cee-bb44-138d3ef5d965", "Microsoft 365 E3"),
    Sku("ENTERPRISEPACK", "6fd2c87f-b296-42f0-b197-1e91e994b900", "Office 365 E3"),
    Sku(
        "MCOEV",
        "e43b5b99-8dfb-405f-9987-dc307f34bcbd",
        "Microsoft Teams Phone Standard",
        provides=frozenset({TEAMS_PHONE}),
    ),
    Sku(
        "MCOTEAMS_ESSENTIALS",
        "ae2343d1-0999-43f6-ae18-d816516f6e78",
        "Teams Phone with Calling Plan",
        provides=frozenset({TEAMS_PHONE, CALLING_PLAN}),
        pay_as_you_go=True,
    ),
    Sku(
        "MCOPSTN1",
        "0dab259f-bf13-4952-b7f8-7db8f131b28d",
        "Domestic Calling Plan",
        provides=frozenset({CALLING_PLAN}),
        requires_any=frozenset({TEAMS_PHONE}),
        pay_as_you_go=True,
    ),
    Sku(
        "MCOPSTN2",
        "d3b4fe1f-9992-4930-8acb-ca6ec609365e",
        "Domestic and International Calling Plan",
        provides=frozenset({CALLING_PLAN}),
        requires_any=frozenset({TEAMS_PHONE}),
        pay_as_you_go=True,
    ),
    Sku(
        "MCOPSTN5",
        "54a152dc-90de-4996-93d2-bc47e670fc06",
        "Domestic Calling Plan (120 min)",
        provides=frozenset({CALLING_PLAN}),
        requires_any=frozenset({TEAMS_PHONE}),
        pay_as_you_go=True,
    ),
    Sku(
        "MCOPSTN_6",
        "729dbb8f-8d56-4994-8e33-2f218f549544",
        "Domestic Calling Plan (240 min)",
        provides=frozenset({CALLING_PLAN}),
        requires_any=frozenset({TEAMS_PHONE}),
        pay_as_you_go=True,
    ),
    Sku(
        "Microsoft_Teams_Calling_Plan_pay_as_you_go_(country_zone_1_US)",
        "9b196e97-5830-4c2e-adc2-1e10ebf5dee5",
        "Teams Calling Plan pay-as-you-go (zone 1, US)",
        provides=frozenset({CALLING_PLAN}),
        requires_any=frozenset({TEAMS_PHONE}),
        pay_as_you_go=True,
        minutes_billed=True,
        countries=_ZONE_1,
    ),
    # Suites that include a calling plan, from Microsoft's licensing table (2025-10-29).
    Sku(
        "SPE_E5_CALLINGMINUTES",
        "a91fc4e0-65e5-4266-aa76-4037509c1626",
        "Microsoft 365 E5 with Calling Minutes",
        provides=_SUITE_WITH_CALLING,
        pay_as_you_go=True,
    ),
    Sku(
        "Microsoft_365_E5_EEA_(no_Teams)_with_Calling_Minutes",
        "6ee4114a-9b2d-4577-9e7a-49fa43d222d3",
        "Microsoft 365 E5 EEA (no Teams) with Calling Minutes",
        provides=_SUITE_WITH_CALLING,
        pay_as_you_go=True,
    ),
    Sku(
        "BUSINESS_VOICE_MED2",
        "a6051f20-9cbc-47d2-930d-419183bf6cf1",
        "Microsoft 365 Business Voice",
        provides=_SUITE_WITH_CALLING,
        pay_as_you_go=True,
    ),
    Sku(
        "BUSINESS_VOICE_MED2_TELCO",
        "08d7bce8-6e16-490e-89db-1d508e5e9609",
        "Microsoft 365 Business Voice (US)",
        provides=_SUITE_WITH_CALLING,
        pay_as_you_go=True,
    ),
    Sku(
        "BUSINESS_VOICE",
        "e5a17adf-8f0d-4b57-bc14-d331235f9307",
        "Microsoft 365 Business Voice (UK)",
        provides=_SUITE_WITH_CALLING,
        pay_as_you_go=True,
    ),
    Sku(
        "MCOMEETADV",
        "0c266dff-15dd-4b49-8397-2bb16070ed52",
        "Microsoft 365 Audio Conferencing",
        provides=frozenset({AUDIO_CONFERENCING}),
    ),
    Sku(
        "MCOMEETACPEA",
        "df9561a4-4969-4e6a-8e73-c601b68ec077",
        "Audio Conferencing Pay-Per-Minute (EA)",
        provides=frozenset({AUDIO_CONFERENCING}),
        agreements=_AGREEMENTS_EA,
        needs_credits=True,
    ),
    Sku(
        CREDITS_SKU,
        "47794cd0-f0e5-45c5-9033-2eb6b5fc84e0",
        "Communications Credits",
        requires_any=frozenset({CALLING_PLAN, AUDIO_CONFERENCING}),
        needs_credits=True,
    ),
)

CATALOG: dict[str, Sku] = {s.part_number: s for s in _SKUS}
BY_SKU_ID: dict[str, Sku] = {s.sku_id: s for s in _SKUS}


def canonical(part_number: str) -> str:
    """Resolve aliases (MCOPSTNPP -> MCOPSTNC); other names are returned unchanged."""
    return SKU_ALIASES.get(part_number, part_number)


def lookup(part_number: str) -> Sku | None:
    """The catalog entry for a skuPartNumber or alias, or None for SKUs we do not know."""
    return CATALOG.get(canonical(part_number))


def suggest(part_number: str) -> str | None:
    """The nearest known skuPartNumber, for a did-you-mean."""
    names = list(CATALOG) + list(SKU_ALIASES)
    upper = {n.upper(): n for n in names}
    if part_number.upper() in upper:
        return upper[part_number.upper()]
    match = difflib.get_close_matches(part_number.upper(), list(upper), n=1, cutoff=0.6)
    return upper[match[0]] if match else None


def capabilities(skus: frozenset[str] | set[str]) -> frozenset[str]:
    """Every capability provided by a set of SKUs (unknown SKUs provide nothing we know of)."""
    caps: set[str] = set()
    for part in skus:
        entry = CATALOG.get(part)
        if entry is not None:
            caps |= entry.provides
    return frozenset(caps)


def missing_prerequisite(sku: str, held: frozenset[str] | set[str]) -> frozenset[str]:
    """The capabilities `sku` needs that `held` (the user's other SKUs) does not provide.

    Empty when the prerequisites hold. Non-empty means none of the alternatives is held.
    """
    entry = CATALOG.get(sku)
    if entry is None or not entry.requires_any:
        return frozenset()
    if entry.requires_any & capabilities(set(held) - {sku}):
        return frozenset()
    return entry.requires_any


@cache
def uses_credits(sku: str) -> bool:
    """True for SKUs that may need Communications Credits set up first (MCOPSTNC, pay-per-minute,
    minutes billed from credits): their assignments go after the credits in a plan."""
    entry = CATALOG.get(sku)
    return entry is not None and (entry.needs_credits or entry.minutes_billed)


def needs_credits(sku: str, agreement: str) -> bool:
    """True when `sku` works under `agreement` only with Communications Credits set up."""
    entry = CATALOG.get(sku)
    return entry is not None and (entry.needs_credits or (entry.minutes_billed and agreement in PREPAID_CREDITS))


PAY_PER_MINUTE_CONFERENCING = "MCOMEETACPEA"


def needs_credits_license(held: frozenset[str]) -> bool:
    """True when `held` calls or dials out of meetings paid from credits but lacks MCOPSTNC.

    Pay-per-minute audio conferencing users need no Communications Credits license for it (seed 001).
    """
    if CREDITS_SKU in held:
        return False
    return bool(capabilities(held - {PAY_PER_MINUTE_CONFERENCING}) & {CALLING_PLAN, AUDIO_CONFERENCING})


def providers_of(caps: frozenset[str]) -> list[str]:
    """SKUs that provide any of `caps`, for hints such as "add MCOEV or ENTERPRISEPREMIUM"."""
    return sorted(s.part_number for s in _SKUS if s.provides & caps)


@cache
def tier(sku: str) -> int:
    """Depth in the prerequisite graph: 0 needs nothing, 1 needs a tier-0 SKU, and so on.

    Assignments run in increasing tier and removals in decreasing tier, so a user never
    holds a license whose prerequisite is missing (MCOPSTNC goes last on, first off).
    """
    entry = CATALOG.get(sku)
    if entry is None or not entry.requires_any:
        return 0
    return 1 + max(tier(s.part_number) for s in _SKUS if s.provides & entry.requires_any)


def describe_caps(caps: frozenset[str]) -> str:
    """Human words for a set of capabilities."""
    words = {TEAMS_PHONE: "Teams Phone", CALLING_PLAN: "a calling plan", AUDIO_CONFERENCING: "audio conferencing"}
    return " or ".join(words.get(c, c) for c in sorted(caps))
