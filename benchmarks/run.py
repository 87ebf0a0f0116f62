"""tenantctl benchmarks: generated tenants of 1,000 to 100,000 users, timed end to end.

    .venv/bin/python benchmarks/run.py [--sizes 1000,10000,100000] [--repeat 3] [--graph-users 20000]

Every measurement is a real `tenantctl` command in its own process, so start-up, YAML parsing
and output count, as they do for a user; each is repeated and the median quoted, with the
process's peak memory (ru_maxrss of that child). The fake Graph service (tests/fakegraph.py)
answers with a fixed latency per HTTP request. Results go to benchmarks/results/<date>.json and
a Markdown table beside it. Not part of the test run: machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from hotspots import profile, spy  # noqa: E402  (benchmarks/hotspots.py)
from synthetic import write_bench_tenant, write_group_bench  # noqa: E402  (tests/synthetic.py, shared with the tests)

TODAY = "2026-11-21"


def timed(args: list[str], env: dict[str, str] | None = None, expect: tuple[int, ...] = (0,)) -> tuple[float, int]:
    """(wall seconds, peak RSS in MiB) of one tenantctl run."""
    full_env = {**os.environ, "TENANTCTL_TODAY": TODAY, "NO_COLOR": "1", **(env or {})}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        env=full_env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in expect:
        raise SystemExit(f"tenantctl {' '.join(args)} exited {code}: {proc.stderr.read().decode()[-2000:]}")
    proc.stderr.close()
    return seconds, usage.ru_maxrss // 1024


def measure(name: str, runs: list[tuple[float, int]], form: str = "") -> dict[str, Any]:
    """Median time and the largest peak memory of repeated runs."""
    times = [t for t, _ in runs]
    return {
        "name": name,
        "spec": form,
        "median_s": round(statistics.median(times), 3),
        "runs_s": [round(t, 3) for t in times],
        "peak_mib": max(m for _, m in runs),
    }


FORMATS = {"": "inline YAML", "_csv": "CSV roster", "_json": "JSON roster"}


def bench_size(n: int, repeat: int, work: Path, profiles: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Parse, plan (no change, 1 %, every user) and apply on the local provider for one tenant size.

    Each spec is measured with its users inline and in a CSV roster (validate and the no-change plan
    also in a JSON roster); a plan's ratio is to the parse + validate floor of the same spec form.
    """
    paths = write_bench_tenant(work, n)
    loaded = work / "loaded.db"
    timed(["snapshot", "load", str(paths["snapshot"]), "--provider", f"local:{loaded}"])
    out = []
    floors = {}
    for suffix, form in FORMATS.items():
        floor = measure(
            "parse + validate spec", [timed(["validate", str(paths[f"none{suffix}"])]) for _ in range(repeat)], form
        )
        floors[form] = floor["median_s"]
        out.append(floor)
    for label in ("none", "one_percent", "all"):
        for suffix, form in FORMATS.items():
            if suffix == "_json" and label != "none":
                continue
            args = ["plan", str(paths[label + suffix]), "--provider", f"local:{loaded}"]
            name = f"plan, {label.replace('_', ' ')} changed".replace("none changed", "no change")
            item = measure(name, [timed(args) for _ in range(repeat)], form)
            item["ratio_to_floor"] = round(item["median_s"] / floors[form], 2)
            out.append(item)
            if profiles is not None and label == "none" and suffix in ("", "_csv"):
                profiles[f"{n:,} users: plan, no change ({form})"] = profile(args, _env())
    runs, replans = [], []
    apply_args = ["apply", str(paths["all"]), "--auto-approve", "--allow-destroy"]
    db = work / "apply.db"
    for _ in range(repeat):
        _fresh_copy(loaded, db)
        runs.append(timed([*apply_args, "--provider", f"local:{db}"]))
        replans.append(timed(["plan", str(paths["all"]), "--provider", f"local:{db}", "--detailed-exitcode"]))
    out.append(measure("apply, every user changed (local)", runs, FORMATS[""]))
    out.append(measure("re-plan after that apply (no change)", replans, FORMATS[""]))
    if profiles is not None:
        _fresh_copy(loaded, db)
        profiles[f"{n:,} users: apply, every user changed (local)"] = profile(
            [*apply_args, "--provider", f"local:{db}"], _env()
        )
    for item in out:
        item["users"] = n
    return out


