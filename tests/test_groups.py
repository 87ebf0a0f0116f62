"""Group-based licensing and disabled service plans (issue 17; docs/rules.md G1-G11): the planner's
judgements on states built by hand, the simulator's processing, and export's round trip."""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import TODAY, read_licenses_afresh
from hypothesis import given
from hypothesis import strategies as st
from test_properties import BOOL, PROFILE, between, one, repair, some, states, write

from reconciler.apply.ledger import groups_changed
from reconciler.domain.canonical import spec_to_dict, state_to_dict
from reconciler.domain.errors import PermanentProviderError, ValidationError
from reconciler.domain.group_processing import processed
from reconciler.domain.groups import GroupSpec, GroupState, LicenseError
from reconciler.domain.model import SubscriptionState, TenantSpec, TenantState, UserSpec, UserState
from reconciler.plan.compute import compute_plan
from reconciler.plan.drift import drift_report
from reconciler.providers.local.provider import LocalProvider
from reconciler.spec.export import export_spec
from reconciler.spec.loader import load_spec
from reconciler.spec.skutable import sku_table
from reconciler.spec.snapshot import snapshot_from_document
from reconciler.spec.yamlload import load_bytes

VOICE = GroupSpec("Voice Users", "Voice Users", None, frozenset({"MCOEV"}))


def _state(**kwargs: Any) -> TenantState:
    base: dict[str, Any] = {
        "name": "golden",
        "agreement": "MCA",
        "today": TODAY,
        "subscriptions": {"MCOEV": SubscriptionState("MCOEV", 5, consumed=1)},
        "users": {"ann@x.example": UserState("ann@x.example", "US", frozenset())},
    }
    return TenantState(**{**base, **kwargs})


def _spec(*groups: GroupSpec, users: dict[str, UserSpec] | None = None) -> TenantSpec:
    from reconciler.domain.model import Subscription

    return TenantSpec(
        "golden", "MCA", "<test>", subscriptions={"MCOEV": Subscription("MCOEV", 5)}, users=users or {}, groups=groups
    )


def _codes(plan: Any) -> dict[str, str]:
    return {d.code: d.severity for d in plan.diagnostics}


def _snapshot(text: str) -> TenantState:
    return snapshot_from_document(load_bytes(text.encode(), "snapshot.yaml"), TODAY)


def test_a_spec_group_must_be_exactly_one_security_group() -> None:
    one_group = {"g1": GroupState("g1", "Voice Users")}
    assert _codes(compute_plan(_spec(VOICE), _state(groups={})))["group_not_found"] == "error"
    two = {"g1": GroupState("g1", "Voice Users"), "g2": GroupState("g2", "voice users")}
    plan = compute_plan(_spec(VOICE), _state(groups=two))
    assert _codes(plan)["group_ambiguous"] == "error" and "g1, g2" in plan.diagnostics[0].message
    mail = {"g1": GroupState("g1", "Voice Users", security_enabled=False)}
    assert _codes(compute_plan(_spec(VOICE), _state(groups=mail)))["group_not_security_enabled"] == "error"
    by_id = GroupSpec("G1", None, "G1", frozenset({"MCOEV"}))  # ids compare case-insensitively
    plan = compute_plan(_spec(by_id), _state(groups=one_group))
    assert not plan.has_errors and [a.address for a in plan.actions] == ["group/G1/MCOEV"]


def test_unprocessed_members_are_information_within_the_grace_then_drift() -> None:
    # The group holds Teams Phone; Ann, its member, does not show it yet and Microsoft records no error.
    group = {"g1": GroupState("g1", "Voice Users", frozenset({"ann@x.example"}), frozenset({"MCOEV"}))}
    spec, state = _spec(VOICE), _state(groups=group)
    within = compute_plan(spec, state, grace=frozenset({"Voice Users"}))
    assert _codes(within) == {"group_processing": "info"} and within.actions == ()
    assert not drift_report(within, spec, state).drifted
    after = compute_plan(spec, state)
    assert _codes(after) == {"group_not_processed": "warning"} and after.actions == ()
    report = drift_report(after, spec, state)
    assert report.drifted and [i.to_dict()["kind"] for i in report.items] == ["group_not_processed"]
    # A member Microsoft could not license is an error to report, not processing to wait for.
    failed = replace(state, license_errors=(LicenseError("ann@x.example", "MCOEV", "CountViolation", "g1"),))
    assert _codes(compute_plan(spec, failed)) == {"license_assignment_error": "warning"}


