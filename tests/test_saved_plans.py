"""Saved plans apply exactly once, and are refused in every stale case, with nothing applied."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import EXAMPLES, SPECS, load_nce_tenant


def setup(cli, workdir: Path) -> Path:
    shutil.copy(SPECS / "contoso.yaml", workdir / "contoso.yaml")
    assert cli("snapshot", "load", EXAMPLES / "contoso.snapshot.yaml").code == 0
    r = cli("plan", "contoso.yaml", "--out", "plan.json")
    assert r.code == 0, r.err
    assert "apply exactly it with `tenantctl apply plan.json --allow-destroy`" in r.err  # contoso's plan removes one
    return workdir / "plan.json"


def dump(cli) -> str:
    return cli("snapshot", "dump", "--name", "contoso").out


def assert_refused(cli, reason: str) -> None:
    """Applying plan.json exits 1 naming `reason`, with no traceback, and changes nothing."""
    before = dump(cli)
    r = cli("apply", "plan.json", "--auto-approve", "--allow-destroy")
    assert r.code == 1 and reason in r.err and "Traceback" not in r.err
    assert dump(cli) == before


def test_saved_plan_applies_once(cli, workdir: Path) -> None:
    saved = json.loads(setup(cli, workdir).read_text())
    assert saved["plan_digest"].startswith("sha256:") and saved["spec_path"] == "contoso.yaml"
    first = cli("apply", "plan.json", "--auto-approve", "--allow-destroy")
    assert first.code == 0, first.err
    assert f"Apply: {len(saved['actions'])} done, 0 already so, 0 failed" in first.out
    before = dump(cli)
    second = cli("apply", "plan.json", "--auto-approve", "--allow-destroy")
    assert second.code == 1 and "already applied" in second.err
    assert dump(cli) == before


def test_edited_plan_is_refused(cli, workdir: Path) -> None:
    path = setup(cli, workdir)
    doc = json.loads(path.read_text())
    doc["actions"][1]["after"]["seats"] = 500  # a reviewer saw 12 seats
    path.write_text(json.dumps(doc))
    assert_refused(cli, "edited")


def test_edited_plan_with_recomputed_digest_is_refused(cli, workdir: Path) -> None:
    # Someone who knows the digest scheme edits the actions and recomputes plan_digest: apply
    # re-plans from the unchanged spec and tenant and refuses what does not match.
    from reconciler.apply.savedplan import plan_digest

    path = setup(cli, workdir)
    doc = json.loads(path.read_text())
    doc["actions"][1]["after"]["seats"] = 500
    doc["plan_digest"] = plan_digest(doc)
    path.write_text(json.dumps(doc))
    assert_refused(cli, "not what this spec and tenant give")


def test_quiet_still_says_why_it_failed(cli, workdir: Path) -> None:
    setup(cli, workdir)
    r = cli("-q", "apply", "plan.json", "--auto-approve")
    assert r.code == 1 and "error: plan.json: 1 destructive action(s) planned; nothing was applied" in r.err


def test_out_into_a_folder(cli, workdir: Path) -> None:
    setup(cli, workdir)
    (workdir / "plans").mkdir()
    assert cli("plan", "contoso.yaml", "--out", "plans").code == 0
    assert cli("plan", "contoso.yaml", "--out", "new/").code == 0
    assert (workdir / "plans" / "contoso.json").is_file() and (workdir / "new" / "contoso.json").is_file()


def test_changed_tenant_is_refused_even_without_counter_change(cli, workdir: Path) -> None:
    setup(cli, workdir)
    # Only a usage location changes: no seat or license count moves, the plan is still stale.
    changed = (
        (EXAMPLES / "contoso.snapshot.yaml")
        .read_text()
        .replace("{upn: heidi@contoso.com, usageLocation: US,", "{upn: heidi@contoso.com, usageLocation: CA,")
    )
    (workdir / "changed.yaml").write_text(changed)
    assert cli("snapshot", "load", "changed.yaml").code == 0
    assert_refused(cli, "tenant changed")


def test_changed_spec_is_refused(cli, workdir: Path) -> None:
    setup(cli, workdir)
    spec = workdir / "contoso.yaml"
    spec.write_text(spec.read_text().replace("seats: 12", "seats: 13"))
    assert_refused(cli, "contoso.yaml changed")


def test_comment_only_spec_edit_keeps_the_plan_valid(cli, workdir: Path) -> None:
    setup(cli, workdir)
    spec = workdir / "contoso.yaml"
    spec.write_text("# reviewed in PR 42\n" + spec.read_text())
    assert cli("apply", "plan.json", "--auto-approve", "--allow-destroy").code == 0


def test_show_renders_a_stale_plan(cli, workdir: Path) -> None:
    setup(cli, workdir)
    assert cli("apply", "plan.json", "--auto-approve", "--allow-destroy").code == 0
    for fmt, marker in (("text", "Plan: 0 to buy"), ("markdown", "<details>"), ("json", '"format_version": "1"')):
        r = cli("show", "plan.json", "--format", fmt)
        assert r.code == 0 and marker in r.out, (fmt, r.out)


def test_a_saved_plan_is_the_approval_but_destruction_still_needs_allow_destroy(cli, workdir: Path) -> None:
    # Issue 13 item 4: like Terraform, a reviewed saved plan applies without a prompt (no terminal
    # here: a prompt would refuse), but its destructive actions still need --allow-destroy...
    setup(cli, workdir)
    before = dump(cli)
    refused = cli("apply", "plan.json", stdin="")
    assert refused.code == 1 and "--allow-destroy" in refused.err and "no terminal" not in refused.err
    assert dump(cli) == before
    applied = cli("apply", "plan.json", "--allow-destroy", stdin="")
    assert applied.code == 0, applied.err


def test_a_plan_saved_with_allow_destroy_carries_the_approval(cli, workdir: Path) -> None:
    # ...unless the plan itself was made with --allow-destroy: then the review approved them.
    shutil.copy(SPECS / "contoso.yaml", workdir / "contoso.yaml")
    assert cli("snapshot", "load", EXAMPLES / "contoso.snapshot.yaml").code == 0
    assert cli("plan", "contoso.yaml", "--allow-destroy", "--out", "plan.json").code == 0
    assert json.loads((workdir / "plan.json").read_text())["allow_destroy"] is True
    applied = cli("apply", "plan.json", stdin="")
    assert applied.code == 0, applied.err


def test_a_saved_plan_applies_from_another_folder_and_refusals_name_it(cli, workdir: Path) -> None:
    # Issue 13 item 5: the spec and the tenant's file are recorded relative to the plan file.
    (workdir / "repo" / "specs").mkdir(parents=True)
    shutil.copy(SPECS / "contoso.yaml", workdir / "repo" / "specs" / "contoso.yaml")
    assert cli("snapshot", "load", EXAMPLES / "contoso.snapshot.yaml", "--provider", "local:repo/t.db").code == 0
    assert (
        cli("plan", "repo/specs/contoso.yaml", "--provider", "local:repo/t.db", "--out", "repo/plans/p.json").code == 0
    )
    saved = json.loads((workdir / "repo" / "plans" / "p.json").read_text())
    assert (saved["spec_path"], saved["provider"]) == ("../specs/contoso.yaml", "local:../t.db")
    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir()
    plan_file = str(workdir / "repo" / "plans" / "p.json")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TENANTCTL_")},
        "TENANTCTL_TODAY": "2026-11-21",
        "NO_COLOR": "1",
    }
    run = subprocess.run(
        [sys.executable, "-m", "reconciler", "apply", plan_file, "--allow-destroy"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    again = subprocess.run(
        [sys.executable, "-m", "reconciler", "apply", plan_file, "--allow-destroy"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert again.returncode == 1 and again.stderr.startswith(f"error: {plan_file}: this plan was already applied")


def test_not_a_plan_is_a_clear_error(cli, workdir: Path) -> None:
    (workdir / "junk.json").write_text('{"hello": 1}')
    r = cli("apply", "junk.json", "--auto-approve")
    assert r.code == 1 and "not a saved plan" in r.err
    r = cli("show", "missing.json")
    assert r.code == 1 and "missing.json" in r.err and "Traceback" not in r.err


def test_a_saved_plan_whose_cancellation_window_closed_is_refused_for_that_reason(cli, workdir: Path) -> None:
    # Made on 2026-11-21, when 3 seats could still go at once; applied on 2026-11-23, when their
    # window has closed: the same spec and tenant now give another plan (docs/rules.md T8a).
    load_nce_tenant(cli, workdir, "refundable: [{seats: 3, until: '2026-11-22'}]", 6)
    assert cli("plan", "nce.yaml", "--out", "nce.json").code == 0
    before = cli("snapshot", "dump", "--name", "nce").out
    later = {"TENANTCTL_TODAY": "2026-11-23"}
    r = cli("apply", "nce.json", "--auto-approve", "--allow-destroy", env=later)
    assert r.code == 1 and "the tenant changed since the plan was made" in r.err, r.err
    assert "a seven-day cancellation window closed" in r.err and "nothing was applied" in r.err
    assert "seats: 10" in cli("snapshot", "dump", "--name", "nce", env=later).out and "seats: 10" in before


def test_target_plans_and_applies_only_those_addresses_and_what_they_need(cli, workdir: Path) -> None:
    # Issue 13 item 6, as Terraform's -target: Grace's licenses, plus the seats and credits they need.
    shutil.copy(SPECS / "contoso.yaml", workdir / "contoso.yaml")
    assert cli("snapshot", "load", EXAMPLES / "contoso.snapshot.yaml").code == 0
    full = json.loads(cli("plan", "contoso.yaml", "--format", "json").out)
    r = cli("plan", "contoso.yaml", "--target", "user/grace@contoso.com", "--format", "json", "--out", "p.json")
    assert r.code == 0, r.err
    partial = json.loads(r.out)
    addresses = [a["address"] for a in partial["actions"]]
    assert {a for a in addresses if a.startswith("user/")} == {
        "user/grace@contoso.com",
        "user/grace@contoso.com/ENTERPRISEPREMIUM",
        "user/grace@contoso.com/MCOPSTN1",
        "user/grace@contoso.com/MCOPSTNC",
    }
    assert "subscription/ENTERPRISEPREMIUM" in addresses  # the seat Grace's E5 needs
    assert [a["id"] for a in partial["actions"]] == list(range(1, len(addresses) + 1))
    assert all(d < a["id"] for a in partial["actions"] for d in a["depends_on"])
    assert partial["targets"] == ["user/grace@contoso.com"] and len(addresses) < len(full["actions"])
    assert "partial_plan" in [d["code"] for d in partial["diagnostics"]]
    # The saved partial plan applies as made; the rest is left for the next plan.
    applied = cli("apply", "p.json", "--allow-destroy")
    assert applied.code == 0, applied.err
    rest = json.loads(cli("plan", "contoso.yaml", "--format", "json").out)
    assert not any(a["address"].startswith("user/grace@") for a in rest["actions"])
    assert "user/frank@contoso.com/MCOPSTN1" in [a["address"] for a in rest["actions"]]
    assert cli("apply", "p.json", "--target", "user/x@y.z").code == 1


def test_each_saved_plan_is_its_own_review_and_a_reload_starts_afresh(cli, workdir: Path) -> None:
    # Review findings: two saves of the same plan are two approvals (a later identical drift is not
    # "already applied"), and `snapshot load --replace` forgets the old tenant's purchase keys.
    shutil.copy(SPECS / "northwind.yaml", workdir / "northwind.yaml")
    assert cli("snapshot", "load", EXAMPLES / "northwind.snapshot.yaml").code == 0
    assert cli("plan", "northwind.yaml", "--out", "a.json").code == 0
    assert cli("plan", "northwind.yaml", "--out", "b.json").code == 0
    a, b = (json.loads((workdir / f).read_text()) for f in ("a.json", "b.json"))
    assert a["plan_digest"] != b["plan_digest"] and a["actions"] == b["actions"]
    assert cli("apply", "a.json").code == 0
    assert cli("snapshot", "load", EXAMPLES / "northwind.snapshot.yaml", "--replace").code == 0
    again = cli("apply", "b.json")
    assert again.code == 0, again.out + again.err
    assert "Apply: 15 done, 0 already so" in again.out  # the purchase is made again, in the new tenant


def test_target_addresses_are_checked_and_a_partial_plan_says_what_it_compared(cli, workdir: Path) -> None:
    shutil.copy(SPECS / "contoso.yaml", workdir / "contoso.yaml")
    assert cli("snapshot", "load", EXAMPLES / "contoso.snapshot.yaml").code == 0
    bogus = cli("plan", "contoso.yaml", "--target", "bogus")
    assert bogus.code == 1 and "--target 'bogus' is not an address" in bogus.err
    partial = cli("plan", "contoso.yaml", "--target", "user/Heidi@contoso.com")
    assert partial.code == 0 and "No changes for the targets (a partial plan" in partial.out
    assert "--target user/Heidi@contoso.com matches no planned action" in partial.out


def test_a_saved_plan_reads_back_exactly_manual_steps_targets_and_all(tmp_path: Path) -> None:
    """What `apply PLAN.json` runs is the plan that was reviewed, field for field (in-process, no CLI)."""
    from dataclasses import replace

    from conftest import TODAY

    from reconciler.apply.savedplan import load_saved, saved_document
    from reconciler.plan.compute import compute_plan
    from reconciler.spec.loader import load_spec
    from reconciler.spec.snapshot import load_snapshot

    state = load_snapshot(EXAMPLES / "northwind.snapshot.yaml", TODAY)
    commerce = frozenset(
        {
            "purchase_subscription",
            "set_seats",
            "schedule_seats",
            "set_term",
            "set_pay_as_you_go",
            "set_auto_recharge",
            "add_funds",
        }
    )
    plan = compute_plan(load_spec(SPECS / "northwind.yaml"), replace(state, manual=commerce))
    assert any(a.manual and a.steps for a in plan.actions) and plan.guardrails and plan.cost is not None
    out = tmp_path / "plans" / "p.json"
    out.parent.mkdir()
    document = saved_document(plan, str(SPECS / "northwind.yaml"), f"local:{tmp_path / 't.db'}", out, True)
    out.write_text(json.dumps(document), encoding="utf-8")
    (tmp_path / "t.db").touch()  # a tenant that exists beside the plan is found there, whatever the cwd
    saved = load_saved(str(out))
    assert saved.plan == plan and saved.plan.to_dict() == plan.to_dict()
    assert saved.allow_destroy and Path(saved.spec_path).resolve() == SPECS / "northwind.yaml"
    assert Path(saved.provider.removeprefix("local:")).resolve() == (tmp_path / "t.db").resolve()


def test_a_saved_plan_of_another_format_version_is_refused_by_name(tmp_path: Path) -> None:
    import pytest

    from reconciler.apply.savedplan import StalePlanError, load_saved, plan_digest

    document = {"format_version": "2", "plan_digest": "x"}
    document["plan_digest"] = plan_digest(document)
    path = tmp_path / "future.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(StalePlanError) as exc:
        load_saved(str(path))
    assert str(exc.value) == (
        f"{path}: plan format_version '2' is not supported (this tenantctl writes '1'); plan again"
    )


def test_a_direct_apply_keys_its_purchases_as_the_reviewed_plan_would(cli, workdir: Path) -> None:
    """apply SPEC leaves the digests out of its plan unless an action is keyed: a purchase's key, made from
    the state's digest, must be the one a saved plan of the same spec and tenant carries."""
    import hashlib
    import sqlite3

    keyed = []
    for name in ("fabrikam", "northwind"):
        shutil.copy(SPECS / f"{name}.yaml", workdir / f"{name}.yaml")
        assert cli("snapshot", "load", EXAMPLES / f"{name}.snapshot.yaml").code == 0
        plan = json.loads(cli("plan", f"{name}.yaml", "--format", "json").out)
        expected = {}
        for a in plan["actions"]:
            if a["type"] in ("purchase_subscription", "add_funds"):
                text = f"{plan['state_digest']}|{a['type']}|{a['address']}|{a['after']}"
                expected[a["address"]] = "tenantctl-" + hashlib.sha256(text.encode()).hexdigest()[:32]
        r = cli("apply", f"{name}.yaml", "--auto-approve", "--allow-destroy")
        assert r.code in (0, 1), r.err
        with sqlite3.connect(workdir / ".tenantctl" / f"{name}.db") as db:
            journal = dict(
                db.execute("SELECT address, idempotency_key FROM ledger_journal WHERE idempotency_key IS NOT NULL")
            )
        db.close()
        assert journal == expected
        keyed += list(journal)
    assert keyed, "no sample buys anything: the test proves nothing"
