"""Synthetic tenants, in one place for the tests and the benchmarks (benchmarks/run.py imports this).

Each tenant is a snapshot and specs written as YAML text, not through a YAML dumper: a dumper
takes a minute for 100,000 users, text takes a moment. The builders are small on purpose:
`snapshot_text` and `spec_text` write the documents, the `write_*` functions are the tenants the
suite and the benchmarks use.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

# The benchmark tenant's subscriptions, in the order they are written.
SKUS = ("SPE_E5", "SPE_E3", "MCOEV", "MCOPSTN1", "MCOPSTNC")


def user_line(upn: str, licenses: Sequence[str] | None = None, location: str | None = "US") -> str:
    """One user as a flow mapping in a `users:` list; no licenses and no location are left out."""
    fields = [f"upn: {upn}"]
    if location is not None:
        fields.append(f"usageLocation: {location}")
    if licenses is not None:
        fields.append(f"licenses: [{', '.join(licenses)}]")
    return f"    - {{{', '.join(fields)}}}"


def snapshot_text(name: str, agreement: str, body: Iterable[str], users: Iterable[str]) -> str:
    """A TenantSnapshot: `body` is the state's lines between the agreement and `users:`."""
    head = ["apiVersion: tenantctl/v1", "kind: TenantSnapshot", f"metadata: {{name: {name}}}", "state:"]
    return "\n".join([*head, f"  agreement: {agreement}", *body, "  users:", *users]) + "\n"


def spec_text(name: str, agreement: str, body: Iterable[str], users: Iterable[str], tenant_id: str = "") -> str:
    """A Tenant spec: `body` is the spec's lines between the agreement and `users:`."""
    metadata = f"metadata: {{name: {name}, tenantId: {tenant_id}}}" if tenant_id else f"metadata: {{name: {name}}}"
    head = ["apiVersion: tenantctl/v1", "kind: Tenant", metadata, "spec:"]
    return "\n".join([*head, f"  agreement: {agreement}", *body, "  users:", *users]) + "\n"


def subscription_lines(seats: dict[str, int], extra: str = "") -> list[str]:
    """`  subscriptions:` and one flow mapping per SKU; `extra` is appended inside each (", term: P1Y")."""
    return ["  subscriptions:", *[f"    - {{sku: {sku}, seats: {n}{extra}}}" for sku, n in seats.items()]]


# ---- the benchmark tenant: an enterprise with calling -------------------------------------------


def bench_licenses(i: int) -> list[str]:
    """User i's licenses in the snapshot (and in the no-change spec).

    30 % Microsoft 365 E5, 70 % E3 of whom some have Teams Phone Standard, a quarter of Teams Phone
    holders on a Domestic Calling Plan, and Communications Credits for one in eight of those.
    """
    held = ["SPE_E5"] if i % 10 < 3 else ["SPE_E3"]
    if 3 <= i % 10 < 6:
        held.append("MCOEV")
    phone = held[0] == "SPE_E5" or "MCOEV" in held
    if phone and i % 4 == 0:
        held.append("MCOPSTN1")
        if i % 8 == 0:
            held.append("MCOPSTNC")
    return held


def bench_changed(held: list[str]) -> list[str]:
    """One license change that keeps every prerequisite: take credits or the calling plan away, or add one."""
    if "MCOPSTNC" in held:
        return [s for s in held if s != "MCOPSTNC"]
    if "MCOPSTN1" in held:
        return [s for s in held if s != "MCOPSTN1"]
    if "SPE_E5" in held or "MCOEV" in held:
        return [*held, "MCOPSTN1"]
    return [*held, "MCOEV"]


def _bench_upn(i: int) -> str:
    return f"user{i:06d}@bench.example"


def write_bench_tenant(folder: Path, n: int) -> dict[str, Path]:
    """bench.snapshot.yaml and three specs (no change, 1 % changed, all changed) for an `n`-user EA tenant,
    each spec also with its users in a CSV roster and a JSON roster; returns the paths by name."""
    folder.mkdir(parents=True, exist_ok=True)
    term = ", term: P1Y, billingFrequency: monthly"
    seats = dict.fromkeys(SKUS[:4], n)
    state = [
        "  currency: USD",
        "  billingRoles: [BillingAccountOwner]",
        *subscription_lines(seats, term + ", payAsYouGo: false"),
        "  communicationsCredits:",
        "    autoRecharge: {enabled: false}",
        "    funds: [{purchased: 2026-06-01, amount: 1000, remaining: 800}]",
    ]
    paths = {"snapshot": folder / "bench.snapshot.yaml"}
    users = (user_line(_bench_upn(i), bench_licenses(i)) for i in range(n))
    paths["snapshot"].write_text(snapshot_text("bench", "EA", state, users))
    body = [*subscription_lines(seats, term), "  communicationsCredits: {minimumBalance: 100}"]
    for label, every in (("none", 0), ("one_percent", 100), ("all", 1)):
        held = [bench_changed(bench_licenses(i)) if every and i % every == 0 else bench_licenses(i) for i in range(n)]
        paths[label] = folder / f"bench-{label}.yaml"
        paths[label].write_text(
            spec_text("bench", "EA", body, (user_line(_bench_upn(i), h) for i, h in enumerate(held)))
        )
        # The same users as rosters the spec names (`- file:`), in CSV and in JSON.
        for fmt in ("csv", "json"):
            roster = folder / f"bench-{label}.{fmt}"
            roster.write_text(_bench_csv(held) if fmt == "csv" else _bench_json(held))
            paths[f"{label}_{fmt}"] = folder / f"bench-{label}-{fmt}.yaml"
            paths[f"{label}_{fmt}"].write_text(spec_text("bench", "EA", body, [f"    - file: {roster.name}"]))
    return paths