def bench_groups(n: int, repeat: int, work: Path) -> list[dict[str, Any]]:
    """Plan (no change) of the same `n`-user tenant licensed through 20 groups, and user by user (issue 17)."""
    paths = write_group_bench(work, n)
    out = []
    for label, name in (("groups", "licensed through 20 groups"), ("direct", "licensed user by user")):
        db = work / f"{label}.db"
        timed(["snapshot", "load", str(paths[label]), "--provider", f"local:{db}"])
        args = ["plan", str(paths[f"{label}_spec"]), "--provider", f"local:{db}", "--detailed-exitcode"]
        item = measure(f"plan, no change, {name}", [timed(args) for _ in range(repeat)], FORMATS[""])
        item["users"] = n
        out.append(item)
    out[0]["ratio_to_direct"] = round(out[0]["median_s"] / out[1]["median_s"], 2)
    return out


def _fresh_copy(source: Path, db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copy(source, db)


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"TENANTCTL_TODAY": TODAY, "NO_COLOR": "1", **(extra or {})}


def bench_graph(users: int, latency: float, work: Path, profiles: dict[str, Any] | None = None) -> dict[str, Any]:
    """Apply `users` license changes through the fake Graph service with a fixed latency per request."""
    from conftest import fake_jwt
    from fakegraph import FakeGraph

    from reconciler.domain import catalog

    tenant = "2f1c0b5e-7a4d-4c1e-9f55-3c2a9d1e8b70"
    e3, mcoev = catalog.lookup("SPE_E3"), catalog.lookup("MCOEV")
    assert e3 is not None and mcoev is not None
    people = [
        {"userPrincipalName": f"user{i:06d}@bench.example", "usageLocation": "US", "licenses": ["SPE_E3"]}
        for i in range(users)
    ]
    spec = work / "graph.yaml"
    lines = [
        "apiVersion: tenantctl/v1",
        "kind: Tenant",
        f"metadata: {{name: graphbench, tenantId: {tenant}}}",
        "spec:",
        "  agreement: EA",
        f"  subscriptions: [{{sku: MCOEV, seats: {users}}}]",
        "  users:",
    ]
    lines += [f"    - {{upn: {p['userPrincipalName']}, usageLocation: US, licenses: [MCOEV]}}" for p in people]
    spec.write_text("\n".join(lines) + "\n")
    token = fake_jwt(tenant)

    def new_fake() -> FakeGraph:
        return FakeGraph(
            tenant_id=tenant,
            token=token,
            latency=latency,
            users=people,
            skus=[("SPE_E3", e3.sku_id, users), ("MCOEV", mcoev.sku_id, users)],
        )

    fake = new_fake()
    url = fake.start()
    concurrency = 4
    args = ["apply", str(spec), "--provider", f"graph:{work / 'graph-ledger.db'}", "--auto-approve"]
    env = {"TENANTCTL_GRAPH_URL": url, "TENANTCTL_GRAPH_TOKEN": token, "TENANTCTL_GRAPH_CONCURRENCY": str(concurrency)}
    try:
        seconds, peak = timed(args, env=env)
        requests = len(fake.requests)
        batches = sum(1 for r in fake.requests if r.path.endswith("/$batch"))
        if profiles is not None:  # again, from the start: the same users, back to E3 alone
            fake.stop()
            fake = new_fake()
            env["TENANTCTL_GRAPH_URL"] = fake.start()
            profiles[f"{users:,} users: apply through the fake Graph service"] = profile(args, _env(env))
    finally:
        fake.stop()
    floor = requests * latency / concurrency
    return {
        "name": f"apply, {users} license changes (fake Graph, {latency * 1000:.0f} ms per request)",
        "spec": FORMATS[""],
        "users": users,
        "median_s": round(seconds, 3),
        "runs_s": [round(seconds, 3)],
        "peak_mib": peak,
        "requests": requests,
        "batches": batches,
        "request_bound": math.floor(1.05 * math.ceil(users / 20)),
        "time_floor_s": round(floor, 3),
        "time_bound_s": round(1.25 * floor, 3),
        "concurrency": concurrency,
    }


