"""Licensing facts the group-licensing part of tests/fakegraph.py needs beyond tests/fakegraph_plans.py:
each SKU's service plans (for subscribedSkus.servicePlans and disabledPlans), the service plans that cannot
be held together, the SKUs sold only in some usage locations, and the project's snapshot extensions for
groups. Written from Microsoft's documentation (addresses below), independently of reconciler/.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from fakegraph_plans import CALLING_PLANS, SKUS

# Microsoft's published CSV ("Product names and service plan identifiers for licensing.csv", linked from
# https://learn.microsoft.com/entra/identity/users/licensing-service-plan-reference), when the project has
# a copy. Read with the csv module only: the fake never imports reconciler for its licensing facts.
CSV_PATH = Path(__file__).resolve().parent.parent / "reconciler" / "data" / "licensing-service-plans.csv"

# "Service plans that cannot be assigned at the same time" (same page, last section): "When using
# group-based licensing, you experience this error condition ... When using PowerShell, you see the
# MutuallyExclusiveViolation error." Only the Skype for Business calling-plan table is on by default:
# the page itself says its tables are not kept up to date ("Microsoft does not plan to update them"), it
# lifts the Microsoft Entra table, calls SharePoint Plan 1 with Plan 2 only "not recommended", and its one
# worked example (Exchange Online Plan 1 with Plan 2) is contradicted by "Now, both service plans have been
# updated to allow duplication" in
# https://learn.microsoft.com/entra/identity/users/licensing-groups-resolve-problems#conflicting-service-plans.
# The calling-plan table (MCOPSTN1, MCOPSTN2, MCOPSTN5) is contradicted nowhere.
EXCLUSIVE_CALLING_PLANS = frozenset(
    p for p, name in CALLING_PLANS.items() if name in ("MCOPSTN1", "MCOPSTN2", "MCOPSTN5")
)
EXCLUSIVE_PLANS: tuple[frozenset[str], ...] = (EXCLUSIVE_CALLING_PLANS,)
# The page's other tables, for a test that wants them (FakeGraph(exclusive_plans=DOCUMENTED_EXCLUSIVE_PLANS)).
DOCUMENTED_EXCLUSIVE_PLANS: tuple[frozenset[str], ...] = (
    EXCLUSIVE_CALLING_PLANS,
    frozenset(  # Dynamics CRM
        {
            "119cf168-b6cf-41fb-b82e-7fee7bae5814",
            "bf36ca64-95c6-4918-9275-eb9f4ce2c04f",
            "f9646fb2-e3b2-4309-95de-dc4833737456",
            "056a5f80-b4e0-4983-a8be-7ad254a113c9",
            "2da8e897-7791-486b-b08f-cc63c8129df7",
            "6a54b05e-4fab-40e7-9828-428db3b336fa",
            "ba5f0cfa-d54a-4ea0-8cf4-a7e1dc4423d8",
        }
    ),
    frozenset(  # Exchange Online
        {
            "90927877-dcff-4af6-b346-2332c0b15bb7",
            "da040e0a-b393-4bea-bb76-928b3fa1cf5a",
            "4a82b400-a79f-41a4-b4e2-e94f5787b113",
            "1126bef5-da20-4f07-b45e-ad25d2581aa8",
            "9aaf7827-d63c-4b61-89c3-182f06f82e5c",
            "fc52cc4b-ed7d-472d-bbe7-b081c23ecc56",
        }
    ),
    frozenset({"bea4c11e-220a-4e6d-8eb8-8ea15d019f90", "6a76346d-5d6e-4051-9fe3-ed3f312b5597"}),  # RMS
    frozenset(  # Intune
        {
            "c1ec4a95-1f05-45b3-a911-aa3fa01094f5",
            "3e170737-c728-4eae-bbb9-3f3360f7184c",
            "2dc63b8a-df3d-448f-b683-8655877c9360",
        }
    ),
    frozenset(  # SharePoint Online
        {
            "afcafa6a-d966-4462-918c-ec0b4e0fe642",
            "a361d6e2-509e-4e25-a8ad-950060064ef4",
            "902b47e5-dcb2-4fdc-858b-c63a90a2bdb9",
            "5dbe027f-2339-4123-9542-606e4d348a72",
            "63038b2c-28d0-45f6-bc36-33062963b498",
            "6b5b6a67-fc72-4a1f-a2b5-beecf05de761",
            "a1f3d0a8-84c0-4ae0-bae4-685917b8ab48",
            "c7699d2e-19aa-44de-8edf-1736da088ca1",
            "0a4983bb-d3e5-4a09-95d8-b2d0127b3df5",
            "4c9efd0c-8de7-4c71-8295-9f5fdb0dd048",
        }
    ),
    frozenset(  # Skype for Business
        {
            "afc06cb0-b4f4-4473-8286-d644f70d8faf",
            "b2669e95-76ef-4e7e-a367-002f60a39f3e",
            "0feaeb32-d00e-4d66-bd5a-43b5b83db82c",
            "70710b6b-3ab4-4a38-9f6d-9f169461650a",
        }
    ),
    frozenset(  # Yammer
        {
            "7547a3fe-08ee-4ccb-b430-5077c5041653",
            "2078e8df-cff6-4290-98cb-5408261a760a",
            "41bf139a-4e60-409f-9346-a1361efc6dfb",
        }
    ),
)

# SKUs sold for some usage locations only ("Some Microsoft services aren't available in all locations",
# licensing-groups-resolve-problems#usage-location-isnt-allowed). The pay-as-you-go Calling Plan is sold per
# country zone; zone 1 is taken as US, PR, GB and CA, as the project's brief states it (Microsoft's zone list
# was not found verbatim in the documentation searched).
ZONE_1 = frozenset({"US", "PR", "GB", "CA"})
USAGE_RESTRICTIONS: dict[str, frozenset[str]] = {
    "Microsoft_Teams_Calling_Plan_pay_as_you_go_(country_zone_1_US)": ZONE_1
}


@cache
def _csv_plans() -> dict[str, tuple[str, dict[str, str]]]:
    """String_Id -> (GUID, {Service_Plan_Id: Service_Plan_Name}) from Microsoft's CSV, if the project has it."""
    table: dict[str, tuple[str, dict[str, str]]] = {}
    if not CSV_PATH.is_file():
        return table
    with CSV_PATH.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            part, guid = (row.get("String_Id") or "").strip(), (row.get("GUID") or "").strip().lower()
            plan, name = (
                (row.get("Service_Plan_Id") or "").strip().lower(),
                (row.get("Service_Plan_Name") or "").strip(),
            )
            if part and guid and plan:
                table.setdefault(part, (guid, {}))[1][plan] = name
    return table