def test_errors_are_reported_once_per_error_sku_and_group() -> None:
    errors = tuple(LicenseError(f"u{i}@x.example", "MCOEV", "CountViolation", "g1") for i in range(3))
    errors += (LicenseError("u9@x.example", "MCOEV", "ProhibitedInUsageLocationViolation", "g1"),)
    errors += (LicenseError("u8@x.example", "MCOEV", "MutuallyExclusiveViolation", None),)
    state = _state(groups={"g1": GroupState("g1", "Voice Users")}, license_errors=errors)
    found = [d for d in compute_plan(_spec(), state).diagnostics if d.code == "license_assignment_error"]
    assert [(d.address, d.message.split(":")[0]) for d in found] == [
        ("group/Voice Users/MCOEV", "3 user(s)"),
        ("", "1 user(s)"),
        ("group/Voice Users/MCOEV", "1 user(s)"),
    ]
    assert "raise the subscription's seats" in found[0].message and "assigned directly" in found[1].message


SNAPSHOT = """
apiVersion: tenantctl/v1
kind: TenantSnapshot
metadata: {name: golden}
state:
  agreement: MCA
  defaultUsageLocation: US
  subscriptions:
    - {sku: MCOEV, seats: 2}
    - {sku: MCOPSTN1, seats: 5, payAsYouGo: true}
    - {sku: "Microsoft_Teams_Calling_Plan_pay_as_you_go_(country_zone_1_US)", seats: 5, payAsYouGo: true}
  groups:
    - {name: Voice Users, members: [ann@x.example, bob@x.example, cy@x.example, dee@x.example]}
  users:
    - {upn: ann@x.example, usageLocation: US, licenses: [MCOEV]}
    - {upn: bob@x.example, usageLocation: US}
    - {upn: cy@x.example}
    - {upn: dee@x.example, usageLocation: NO}
"""


def _local(tmp_path: Path, text: str = SNAPSHOT) -> LocalProvider:
    provider = LocalProvider(tmp_path / "t.db", TODAY)
    provider.replace_state(_snapshot(text))
    return provider


def test_the_simulator_refuses_an_add_on_without_its_prerequisite_in_the_group(tmp_path: Path) -> None:
    provider = _local(tmp_path)
    try:
        provider.assign_group_license("Voice Users", "MCOPSTN1", ())
    except PermanentProviderError as exc:
        assert exc.code == "dependency_violation" and "Teams Phone" in str(exc)
    else:
        raise AssertionError("a calling plan without Teams Phone in the group was accepted")
    provider.assign_group_license("Voice Users", "MCOEV", ())
    provider.set_seats("MCOEV", 5)
    assert provider.assign_group_license("Voice Users", "MCOPSTN1", ())
    # Taking the prerequisite away later leaves the calling plan unassignable: DependencyViolation.
    provider.remove_group_license("Voice Users", "MCOEV")
    errors = {(e.upn, e.sku, e.error) for e in provider.read_state().license_errors}
    assert ("bob@x.example", "MCOPSTN1", "DependencyViolation") in errors


def test_the_simulator_records_count_violations_and_clears_them_when_seats_are_added(tmp_path: Path) -> None:
    provider = _local(tmp_path)
    assert provider.assign_group_license("Voice Users", "MCOEV", ())
    state = provider.read_state()
    # Two seats: Ann holds one directly (and keeps it, no second seat); one free for the three others.
    assert state.subscriptions["MCOEV"].consumed == 2
    violations = sorted(e.upn for e in state.license_errors if e.error == "CountViolation")
    assert violations == ["cy@x.example", "dee@x.example"]
    assert state.users["bob@x.example"].inherited == frozenset({"MCOEV"})
    assert state.users["ann@x.example"].also_inherited == frozenset({"MCOEV"})
    provider.set_seats("MCOEV", 4)
    state = provider.read_state()
    assert state.license_errors == () and state.subscriptions["MCOEV"].consumed == 4


