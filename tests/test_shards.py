"""A fleet split across CI runners (issue 18): `--shard K/N` and `report merge`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import EXAMPLES, SPECS
from hypothesis import given
from hypothesis import strategies as st

from reconciler.cli.fleet import in_shard, shard_of, tenant_key

NAMES = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)


@given(names=st.lists(NAMES, unique=True, max_size=60), n=st.integers(1, 9))
def test_the_shards_of_a_fleet_are_disjoint_and_cover_it(names: list[str], n: int) -> None:
    owners = {name: [k for k in range(1, n + 1) if shard_of(name, n) == k] for name in names}
    assert all(len(ks) == 1 for ks in owners.values())  # each tenant in exactly one shard


def test_a_shard_is_chosen_by_the_tenants_name_stably(tmp_path: Path) -> None:
    forms = {
        "flow.yaml": "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: acme-eu, tenantId: x}\nspec: {}\n",
        "block.yaml": "kind: Tenant\nmetadata:  # the tenant\n  tenantId: x\n\n  name: 'acme-us'\nspec: {}\n",
        "broken.yaml": "kind: Tenant\nspec: {}\n",
    }
    for name, text in forms.items():
        (tmp_path / name).write_text(text)
    keys = [tenant_key(str(tmp_path / name)) for name in forms]
    assert keys == ["acme-eu", "acme-us", "broken"]  # no readable name: the file's own
    # The same on every machine and run (a CI matrix's runners must agree): a fixed hash, not Python's.
    assert [shard_of(k, 4) for k in ("contoso", "fabrikam", "northwind")] == [
        shard_of("contoso", 4),
        shard_of("fabrikam", 4),
        shard_of("northwind", 4),
    ]
    assert shard_of("contoso", 1) == 1


def _fleet(folder: Path, n: int) -> Path:
    tenants = folder / "tenants"
    tenants.mkdir()
    text = (SPECS / "contoso.yaml").read_text(encoding="utf-8")
    for i in range(n):
        (tenants / f"t{i:02d}.yaml").write_text(re.sub(r"(?m)^  name: contoso$", f"  name: t{i:02d}", text))
    return tenants


def test_sharded_runs_merge_into_the_whole_fleets_summary(cli, workdir: Path) -> None:
    tenants = _fleet(workdir, 14)
    snapshot = (EXAMPLES / "contoso.snapshot.yaml").read_text(encoding="utf-8")
    for i in range(14):
        own = workdir / f"t{i:02d}.snapshot.yaml"
        own.write_text(snapshot.replace("metadata: {name: contoso,", f"metadata: {{name: t{i:02d},"))
        assert cli("snapshot", "load", own, "--provider", f"local:db/t{i:02d}.db").code == 0
    provider = ["--provider", "local:db/{name}.db"]
    whole = cli("plan", tenants, "--format", "json", *provider)
    assert whole.code == 0, whole.err
    shards = []
    for k in (1, 2, 3):
        run = cli("plan", tenants, "--shard", f"{k}/3", "--format", "json", *provider)
        assert run.code == 0, run.err
        (workdir / f"shard-{k}.json").write_text(run.out)
        shards.append({t["file"] for t in json.loads(run.out)["tenants"]})
    assert set.union(*shards) == {t["file"] for t in json.loads(whole.out)["tenants"]}
    assert sum(len(s) for s in shards) == 14  # no tenant in two shards
    merged = cli("report", "merge", *(workdir / f"shard-{k}.json" for k in (1, 2, 3)))
    assert merged.code == 0, merged.err
    assert json.loads(merged.out) == json.loads(whole.out)
    text = cli("report", "merge", *(workdir / f"shard-{k}.json" for k in (1, 2, 3)), "--format", "text")
    lines = text.out.splitlines()
    assert lines[-1] == "14 tenants: 14 with changes, 0 unchanged, 0 failed"
    per_tenant = {t["tenant"] if "tenant" in t else t["plan"]["tenant"]: t for t in json.loads(whole.out)["tenants"]}
    assert lines[:-1] == [
        f"{name}: changes: {t['plan']['summary']['total']} action(s), {t['plan']['summary']['destructive']} destructive"
        for name, t in sorted(per_tenant.items(), key=lambda kv: kv[1]["file"])
    ]
    table = cli("report", "merge", *(workdir / f"shard-{k}.json" for k in (1, 2, 3)), "--format", "markdown")
    assert "| tenant | file | status | what |" in table.out and "| changes | 12 action(s), 1 destructive |" in table.out


def test_drift_junit_shards_merge_and_overlaps_are_refused(cli, workdir: Path) -> None:
    tenants = _fleet(workdir, 5)
    provider = ["--provider", "local:db/{name}.db"]  # no tenant loaded: every tenant is an error case
    for k in (1, 2):
        run = cli("drift", tenants, "--shard", f"{k}/2", "--format", "junit", *provider)
        (workdir / f"shard-{k}.xml").write_text(run.out)
    merged = cli("report", "merge", workdir / "shard-1.xml", workdir / "shard-2.xml")
    assert merged.code == 1 and 'tests="5"' in merged.out and merged.out.count("<testsuite ") == 5
    twice = cli("report", "merge", workdir / "shard-1.xml", workdir / "shard-1.xml")
    assert twice.code == 1 and "is in both" in twice.err
    mixed = cli(
        "report", "merge", workdir / "shard-1.xml", SPECS.parent / "tests" / "cases" / "no_changes" / "plan.json"
    )
    assert mixed.code == 1 and "not both" in mixed.err


@pytest.mark.parametrize("bad", ["0/3", "4/3", "a/b", "3"])
def test_a_bad_shard_is_a_usage_error(cli, workdir: Path, bad: str) -> None:
    tenants = _fleet(workdir, 2)
    run = cli("validate", tenants, "--shard", bad)
    assert run.code == 1 and "K/N" in run.err


def test_shard_on_a_single_file_is_refused(cli) -> None:
    run = cli("plan", SPECS / "contoso.yaml", "--shard", "1/2")
    assert run.code == 1 and "splits a folder" in run.err


def test_an_empty_shard_is_an_empty_fleet_not_an_error(cli, workdir: Path) -> None:
    tenants = _fleet(workdir, 1)
    empty = next(k for k in (1, 2, 3) if shard_of("t00", 3) != k)
    run = cli("validate", tenants, "--shard", f"{empty}/3")
    assert run.code == 0 and run.out == "0 files: 0 valid, 0 failed\n"
    assert in_shard([str(tenants / "t00.yaml")], (shard_of("t00", 3), 3)) == [str(tenants / "t00.yaml")]


def test_merge_refuses_an_incomplete_or_doubled_fleet_and_bad_files(cli, workdir: Path) -> None:
    """Review findings: a missing shard, shards cut with different N, the same tenant from two files, files
    that are not tenantctl's, and `report -q merge`."""
    tenants = _fleet(workdir, 6)
    for k in (1, 2, 3):
        (workdir / f"s{k}.json").write_text(
            cli("validate", tenants).out and cli("plan", tenants, "--shard", f"{k}/3", "--format", "json").out
        )
    (workdir / "other.json").write_text(cli("plan", tenants, "--shard", "1/2", "--format", "json").out)
    missing = cli("report", "merge", workdir / "s1.json", workdir / "s2.json")
    assert missing.code == 1 and "shard 3/3 is missing" in missing.err
    mixed = cli(
        "report", "merge", workdir / "s1.json", workdir / "s2.json", workdir / "s3.json", workdir / "other.json"
    )
    assert mixed.code == 1 and "cut differently" in mixed.err
    snapshot = workdir / "t00.snapshot.yaml"
    snapshot.write_text(
        (EXAMPLES / "contoso.snapshot.yaml").read_text().replace("metadata: {name: contoso,", "metadata: {name: t00,")
    )
    assert cli("snapshot", "load", snapshot).code == 0
    single = workdir / "one.json"
    single.write_text(cli("plan", tenants / "t00.yaml", "--format", "json").out)
    whole = workdir / "whole.json"
    whole.write_text(cli("plan", tenants, "--format", "json").out)
    doubled = cli("report", "merge", whole, single)
    assert doubled.code == 1 and "tenant t00 is in both" in doubled.err
    (workdir / "bad.json").write_text('{"tenants": [1], "summary": {"with_changes": 0}}')
    bad = cli("report", "merge", workdir / "bad.json")
    assert bad.code == 1 and "not one `tenantctl plan` writes" in bad.err
    (workdir / "utf16.json").write_text(whole.read_text(), encoding="utf-16")
    wide = cli("report", "merge", workdir / "utf16.json")
    assert wide.code == 1 and "not UTF-8" in wide.err
    (workdir / "bom.json").write_text(whole.read_text(), encoding="utf-8-sig")
    assert cli("report", "merge", workdir / "bom.json").out == cli("report", "merge", whole).out  # a BOM is read past
    quiet = cli(
        "report", "-q", "merge", workdir / "s1.json", workdir / "s2.json", workdir / "s3.json", "--format", "text"
    )
    assert quiet.code == 1 and quiet.out.startswith(
        "6 tenants"
    )  # exit 1: the tenants without a simulated tenant failed
    loud = cli("report", "merge", workdir / "s1.json", workdir / "s2.json", workdir / "s3.json", "--format", "text")
    failed = [line for line in loud.out.splitlines() if ": failed: " in line]  # shards planned before t00's load
    assert len(failed) == 6 and all("t0" in line and "there is no simulated tenant" in line for line in failed)
    assert loud.out.endswith("6 tenants: 0 with changes, 0 unchanged, 6 failed\n")


def test_a_merged_failure_says_how_much_more_its_error_has() -> None:
    from reconciler.render.merge import merged_text

    entry = {"file": "a.yaml", "status": "failed", "plan": None, "error": "a.yaml:3:1: one\na.yaml:4:1: two\nthree"}
    doc = {"tenants": [entry], "summary": {"with_changes": 0}}
    assert merged_text(doc).splitlines()[0] == (
        "a.yaml: failed: a.yaml:3:1: one (and 2 more line(s): see the shard's output)"
    )