def bench_delta(users: int, latency: float, repeat: int, work: Path) -> list[dict[str, Any]]:
    """Nightly drift of a `users`-user tenant through the fake Graph service (issue 18): the first read (in
    full, kept with a deltaLink), then a read with no change and one with 1 % of users changed out of band."""
    from conftest import fake_jwt
    from fakegraph import FakeGraph

    from reconciler.domain import catalog

    tenant = "2f1c0b5e-7a4d-4c1e-9f55-3c2a9d1e8b70"
    e3 = catalog.lookup("SPE_E3")
    assert e3 is not None
    people = [
        {"userPrincipalName": f"user{i:06d}@bench.example", "usageLocation": "US", "licenses": ["SPE_E3"]}
        for i in range(users)
    ]
    spec = work / "delta.yaml"
    lines = [
        "apiVersion: tenantctl/v1",
        "kind: Tenant",
        f"metadata: {{name: deltabench, tenantId: {tenant}}}",
        "spec:",
        "  agreement: EA",
        f"  subscriptions: [{{sku: SPE_E3, seats: {users}}}]",
        "  users:",
        "    - file: delta-users.csv",  # a large tenant's users are a roster (the README's advice)
    ]
    spec.write_text("\n".join(lines) + "\n")
    roster = ["upn,usageLocation,licenses"] + [f"{p['userPrincipalName']},US,SPE_E3" for p in people]
    (work / "delta-users.csv").write_text("\n".join(roster) + "\n")
    token = fake_jwt(tenant)
    fake = FakeGraph(tenant_id=tenant, token=token, latency=latency, users=people, skus=[("SPE_E3", e3.sku_id, users)])
    env = {"TENANTCTL_GRAPH_URL": fake.start(), "TENANTCTL_GRAPH_TOKEN": token}
    ledger = f"graph:{work / 'delta-ledger.db'}"
    out = []
    try:
        full = [timed(["drift", str(spec), "--provider", ledger, "--refresh", "full"], env=env) for _ in range(repeat)]
        out.append(measure(f"drift, full read (fake Graph, {latency * 1000:.0f} ms per request)", full))
        same = [timed(["drift", str(spec), "--provider", ledger], env=env) for _ in range(repeat)]
        out.append(measure("drift, no change since the last read (delta)", same))
        changed = []
        for round_ in range(repeat):
            for i in range(round_, users, 100):  # 1 % of the users move, out of band
                fake.set_location(people[i]["userPrincipalName"], "GB" if round_ % 2 == 0 else "US")
            changed.append(timed(["drift", str(spec), "--provider", ledger], env=env, expect=(0, 2)))
        out.append(measure("drift, 1 % of users changed out of band (delta)", changed))
    finally:
        fake.stop()
    for item in out:
        item["users"] = users
        item["spec"] = FORMATS["_csv"]
        item["delta"] = True
    return out


def bench_fleet(n: int, repeat: int, work: Path) -> list[dict[str, Any]]:
    """A folder of `n` small tenants (issue 18): validate and plan over the folder against one tenant alone;
    the per-tenant cost in the folder is compared with a single-tenant run's own time."""
    from datetime import date as day

    from reconciler.providers.local.provider import LocalProvider
    from reconciler.spec.snapshot import load_snapshot

    folder, state_dir = work / "tenants", work / "state"
    folder.mkdir(parents=True)
    state_dir.mkdir()
    spec = (ROOT / "tenant-specs" / "contoso.yaml").read_text()
    snapshot = load_snapshot(ROOT / "examples" / "contoso.snapshot.yaml", day.fromisoformat(TODAY))
    for i in range(n):
        name = f"t{i:05d}"
        (folder / f"{name}.yaml").write_text(spec.replace("name: contoso", f"name: {name}", 1))
        store = LocalProvider(state_dir / f"{name}.db", day.fromisoformat(TODAY))
        store.replace_state(replace(snapshot, name=name))
        store.close()
    one = folder / "t00000.yaml"
    provider = ["--provider", f"local:{state_dir}/{{name}}.db"]
    out = []
    for label, args, many in (
        ("validate", ["validate", str(one)], ["validate", str(folder)]),
        ("plan", ["plan", str(one), *provider], ["plan", str(folder), *provider, "--format", "json"]),
    ):
        single = measure(f"{label}, one tenant", [timed(args, expect=(0, 2)) for _ in range(repeat)])
        fleet = measure(f"{label}, a folder of {n:,} tenants", [timed(many, expect=(0, 2)) for _ in range(repeat)])
        fleet["per_tenant_s"] = round(fleet["median_s"] / n, 4)
        fleet["ratio_to_single"] = round(fleet["median_s"] / (n * single["median_s"]), 3)
        out += [single, fleet]
    for item in out:
        item["users"] = 7
        item["spec"] = "tenant-specs/contoso.yaml"
        item["fleet"] = n
    return out