def test_members_without_a_usage_location_get_the_tenants_country(tmp_path: Path) -> None:
    provider = _local(tmp_path)
    provider.set_seats("MCOEV", 5)
    provider.assign_group_license("Voice Users", "MCOEV", ())
    zone1 = "Microsoft_Teams_Calling_Plan_pay_as_you_go_(country_zone_1_US)"
    provider.assign_group_license("Voice Users", zone1, ())
    state = provider.read_state()
    assert zone1 in state.users["cy@x.example"].licenses  # no location of its own: the tenant's US
    assert state.users["cy@x.example"].usage_location is None  # and it is never written on the user
    failed = [(e.upn, e.error) for e in state.license_errors]
    # Norway is outside zone 1; and the group's other license (Teams Phone) is withheld with it.
    assert failed == [("dee@x.example", "ProhibitedInUsageLocationViolation")]
    assert "MCOEV" not in state.users["dee@x.example"].licenses


def test_each_users_kept_licenses_follow_every_group_and_direct_write(tmp_path: Path) -> None:
    provider = _local(tmp_path)
    steps = [
        lambda: provider.assign_group_license("Voice Users", "MCOEV", ()),  # count violations recorded
        lambda: provider.set_seats("MCOEV", 5),  # processed again: the violations clear
        lambda: provider.remove_license("ann@x.example", "MCOEV"),  # the direct copy goes, the group's stays
        lambda: provider.remove_group_license("Voice Users", "MCOEV"),
    ]
    for step in steps:
        step()
        assert provider.read_state().users == read_licenses_afresh(tmp_path / "t.db")
        # and each write left none stale, so a read joins no license rows
        assert provider.db.execute("SELECT count(*) FROM users WHERE held IS NULL").fetchone() == (0,)
    assert provider.read_state().users["bob@x.example"].licenses == frozenset()


def test_a_direct_copy_goes_and_the_group_copy_stays(tmp_path: Path) -> None:
    provider = _local(tmp_path)
    provider.set_seats("MCOEV", 5)
    provider.assign_group_license("Voice Users", "MCOEV", ())
    before = provider.read_state().subscriptions["MCOEV"].consumed
    assert provider.remove_license("ann@x.example", "MCOEV")
    state = provider.read_state()
    assert state.users["ann@x.example"].inherited == frozenset({"MCOEV"})
    assert state.subscriptions["MCOEV"].consumed == before  # no seat freed: Ann still holds it
    try:
        provider.remove_license("ann@x.example", "MCOEV")
    except PermanentProviderError as exc:
        assert exc.code == "inherited_license"
    else:
        raise AssertionError("an inherited license was removed from the user")


def test_the_ledger_remembers_which_groups_an_apply_changed(cli, workdir: Path) -> None:
    (workdir / "snap.yaml").write_text(SNAPSHOT.replace("seats: 2}", "seats: 9}"), encoding="utf-8")
    spec = workdir / "spec.yaml"
    spec.write_text(
        "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: golden}\nspec:\n  agreement: MCA\n"
        "  subscriptions:\n    - {sku: MCOEV, seats: 9}\n  groups:\n    - {name: Voice Users, licenses: [MCOEV]}\n",
        encoding="utf-8",
    )
    assert cli("snapshot", "load", workdir / "snap.yaml").code == 0
    assert cli("apply", spec, "--auto-approve").code == 0
    ledger = workdir / ".tenantctl" / "golden.db"
    assert groups_changed(ledger, 3600) == frozenset({"Voice Users"})
    assert cli("plan", spec, "--group-grace", "0", "--detailed-exitcode").code == 0


