"""Golden cases: computing a case's plan, and checking the facts a person wrote down for it.

Shared by the test runner (tests/test_golden.py), which only compares, and by the explicit
regeneration step (tests/regen_golden.py), which shows the diff and writes only when asked.

`facts.yaml` holds what a person checked in a case against the rules (docs/rules.md), asserted on
the planner's output independently of plan.json, so that a regenerated plan.json cannot quietly
accept a broken ordering or a lost refusal. An action is named `TYPE ADDRESS`; `*` matches
anything (fnmatch). Each fact is a mapping, one of:

    {waits: REF, for: REF}              the first transitively depends on the second
    {order: [REF, REF, ...]}            all present, in this order in the plan
    {action: REF, after: {...}, before: {...}, destructive: BOOL, manual: BOOL, waits_for_nothing: true}
                                        present (exactly one match), with these values (a subset);
                                        waits_for_nothing: its depends_on is empty
    {absent: REF}                       no action matches
    {count: {TYPE: N, ...}}             exactly N actions of each type named
    {actions: N}                        N actions in all
    {diagnostic: CODE, severity: S, mentions: TEXT}   present (severity, text optional)
    {no_diagnostic: CODE}               absent
    {no_errors: true}                   no error diagnostic: the plan may be applied
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import yaml
from conftest import ROOT, TODAY

from reconciler.plan.compute import compute_plan
from reconciler.spec.loader import load_spec
from reconciler.spec.snapshot import load_snapshot

CASES = ROOT / "tests" / "cases"
DIGESTS = ("spec_digest", "state_digest")
DIGEST_PLACEHOLDER = "sha256:*"


def case_dirs() -> list[Path]:
    """Every case directory."""
    return sorted(p for p in CASES.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def text(plan: dict[str, Any]) -> str:
    """plan.json's exact text."""
    return json.dumps(plan, indent=2, ensure_ascii=False) + "\n"


def actual(case: Path) -> dict[str, Any]:
    """The planner's plan for a case, digests replaced by the placeholder."""
    state = load_snapshot(case / "snapshot.yaml", TODAY)
    spec = load_spec(case / "spec.yaml")
    plan = compute_plan(spec, state).to_dict()
    for key in DIGESTS:
        assert isinstance(plan[key], str) and plan[key].startswith("sha256:"), f"{key}: {plan[key]!r}"
        plan[key] = DIGEST_PLACEHOLDER
    return plan


def load_facts(case: Path) -> list[dict[str, Any]]:
    """The facts of a case (facts.yaml), each a mapping."""
    document = yaml.safe_load((case / "facts.yaml").read_text(encoding="utf-8"))
    facts = document.get("facts") if isinstance(document, dict) else None
    assert isinstance(facts, list) and facts, f"{case.name}/facts.yaml: expected `facts:` with at least one fact"
    assert isinstance(document.get("checked"), str), f"{case.name}/facts.yaml: say what was checked in `checked:`"
    return facts


def _name(action: dict[str, Any]) -> str:
    return f"{action['type']} {action['address']}"


def _matches(plan: dict[str, Any], ref: str) -> list[dict[str, Any]]:
    return [a for a in plan["actions"] if fnmatch.fnmatchcase(_name(a), ref)]


def _one(plan: dict[str, Any], ref: str) -> dict[str, Any]:
    found = _matches(plan, ref)
    if len(found) != 1:
        raise AssertionError(f"{ref!r} matches {len(found)} actions, not one: {[_name(a) for a in found]}")
    return found[0]


def _depends(plan: dict[str, Any], later: dict[str, Any], earlier: dict[str, Any]) -> bool:
    by_id = {a["id"]: a for a in plan["actions"]}
    todo, seen = list(later["depends_on"]), set()
    while todo:
        i = todo.pop()
        if i == earlier["id"]:
            return True
        if i not in seen:
            seen.add(i)
            todo += by_id[i]["depends_on"]
    return False


def check_fact(plan: dict[str, Any], fact: dict[str, Any]) -> None:
    """Raise AssertionError saying how `plan` breaks `fact`."""
    if "waits" in fact:
        later, earlier = _one(plan, fact["waits"]), _one(plan, fact["for"])
        assert _depends(plan, later, earlier), f"{fact['waits']} does not wait for {fact['for']}"
    elif "order" in fact:
        ids = [_one(plan, ref)["id"] for ref in fact["order"]]
        assert ids == sorted(ids), f"not in this order: {fact['order']} (ids {ids})"
    elif "action" in fact:
        action = _one(plan, fact["action"])
        for key in ("after", "before"):
            for field, value in (fact.get(key) or {}).items():
                got = (action[key] or {}).get(field)
                assert got == value, f"{fact['action']}: {key}.{field} is {got!r}, not {value!r}"
        for key in ("destructive", "manual"):
            if key in fact:
                assert bool(action.get(key)) == fact[key], f"{fact['action']}: {key} is not {fact[key]}"
        if fact.get("waits_for_nothing"):
            assert not action["depends_on"], f"{fact['action']} waits for {action['depends_on']}"
    elif "absent" in fact:
        found = _matches(plan, fact["absent"])
        assert not found, f"{fact['absent']!r} should be absent: {[_name(a) for a in found]}"
    elif "count" in fact:
        for kind, n in fact["count"].items():
            got = sum(1 for a in plan["actions"] if a["type"] == kind)
            assert got == n, f"{got} {kind} actions, not {n}"
    elif "actions" in fact:
        assert len(plan["actions"]) == fact["actions"], f"{len(plan['actions'])} actions, not {fact['actions']}"
    elif "diagnostic" in fact:
        found = [
            d
            for d in plan["diagnostics"]
            if d["code"] == fact["diagnostic"]
            and d["severity"] == fact.get("severity", d["severity"])
            and fact.get("mentions", "") in d["message"]
        ]
        assert found, (
            f"no {fact.get('severity', '')} diagnostic {fact['diagnostic']} mentioning "
            f"{fact.get('mentions', '')!r}: {[(d['code'], d['message']) for d in plan['diagnostics']]}"
        )
    elif "no_diagnostic" in fact:
        found = [d["message"] for d in plan["diagnostics"] if d["code"] == fact["no_diagnostic"]]
        assert not found, f"diagnostic {fact['no_diagnostic']} should be absent: {found}"
    elif "no_errors" in fact:
        errors = [d["message"] for d in plan["diagnostics"] if d["severity"] == "error"]
        assert not errors, f"the plan has errors: {errors}"
    else:
        raise AssertionError(f"unknown fact {fact!r}")


def failed_facts(plan: dict[str, Any], facts: list[dict[str, Any]]) -> list[str]:
    """Each fact that `plan` breaks, with why."""
    out = []
    for fact in facts:
        try:
            check_fact(plan, fact)
        except AssertionError as exc:
            out.append(f"{fact}: {exc}")
    return out