def bench_million(sizes: list[int], repeat: int, work: Path) -> list[dict[str, Any]]:
    """Issue 18's large tenant, with its users in CSV rosters (snapshot and spec): snapshot load, validate, plan
    (no change, 1 % changed), apply of 1 % of the users' licenses, export and drift as JUnit, at each size,
    so the growth from one size to the next shows whether any of them is quadratic."""
    from synthetic import _bench_upn, bench_changed, bench_licenses, snapshot_text, spec_text, subscription_lines

    out = []
    for n in sizes:
        folder = work / str(n)
        folder.mkdir(parents=True)
        seats = dict.fromkeys(("SPE_E5", "SPE_E3", "MCOEV", "MCOPSTN1"), n)
        term = ", term: P1Y, billingFrequency: monthly"
        held = [bench_licenses(i) for i in range(n)]
        changed = [bench_changed(h) if i % 100 == 0 else h for i, h in enumerate(held)]
        for name, rows in (("users", held), ("changed", changed)):
            lines = ["upn,usageLocation,licenses"] + [f"{_bench_upn(i)},US,{';'.join(h)}" for i, h in enumerate(rows)]
            (folder / f"{name}.csv").write_text("\n".join(lines) + "\n")
        state = [
            "  currency: USD",
            "  billingRoles: [BillingAccountOwner]",
            *subscription_lines(seats, term + ", payAsYouGo: false"),
        ]
        state += [
            "  communicationsCredits:",
            "    autoRecharge: {enabled: false}",
            "    funds: [{purchased: 2026-06-01, amount: 1000, remaining: 800}]",
        ]
        (folder / "snap.yaml").write_text(snapshot_text("bench", "EA", state, ["    - file: users.csv"]))
        body = [*subscription_lines(seats, term), "  communicationsCredits: {minimumBalance: 100}"]
        for name in ("users", "changed"):
            (folder / f"{name}.yaml").write_text(spec_text("bench", "EA", body, [f"    - file: {name}.csv"]))
        db = ["--provider", f"local:{folder / 'm.db'}"]
        steps = [
            ("snapshot load", ["snapshot", "load", str(folder / "snap.yaml"), *db, "--replace"], (0,)),
            ("validate", ["validate", str(folder / "users.yaml")], (0,)),
            ("plan, no change", ["plan", str(folder / "users.yaml"), *db], (0,)),
            ("plan, 1 % changed", ["plan", str(folder / "changed.yaml"), *db], (0,)),
            ("export", ["export", "--name", "bench", *db], (0,)),
            (
                "drift --format junit, 1 % drifted",
                ["drift", str(folder / "changed.yaml"), *db, "--format", "junit"],
                (2,),
            ),
        ]
        for label, args, codes in steps:
            item = measure(label, [timed(args, expect=codes) for _ in range(repeat)])
            item.update(users=n, spec=FORMATS["_csv"], million=True)
            out.append(item)
        applies = []
        for _ in range(repeat):  # each from the same tenant, loaded again
            timed(["snapshot", "load", str(folder / "snap.yaml"), *db, "--replace"])
            applies.append(timed(["apply", str(folder / "changed.yaml"), *db, "--auto-approve", "--allow-destroy"]))
        item = measure(f"apply, {n // 100:,} users' licenses changed", applies)
        item.update(users=n, spec=FORMATS["_csv"], million=True)
        out.append(item)
    return out


