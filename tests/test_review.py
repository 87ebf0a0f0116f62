"""Review output: Markdown parts under GitHub's limit, folders of tenants, JUnit drift, cost and guardrails."""

from __future__ import annotations

import json
import re
import shutil
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, SAMPLES, SPECS
from synthetic import write_big_tenant

from reconciler.cli import fleet
from reconciler.render.markdown import GITHUB_COMMENT_LIMIT, Block, fold, size, split

BIG_USERS = 10_000
BIG_REMOVALS = 500


def load(cli, name: str, provider: str | None = None) -> None:
    args = ["snapshot", "load", EXAMPLES / f"{name}.snapshot.yaml"] + (["--provider", provider] if provider else [])
    r = cli(*args)
    assert r.code == 0, r.err


def balanced(part: str) -> bool:
    return part.count("<details") == part.count("</details>") and part.count("```") % 2 == 0


def big_markdown(cli, workdir: Path, command: str) -> tuple[Path, Any, list[Path]]:
    """The 10,000-user tenant loaded and `command` (plan or drift) run as Markdown into comment/."""
    spec = write_big_tenant(workdir, BIG_USERS, BIG_REMOVALS)
    assert cli("snapshot", "load", "big.snapshot.yaml").code == 0
    r = cli(command, spec, "--format", "markdown", "--markdown-dir", "comment")
    return spec, r, sorted((workdir / "comment").glob("part-*.md"))


def test_a_10000_user_change_is_one_comment_grouped_by_change(cli, workdir: Path) -> None:
    # Issue 13 item 15: user actions grouped by their change pattern, with the first names.
    spec, r, parts = big_markdown(cli, workdir, "plan")
    assert r.code == 0, r.err
    assert len(parts) == 1 and size(r.out) < 5_000 and balanced(r.out)
    first = r.out
    # Summary, counts, cost and the destructive changes come before the folded list.
    fold_at = first.index("<details>")
    for needle in (
        "### Tenant `big`",
        f"**Plan: 1 to buy, 0 to change, {BIG_USERS:,} to assign, "
        f"{BIG_REMOVALS} to remove ({BIG_REMOVALS} destructive).**",
        "| `assign_license` | 10000 |",
        f"+{BIG_USERS * 38 * 1.05:,.2f}",
        f":warning: **{BIG_REMOVALS} destructive action(s):**",
        ":warning: **500 users**: `+ ENTERPRISEPREMIUM`, `- MCOEV` (user00000@big.example, "
        "user00001@big.example, user00002@big.example and 497 more)",
    ):
        assert first.index(needle) < fold_at, needle
    assert "**10,500 user actions by change** (2 patterns;" in first
    assert "- **9,500 users**: `+ ENTERPRISEPREMIUM` (user00500@big.example" in first
    # Every action is still in the JSON plan.
    doc = json.loads(cli("plan", spec, "--format", "json").out)
    assert len(doc["actions"]) == 1 + BIG_USERS + BIG_REMOVALS


def test_markdown_of_10000_drifted_users_splits_under_the_limit(cli, workdir: Path) -> None:
    _, r, parts = big_markdown(cli, workdir, "drift")
    assert r.code == 2, r.err
    texts = [p.read_text(encoding="utf-8") for p in parts]
    assert len(texts) > 1 and r.out == "\n".join(texts)
    for i, text in enumerate(texts, start=1):
        assert size(text) <= GITHUB_COMMENT_LIMIT, parts[i - 1]
        assert text.startswith(f"<!-- tenantctl drift part {i}/{len(texts)} -->\n_Part {i} of {len(texts)}_")
        assert balanced(text), f"part {i} leaves a fold or a code fence open"
    # Every drifted field is listed exactly once across the parts, in order.
    listed = [line for text in texts for line in text.splitlines() if line.startswith("| `")]
    assert len(listed) == 1 + BIG_USERS + BIG_REMOVALS
    assert listed == sorted(listed, key=listed.index) and len(set(listed)) == len(listed)
    # A later part says whose list it continues.
    assert "Tenant `big`" in texts[1] and "(continued)" in texts[1]


