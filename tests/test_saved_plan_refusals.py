"""Saved plans in-process: every refusal's exact words, and how a file is read back and located.

The CLI tests in test_saved_plans.py check that each stale case is refused with nothing applied;
these check the functions underneath, so that a changed reason, a lost default or a path resolved
against the wrong folder fails here (the mutation run found all three unguarded).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reconciler.apply.savedplan import (
    SavedPlan,
    StalePlanError,
    check_fresh,
    check_same,
    is_saved_plan,
    load_saved,
    plan_digest,
    saved_document,
)
from reconciler.domain.actions import AssignLicense
from reconciler.plan.compute import Action, Diagnostic, Plan

PLAN = Plan("contoso", "sha256:spec", "sha256:state", (Action(1, AssignLicense("a@contoso.com", "SPE_E5")),))


def saved(plan: Plan = PLAN) -> SavedPlan:
    return SavedPlan(plan, "specs/contoso.yaml", "local:t.db", "sha256:x")


def refusal(call, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(StalePlanError) as exc:
        call(*args)
    return str(exc.value)


def test_each_stale_reason_has_its_own_words_and_the_first_one_wins() -> None:
    assert refusal(check_fresh, saved(), "other", "other", "2026-11-20T10:00:00Z", "run-7") == (
        "this plan was already applied on 2026-11-20T10:00:00Z; nothing was applied. "
        "Run `tenantctl plan` for what is left to do"
    )
    assert refusal(check_fresh, saved(), "other", "other", None, "run-7") == (
        "an apply of this plan (run run-7) was interrupted part way, so the tenant no longer matches it; "
        "nothing was applied. Plan again: the new plan holds only what is left (see `tenantctl history`)"
    )
    assert refusal(check_fresh, saved(), "other", "other", None) == (
        "the spec specs/contoso.yaml changed since the plan was made; nothing was applied. "
        "Plan again and review the new plan"
    )
    assert refusal(check_fresh, saved(), "sha256:spec", "other", None) == (
        "the tenant changed since the plan was made (a change made elsewhere, or one that came with the date: a "
        "seven-day cancellation window closed, a renewal); nothing was applied. Plan again and review the new plan"
    )
    check_fresh(saved(), "sha256:spec", "sha256:state", None)  # fresh: no refusal


def test_a_recomputed_plan_that_differs_is_refused_with_the_reasons_it_could_have() -> None:
    check_same(saved(), PLAN)
    other = Plan(PLAN.tenant, PLAN.spec_digest, PLAN.state_digest, ())
    assert refusal(check_same, saved(), other) == (
        "the saved plan's actions are not what this spec and tenant give today: something that depends on the "
        "date changed since it was made (a seven-day cancellation window closed, funds expired, a renewal came), "
        "or the file was edited, or another tenantctl version wrote it; nothing was applied. "
        "Plan again and review the new plan"
    )


def test_paths_are_written_relative_to_the_plan_file_even_with_a_colon_in_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plans").mkdir()
    (tmp_path / "elsewhere").mkdir()
    out = tmp_path / "plans" / "p.json"
    tenant = tmp_path / "state:1.db"
    document = saved_document(PLAN, str(tmp_path / "contoso.yaml"), f"local:{tenant}", out)
    assert document["spec_path"] == os.path.join("..", "contoso.yaml")
    assert document["provider"] == "local:" + os.path.join("..", "state:1.db")
    assert "allow_destroy" not in document  # only a plan made with --allow-destroy carries the approval
    assert (
        len(document["saved_id"]) == 32
        and document["saved_id"] != saved_document(PLAN, "contoso.yaml", "local:t.db", out)["saved_id"]
    )
    assert document["plan_digest"] == plan_digest(document)
    # Read back from another working folder: both files are found beside the plan.
    out.write_text(json.dumps(document), encoding="utf-8")
    tenant.touch()
    (tmp_path / "contoso.yaml").touch()
    monkeypatch.chdir(tmp_path / "elsewhere")
    back = load_saved(str(out))
    scheme, _, where = back.provider.partition(":")
    assert scheme == "local" and Path(where).resolve() == tenant
    assert Path(back.spec_path).resolve() == tmp_path / "contoso.yaml"
    assert back.plan == PLAN and back.allow_destroy is False


def _write(path: Path, document: dict) -> str:  # type: ignore[type-arg]
    document["plan_digest"] = plan_digest(document)
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_an_older_plan_without_the_optional_fields_reads_back_with_their_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Older tenantctl wrote no cost, guardrails, targets, manual, steps or diagnostic address,
    # a provider without a path, and paths relative to the working folder.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plans").mkdir()
    (tmp_path / "contoso.yaml").touch()  # beside the working folder, not beside the plan
    path = _write(
        tmp_path / "plans" / "old.json",
        {
            "format_version": "1",
            "tenant": "contoso",
            "spec_digest": "s",
            "state_digest": "t",
            "actions": [
                {
                    "id": "a1",
                    "type": "assign_license",
                    "address": "user/a@contoso.com/license/SPE_E5",
                    "before": {},
                    "after": {"assigned": True},
                    "destructive": False,
                    "depends_on": [],
                }
            ],
            "diagnostics": [{"severity": "info", "code": "c", "message": "m"}],
            "spec_path": "contoso.yaml",
            "provider": "graph",
        },
    )
    back = load_saved(path)
    action = back.plan.actions[0]
    assert action.manual is False and action.steps == ()
    assert back.plan.diagnostics == (Diagnostic("info", "c", "m", ""),)
    assert back.plan.cost is None and back.plan.guardrails == () and back.plan.targets == ()
    assert back.provider == "graph" and back.spec_path == "contoso.yaml" and back.allow_destroy is False


def test_a_spec_path_is_looked_for_beside_the_plan_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plans").mkdir()
    base = {
        "format_version": "1",
        "tenant": "t",
        "spec_digest": "s",
        "state_digest": "t",
        "actions": [],
        "diagnostics": [],
        "provider": "local:nowhere.db",
    }
    beside = tmp_path / "plans" / "spec.yaml"
    # Found nowhere: named beside the plan (where the error message then points).
    assert load_saved(_write(tmp_path / "plans" / "a.json", {**base, "spec_path": "spec.yaml"})).spec_path == str(
        beside
    )
    # Found in both places: the one beside the plan wins.
    beside.touch()
    (tmp_path / "spec.yaml").touch()
    assert load_saved(_write(tmp_path / "plans" / "b.json", {**base, "spec_path": "spec.yaml"})).spec_path == str(
        beside
    )
    # Absolute: kept.
    assert load_saved(
        _write(tmp_path / "plans" / "c.json", {**base, "spec_path": str(tmp_path / "spec.yaml")})
    ).spec_path == str(tmp_path / "spec.yaml")


def test_malformed_and_unreadable_plans_are_refused_by_name(tmp_path: Path) -> None:
    broken = _write(tmp_path / "broken.json", {"format_version": "1"})
    assert refusal(load_saved, broken) == f"{broken}: malformed saved plan ('actions')"
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json", encoding="utf-8")
    assert refusal(load_saved, str(garbage)) == (
        f"{garbage}: not a saved plan: it is not JSON (line 1); write one with `tenantctl plan SPEC --out FILE`"
    )
    assert refusal(load_saved, str(tmp_path / "missing.json")) == (
        f"{tmp_path / 'missing.json'}: no such file; write a saved plan with `tenantctl plan SPEC --out FILE`"
    )
    assert refusal(load_saved, str(tmp_path)).startswith(f"{tmp_path}: cannot be read (")  # a folder


def test_a_saved_plan_is_told_from_a_spec_by_its_first_character(tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    plan.write_text('\n\n   {"format_version": "1"}\n', encoding="utf-8")
    spec = tmp_path / "spec"
    spec.write_text("apiVersion: tenantctl/v1\n", encoding="utf-8")
    assert is_saved_plan(str(plan)) and not is_saved_plan(str(spec))
    assert not is_saved_plan(str(tmp_path / "missing"))  # the spec loader then says the file is missing


def test_only_a_saved_plan_counts_as_written_by_tenantctl(tmp_path: Path) -> None:
    """`plan --out FOLDER` clears its own old plans and nothing else."""
    from reconciler.apply.savedplan import written_by_tenantctl

    ours = tmp_path / "ours.json"
    ours.write_text(json.dumps({"format_version": "1", "plan_digest": "sha256:x"}), encoding="utf-8")
    assert written_by_tenantctl(str(ours))
    for name, text in [
        ("no_digest.json", '{"format_version": "1"}'),
        ("no_version.json", '{"plan_digest": "x"}'),
        ("list.json", '["plan_digest", "format_version"]'),
        ("yaml.json", "plan_digest: x"),
        ("broken.json", '{"plan_digest":'),
    ]:
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert not written_by_tenantctl(str(tmp_path / name)), name
    assert not written_by_tenantctl(str(tmp_path / "missing.json"))


def test_a_provider_address_without_a_file_is_written_as_it_is(tmp_path: Path) -> None:
    assert saved_document(PLAN, "contoso.yaml", "graph", tmp_path / "p.json")["provider"] == "graph"


def test_a_hand_built_plan_with_a_provider_that_is_not_text_is_malformed_not_a_crash(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "odd.json",
        {
            "format_version": "1",
            "tenant": "t",
            "spec_digest": "s",
            "state_digest": "t",
            "actions": [],
            "diagnostics": [],
            "spec_path": "s.yaml",
            "provider": 5,
        },
    )
    assert refusal(load_saved, path) == f"{path}: malformed saved plan ('int' object has no attribute 'partition')"
