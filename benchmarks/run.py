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
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from generate import write_tenant  # noqa: E402  (benchmarks/generate.py)

TODAY = "2026-11-21"


def timed(args: list[str], env: dict[str, str] | None = None, expect: tuple[int, ...] = (0,)) -> tuple[float, int]:
    """(wall seconds, peak RSS in MiB) of one tenantctl run."""
    full_env = {**os.environ, "TENANTCTL_TODAY": TODAY, "NO_COLOR": "1", **(env or {})}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", *args], env=full_env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in expect:
        raise SystemExit(f"tenantctl {' '.join(args)} exited {code}: {proc.stderr.read().decode()[-2000:]}")
    proc.stderr.close()
    return seconds, usage.ru_maxrss // 1024


def measure(name: str, runs: list[tuple[float, int]]) -> dict[str, Any]:
    """Median time and the largest peak memory of repeated runs."""
    times = [t for t, _ in runs]
    return {"name": name, "median_s": round(statistics.median(times), 3), "runs_s": [round(t, 3) for t in times],
            "peak_mib": max(m for _, m in runs)}


def bench_size(n: int, repeat: int, work: Path) -> list[dict[str, Any]]:
    """Parse, plan (no change, 1 %, every user) and apply on the local provider for one tenant size."""
    paths = write_tenant(work, n)
    loaded = work / "loaded.db"
    timed(["snapshot", "load", str(paths["snapshot"]), "--provider", f"local:{loaded}"])
    out = []
    out.append(measure("parse + validate spec", [timed(["validate", str(paths["none"])]) for _ in range(repeat)]))
    for label in ("none", "one_percent", "all"):
        runs = [timed(["plan", str(paths[label]), "--provider", f"local:{loaded}"]) for _ in range(repeat)]
        out.append(measure(f"plan, {label.replace('_', ' ')} changed".replace("none changed", "no change"), runs))
    runs, replans = [], []
    for _ in range(repeat):
        db = work / "apply.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copy(loaded, db)
        runs.append(timed(["apply", str(paths["all"]), "--auto-approve", "--allow-destroy", "--provider", f"local:{db}"]))
        replans.append(timed(["plan", str(paths["all"]), "--provider", f"local:{db}", "--detailed-exitcode"]))
    out.append(measure("apply, every user changed (local)", runs))
    out.append(measure("re-plan after that apply (no change)", replans))
    for item in out:
        item["users"] = n
    return out


def bench_graph(users: int, latency: float, work: Path) -> dict[str, Any]:
    """Apply `users` license changes through the fake Graph service with a fixed latency per request."""
    from fakegraph import FakeGraph

    from conftest import fake_jwt
    from reconciler import catalog

    tenant = "2f1c0b5e-7a4d-4c1e-9f55-3c2a9d1e8b70"
    e3, mcoev = catalog.lookup("SPE_E3"), catalog.lookup("MCOEV")
    assert e3 is not None and mcoev is not None
    people = [{"userPrincipalName": f"user{i:06d}@bench.example", "usageLocation": "US", "licenses": ["SPE_E3"]}
              for i in range(users)]
    spec = work / "graph.yaml"
    lines = ["apiVersion: tenantctl/v1", "kind: Tenant", f"metadata: {{name: graphbench, tenantId: {tenant}}}",
             "spec:", "  agreement: EA", f"  subscriptions: [{{sku: MCOEV, seats: {users}}}]", "  users:"]
    lines += [f"    - {{upn: {p['userPrincipalName']}, usageLocation: US, licenses: [MCOEV]}}" for p in people]
    spec.write_text("\n".join(lines) + "\n")
    token = fake_jwt(tenant)
    fake = FakeGraph(tenant_id=tenant, token=token, latency=latency, users=people,
                     skus=[("SPE_E3", e3.sku_id, users), ("MCOEV", mcoev.sku_id, users)])
    url = fake.start()
    try:
        concurrency = 4
        seconds, peak = timed(["apply", str(spec), "--provider", f"graph:{work / 'graph-ledger.db'}", "--auto-approve"],
                              env={"TENANTCTL_GRAPH_URL": url, "TENANTCTL_GRAPH_TOKEN": token,
                                   "TENANTCTL_GRAPH_CONCURRENCY": str(concurrency)})
        requests = len(fake.requests)
        batches = sum(1 for r in fake.requests if r.path.endswith("/$batch"))
    finally:
        fake.stop()
    floor = requests * latency / concurrency
    return {"name": f"apply, {users} license changes (fake Graph, {latency * 1000:.0f} ms per request)",
            "users": users, "median_s": round(seconds, 3), "runs_s": [round(seconds, 3)], "peak_mib": peak,
            "requests": requests, "batches": batches, "request_bound": math.floor(1.05 * math.ceil(users / 20)),
            "time_floor_s": round(floor, 3), "time_bound_s": round(1.25 * floor, 3), "concurrency": concurrency}


def markdown(result: dict[str, Any]) -> str:
    """The short table the README quotes."""
    lines = [f"Benchmarks of {result['date']} on {result['machine']} (median of {result['repeat']} runs; "
             "peak RSS of the tenantctl process)", "",
             "| users | measurement | median | peak memory | note |", "|---:|---|---:|---:|---|"]
    for m in result["measurements"]:
        note = ""
        if "requests" in m:
            note = (f"{m['requests']} requests (bound {m['request_bound']}); bound on time "
                    f"{m['time_bound_s']:.1f} s")
        lines.append(f"| {m['users']:,} | {m['name']} | {m['median_s']:.2f} s | {m['peak_mib']} MiB | {note} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the suite and write the result files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--graph-users", type=int, default=20000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    measurements = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",") if s):
            print(f"{n} users ...", file=sys.stderr, flush=True)
            measurements += bench_size(n, args.repeat, Path(tmp) / str(n))
        if args.graph_users:
            print(f"fake Graph, {args.graph_users} changes ...", file=sys.stderr, flush=True)
            (Path(tmp) / "graph").mkdir()
            measurements.append(bench_graph(args.graph_users, args.latency, Path(tmp) / "graph"))
    result = {"date": date.today().isoformat(), "machine": f"{os.cpu_count()} cores, {platform.python_version()}, "
              f"{platform.machine()}", "repeat": args.repeat, "measurements": measurements}
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / result["date"]
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    stem.with_suffix(".md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