def test_markdown_dir_drops_parts_of_an_earlier_longer_run(cli, workdir: Path) -> None:
    load(cli, "northwind")
    stale = workdir / "comment" / "part-007.md"
    stale.parent.mkdir()
    stale.write_text("old")
    r = cli("plan", SPECS / "northwind.yaml", "--markdown-dir", "comment")
    assert r.code == 0, r.err
    assert r.out.startswith("Tenant northwind")  # text on stdout; the Markdown went to the files
    assert [p.name for p in (workdir / "comment").iterdir()] == ["part-001.md"]
    assert (workdir / "comment" / "part-001.md").read_text().startswith("<!-- tenantctl plan part 1/1 -->\n")


def test_split_keeps_blocks_whole_and_cuts_only_between_items() -> None:
    lines = [f"+ assign_license user/u{i}@x.example/MCOEV" for i in range(400)]
    blocks = [Block(("### Tenant `t`", "", "**Plan: ...**", "")), fold("All 400 actions", lines, "Tenant `t`", "diff")]
    parts = split(blocks, limit=4_000)
    assert len(parts) > 3
    assert all(size(p) <= 4_000 and balanced(p) for p in parts)
    assert [ln for p in parts for ln in p.splitlines() if ln.startswith("+ ")] == lines
    # One part: the marker (CI finds its comments by it) but no "Part 1 of 1".
    assert split(blocks[:1]) == ["<!-- tenantctl part 1/1 -->\n### Tenant `t`\n\n**Plan: ...**\n"]


def test_split_cuts_an_oversized_line_instead_of_breaking_the_limit() -> None:
    parts = split([fold("x", ["+ " + "é" * 10_000], "t")], limit=2_000)
    assert all(size(p) <= 2_000 for p in parts) and "…" in parts[0]


THREE = ("contoso", "fabrikam", "northwind")  # the samples the folder tests count


def folder_of_samples(workdir: Path) -> Path:
    folder = workdir / "specs"
    folder.mkdir()
    for name in THREE:
        shutil.copy(SPECS / f"{name}.yaml", folder)
    return folder


def test_folder_plan_sections_footer_and_failures_isolated(cli, workdir: Path) -> None:
    folder = folder_of_samples(workdir)
    load(cli, "contoso")
    load(cli, "northwind")  # fabrikam has no local tenant yet: that tenant fails, the others still plan
    r = cli("plan", folder)
    assert r.code == 1
    assert "Tenant contoso" in r.out and "Tenant northwind" in r.out
    assert (
        re.search(r"Tenant file .*fabrikam\.yaml: failed\nerror: there is no simulated tenant at", r.out)
        or "no simulated tenant at" in r.out.split("fabrikam.yaml: failed")[1]
    )
    assert r.out.rstrip().endswith("3 tenants: 2 with changes, 0 unchanged, 1 failed")
    assert "1 tenant(s) failed" in r.err

    load(cli, "fabrikam")
    assert cli("apply", SPECS / "northwind.yaml", "--auto-approve", "--allow-destroy").code == 0
    r = cli("plan", folder, "--detailed-exitcode", "--out", "plans")
    assert r.code == 2, r.err
    assert r.out.rstrip().endswith("3 tenants: 2 with changes, 1 unchanged, 0 failed")
    assert sorted(p.name for p in (workdir / "plans").iterdir()) == ["contoso.json", "fabrikam.json", "northwind.json"]
    applied = cli("apply", "plans/contoso.json", "--auto-approve", "--allow-destroy")
    assert applied.code == 0, applied.err
    # Planning again replaces every saved plan: one left from a tenant that now fails (or no
    # longer exists) must not be picked up by an apply loop. Other files stay.
    shutil.copy(workdir / "plans" / "contoso.json", workdir / "plans" / "retired.json")
    (workdir / "plans" / "notes.json").write_text('{"not": "a plan"}')
    assert cli("plan", folder, "--out", "plans").code == 0
    assert sorted(p.name for p in (workdir / "plans").iterdir()) == [
        "contoso.json",
        "fabrikam.json",
        "northwind.json",
        "notes.json",
    ]


def test_folder_plan_json_and_markdown(cli, workdir: Path) -> None:
    folder = folder_of_samples(workdir)
    for name in THREE:
        load(cli, name)
    doc = json.loads(cli("plan", folder, "--format", "json").out)
    assert doc["format_version"] == "1"
    assert [t["tenant"] for t in doc["tenants"]] == sorted(THREE)
    assert doc["summary"] == {"tenants": 3, "with_changes": 3, "unchanged": 0, "failed": 0}
    assert all(t["status"] == "changes" and t["plan"]["actions"] for t in doc["tenants"])
    md = cli("plan", folder, "--format", "markdown").out
    assert [m for m in re.findall(r"^### Tenant `(\w+)`", md, re.M)] == sorted(THREE)
    assert md.rstrip().endswith("**3 tenants: 3 with changes, 0 unchanged, 0 failed**")


