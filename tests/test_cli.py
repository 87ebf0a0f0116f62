"""End-to-end: the tenantctl command (in this process) against the local SQLite provider."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, SAMPLES, SPECS, TODAY, load_nce_tenant

from reconciler.apply.run import apply_plan
from reconciler.domain.errors import PermanentProviderError
from reconciler.plan.compute import compute_plan
from reconciler.providers.local.provider import LocalProvider
from reconciler.spec.loader import load_spec
from reconciler.spec.snapshot import load_snapshot


def load(cli, name: str) -> None:
    r = cli("snapshot", "load", EXAMPLES / f"{name}.snapshot.yaml")
    assert r.code == 0, r.err


def dump(cli, name: str) -> str:
    r = cli("snapshot", "dump", "--name", name)
    assert r.code == 0, r.err
    return r.out


@pytest.mark.parametrize("name", SAMPLES)
def test_full_loop_on_sample(cli, name: str) -> None:
    load(cli, name)
    spec = SPECS / f"{name}.yaml"
    planned = cli("plan", spec, "--detailed-exitcode")
    assert planned.code == 2, planned.err
    assert "destructive).\nCost of managed subscriptions: " in planned.out

    applied = cli("apply", spec, "--auto-approve", "--allow-destroy")
    assert applied.code == 0, applied.out + applied.err
    assert "0 failed, 0 not attempted" in applied.out

    again = cli("apply", spec, "--auto-approve")
    assert again.code == 0 and "No changes." in again.out

    assert cli("plan", spec, "--detailed-exitcode").code == 0
    drift = cli("drift", spec)
    assert drift.code == 0 and "No drift." in drift.out


@pytest.mark.parametrize("name", SAMPLES)
def test_export_then_plan_is_empty(cli, workdir: Path, name: str) -> None:
    load(cli, name)
    exported = cli("export", "--name", name)
    (workdir / "exported.yaml").write_text(exported.out)
    r = cli("plan", "exported.yaml", "--format", "json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["actions"] == []


def test_plan_json_is_the_public_format(cli) -> None:
    load(cli, "northwind")
    r = cli("plan", SPECS / "northwind.yaml", "--format", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert list(doc) == [
        "format_version",
        "tenant",
        "spec_digest",
        "state_digest",
        "actions",
        "summary",
        "diagnostics",
        "cost",
        "guardrails",
    ]
    assert doc["format_version"] == "1" and doc["tenant"] == "northwind"
    assert doc["spec_digest"].startswith("sha256:") and doc["state_digest"].startswith("sha256:")
    first = doc["actions"][0]
    assert list(first) == ["id", "type", "address", "before", "after", "destructive", "depends_on", "cost"]
    assert doc["summary"]["total"] == len(doc["actions"])
    funds = [a for a in doc["actions"] if a["type"] == "add_funds"]
    # minimumBalance 250; live balance is 60 + 100 (the lot from 2025-12-10 has not expired yet).
    assert funds == [{**funds[0], "before": {"balance": 160}, "after": {"balance": 250, "amount": 90}}]
    assert funds[0]["cost"] == {"monthly_delta": 0, "one_time": 90}
    # MCOEV 1 -> 2 seats at 10.00 plus 5 % for a year billed monthly; the other changes (a purchase
    # of the 0.00 pay-per-minute SKU, a P1Y -> P3Y term paid annually) do not move the list price.
    assert doc["cost"]["monthly_delta"] == 10.5 and doc["cost"]["one_time"] == 90
    # The same inputs give the same bytes.
    assert cli("plan", SPECS / "northwind.yaml", "--format", "json").out == r.out


def test_markdown_plan_has_summary_and_folded_actions(cli) -> None:
    load(cli, "fabrikam")
    r = cli("plan", SPECS / "fabrikam.yaml", "--format", "markdown")
    assert r.code == 0
    assert r.out.index("**Plan:") < r.out.index("<details>")
    assert ":warning:" in r.out and "remove_license" in r.out


def test_apply_without_tty_refuses_and_changes_nothing(cli) -> None:
    load(cli, "contoso")
    before = dump(cli, "contoso")
    r = cli("apply", SPECS / "contoso.yaml", "--allow-destroy", stdin="")
    assert r.code == 1
    assert "no terminal" in r.err and "--auto-approve" in r.err
    assert dump(cli, "contoso") == before


def test_destructive_actions_need_allow_destroy(cli) -> None:
    load(cli, "fabrikam")
    before = dump(cli, "fabrikam")
    r = cli("apply", SPECS / "fabrikam.yaml", "--auto-approve")
    assert r.code == 1 and "--allow-destroy" in r.err
    assert dump(cli, "fabrikam") == before


def test_drift_reports_changes_and_health(cli) -> None:
    load(cli, "northwind")
    r = cli("drift", SPECS / "northwind.yaml", "--format", "json")
    assert r.code == 2
    report = json.loads(r.out)
    assert report["drifted"] is True
    kinds = {(i["address"], i["kind"]) for i in report["items"]}
    assert ("subscription/SPE_E3", "set_term") in kinds
    seat = next(i for i in report["items"] if i["address"] == "subscription/MCOEV")
    assert seat["expected"] == {"seats": 2} and seat["actual"] == {"seats": 1}
    codes = {h["code"] for h in report["health"]}
    assert {"funds_expiring", "no_free_seat"} <= codes
    assert cli("drift", SPECS / "northwind.yaml", "--format", "markdown").code == 2


def test_billing_roles_are_checked_before_apply(cli, workdir: Path) -> None:
    # Issue 12 item 8: with no billing role, plan names each money action the role does not allow
    # (exit 1) and apply refuses before acting: nothing half-applied.
    snapshot = (
        (EXAMPLES / "contoso.snapshot.yaml")
        .read_text()
        .replace("billingRoles: [BillingAccountOwner]", "billingRoles: [BillingAccountReader]")
    )
    (workdir / "reader.yaml").write_text(snapshot)
    assert cli("snapshot", "load", "reader.yaml").code == 0
    before = dump(cli, "contoso")
    plan = cli("plan", SPECS / "contoso.yaml", "--format", "json")
    assert plan.code == 1
    refused = [d["address"] for d in json.loads(plan.out)["diagnostics"] if d["code"] == "billing_role_missing"]
    assert refused == ["subscription/ENTERPRISEPREMIUM", "subscription/MCOPSTN1", "subscription/MCOPSTN1"]
    r = cli("apply", SPECS / "contoso.yaml", "--auto-approve", "--allow-destroy")
    assert r.code == 1
    assert "Billing account owner" in r.out + r.err
    assert dump(cli, "contoso") == before


class _SeatsRefused(LocalProvider):
    """A tenant that refuses seat changes at apply time, which the plan could not foresee."""

    def set_seats(self, sku: str, seats: int) -> bool:
        raise PermanentProviderError(f"refused {sku}", "ask support")


def test_failed_action_stops_only_its_dependents(tmp_path: Path) -> None:
    # A failed seat change skips the assignments that need those seats; everything else runs.
    provider = _SeatsRefused(tmp_path / "t.db", TODAY)
    provider.replace_state(load_snapshot(EXAMPLES / "contoso.snapshot.yaml", TODAY))
    plan = compute_plan(load_spec(SPECS / "contoso.yaml"), provider.read_state())
    result = apply_plan(plan, provider)
    status = {(o.action.type, o.action.address): o.status for o in result.outcomes}
    assert status[("set_seats", "subscription/ENTERPRISEPREMIUM")] == "failed"
    assert status[("assign_license", "user/grace@contoso.com/ENTERPRISEPREMIUM")] == "skipped"
    assert status[("set_usage_location", "user/grace@contoso.com")] == "done"  # independent of the seats
    assert status[("set_auto_recharge", "communicationsCredits")] == "done"
    state = provider.read_state()
    assert state.users["grace@contoso.com"].licenses == frozenset()
    assert state.users["frank@contoso.com"].licenses == frozenset({"ENTERPRISEPREMIUM"})
    provider.close()


def test_apply_cut_off_half_way_converges(cli, workdir: Path) -> None:
    db = workdir / "half.db"
    provider = LocalProvider(db, TODAY)
    provider.replace_state(load_snapshot(EXAMPLES / "northwind.snapshot.yaml", TODAY))
    spec = load_spec(SPECS / "northwind.yaml")
    plan = compute_plan(spec, provider.read_state())
    half = type(plan)(plan.tenant, plan.spec_digest, plan.state_digest, plan.actions[: len(plan.actions) // 2])
    assert apply_plan(half, provider).ok
    provider.close()
    r = cli("apply", SPECS / "northwind.yaml", "--auto-approve", "--allow-destroy", "--provider", f"local:{db}")
    assert r.code == 0, r.out + r.err
    after = LocalProvider(db, TODAY)
    state = after.read_state()
    assert compute_plan(spec, state).actions == ()
    assert len(state.credits.funds) == 3  # funds were added exactly once
    after.close()


def test_errors_are_messages_with_exit_1(cli, workdir: Path) -> None:
    missing = cli("plan", SPECS / "contoso.yaml")
    assert missing.code == 1 and "no simulated tenant at" in missing.err and "snapshot load" in missing.err
    # Issue 13 item 7: reading a tenant that does not exist creates nothing.
    for read_only in (
        ("drift", SPECS / "contoso.yaml"),
        ("export", "--name", "contoso"),
        ("snapshot", "dump", "--name", "contoso"),
        ("history", "--name", "contoso"),
    ):
        r = cli(*read_only)
        assert r.code == 1 and "no simulated tenant at .tenantctl/contoso.db" in r.err, (read_only, r.err)
    assert not (workdir / ".tenantctl").exists()
    bad_provider = cli("plan", SPECS / "contoso.yaml", "--provider", "ftp://x")
    assert bad_provider.code == 1 and "unknown provider" in bad_provider.err
    unknown_option = cli("plan", "--frobnicate")
    assert unknown_option.code == 1  # never 2, which means "changes present"
    no_file = cli("plan", "nope.yaml")
    assert no_file.code == 1 and "nope.yaml" in no_file.err
    bad_clock = cli("plan", SPECS / "contoso.yaml", env={"TENANTCTL_TODAY": "tomorrow"})
    assert bad_clock.code == 1 and "TENANTCTL_TODAY" in bad_clock.err
    for r in (missing, bad_provider, unknown_option, no_file, bad_clock):
        assert "Traceback" not in r.err


def test_provider_from_environment(cli) -> None:
    env = {"TENANTCTL_PROVIDER": "local:env.db"}
    assert cli("snapshot", "load", EXAMPLES / "fabrikam.snapshot.yaml", env=env).code == 0
    assert cli("plan", SPECS / "fabrikam.yaml", env=env).code == 0
    assert cli("plan", SPECS / "fabrikam.yaml").code == 1  # the default database was never loaded


def test_schema_and_catalog_commands(cli) -> None:
    schema = json.loads(cli("schema").out)
    assert schema["properties"]["kind"]["const"] == "Tenant" and schema["properties"]["kind"]["description"]
    assert "MCOPSTNC" in cli("catalog").out


def test_drift_shows_a_scheduled_decrease_that_matches_the_spec_as_scheduled(cli, workdir: Path) -> None:
    # Issue 12 item 5: seats 10 now, 5 from the renewal, as the spec wants: not drift, but said.
    load_nce_tenant(cli, workdir, "refundable: [], scheduled: {seats: 5}", 5)
    report = cli("drift", "nce.yaml", "--format", "json")
    assert report.code == 0, report.out + report.err
    doc = json.loads(report.out)
    assert doc["drifted"] is False and doc["items"] == []
    assert doc["scheduled"] == [
        {"address": "subscription/SPE_E3", "seats": 10, "scheduled": 5, "effective": "2027-03-01"}
    ]
    text = cli("drift", "nce.yaml")
    assert "subscription/SPE_E3: seats 10 -> 5 at the renewal (2027-03-01), as the spec wants" in text.out
    assert "No drift" in text.out
    # Three seats fewer in the spec: the scheduled change no longer matches; that is drift.
    (workdir / "nce.yaml").write_text((workdir / "nce.yaml").read_text().replace("seats: 5", "seats: 2"))
    drifted = json.loads(cli("drift", "nce.yaml", "--format", "json").out)
    assert drifted["drifted"] is True and drifted["scheduled"] == []
    assert [(i["kind"], i["expected"]) for i in drifted["items"]] == [
        ("schedule_seats", {"seats": 2, "effective": "2027-03-01"})
    ]


def test_snapshot_load_never_overwrites_another_tenant_by_accident(cli) -> None:
    # Issue 13 item 7: tenant B into tenant A's file needs --replace.
    assert cli("snapshot", "load", EXAMPLES / "contoso.snapshot.yaml", "--provider", "local:a.db").code == 0
    before = cli("snapshot", "dump", "--provider", "local:a.db").out
    r = cli("snapshot", "load", EXAMPLES / "northwind.snapshot.yaml", "--provider", "local:a.db")
    assert r.code == 1 and "holds tenant 'contoso', not 'northwind'" in r.err and "--replace" in r.err
    assert cli("snapshot", "dump", "--provider", "local:a.db").out == before
    assert (
        cli("snapshot", "load", EXAMPLES / "northwind.snapshot.yaml", "--provider", "local:a.db", "--replace").code == 0
    )
    assert "name: northwind" in cli("snapshot", "dump", "--provider", "local:a.db").out


def test_summaries_agree_with_the_diagnostics_and_the_exit_code(cli, workdir: Path) -> None:
    # Issue 13 item 10: a missing user is an error; no summary may say the tenant matches.
    load(cli, "contoso")
    text = (
        (SPECS / "contoso.yaml")
        .read_text()
        .replace("  prune: false", "    - {upn: ghost@contoso.com, usageLocation: US, profile: office}\n  prune: false")
    )
    (workdir / "ghost.yaml").write_text(text)
    applied = cli("apply", SPECS / "contoso.yaml", "--auto-approve", "--allow-destroy")
    assert applied.code == 0, applied.err
    plan = cli("plan", "ghost.yaml")
    assert plan.code == 1 and "error[user_not_found]" in plan.out
    assert "The plan has 1 error (above) and cannot be applied (nothing planned)." in plan.out
    assert "matches the spec" not in plan.out
    drift = cli("drift", "ghost.yaml")
    assert drift.code == 2
    assert (
        "Drift: 1 error above (such as a listed user missing from the tenant); no compared field differs." in drift.out
        and "0 field" not in drift.out
    )
    markdown = cli("drift", "ghost.yaml", "--format", "markdown")
    assert "1 error, no field drifted" in markdown.out


def test_quiet_and_no_color_work_after_the_subcommand(cli) -> None:
    # Issue 13 item 13: as --provider does.
    loud = cli("snapshot", "load", EXAMPLES / "contoso.snapshot.yaml")
    quiet = cli("snapshot", "load", EXAMPLES / "contoso.snapshot.yaml", "-q")
    assert "Loaded" in loud.err and quiet.code == 0 and quiet.err == ""
    assert cli("plan", SPECS / "contoso.yaml", "--no-color", "--quiet").code == 0
    assert cli("snapshot", "dump", "--name", "contoso", "-q").code == 0


def test_usage_errors_read_like_every_other_error(cli) -> None:
    # Issue 13 item 12: click's own errors in the same `error:` style, with where to read more.
    r = cli("plan", "--frobnicate")
    assert r.code == 1 and r.err.startswith("error: No such option '--frobnicate'")
    assert "(see `tenantctl plan --help`)" in r.err and "Usage:" not in r.err
    export = cli("export")
    assert export.code == 1 and "pass --name NAME" in export.err
    assert all(len(line.split()[0]) <= 62 for line in cli("catalog").out.splitlines())
    widths = {line.index(" " + line.split()[1]) for line in cli("catalog").out.splitlines()}
    assert len(widths) == 1  # the skuId column starts at the same place on every line


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    import click

    out: list[tuple[str, ...]] = []
    for name, command in group.commands.items():
        out += _commands(command, prefix + (name,)) if isinstance(command, click.Group) else [prefix + (name,)]
    return out


def test_every_command_help_ends_with_examples_and_exit_codes() -> None:
    # Issue 13 item 14 (in-process: nothing here crosses a process boundary).
    from click.testing import CliRunner

    from reconciler.cli.main import cli as tenantctl

    paths = _commands(tenantctl)
    assert len(paths) >= 13
    for path in paths:
        result = CliRunner().invoke(tenantctl, [*path, "--help"])
        assert result.exit_code == 0, path
        tail = result.output[result.output.index("Examples:") :]
        assert "tenantctl " in tail and "Exit codes:" in tail and "  0    success" in tail, path


def test_every_spec_field_has_a_description_for_editors() -> None:
    from reconciler.spec.schema import schema

    missing: list[str] = []

    def walk(node: Any, where: str) -> None:
        if not isinstance(node, dict):
            return
        for key, value in (node.get("properties") or {}).items():
            if "description" not in value:
                missing.append(f"{where}.{key}")
            walk(value, f"{where}.{key}")
        walk(node.get("items"), f"{where}[]")
        for key, value in (node.get("$defs") or {}).items():
            walk(value, f"$defs.{key}")

    walk(schema("tenant"), "")
    assert missing == []


def test_nothing_is_created_by_commands_that_need_a_tenant(cli, workdir: Path) -> None:
    # Review finding: apply and force-unlock on a missing tenant made an empty database.
    assert cli("apply", SPECS / "contoso.yaml", "--auto-approve").code == 1
    assert cli("force-unlock", "abc", "--name", "contoso").code == 1
    assert not (workdir / ".tenantctl").exists()
    alone = cli()
    assert alone.code == 0 and "Commands:" in alone.out and "error" not in alone.err


def test_a_subscription_taken_out_of_the_spec_is_said_to_be_no_longer_managed(cli, workdir: Path) -> None:
    """Issue 13 item 9: the ledger remembers what applies managed; dropping one is information, never a removal."""
    (workdir / "s.yaml").write_text(
        "apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: {name: t}\nstate:\n  agreement: NCE\n"
        "  subscriptions:\n    - {sku: SPE_E3, seats: 10}\n    - {sku: MCOEV, seats: 5}\n"
        "    - {sku: MCOMEETADV, seats: 3}\n"
    )
    head = "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: t}\nspec:\n  agreement: NCE\n  subscriptions:\n"
    (workdir / "both.yaml").write_text(head + "    - {sku: SPE_E3, seats: 10}\n    - {sku: MCOEV, seats: 5}\n")
    (workdir / "one.yaml").write_text(head + "    - {sku: SPE_E3, seats: 10}\n")
    assert cli("snapshot", "load", "s.yaml").code == 0

    def infos() -> dict[str, str]:
        run = cli("plan", "one.yaml", "--format", "json")
        assert run.code == 0, run.err
        plan = json.loads(run.out)
        assert plan["actions"] == []
        return {d["code"]: d["message"] for d in plan["diagnostics"] if d["severity"] == "info"}

    before = infos()  # no apply yet: nothing was ever managed by tenantctl
    assert "no_longer_managed" not in before and "MCOEV, MCOMEETADV" in before["not_managed"]
    applied = cli("apply", "both.yaml", "--auto-approve")  # in sync: nothing to do, but the spec is remembered
    assert applied.code == 0, applied.err
    after = infos()
    assert after["no_longer_managed"].startswith("no longer managed: MCOEV (an earlier apply managed it")
    assert "MCOEV" not in after["not_managed"] and "not managed: MCOMEETADV" in after["not_managed"]
    text = cli("plan", "one.yaml")
    assert "no longer managed: MCOEV" in text.out and "No changes" in text.out
    drift = cli("drift", "one.yaml", "--format", "json")
    assert drift.code == 0, drift.out


def test_read_only_commands_leave_every_file_as_it_was(cli, workdir: Path) -> None:
    """Issue 13 item 7: not even SQLite's -wal/-shm files, nor the ledger's tables, after an apply or before one."""
    import hashlib

    def files() -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (workdir / ".tenantctl").iterdir()}

    assert cli("snapshot", "load", EXAMPLES / "contoso.snapshot.yaml").code == 0
    for applied in (False, True):
        if applied:
            r = cli("apply", SPECS / "contoso.yaml", "--auto-approve", "--allow-destroy")
            assert r.code == 0, r.err
        before = files()
        assert list(before) == ["contoso.db"]
        for read_only in (
            ("plan", SPECS / "contoso.yaml"),
            ("drift", SPECS / "contoso.yaml"),
            ("export", "--name", "contoso"),
            ("snapshot", "dump", "--name", "contoso"),
            ("history", "--name", "contoso"),
            ("history", "--name", "contoso", "--format", "json"),
        ):
            r = cli(*read_only)
            assert r.code in (0, 2), (read_only, r.err)
            assert files() == before, read_only


def test_export_names_what_it_cannot_declare(cli, workdir: Path) -> None:
    """Nothing is dropped silently: each subscription the spec cannot express is named with why."""
    (workdir / "s.yaml").write_text(
        "apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: {name: t}\nstate:\n  agreement: NCE\n"
        "  subscriptions:\n    - {sku: SPE_E3, seats: 10}\n    - {sku: VISIOCLIENT, seats: 2}\n"
        "    - {sku: 'Microsoft_Teams_Calling_Plan_pay_as_you_go_(country_zone_1_US)', seats: 2}\n"
    )
    assert cli("snapshot", "load", "s.yaml").code == 0
    r = cli("export", "--name", "t")
    assert r.code == 0 and "sku: SPE_E3" in r.out and "VISIOCLIENT" not in r.out
    assert r.err.startswith("note: not declared, so tenantctl leaves them alone: ")
    assert "VISIOCLIENT: not in tenantctl's catalog" in r.err
    assert "(country_zone_1_US): its pay-as-you-go is off or unreadable, and a spec must turn it on" in r.err
    (workdir / "t.yaml").write_text(r.out)
    assert cli("plan", "t.yaml", "--detailed-exitcode").code == 0


def test_force_unlock_of_a_tenant_without_a_lock_is_nothing_to_do(cli, workdir: Path) -> None:
    assert cli("snapshot", "load", EXAMPLES / "contoso.snapshot.yaml").code == 0
    free = cli("force-unlock", "abc", "--name", "contoso")
    assert (free.code, free.err.strip()) == (0, "There is no lock on .tenantctl/contoso.db; nothing to do.")


def test_a_tenant_in_a_folder_named_with_uri_characters_is_read_where_it_is(cli, workdir: Path) -> None:
    """Read-only commands open the file as a file: URI; a folder named `a?b#c%20d` is still that folder."""
    odd = workdir / "a?b#c%20d"
    where = f"local:{odd / 't.db'}"
    assert cli("snapshot", "load", EXAMPLES / "contoso.snapshot.yaml", "--provider", where).code == 0
    planned = cli("plan", SPECS / "contoso.yaml", "--provider", where)
    assert planned.code == 0 and "to assign" in planned.out, planned.err
    assert cli("apply", SPECS / "contoso.yaml", "--provider", where, "--auto-approve", "--allow-destroy").code == 0
    again = cli("drift", SPECS / "contoso.yaml", "--provider", where)
    assert again.code == 0, again.out + again.err
    assert sorted(p.name for p in workdir.iterdir()) == ["a?b#c%20d"]  # nothing opened beside it by mistake


def test_colours_are_the_terminal_codes_for_each_kind_of_change_and_none_without_colour() -> None:
    from reconciler.render.text import Style

    on, off = Style(True), Style(False)
    assert [on.paint("x", s) for s in "+~-!?"] == [
        "\x1b[32mx\x1b[0m",
        "\x1b[33mx\x1b[0m",
        "\x1b[31mx\x1b[0m",
        "\x1b[31mx\x1b[0m",
        "\x1b[36mx\x1b[0m",
    ]
    assert on.paint("x", " ") == "x" and on.bold("x") == "\x1b[1mx\x1b[0m"
    assert off.paint("x", "+") == "x" and off.bold("x") == "x"


def test_apply_never_changes_a_simulated_tenant_the_spec_does_not_name(cli, workdir: Path) -> None:
    """`--provider local:PATH` may point at another tenant's file: the plan is refused, nothing bought."""
    assert cli("snapshot", "load", EXAMPLES / "northwind.snapshot.yaml").code == 0
    other = workdir / "other.yaml"
    other.write_text((SPECS / "contoso.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    dump = ("snapshot", "dump", "--provider", "local:.tenantctl/northwind.db")
    before = cli(*dump).out
    r = cli("apply", other, "--auto-approve", "--provider", "local:.tenantctl/northwind.db")
    assert r.code == 1
    assert "the spec is for tenant 'contoso' but the provider holds tenant 'northwind'" in r.out + r.err
    assert cli(*dump).out == before and "northwind" in before


def test_history_of_an_unknown_run_says_how_to_list_the_runs(cli, workdir: Path) -> None:
    assert cli("snapshot", "load", EXAMPLES / "northwind.snapshot.yaml").code == 0
    r = cli("history", "no-such-run", "--name", "northwind")
    assert r.code == 1
    assert (
        "no apply run no-such-run in local:.tenantctl/northwind.db; "
        "`tenantctl history --provider local:.tenantctl/northwind.db` lists them" in r.err
    )


def test_markdown_parts_are_counted_in_words_that_fit(cli, workdir: Path) -> None:
    assert cli("snapshot", "load", EXAMPLES / "northwind.snapshot.yaml").code == 0
    r = cli("plan", SPECS / "northwind.yaml", "--format", "markdown", "--markdown-dir", "comment")
    assert f"Wrote 1 Markdown part to {Path('comment') / 'part-001.md'} (each under GitHub's comment limit)." in r.err


def test_an_interrupt_before_any_run_says_the_tenant_was_not_changed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import click

    from reconciler.cli import main as cli_main

    def interrupted(*args: object, **kwargs: object) -> None:
        raise click.exceptions.Abort()

    monkeypatch.setattr(cli_main.cli, "main", interrupted)
    with pytest.raises(SystemExit) as exc:
        cli_main.main(["plan", "x.yaml"])
    assert exc.value.code == 130
    assert (
        capsys.readouterr().err
        == "Interrupted; no apply or snapshot load had started, so the tenant was not changed.\n"
    )