@st.composite
def grouped(draw: Any) -> TenantState:
    """A consistent tenant whose licenses come from up to three groups too, some with plans disabled,
    processed as Microsoft would (errors included: too few seats, the wrong country)."""
    state = draw(states())
    owned = tuple(sorted(state.subscriptions))
    groups = {}
    for i in range(draw(between(0, 3))):
        licenses = repair(set(draw(some(owned)))) if owned else frozenset()
        members = frozenset(draw(st.sets(one(tuple(state.users)), max_size=5))) if state.users else frozenset()
        disabled = {}
        for sku in sorted(licenses):
            product = sku_table().resolve(sku)
            if product is not None and product.plans and draw(BOOL):
                disabled[sku] = frozenset({product.plans[0].name})
        name = f"Group {i}" if draw(BOOL) else "Shared name"
        groups[f"00000000-0000-0000-0000-00000000000{i}"] = GroupState(
            f"00000000-0000-0000-0000-00000000000{i}", name, members, licenses, disabled
        )
    subs = {sku: replace(s, seats=s.seats + draw(between(0, 4))) for sku, s in state.subscriptions.items()}
    location = draw(one(("US", "NO", None)))
    state = processed(replace(state, groups=groups, subscriptions=subs, default_usage_location=location))
    # A decrease scheduled below the seats now in use is not one tenantctl would have scheduled (states()).
    kept = {
        sku: replace(s, scheduled=None) if s.scheduled and s.scheduled.seats < s.consumed else s
        for sku, s in state.subscriptions.items()
    }
    return replace(state, subscriptions=kept)


@PROFILE
@given(state=grouped())
def test_export_then_plan_is_empty_with_groups(state: TenantState) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        spec = load_spec(write(Path(tmp), spec_to_dict(export_spec(state))))
        plan = compute_plan(spec, state)
        assert plan.actions == () and not plan.has_errors, (plan.actions, plan.diagnostics)


def _plan_of(spec_text: str, snapshot_text: str, tmp_path: Path) -> Any:
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text)
    return compute_plan(load_spec(spec), _snapshot(snapshot_text))


SWAP_SNAPSHOT = """
apiVersion: tenantctl/v1
kind: TenantSnapshot
metadata: {name: golden}
state:
  agreement: MCA
  subscriptions: [{sku: SPE_E3, seats: 3}, {sku: SPE_E5, seats: 3}]
  groups: [{name: G, members: [a@x.example, b@x.example], licenses: [SPE_E3]}]
  users: [{upn: a@x.example, usageLocation: US}, {upn: b@x.example, usageLocation: US}]
"""


def test_a_listed_user_keeps_a_license_the_group_loses_directly_and_first(tmp_path: Path) -> None:
    """Review finding: a group swapping E3 for E5 left a user listed with E3 without it."""
    plan = _plan_of(
        "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: golden}\nspec:\n  agreement: MCA\n"
        "  subscriptions: [{sku: SPE_E3, seats: 3}, {sku: SPE_E5, seats: 3}]\n"
        "  groups: [{name: G, licenses: [SPE_E5]}]\n"
        "  users: [{upn: a@x.example, usageLocation: US, licenses: [SPE_E3]}]\n",
        SWAP_SNAPSHOT,
        tmp_path,
    )
    assert not plan.has_errors, plan.diagnostics
    by = {a.address: a for a in plan.actions}
    direct, removal = by["user/a@x.example/SPE_E3"], by["group/G/SPE_E3"]
    assert direct.type == "assign_license" and direct.id in removal.depends_on
    assert by["group/G/SPE_E5"].id in removal.depends_on


def test_seats_a_group_frees_are_not_counted_in_the_same_plan(tmp_path: Path) -> None:
    """Review finding: lowering seats a group's removal frees failed at apply; Microsoft frees them later."""
    plan = _plan_of(
        "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: golden}\nspec:\n  agreement: MOSA\n"
        "  subscriptions: [{sku: SPE_E3, seats: 0}, {sku: SPE_E5, seats: 3}]\n"
        "  groups: [{name: G, licenses: [SPE_E5]}]\n",
        SWAP_SNAPSHOT.replace("agreement: MCA", "agreement: MOSA"),
        tmp_path,
    )
    refusal = next(d for d in plan.diagnostics if d.code == "seats_exhausted")
    assert "freed only once Microsoft has processed the groups" in refusal.message