def test_folder_rejects_one_provider_for_all_and_duplicate_tenants(cli, workdir: Path) -> None:
    folder = folder_of_samples(workdir)
    r = cli("plan", folder, "--provider", "local:one.db")
    assert r.code == 1 and "{name}" in r.err
    shutil.copy(SPECS / "contoso.yaml", folder / "zz-contoso-copy.yaml")
    for name in SAMPLES:
        load(cli, name, "local:state/{name}.db".replace("{name}", name))
    r = cli("plan", folder, "--provider", "local:state/{name}.db")
    assert r.code == 1
    assert "metadata.name 'contoso' is also used by" in r.out
    assert r.out.rstrip().endswith("4 tenants: 3 with changes, 0 unchanged, 1 failed")


def test_tenants_are_worked_on_concurrently() -> None:
    # Three workers must all be inside `work` at once to pass the barrier; run one at a time, they
    # would each time out and be reported as failed.
    barrier = threading.Barrier(3, timeout=20)
    runs = fleet.run_all(["a", "b", "c"], lambda f: (barrier.wait(), f)[1])
    assert [(r.file, r.result, r.error) for r in runs] == [("a", "a", None), ("b", "b", None), ("c", "c", None)]


def test_validate_folder_reports_every_file(cli, workdir: Path) -> None:
    folder = folder_of_samples(workdir)
    (folder / "broken.yaml").write_text(
        "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: x}\nspec: {agreement: MCA, seatz: 1}\n"
    )
    r = cli("validate", folder)
    assert r.code == 1
    assert r.out.count(": ok (Tenant ") == 3
    assert re.search(r"broken\.yaml:4:\d+: error: spec\.seatz: unknown field 'seatz'", r.err)
    assert r.out.rstrip().endswith("4 files: 3 valid, 1 failed")


def test_drift_junit_one_case_per_managed_resource(cli, workdir: Path) -> None:
    load(cli, "fabrikam")
    r = cli("drift", SPECS / "fabrikam.yaml", "--format", "junit")
    assert r.code == 2, r.err
    root = ET.fromstring(r.out)
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "fabrikam"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    # 3 subscriptions, 5 listed users, and Emil: unlisted, but fabrikam prunes his licenses.
    assert len(cases) == int(suite.get("tests", "0")) == 3 + 5 + 1
    failed = {name for name, c in cases.items() if c.find("failure") is not None}
    assert failed == {
        "subscription/MCOPSTN2",
        "subscription/MCOTEAMS_ESSENTIALS",
        "user/emil@fabrikam.eu",
        "user/dirk@fabrikam.eu",
        "user/frontdesk@fabrikam.eu",
    }
    assert int(suite.get("failures", "0")) == len(failed) == int(root.get("failures", "0"))
    emil = cases["user/emil@fabrikam.eu"].find("failure")
    assert emil is not None and "MCOPSTN2 (remove_license)" in (emil.text or "")

    assert cli("apply", SPECS / "fabrikam.yaml", "--auto-approve", "--allow-destroy").code == 0
    clean = ET.fromstring(cli("drift", SPECS / "fabrikam.yaml", "--format", "junit").out)
    assert clean.get("failures") == "0" and clean.get("tests") == str(3 + 5)


def test_drift_junit_on_stdout_and_markdown_files_from_one_read(cli, workdir: Path) -> None:
    load(cli, "fabrikam")
    r = cli("drift", SPECS / "fabrikam.yaml", "--format", "junit", "--markdown-dir", "md")
    assert r.code == 2 and ET.fromstring(r.out).get("failures") == "5"
    part = (workdir / "md" / "part-001.md").read_text()
    assert part.startswith("<!-- tenantctl drift part 1/1 -->\n### Tenant `fabrikam`: 8 fields drifted")


def test_drift_folder_junit_reports_a_failed_tenant_as_an_error(cli, workdir: Path) -> None:
    folder = folder_of_samples(workdir)
    load(cli, "contoso")
    load(cli, "northwind")
    r = cli("drift", folder, "--format", "junit")
    assert r.code == 1
    root = ET.fromstring(r.out)
    assert [s.get("name") for s in root.iter("testsuite")] == ["contoso", str(folder / "fabrikam.yaml"), "northwind"]
    assert root.get("errors") == "1"


