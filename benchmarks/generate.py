"""Generated tenants for the benchmarks: a snapshot and three specs (no change, 1 % changed, all changed),
each also with its users in a CSV roster and in a JSON roster.

The mix is a calling-enabled enterprise: 30 % Microsoft 365 E5, 70 % E3 of whom some have Teams
Phone Standard, a quarter of Teams Phone holders on a Domestic Calling Plan, and Communications
Credits (EA, funded) for one in eight of those. Written as text, not through a YAML dumper, so
generating 100,000 users takes a moment, not a minute.
"""

from __future__ import annotations

import json
from pathlib import Path

SKUS = ("SPE_E5", "SPE_E3", "MCOEV", "MCOPSTN1", "MCOPSTNC")


def licenses(i: int) -> list[str]:
    """User i's licenses in the snapshot (and in the no-change spec)."""
    held = ["SPE_E5"] if i % 10 < 3 else ["SPE_E3"]
    if 3 <= i % 10 < 6:
        held.append("MCOEV")
    phone = held[0] == "SPE_E5" or "MCOEV" in held
    if phone and i % 4 == 0:
        held.append("MCOPSTN1")
        if i % 8 == 0:
            held.append("MCOPSTNC")
    return held


def changed(held: list[str]) -> list[str]:
    """One license change that keeps every prerequisite: take credits or the calling plan away, or add one."""
    if "MCOPSTNC" in held:
        return [s for s in held if s != "MCOPSTNC"]
    if "MCOPSTN1" in held:
        return [s for s in held if s != "MCOPSTN1"]
    if "SPE_E5" in held or "MCOEV" in held:
        return [*held, "MCOPSTN1"]
    return [*held, "MCOEV"]


def _user(i: int, held: list[str]) -> str:
    return f"    - {{upn: user{i:06d}@bench.example, usageLocation: US, licenses: [{', '.join(held)}]}}"


def write_tenant(folder: Path, n: int) -> dict[str, Path]:
    """Write bench.snapshot.yaml and the three specs for an `n`-user tenant; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    subs = [f"    - {{sku: {sku}, seats: {n}, term: P1Y, billingFrequency: monthly}}" for sku in SKUS[:4]]
    snapshot = [
        "apiVersion: tenantctl/v1",
        "kind: TenantSnapshot",
        "metadata: {name: bench}",
        "state:",
        "  agreement: EA",
        "  currency: USD",
        "  billingRoles: [BillingAccountOwner]",
        "  subscriptions:",
        *[s.replace("}", ", payAsYouGo: false}") for s in subs],
        "  communicationsCredits:",
        "    autoRecharge: {enabled: false}",
        "    funds: [{purchased: 2026-06-01, amount: 1000, remaining: 800}]",
        "  users:",
        *[_user(i, licenses(i)) for i in range(n)],
    ]
    paths = {"snapshot": folder / "bench.snapshot.yaml"}
    paths["snapshot"].write_text("\n".join(snapshot) + "\n")
    head = [
        "apiVersion: tenantctl/v1",
        "kind: Tenant",
        "metadata: {name: bench}",
        "spec:",
        "  agreement: EA",
        "  subscriptions:",
        *subs,
        "  communicationsCredits: {minimumBalance: 100}",
        "  users:",
    ]
    for label, every in (("none", 0), ("one_percent", 100), ("all", 1)):
        held = [changed(licenses(i)) if every and i % every == 0 else licenses(i) for i in range(n)]
        paths[label] = folder / f"bench-{label}.yaml"
        paths[label].write_text("\n".join(head + [_user(i, h) for i, h in enumerate(held)]) + "\n")
        # The same users as rosters the spec names (`- file:`), in CSV and in JSON.
        for fmt in ("csv", "json"):
            roster = folder / f"bench-{label}.{fmt}"
            roster.write_text(_csv(held) if fmt == "csv" else _json(held))
            paths[f"{label}_{fmt}"] = folder / f"bench-{label}-{fmt}.yaml"
            paths[f"{label}_{fmt}"].write_text("\n".join(head + [f"    - file: {roster.name}"]) + "\n")
    return paths


def _csv(held: list[list[str]]) -> str:
    rows = ["upn,usageLocation,licenses"] + [f"user{i:06d}@bench.example,US,{';'.join(h)}" for i, h in enumerate(held)]
    return "\n".join(rows) + "\n"


def _json(held: list[list[str]]) -> str:
    rows = [
        json.dumps({"upn": f"user{i:06d}@bench.example", "usageLocation": "US", "licenses": h})
        for i, h in enumerate(held)
    ]
    return "[\n" + ",\n".join(rows) + "\n]\n"