def test_a_group_named_twice_or_by_name_and_id_is_refused(tmp_path: Path) -> None:
    gid = str(uuid.uuid5(uuid.NAMESPACE_URL, "tenantctl:group:G"))
    twice = _plan_of(
        "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: golden}\nspec:\n  agreement: MCA\n"
        "  subscriptions: [{sku: SPE_E3, seats: 3}, {sku: SPE_E5, seats: 3}]\n"
        f"  groups: [{{name: G, licenses: [SPE_E3]}}, {{id: {gid}, licenses: [SPE_E5]}}]\n",
        SWAP_SNAPSHOT,
        tmp_path,
    )
    assert "group_listed_twice" in {d.code for d in twice.diagnostics} and twice.has_errors


def test_an_unlisted_group_whose_name_is_shared_is_pruned_by_id(tmp_path: Path) -> None:
    snapshot = SWAP_SNAPSHOT.replace(
        "  groups: [{name: G, members: [a@x.example, b@x.example], licenses: [SPE_E3]}]",
        "  groups: [{name: Dupe, id: 11111111-1111-1111-1111-111111111111, members: [a@x.example], licenses: [SPE_E3]},"
        " {name: dupe, id: 22222222-2222-2222-2222-222222222222, members: [b@x.example], licenses: [SPE_E3]}]",
    )
    plan = _plan_of(
        "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: golden}\nspec:\n  agreement: MCA\n  prune: true\n"
        "  subscriptions: [{sku: SPE_E3, seats: 3}]\n",
        snapshot,
        tmp_path,
    )
    assert sorted(a.address for a in plan.actions) == [
        "group/11111111-1111-1111-1111-111111111111/SPE_E3",
        "group/22222222-2222-2222-2222-222222222222/SPE_E3",
    ]


def test_a_prerequisite_a_spec_group_provides_is_judged_at_plan_time(cli, workdir: Path) -> None:
    spec = workdir / "spec.yaml"
    spec.write_text(
        "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: golden}\nspec:\n  agreement: MCA\n"
        "  subscriptions: [{sku: SPE_E5, seats: 3}, {sku: MCOPSTN1, seats: 3, payAsYouGo: true}]\n"
        "  groups: [{name: All, licenses: [SPE_E5]}]\n"
        "  users: [{upn: a@x.example, usageLocation: US, licenses: [MCOPSTN1]}]\n"
    )
    assert cli("validate", spec).code == 0  # Teams Phone may come from the group's E5
    both = spec.read_text().replace("{name: All,", "{name: All, id: 11111111-1111-1111-1111-111111111111,")
    spec.write_text(both)
    refused = cli("validate", spec)
    assert refused.code == 1 and "by `name` or by `id`, not both" in refused.err


def test_a_users_disabled_plans_for_a_group_given_sku_are_warned_about(tmp_path: Path) -> None:
    snapshot = SWAP_SNAPSHOT.replace("licenses: [SPE_E3]}]", "licenses: [SPE_E3, SPE_E5]}]")
    plan = _plan_of(
        "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: golden}\nspec:\n  agreement: MCA\n"
        "  subscriptions: [{sku: SPE_E3, seats: 3}, {sku: SPE_E5, seats: 3}]\n"
        "  groups: [{name: G, licenses: [SPE_E3, SPE_E5]}]\n"
        "  users: [{upn: a@x.example, usageLocation: US, licenses: [{sku: SPE_E5, disabledPlans: [SWAY]}]}]\n",
        snapshot,
        tmp_path,
    )
    assert [(d.code, d.severity) for d in plan.diagnostics if d.code == "disabled_plans_from_group"] == [
        ("disabled_plans_from_group", "warning")
    ]
    assert plan.actions == ()


def test_a_snapshots_licensed_members_need_a_country() -> None:
    text = SNAPSHOT.replace("  defaultUsageLocation: US\n", "").replace(
        "{name: Voice Users, members:", "{name: Voice Users, licenses: [MCOEV], members:"
    )
    try:
        _snapshot(text)
    except ValidationError as exc:
        assert "cy@x.example" in str(exc) and "defaultUsageLocation" in str(exc)
    else:
        raise AssertionError("a licensed member without a country was loaded")