def markdown(result: dict[str, Any]) -> str:
    """The short table the README quotes, and the profiles' top entries."""
    lines = [
        f"Benchmarks of {result['date']} on {result['machine']} (median of {result['repeat']} runs; "
        "peak RSS of the tenantctl process; a plan's ratio is to the parse + validate floor of the same "
        "spec form)",
        "",
        "| users | measurement | users written | median | ratio | peak memory | note |",
        "|---:|---|---|---:|---:|---:|---|",
    ]
    for m in result["measurements"]:
        note = ""
        if "requests" in m:
            note = f"{m['requests']} requests (bound {m['request_bound']}); bound on time {m['time_bound_s']:.1f} s"
        ratio = f"{m['ratio_to_floor']:.2f}x" if "ratio_to_floor" in m else ""
        ratio = f"{m['ratio_to_direct']:.2f}x" if "ratio_to_direct" in m else ratio
        ratio = f"{m['ratio_to_single']:.3f}x" if "ratio_to_single" in m else ratio
        lines.append(
            f"| {m['users']:,} | {m['name']} | {m['spec']} | {m['median_s']:.2f} s | {ratio} | "
            f"{m['peak_mib']} MiB | {note} |"
        )
    if result.get("note"):
        lines += ["", result["note"]]
    lines += ["", "Targets (issues 6, 17 and 18; 2 cores):", "", "| target | measured | status |", "|---|---:|---|"]
    lines += [f"| {target} | {measured} | {status} |" for target, measured, status in targets(result)]
    for name, views in result.get("profiles", {}).items():
        lines += [
            "",
            f"Profile (py-spy), {name}: share of samples",
            "",
            "| own time | function | | inclusive | tenantctl function |",
            "|---:|---|---|---:|---|",
        ]
        for own, incl in zip(views["self"][:8], views["inclusive"][:8]):
            lines.append(f"| {own['share']:.1%} | `{own['function']}` | | {incl['share']:.1%} | `{incl['function']}` |")
    return "\n".join(lines) + "\n"