def write_spec_with(workdir: Path, name: str, extra: str) -> Path:
    text = (SPECS / f"{name}.yaml").read_text()
    text = re.sub(r"^  guardrails:\n(    .*\n)+", "", text, flags=re.M)
    path = workdir / f"{name}.yaml"
    path.write_text(text.replace("  currency: USD\n", "  currency: USD\n" + extra))
    return path


def test_guardrail_fails_the_plan_unless_overridden(cli, workdir: Path) -> None:
    load(cli, "northwind")
    spec = write_spec_with(workdir, "northwind", "  guardrails: {maxFundsPerApply: 50}\n")
    r = cli("plan", spec)
    assert r.code == 1
    assert (
        "Guardrail maxFundsPerApply: EXCEEDED (the plan adds 90.00 USD of Communications Credits; "
        "the limit is 50.00)" in r.out
    )
    assert "error[guardrail_exceeded]" in r.out and "--override-guardrail maxFundsPerApply" in r.out
    before = cli("snapshot", "dump", "--name", "northwind").out
    refused = cli("apply", spec, "--auto-approve", "--allow-destroy")
    assert refused.code == 1 and "nothing was applied" in refused.err
    assert cli("snapshot", "dump", "--name", "northwind").out == before

    ok = cli("plan", spec, "--override-guardrail", "maxFundsPerApply", "--format", "json", "--out", "p.json")
    assert ok.code == 0, ok.err
    doc = json.loads(ok.out)
    assert doc["guardrails"] == [
        {
            "name": "maxFundsPerApply",
            "limit": 50,
            "value": 90,
            "exceeded": True,
            "overridden": True,
            "detail": doc["guardrails"][0]["detail"],
        }
    ]
    assert [d["code"] for d in doc["diagnostics"] if d["code"].startswith("guardrail")] == ["guardrail_overridden"]
    # The saved plan carries the override: it applies as reviewed, without repeating the flag.
    applied = cli("apply", "p.json", "--auto-approve", "--allow-destroy")
    assert applied.code == 0, applied.err
    assert "guardrail_overridden" in applied.out


def test_unknown_guardrail_name_is_a_usage_error(cli) -> None:
    r = cli("plan", SPECS / "northwind.yaml", "--override-guardrail", "maxEverything")
    assert r.code == 1 and "maxMonthlyIncrease" in r.err


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_tenants_plan_within_their_guardrails_with_costs(cli, name: str) -> None:
    load(cli, name)
    doc = json.loads(cli("plan", SPECS / f"{name}.yaml", "--format", "json").out)
    assert doc["guardrails"] and not any(g["exceeded"] for g in doc["guardrails"])
    cost = doc["cost"]
    assert cost["unpriced"] == []
    assert round(cost["monthly_after"] - cost["monthly_before"], 2) == cost["monthly_delta"]
    now = [a["cost"]["monthly_delta"] for a in doc["actions"] if "cost" in a and "starts" not in a["cost"]]
    assert round(sum(now), 2) == cost["monthly_delta"]
    # Changes scheduled for the renewal are priced from then on, never against the bill now.
    later = [a["cost"]["monthly_delta"] for a in doc["actions"] if "starts" in a.get("cost", {})]
    if later:
        assert round(cost["monthly_after"] + sum(later), 2) == cost["monthly_at_renewal"]


def test_fabrikam_cost_by_hand(cli) -> None:
    load(cli, "fabrikam")
    doc = json.loads(cli("plan", SPECS / "fabrikam.yaml", "--format", "json").out)
    # Before: 6 x 33.30 (E5 without conferencing, list, a year paid annually) + 5 x 19.90 x 1.05 (MCOPSTN2,
    # spec price, a year billed monthly) = 199.80 + 104.475 = 304.28. Now: two month-to-month
    # MCOTEAMS_ESSENTIALS add 2 x 14.10 x 1.2 = 33.84 (338.12). From the renewal on 2027-04-01,
    # MCOPSTN2 5 -> 4 saves 19.90 x 1.05 = 20.895 (317.22).
    cost = doc["cost"]
    assert (cost["monthly_before"], cost["monthly_after"], cost["monthly_at_renewal"]) == (304.28, 338.12, 317.22)
    assert doc["cost"]["spec_prices"] == ["MCOPSTN2"] and doc["cost"]["currency"] == "EUR"