@PROFILE
@given(state=grouped(), name=st.text(min_size=1, max_size=8))
def test_the_digests_are_the_canonical_jsons(state: TenantState, name: str) -> None:
    """plan/digest.py writes the users' JSON itself (a million users): byte for byte json.dumps's."""
    from reconciler.plan.digest import digest_of, spec_digest, state_digest

    odd = f'{name}"\\é@x.example'  # quotes, backslashes and accents must be written as JSON writes them
    state = replace(state, users={**state.users, odd.lower(): UserState(odd, "NO", frozenset())})
    assert state_digest(state) == digest_of(state_to_dict(state))
    spec = export_spec(state)
    assert spec_digest(spec) == digest_of(spec_to_dict(spec))


def test_a_direct_copy_of_a_license_the_group_also_loses_is_destructive(tmp_path: Path) -> None:
    snapshot = SWAP_SNAPSHOT.replace(
        "{upn: a@x.example, usageLocation: US}", "{upn: a@x.example, usageLocation: US, licenses: [SPE_E3]}"
    )
    plan = _plan_of(
        "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: golden}\nspec:\n  agreement: MCA\n"
        "  subscriptions: [{sku: SPE_E3, seats: 3}, {sku: SPE_E5, seats: 3}]\n"
        "  groups: [{name: G, licenses: [SPE_E5]}]\n  users: [{upn: a@x.example, usageLocation: US}]\n",
        snapshot,
        tmp_path,
    )
    by = {a.address: a for a in plan.actions}
    assert by["user/a@x.example/SPE_E3"].destructive  # the group's copy goes too: a loses E3
    kept = _plan_of(
        "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: golden}\nspec:\n  agreement: MCA\n"
        "  subscriptions: [{sku: SPE_E3, seats: 3}, {sku: SPE_E5, seats: 3}]\n"
        "  groups: [{name: G, licenses: [SPE_E3]}]\n  users: [{upn: a@x.example, usageLocation: US}]\n",
        snapshot,
        tmp_path,
    )
    assert not {a.address: a for a in kept.actions}["user/a@x.example/SPE_E3"].destructive  # the group keeps it


@PROFILE
@given(state=grouped(), odd=st.text(min_size=1, max_size=6))
def test_dumped_yaml_loads_back_as_the_document(state: TenantState, odd: str) -> None:
    """spec/snapshot.dump_yaml writes users from templates (a million users): the text is still the document."""
    import yaml

    from reconciler.spec.snapshot import dump_yaml

    upn = odd + ": #'\\\"@x.example"  # what a plain YAML scalar cannot hold
    state = replace(state, users={**state.users, upn.lower(): UserState(upn, "NO", frozenset())})
    for document in (state_to_dict(state), spec_to_dict(export_spec(state))):
        assert yaml.safe_load(dump_yaml(document)) == document


@pytest.mark.parametrize("n", [0, 1, 4095, 4096, 4097, 8192])
def test_the_state_digest_is_the_canonical_json_across_its_chunks(n: int) -> None:
    from reconciler.plan.digest import digest_of, state_digest

    users = {f"u{i}@x.example": UserState(f"u{i}@x.example", "US", frozenset({"SPE_E3"})) for i in range(n)}
    state = _state(users=users)
    assert state_digest(state) == digest_of(state_to_dict(state))


def test_a_group_target_selects_that_group_and_not_one_whose_name_goes_on_with_a_slash() -> None:
    """Review finding (issue 17): `--target group/Sales` also selected group "Sales/EMEA"'s actions."""
    from reconciler.domain.actions import Builder
    from reconciler.domain.group_actions import AssignGroupLicense
    from reconciler.plan.targets import select

    b = Builder()
    for name in ("Sales", "Sales/EMEA"):
        b.add(AssignGroupLicense(name, "MCOEV"), False)
    chosen = {t: [a.address for a in select(tuple(b.actions), frozenset({t}), Builder())] for t in TARGETS}
    assert chosen == {
        "group/Sales": ["group/Sales/MCOEV"],
        "group/sales/": ["group/Sales/MCOEV"],
        "group/Sales/EMEA": ["group/Sales/EMEA/MCOEV"],
        "group/Sales/EMEA/MCOEV": ["group/Sales/EMEA/MCOEV"],
        "group/Sales/MCOEV": ["group/Sales/MCOEV"],
    }


TARGETS = ("group/Sales", "group/sales/", "group/Sales/EMEA", "group/Sales/EMEA/MCOEV", "group/Sales/MCOEV")