def service_plans(part: str) -> dict[str, str]:
    """servicePlanId -> servicePlanName of a SKU: fakegraph_plans.SKUS first, then Microsoft's CSV; {} if unknown."""
    if part in SKUS:
        return dict(SKUS[part].plans)
    found = _csv_plans().get(part)
    return dict(found[1]) if found else {}


def enabled_plans(assignments: Iterable[tuple[str, Iterable[str]]]) -> set[str]:
    """Service plans enabled by (skuPartNumber, disabledPlans) assignments: a plan is enabled if any assignment
    enables it (licensing-group-advanced: overlapping licenses "result in all enabled services being applied")."""
    enabled: set[str] = set()
    for part, disabled in assignments:
        enabled |= set(service_plans(part)) - {d.lower() for d in disabled}
    return enabled


def plan_ids(part: str, plans: Iterable[str]) -> list[str]:
    """Service plan names (or ids) of a SKU -> ids, through the SKU's service plans; ValueError if unknown."""
    known = service_plans(part)
    by_name = {name.lower(): pid for pid, name in known.items()}
    ids = []
    for plan in plans:
        text = str(plan).strip()
        try:
            pid = str(uuid.UUID(text))
        except ValueError:
            pid = by_name.get(text.lower(), "")
        if not pid or (known and pid not in known):
            raise ValueError(f"{part} has no service plan {plan!r}")
        ids.append(pid)
    return ids


def license_entry(entry: Any) -> tuple[str, list[str]]:
    """A snapshot's license entry, a SKU name or {sku, disabledPlans}, as (sku, [plan names or ids])."""
    if isinstance(entry, str):
        return entry, []
    if isinstance(entry, dict) and isinstance(entry.get("sku"), str):
        return entry["sku"], [str(p) for p in entry.get("disabledPlans") or []]
    raise ValueError(f"a license is a SKU name or {{sku, disabledPlans}}, not {entry!r}")


def group_id(name: str) -> str:
    """A stable id for a group given without one: uuid5 of its name."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"group:{name}"))


def snapshot_groups(
    state: dict[str, Any], canonical: Callable[[str], str]
) -> tuple[list[dict[str, Any]], dict[str, set[str]]]:
    """state.groups of a project snapshot as FakeGraph(groups=...) entries, and each SKU's would-be holders
    (upn, lower case) through those groups, for seat counts. Names go through `canonical` (the product's aliases)."""
    groups, holders = [], dict[str, set[str]]()
    for raw in state.get("groups") or []:
        entries = [license_entry(e) for e in raw.get("licenses") or []]
        licenses: list[dict[str, Any]] = [{"sku": canonical(sku), "disabledPlans": plans} for sku, plans in entries]
        members = [str(m) for m in raw.get("members") or []]
        groups.append(
            {
                **{k: v for k, v in raw.items() if k not in ("licenses", "members")},
                "licenses": licenses,
                "members": members,
            }
        )
        for lic in licenses:
            holders.setdefault(lic["sku"], set()).update(m.lower() for m in members if "@" in m)
    return groups, holders
