"""The mutations issue 14 lists, applied one at a time: each must make a test fail, golden plans aside.

`python tests/table_mutants.py` patches one line of the product, runs the suite without the
golden plan comparison (`test_golden_plan`, which a careless regeneration would accept) and
without the slow process tests, restores the line, and prints caught/SURVIVED per mutation.
Not a test itself (it rewrites the product's files while it runs): a tool, like mutmut.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (file, the original text, the mutation, what it breaks)
MUTATIONS = [
    (
        "reconciler/plan/licenses.py",
        "if catalog.tier(other) > catalog.tier(sku)]",
        "if catalog.tier(other) < catalog.tier(sku)]",
        "removal dependency tier > -> <",
    ),
    (
        "reconciler/plan/subscriptions.py",
        "        seats.free[sku] = live.seats - live.consumed",
        "        seats.free[sku] = live.seats",
        "free seats ignore seats already consumed",
    ),
    (
        "reconciler/plan/licenses.py",
        "if sku != CREDITS_SKU and 0 <= beyond < early else None",
        "if sku != CREDITS_SKU and 0 < beyond < early else None",
        "seat dependency off by one",
    ),
    ("reconciler/domain/model.py", "if lot.expires > today)", "if lot.expires >= today)", "funds lot expiry > -> >="),
    (
        "reconciler/plan/subscriptions.py",
        "destructive=not want.pay_as_you_go)",
        "destructive=False)",
        "turning pay-as-you-go off not destructive",
    ),
    ("reconciler/plan/credits.py", "rounding=ROUND_CEILING)", 'rounding="ROUND_FLOOR")', "funds rounded down"),
    (
        "reconciler/providers/local/provider.py",
        'if not _spend(db, "INSERT INTO purchases VALUES (?, ?) ON CONFLICT DO NOTHING", (idempotency_key, sku)):',
        'if not _spend(db, "INSERT OR REPLACE INTO purchases VALUES (?, ?)", (idempotency_key, sku)):',
        "purchase idempotency key not checked",
    ),
    (
        "reconciler/providers/local/provider.py",
        '"ON CONFLICT (idempotency_key) DO NOTHING",',
        '"",',
        "funds idempotency key not checked",
    ),
    (
        "reconciler/providers/graph/client.py",
        "if inner >= 500 or inner == 408:",
        "if inner >= 500:",
        "a 408 not treated as an ambiguous write",
    ),
    (
        "reconciler/providers/graph/provider.py",
        "tuple(s for s in w.remove if self._sku_id(s) in held),",
        "tuple(s for s in w.remove if self._sku_id(s) not in held),",
        "removal read-back inverted",
    ),
    ("reconciler/plan/guardrails.py", "delta > limit,", "delta >= limit,", "maxMonthlyIncrease > -> >="),
    (
        "reconciler/plan/guardrails.py",
        "most > limit,",
        "most >= limit,",
        "maxSeatsPerSubscription > -> >=",
    ),
    (
        "reconciler/plan/guardrails.py",
        "cost.one_time > limit,",
        "cost.one_time >= limit,",
        "maxFundsPerApply > -> >=",
    ),
    (
        "reconciler/providers/local/provider.py",
        "if sub.consumed >= sub.seats:",
        "if sub.consumed > sub.seats:",
        "simulator lets one user past the seat count",
    ),
    (
        "reconciler/providers/local/provider.py",
        "if missing and not catalog.missing_prerequisite(other, held):",
        "if False:",
        "simulator lets a prerequisite be removed while its dependent stays",
    ),
    (
        "reconciler/providers/graph/client.py",
        "if (urlsplit(link).scheme, urlsplit(link).netloc) != (origin.scheme, origin.netloc):",
        "if False:",
        "bearer token sent to a nextLink on another host",
    ),
    (
        "reconciler/providers/graph/provider.py",
        '"disabledPlans": []}',
        '"disabledPlans": None}',
        "disabledPlans null in addLicenses",
    ),
]

ARGS = [
    "-q",
    "-x",
    "-p",
    "no:cacheprovider",
    "--deselect",
    "tests/test_golden.py::test_golden_plan",
    "--ignore=tests/test_crash_safety.py",
    "--ignore=tests/test_interrupts.py",
    "--ignore=tests/test_ecosystem.py",
]


def main() -> int:
    """Apply each mutation, run the tests, restore; exit 1 if any survives."""
    survived = 0
    for file, original, mutated, what in MUTATIONS:
        path = ROOT / file
        text = path.read_text(encoding="utf-8")
        assert text.count(original) == 1, f"{file}: {original!r} is not there exactly once"
        path.write_text(text.replace(original, mutated), encoding="utf-8")
        try:
            # No bytecode: a mutant the size of the original, written within the same second, would
            # otherwise be run from the original's cached .pyc (or leave its own behind).
            env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTCTL_")}
            env.update({"TENANTCTL_HYPOTHESIS": "ci", "PYTHONDONTWRITEBYTECODE": "1"})
            run = subprocess.run(
                [sys.executable, "-B", "-m", "pytest", *ARGS], cwd=ROOT, capture_output=True, text=True, env=env
            )
        finally:
            path.write_text(text, encoding="utf-8")
        failed = [line.split(" ")[1] for line in run.stdout.splitlines() if line.startswith("FAILED ")]
        if run.returncode == 0:
            survived += 1
        print(f"{'caught  ' if run.returncode else 'SURVIVED'} {what}: {failed[0] if failed else ''}", flush=True)
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