def targets(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(target, measured, met or missed by how much) for the largest tenant and the Graph run."""

    def verdict(value: float, bound: float) -> str:
        return "met" if value <= bound else f"missed by {value / bound:.2f}x"

    out = []
    plain = [m for m in result["measurements"] if not ({"requests", "delta", "fleet", "million"} & m.keys())]
    largest = max(
        (m["users"] for m in plain if "groups" not in m["name"] and "user by user" not in m["name"]), default=0
    )
    for m in result["measurements"]:
        if m.get("delta") and "no change" in m["name"]:
            out.append(
                (
                    f"{m['users']:,} users: no-change drift after the first under 2 s",
                    f"{m['median_s']:.2f} s",
                    verdict(m["median_s"], 2),
                )
            )
        if m.get("delta") and "1 %" in m["name"]:
            out.append(
                (
                    f"{m['users']:,} users: drift with 1 % changed under 3 s",
                    f"{m['median_s']:.2f} s",
                    verdict(m["median_s"], 3),
                )
            )
        if m.get("million") and m["users"] >= 1_000_000:
            bounds = {"plan, no change": 10, "plan, 1 % changed": 12, "apply, 10,000 users' licenses changed": 10}
            if m["name"] in bounds:
                out.append(
                    (
                        f"1,000,000 users: {m['name']} within {bounds[m['name']]} s",
                        f"{m['median_s']:.2f} s",
                        verdict(m["median_s"], bounds[m["name"]]),
                    )
                )
            if m["name"] == "plan, no change":
                out.append(
                    (
                        "1,000,000 users: plan's peak memory under 2 GiB",
                        f"{m['peak_mib']} MiB",
                        verdict(m["peak_mib"], 2048),
                    )
                )
            small = next(
                (
                    x
                    for x in result["measurements"]
                    if x.get("million")
                    and x["users"] * 10 == m["users"]
                    and x["name"].split(",")[0] == m["name"].split(",")[0]
                ),
                None,
            )
            if small is not None:
                out.append(
                    (
                        f"{m['name']}: growth from {small['users']:,} to {m['users']:,} users close to 10x",
                        f"{m['median_s'] / small['median_s']:.1f}x",
                        verdict(m["median_s"] / small["median_s"], 15),
                    )
                )
        if "ratio_to_single" in m:
            out.append(
                (
                    f"{m['name']}: close to the tenants' own work, not start-up per tenant",
                    f"{m['per_tenant_s'] * 1000:.1f} ms a tenant, "
                    f"{m['ratio_to_single']:.3f}x {m['fleet']:,} single runs",
                    verdict(m["ratio_to_single"], 0.25),
                )
            )
        if "ratio_to_direct" in m:
            out.append(
                (
                    f"{m['users']:,} users: plan through 20 groups faster than user by user",
                    f"{m['ratio_to_direct']:.2f}x the user-by-user plan",
                    verdict(m["ratio_to_direct"], 1.0),
                )
            )
        if (
            m["users"] != largest
            or "requests" in m
            or "groups" in m["name"]
            or "user by user" in m["name"]
            or m.get("delta")
            or m.get("fleet")
            or m.get("million")
        ):
            continue
        if m["name"] in ("plan, no change", "plan, one percent changed"):
            out.append((f"{m['name']} ({m['spec']}) under 5 s", f"{m['median_s']:.2f} s", verdict(m["median_s"], 5)))
            out.append(
                (
                    f"{m['name']} ({m['spec']}) at most 1.5x the floor",
                    f"{m['ratio_to_floor']:.2f}x",
                    verdict(m["ratio_to_floor"], 1.5),
                )
            )
        elif m["name"].startswith("apply"):
            out.append(("apply of every user (local) under 15 s", f"{m['median_s']:.2f} s", verdict(m["median_s"], 15)))
            out.append(("its peak memory under 1 GiB", f"{m['peak_mib']} MiB", verdict(m["peak_mib"], 1024)))
    for m in result["measurements"]:
        if "requests" in m:
            out.append(
                (
                    f"Graph requests at most {m['request_bound']}",
                    str(m["requests"]),
                    verdict(m["requests"], m["request_bound"]),
                )
            )
            out.append(
                (
                    f"Graph time at most {m['time_bound_s']:.1f} s",
                    f"{m['median_s']:.2f} s",
                    verdict(m["median_s"], m["time_bound_s"]),
                )
            )
    return out


def main() -> None:
    """Run the suite and write the result files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--graph-users", type=int, default=20000)
    parser.add_argument("--group-users", type=int, default=100000, help="users of the group-licensing comparison")
    parser.add_argument("--delta-users", type=int, default=100000, help="users of the nightly delta drift")
    parser.add_argument("--fleet", type=int, default=2000, help="tenants in the folder of the fleet measurement")
    parser.add_argument("--million", default="", help="sizes of the roster tenant (issue 18), such as 100000,1000000")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy profiles of the largest size")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--render", type=Path, metavar="JSON", help="only write the Markdown of a saved result")
    args = parser.parse_args()
    if args.render:
        args.render.with_suffix(".md").write_text(markdown(json.loads(args.render.read_text())))
        return
    measurements = []
    profiles: dict[str, Any] | None = None if args.no_profile else {}
    if profiles is not None and spy() is None:
        print("py-spy is not installed (pip install py-spy): no profiles", file=sys.stderr)
        profiles = None
    sizes = [int(s) for s in args.sizes.split(",") if s]
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            print(f"{n} users ...", file=sys.stderr, flush=True)
            measurements += bench_size(n, args.repeat, Path(tmp) / str(n), profiles if n == max(sizes) else None)
        if args.group_users:
            print(f"{args.group_users} users through groups ...", file=sys.stderr, flush=True)
            measurements += bench_groups(args.group_users, args.repeat, Path(tmp) / "groups")
        if args.million:
            print(f"roster tenants of {args.million} users ...", file=sys.stderr, flush=True)
            measurements += bench_million([int(n) for n in args.million.split(",")], args.repeat, Path(tmp) / "million")
        if args.fleet:
            print(f"a folder of {args.fleet} tenants ...", file=sys.stderr, flush=True)
            measurements += bench_fleet(args.fleet, args.repeat, Path(tmp) / "fleet")
        if args.delta_users:
            print(f"fake Graph, delta drift of {args.delta_users} users ...", file=sys.stderr, flush=True)
            (Path(tmp) / "delta").mkdir()
            measurements += bench_delta(args.delta_users, args.latency, args.repeat, Path(tmp) / "delta")
        if args.graph_users:
            print(f"fake Graph, {args.graph_users} changes ...", file=sys.stderr, flush=True)
            (Path(tmp) / "graph").mkdir()
            measurements.append(bench_graph(args.graph_users, args.latency, Path(tmp) / "graph", profiles))
    result = {
        "date": date.today().isoformat(),
        "machine": f"{os.cpu_count()} cores, {platform.python_version()}, {platform.machine()}",
        "repeat": args.repeat,
        "measurements": measurements,
        "profiles": profiles or {},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / result["date"]
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    stem.with_suffix(".md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
