"""render/fleet.py: a folder of tenants as text, Markdown and JSON, and the footer that counts them (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from conftest import EXAMPLES, SPECS, TODAY

from reconciler.cli.fleet import TenantRun
from reconciler.plan.compute import FORMAT_VERSION, Plan, compute_plan
from reconciler.plan.drift import DriftReport, drift_report
from reconciler.render.fleet import (
    drift_footer,
    drift_status,
    drifts_json,
    fleet_markdown,
    fleet_text,
    footer,
    plan_footer,
    plan_status,
    plans_json,
)
from reconciler.render.markdown import Block
from reconciler.render.text import Style, to_json
from reconciler.spec.loader import load_spec
from reconciler.spec.snapshot import load_snapshot


@dataclass(frozen=True)
class Reviewed:
    """What a command's work returns per file (as cli/review.py's Planned and Drifted do)."""

    plan: Plan
    report: DriftReport


def reviewed(name: str) -> Reviewed:
    spec = load_spec(SPECS / f"{name}.yaml")
    state = load_snapshot(EXAMPLES / f"{name}.snapshot.yaml", TODAY)
    plan = compute_plan(spec, state)
    return Reviewed(plan, drift_report(plan, spec, state))


@pytest.fixture(scope="module")
def runs() -> list[TenantRun[Reviewed]]:
    return [
        TenantRun("specs/contoso.yaml", result=reviewed("contoso")),
        TenantRun("specs/broken.yaml", error="specs/broken.yaml:1:1: error: missing required field 'kind'\nmore"),
        TenantRun("specs/fabrikam.yaml", result=reviewed("fabrikam")),
    ]


@pytest.mark.parametrize(
    ("total", "counts", "failed", "noun", "expected"),
    [
        (3, [(2, "with changes"), (0, "unchanged")], 1, "tenants", "3 tenants: 2 with changes, 0 unchanged, 1 failed"),
        (1, [(1, "drifted"), (0, "in sync")], 0, "tenants", "1 tenant: 1 drifted, 0 in sync, 0 failed"),
        (1, [(1, "valid")], 0, "files", "1 file: 1 valid, 0 failed"),
        (0, [], 0, "files", "0 files: 0 failed"),
    ],
)
def test_the_footer_counts_each_outcome_and_says_tenant_for_one(
    total: int, counts: list[tuple[int, str]], failed: int, noun: str, expected: str
) -> None:
    assert footer(total, counts, failed, noun) == expected


def test_a_tenant_is_failed_without_a_plan_or_with_plan_errors_else_changes_or_unchanged(
    runs: list[TenantRun[Reviewed]],
) -> None:
    contoso = runs[0].result
    assert contoso is not None and contoso.plan.actions and not contoso.plan.has_errors
    assert plan_status(contoso.plan) == "changes"
    assert plan_status(None) == "failed"
    unchanged = Plan(contoso.plan.tenant, contoso.plan.spec_digest, contoso.plan.state_digest, ())
    assert plan_status(unchanged) == "unchanged"
    assert drift_status(None) == "failed"
    assert drift_status(contoso.report) == ("drifted" if contoso.report.drifted else "in sync")
    assert plan_footer(["changes", "failed", "unchanged", "changes"]) == (
        "4 tenants: 2 with changes, 1 unchanged, 1 failed"
    )
    assert drift_footer(["in sync"]) == "1 tenant: 0 drifted, 1 in sync, 0 failed"


def test_text_has_one_section_per_tenant_a_failed_one_with_its_error_then_the_footer(
    runs: list[TenantRun[Reviewed]],
) -> None:
    text = fleet_text(runs, lambda r: f"Tenant {r.plan.tenant}\n", "3 tenants: ...", Style(False))
    assert text == (
        "Tenant contoso\n\n"
        "Tenant file specs/broken.yaml: failed\nspecs/broken.yaml:1:1: error: missing required field 'kind'\nmore\n\n"
        "Tenant fabrikam\n\n3 tenants: ...\n"
    )
    # No footer (one file): the section is the whole output, exactly the single-tenant format.
    assert fleet_text(runs[:1], lambda r: "the plan\n", "", Style(False)) == "the plan\n"
    coloured = fleet_text(runs[1:2], lambda r: "", "footer", Style(True))
    assert coloured.startswith("\x1b[1mTenant file specs/broken.yaml: failed\x1b[0m\n")
    assert coloured.endswith("\n\x1b[1mfooter\x1b[0m\n")


def test_markdown_fences_a_failed_tenants_error_and_ends_with_the_bold_footer(
    runs: list[TenantRun[Reviewed]],
) -> None:
    parts = fleet_markdown(runs, lambda r: [Block((f"### {r.plan.tenant}", ""))], "3 tenants: x", "tenantctl plan")
    assert len(parts) == 1
    body = parts[0]
    assert "### contoso" in body and "### fabrikam" in body and body.rstrip().endswith("**3 tenants: x**")
    failed = "### Tenant file `specs/broken.yaml`: failed\n\n```\nspecs/broken.yaml:1:1: error: missing required field"
    assert failed in body and "'kind'\nmore\n```" in body
    assert "**" not in fleet_markdown(runs[:1], lambda r: [Block(("x",))], "", "tenantctl plan")[0]


def test_the_fleet_plan_document_lists_every_tenant_with_its_status_and_counts_them(
    runs: list[TenantRun[Reviewed]],
) -> None:
    document = plans_json(runs, lambda r: r.plan)
    assert list(document) == ["format_version", "tenants", "summary"]
    assert document["format_version"] == FORMAT_VERSION
    first, broken, _ = document["tenants"]
    assert list(first) == ["file", "tenant", "status", "plan", "error"]
    assert first["tenant"] == "contoso" and first["status"] == "changes" and first["error"] is None
    assert first["plan"] == json.loads(to_json(runs[0].result.plan.to_dict()))  # type: ignore[union-attr]
    assert broken == {
        "file": "specs/broken.yaml",
        "tenant": None,
        "status": "failed",
        "plan": None,
        "error": runs[1].error,
    }
    statuses = [t["status"] for t in document["tenants"]]
    assert document["summary"] == {
        "tenants": 3,
        "with_changes": statuses.count("changes"),
        "unchanged": statuses.count("unchanged"),
        "failed": 1,
    }


def test_the_fleet_drift_document_lists_every_tenant_with_its_status_and_counts_them(
    runs: list[TenantRun[Reviewed]],
) -> None:
    document = drifts_json(runs, lambda r: r.report)
    assert document["format_version"] == "1"
    first, broken, _ = document["tenants"]
    assert list(first) == ["file", "status", "report", "error"]
    assert first["report"] == runs[0].result.report.to_dict()  # type: ignore[union-attr]
    assert broken == {"file": "specs/broken.yaml", "status": "failed", "report": None, "error": runs[1].error}
    statuses = [t["status"] for t in document["tenants"]]
    assert document["summary"] == {
        "tenants": 3,
        "drifted": statuses.count("drifted"),
        "in_sync": statuses.count("in sync"),
        "failed": 1,
    }
