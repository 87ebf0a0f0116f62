"""Golden plans: one case per directory under tests/cases, one runner for all of them.

Each case holds `snapshot.yaml` (observed state), `spec.yaml` (desired state) and `plan.json`
(the expected `Plan.to_dict()`). The digests are not compared by value, only checked to be
`sha256:` digests, so that editing a comment in a case does not churn its plan.json.
`TENANTCTL_REGEN_GOLDEN=1` rewrites plan.json from the planner: see tests/cases/README.md.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, TODAY
from reconciler.plan import compute_plan
from reconciler.snapshot import load_snapshot
from reconciler.spec import load_spec

CASES = ROOT / "tests" / "cases"
DIGESTS = ("spec_digest", "state_digest")
DIGEST_PLACEHOLDER = "sha256:*"
REGEN = os.environ.get("TENANTCTL_REGEN_GOLDEN") == "1"


def _case_dirs() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def _text(plan: dict[str, Any]) -> str:
    return json.dumps(plan, indent=2, ensure_ascii=False) + "\n"


def _actual(case: Path) -> dict[str, Any]:
    state = load_snapshot(case / "snapshot.yaml", TODAY)
    spec = load_spec(case / "spec.yaml")
    plan = compute_plan(spec, state).to_dict()
    for key in DIGESTS:
        assert isinstance(plan[key], str) and plan[key].startswith("sha256:"), f"{key}: {plan[key]!r}"
        plan[key] = DIGEST_PLACEHOLDER
    return plan


def test_cases_are_complete() -> None:
    cases = _case_dirs()
    assert cases, f"no golden cases under {CASES}"
    for case in cases:
        missing = [n for n in ("snapshot.yaml", "spec.yaml", "plan.json") if not (case / n).is_file()]
        assert not missing or (REGEN and missing == ["plan.json"]), f"{case.name}: missing {missing}"


@pytest.mark.parametrize("case", _case_dirs(), ids=lambda p: p.name)
def test_golden_plan(case: Path) -> None:
    actual = _actual(case)
    expected_file = case / "plan.json"
    if REGEN:
        expected_file.write_text(_text(actual), encoding="utf-8")
        return
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    for key in DIGESTS:
        assert expected.get(key) == DIGEST_PLACEHOLDER, f"plan.json: {key} should be {DIGEST_PLACEHOLDER!r}"
    if actual != expected:
        diff = "".join(difflib.unified_diff(_text(expected).splitlines(keepends=True),
                                            _text(actual).splitlines(keepends=True),
                                            f"{case.name}/plan.json (expected)", "compute_plan (actual)"))
        pytest.fail(f"plan differs from {case.name}/plan.json:\n{diff}", pytrace=False)