def _bench_csv(held: list[list[str]]) -> str:
    rows = ["upn,usageLocation,licenses"] + [f"{_bench_upn(i)},US,{';'.join(h)}" for i, h in enumerate(held)]
    return "\n".join(rows) + "\n"


def _bench_json(held: list[list[str]]) -> str:
    rows = [json.dumps({"upn": _bench_upn(i), "usageLocation": "US", "licenses": h}) for i, h in enumerate(held)]
    return "[\n" + ",\n".join(rows) + "\n]\n"


# ---- the tenants of the apply, crash and interrupt tests -----------------------------------------


def write_calling_tenant(folder: Path, users: int) -> Path:
    """An EA tenant where every user gets Teams Phone, a calling plan and credits, funds included.

    The snapshot has the users with nothing; the spec (faults.yaml, returned) licenses them all."""
    upns = [f"caller{i:05d}@faults.example" for i in range(users)]
    snapshot = snapshot_text(
        "faults", "EA", ["  billingRoles: [BillingAccountOwner]"], (user_line(u, None, None) for u in upns)
    )
    body = [
        *subscription_lines({"MCOEV": users, "MCOPSTN1": users}),
        "  communicationsCredits: {autoRecharge: {enabled: true, triggerBelow: 50, amount: 200}, minimumBalance: 300}",
    ]
    spec = spec_text("faults", "EA", body, (user_line(u, ["MCOEV", "MCOPSTN1", "MCOPSTNC"]) for u in upns))
    (folder / "faults.snapshot.yaml").write_text(snapshot)
    (folder / "faults.yaml").write_text(spec)
    return folder / "faults.yaml"


def write_big_tenant(folder: Path, users: int, removals: int) -> Path:
    """`users` users with Teams Phone; the spec (big.yaml, returned) adds E5 to all and takes MCOEV from
    the first `removals`."""
    upns = [f"user{i:05d}@big.example" for i in range(users)]
    snapshot = snapshot_text("big", "EA", subscription_lines({"MCOEV": users}), (user_line(u, ["MCOEV"]) for u in upns))
    spec = spec_text(
        "big",
        "EA",
        subscription_lines({"MCOEV": users, "ENTERPRISEPREMIUM": users}),
        (
            user_line(u, ["ENTERPRISEPREMIUM"] if i < removals else ["ENTERPRISEPREMIUM", "MCOEV"])
            for i, u in enumerate(upns)
        ),
    )
    (folder / "big.snapshot.yaml").write_text(snapshot)
    (folder / "big.yaml").write_text(spec)
    return folder / "big.yaml"


# ---- the group-licensing benchmark: the same licenses through 20 groups, or user by user --------

GROUP_LICENSES = (("SPE_E5",), ("SPE_E3",), ("SPE_E3", "MCOEV"), ("SPE_E5", "MCOPSTN1"))


def write_group_bench(folder: Path, n: int, groups: int = 20) -> dict[str, Path]:
    """Two tenants of `n` users with the same licenses, and the spec that matches each (no change):
    `groups`, licensed through `groups` groups (users are listed nowhere); `direct`, user by user."""
    folder.mkdir(parents=True, exist_ok=True)
    seats = dict.fromkeys(("SPE_E5", "SPE_E3", "MCOEV", "MCOPSTN1"), n)
    body = subscription_lines(seats, ", term: P1Y, billingFrequency: monthly")
    state = [*subscription_lines(seats, ", term: P1Y, billingFrequency: monthly, payAsYouGo: false")]
    licenses = [GROUP_LICENSES[g % len(GROUP_LICENSES)] for g in range(groups)]
    group_of = [i % groups for i in range(n)]
    listed = ["  groups:"]
    for g in range(groups):
        members = ", ".join(_bench_upn(i) for i in range(g, n, groups))
        listed += [
            f"    - name: Group {g:02d}",
            f"      members: [{members}]",
            f"      licenses: [{', '.join(licenses[g])}]",
        ]
    paths = {name: folder / f"{name}.snapshot.yaml" for name in ("groups", "direct")}
    paths["groups"].write_text(
        snapshot_text("bench", "MCA", [*state, *listed], (user_line(_bench_upn(i)) for i in range(n)))
    )
    paths["direct"].write_text(
        snapshot_text("bench", "MCA", state, (user_line(_bench_upn(i), licenses[group_of[i]]) for i in range(n)))
    )
    group_specs = [f"    - {{name: Group {g:02d}, licenses: [{', '.join(licenses[g])}]}}" for g in range(groups)]
    paths["groups_spec"] = folder / "groups.yaml"
    paths["groups_spec"].write_text(
        spec_text("bench", "MCA", [*body, "  groups:", *group_specs], []).replace("  users:\n", "  users: []\n")
    )
    paths["direct_spec"] = folder / "direct.yaml"
    paths["direct_spec"].write_text(
        spec_text("bench", "MCA", body, (user_line(_bench_upn(i), licenses[group_of[i]]) for i in range(n)))
    )
    return paths
