"""The simulated tenant's money rules (docs/rules.md), each checked where it bites: at the boundary.

The local provider must refuse what Microsoft refuses and never accept a change that `validate`
or its own snapshot loader would refuse; every test here starts from a small snapshot.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import TODAY, read_licenses_afresh

from reconciler.domain.errors import PermanentProviderError, TransientProviderError
from reconciler.domain.model import AutoRecharge, RefundableSeats
from reconciler.providers.local.provider import LocalProvider
from reconciler.providers.local.tables import HELD_TRIGGERS
from reconciler.spec.snapshot import snapshot_from_document
from reconciler.spec.yamlload import load_bytes

PAYG_PLAN = "Microsoft_Teams_Calling_Plan_pay_as_you_go_(country_zone_1_US)"


def tenant(tmp_path: Path, body: str, today: date = TODAY, name: str = "t.db") -> LocalProvider:
    """A local tenant holding the snapshot whose `state:` is `body` (YAML, indented two spaces)."""
    text = f"apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: {{name: sim}}\nstate:\n{body}"
    provider = LocalProvider(tmp_path / name, today)
    provider.replace_state(snapshot_from_document(load_bytes(text.encode(), "sim.yaml"), today))
    return provider


def refused(call: object, code: str = "") -> PermanentProviderError:
    with pytest.raises(PermanentProviderError) as info:
        call()  # type: ignore[operator]
    assert not code or info.value.code == code, (info.value.code, str(info.value))
    return info.value


# ---------------------------------------------------------------------------------------- credits


def test_mca_refuses_turning_auto_recharge_on_but_turns_it_off(tmp_path: Path) -> None:
    p = tenant(
        tmp_path,
        "  agreement: MCA\n  communicationsCredits:\n"
        "    autoRecharge: {enabled: true, triggerBelow: 50, amount: 200}\n",
    )
    on = AutoRecharge(True, Decimal(60), Decimal(200))
    assert "off" in str(refused(lambda: p.set_auto_recharge(on)))
    assert p.set_auto_recharge(AutoRecharge(False)) is True
    assert p.read_state().credits is not None and not p.read_state().credits.auto_recharge.enabled  # type: ignore[union-attr]
    refused(lambda: p.add_funds(Decimal(10), "k1"))  # MCA never buys credits


def test_turning_auto_recharge_on_below_its_trigger_buys_once(tmp_path: Path) -> None:
    p = tenant(
        tmp_path,
        "  agreement: EA\n  communicationsCredits:\n    autoRecharge: {enabled: false}\n"
        "    funds:\n      - {purchased: '2026-10-01', amount: 100, remaining: 30}\n",
    )
    on = AutoRecharge(True, Decimal(50), Decimal(100))
    assert p.set_auto_recharge(on) is True
    assert p.set_auto_recharge(on) is False  # already so: nothing bought twice
    credits = p.read_state().credits
    assert credits is not None and credits.balance(TODAY) == Decimal(130)
    assert [lot.amount for lot in credits.funds] == [Decimal(100), Decimal(100)]


def test_turning_auto_recharge_on_at_its_trigger_buys_nothing(tmp_path: Path) -> None:
    # "below the trigger": a balance exactly at the trigger does not recharge.
    p = tenant(
        tmp_path,
        "  agreement: MOSA\n  communicationsCredits:\n    autoRecharge: {enabled: false}\n"
        "    funds:\n      - {purchased: '2026-10-01', amount: 50, remaining: 50}\n",
    )
    assert p.set_auto_recharge(AutoRecharge(True, Decimal(50), Decimal(100))) is True
    credits = p.read_state().credits
    assert credits is not None and credits.balance(TODAY) == Decimal(50)


def test_raising_the_trigger_over_the_balance_buys_once(tmp_path: Path) -> None:
    p = tenant(
        tmp_path,
        "  agreement: MOSA\n  communicationsCredits:\n"
        "    autoRecharge: {enabled: true, triggerBelow: 10, amount: 40}\n"
        "    funds:\n      - {purchased: '2026-10-01', amount: 50, remaining: 20}\n",
    )
    assert p.set_auto_recharge(AutoRecharge(True, Decimal(25), Decimal(40))) is True
    credits = p.read_state().credits
    assert credits is not None and credits.balance(TODAY) == Decimal(60)


def test_funds_keyed_purchase_is_never_done_twice(tmp_path: Path) -> None:
    p = tenant(tmp_path, "  agreement: EA\n  communicationsCredits:\n    autoRecharge: {enabled: false}\n")
    assert p.add_funds(Decimal(25), "key-1") is True
    assert p.add_funds(Decimal(25), "key-1") is False
    credits = p.read_state().credits
    assert credits is not None and credits.balance(TODAY) == Decimal(25)


def test_pay_per_minute_needs_credits_to_be_bought_or_assigned(tmp_path: Path) -> None:
    p = tenant(
        tmp_path,
        "  agreement: EA\n  subscriptions:\n    - {sku: SPE_E3, seats: 1}\n"
        "  users:\n    - {upn: a@sim.example, usageLocation: US, licenses: [SPE_E3]}\n",
    )
    refused(lambda: p.purchase_subscription("MCOMEETACPEA", 5, "P1Y", "monthly", "k"), "no_available_licenses")
    assert p.add_funds(Decimal(50), "funds") is True
    assert p.purchase_subscription("MCOMEETACPEA", 5, "P1Y", "monthly", "k") is True
    assert p.assign_license("a@sim.example", "MCOMEETACPEA") is True


# ------------------------------------------------------------------- pay-as-you-go calling plan


def test_payg_calling_plan_is_for_zone_1_users_only(tmp_path: Path) -> None:
    p = tenant(
        tmp_path,
        f"  agreement: MCA\n  subscriptions:\n    - {{sku: MCOEV, seats: 2}}\n"
        f"    - {{sku: '{PAYG_PLAN}', seats: 2}}\n  users:\n"
        f"    - {{upn: de@sim.example, usageLocation: DE, licenses: [MCOEV]}}\n"
        f"    - {{upn: ca@sim.example, usageLocation: CA, licenses: [MCOEV]}}\n",
    )
    refused(lambda: p.assign_license("de@sim.example", PAYG_PLAN), "prohibited_in_usage_location")
    assert p.assign_license("ca@sim.example", PAYG_PLAN) is True
    refused(lambda: p.set_usage_location("ca@sim.example", "MX"), "prohibited_in_usage_location")
    assert p.set_usage_location("ca@sim.example", "PR") is True


def test_payg_option_exists_only_under_mca_and_nce(tmp_path: Path) -> None:
    for agreement, allowed in (("EA", False), ("MOSA", False), ("MCA", True), ("NCE", True)):
        p = tenant(
            tmp_path,
            f"  agreement: {agreement}\n  subscriptions:\n    - {{sku: MCOPSTN1, seats: 1}}\n",
            name=f"{agreement}.db",
        )
        if allowed:
            assert p.set_pay_as_you_go("MCOPSTN1", True) is True
        else:
            assert "not offered" in str(refused(lambda p=p: p.set_pay_as_you_go("MCOPSTN1", True)))
        p.close()


# ------------------------------------------------------------------------ cancellation window


def nce(tmp_path: Path, extra: str = "", today: date = TODAY, roles: str = "") -> LocalProvider:
    return tenant(
        tmp_path,
        f"  agreement: NCE\n{roles}  subscriptions:\n"
        f"    - {{sku: SPE_E3, seats: 10, term: P1Y, termEnd: '2027-03-01'{extra}}}\n"
        "  users:\n    - {upn: a@sim.example, usageLocation: US, licenses: [SPE_E3]}\n",
        today,
    )


def test_nce_decrease_only_of_refundable_seats(tmp_path: Path) -> None:
    p = nce(tmp_path, ", refundable: [{seats: 3, until: '2026-11-21'}]")  # the window's last day is today
    refused(lambda: p.set_seats("SPE_E3", 6), "cancellation_window_closed")
    assert p.set_seats("SPE_E3", 7) is True
    sub = p.read_state().subscriptions["SPE_E3"]
    assert sub.seats == 7 and sub.refundable == ()
    refused(lambda: p.set_seats("SPE_E3", 6), "cancellation_window_closed")


def test_nce_window_closes_after_its_last_day(tmp_path: Path) -> None:
    p = nce(tmp_path, ", refundable: [{seats: 3, until: '2026-11-20'}]")
    refused(lambda: p.set_seats("SPE_E3", 9), "cancellation_window_closed")


def test_nce_unknown_window_refuses_any_decrease(tmp_path: Path) -> None:
    p = nce(tmp_path)
    refused(lambda: p.set_seats("SPE_E3", 9), "cancellation_window_closed")


def test_nce_added_seats_open_their_own_window(tmp_path: Path) -> None:
    p = nce(tmp_path, ", refundable: []")
    assert p.set_seats("SPE_E3", 12) is True
    sub = p.read_state().subscriptions["SPE_E3"]
    assert sub.refundable is not None and [(r.seats, r.until) for r in sub.refundable] == [
        (2, TODAY + timedelta(days=7))
    ]
    assert p.set_seats("SPE_E3", 10) is True


def test_a_scheduled_decrease_takes_effect_at_the_renewal(tmp_path: Path) -> None:
    p = nce(tmp_path, ", refundable: []")
    assert p.schedule_seats("SPE_E3", 4) is True
    assert p.schedule_seats("SPE_E3", 4) is False
    sub = p.read_state().subscriptions["SPE_E3"]
    assert (sub.seats, sub.scheduled and sub.scheduled.seats) == (10, 4)
    p.close()
    for day, seats in ((date(2027, 2, 28), 10), (date(2027, 3, 1), 4)):
        later = LocalProvider(tmp_path / "t.db", day)
        sub = later.read_state().subscriptions["SPE_E3"]
        assert sub.seats == seats, day
        later.close()
    renewed = LocalProvider(tmp_path / "t.db", date(2027, 3, 1)).read_state().subscriptions["SPE_E3"]
    assert renewed.scheduled is None and renewed.term_end == date(2028, 3, 1)
    assert renewed.refundable is not None and renewed.refundable[0].until == date(2027, 3, 8)


def test_a_renewal_never_leaves_users_without_seats(tmp_path: Path) -> None:
    p = nce(tmp_path, ", refundable: [], scheduled: {seats: 0}")
    p.close()
    sub = LocalProvider(tmp_path / "t.db", date(2027, 3, 2)).read_state().subscriptions["SPE_E3"]
    assert sub.seats == 1  # one user holds it


def test_a_change_now_deletes_the_scheduled_one(tmp_path: Path) -> None:
    p = nce(tmp_path, ", refundable: [], scheduled: {seats: 4}")
    assert p.set_seats("SPE_E3", 11) is True
    assert p.read_state().subscriptions["SPE_E3"].scheduled is None


def test_scheduling_the_current_count_cancels_the_scheduled_change(tmp_path: Path) -> None:
    p = nce(tmp_path, ", refundable: [], scheduled: {seats: 4}")
    assert p.schedule_seats("SPE_E3", 10) is True
    assert p.read_state().subscriptions["SPE_E3"].scheduled is None


def test_mosa_decreases_at_once(tmp_path: Path) -> None:
    p = tenant(tmp_path, "  agreement: MOSA\n  subscriptions:\n    - {sku: SPE_E3, seats: 10}\n")
    assert p.set_seats("SPE_E3", 1) is True


# ---------------------------------------------------------------------------------------- roles


def test_roles_documented_for_the_agreement_are_required(tmp_path: Path) -> None:
    p = nce(tmp_path, ", refundable: []", roles="  billingRoles: [SalesAgent]\n")
    assert p.set_seats("SPE_E3", 11) is True  # a sales agent may change quantities
    assert "Admin agent" in str(refused(lambda: p.set_pay_as_you_go("SPE_E3", True), "forbidden"))
    mca = tenant(
        tmp_path,
        "  agreement: MCA\n  billingRoles: [BillingAccountReader]\n  subscriptions:\n    - {sku: SPE_E3, seats: 10}\n",
        name="mca.db",
    )
    refused(lambda: mca.purchase_subscription("MCOEV", 1, "P1Y", "monthly", "k"), "forbidden")
    profile = tenant(tmp_path, "  agreement: MCA\n  billingRoles: [BillingProfileContributor]\n", name="p.db")
    assert profile.purchase_subscription("MCOEV", 1, "P1Y", "monthly", "k") is True
    # MOSA: "at least a Billing Administrator"; an MCA billing role means nothing there.
    mosa = tenant(tmp_path, "  agreement: MOSA\n  billingRoles: [BillingAccountOwner]\n", name="m.db")
    assert "Billing Administrator" in str(
        refused(lambda: mosa.purchase_subscription("MCOEV", 1, "P1Y", "monthly", "k"), "forbidden")
    )
    admin = tenant(tmp_path, "  agreement: MOSA\n  billingRoles: [BillingAdministrator]\n", name="a.db")
    assert admin.purchase_subscription("MCOEV", 1, "P1Y", "monthly", "k") is True


def test_unrecorded_roles_and_undocumented_actions_are_not_checked(tmp_path: Path) -> None:
    p = tenant(tmp_path, "  agreement: MOSA\n  subscriptions:\n    - {sku: SPE_E3, seats: 10}\n")
    assert p.purchase_subscription("MCOEV", 1, "P1Y", "monthly", "k") is True  # no billingRoles recorded
    ea = tenant(
        tmp_path,
        "  agreement: EA\n  billingRoles: []\n  communicationsCredits:\n    autoRecharge: {enabled: false}\n",
        name="ea.db",
    )
    assert ea.add_funds(Decimal(5), "k") is True  # no role is documented for credits


# ------------------------------------------------------------------- never bought twice (issue 14)


class LoseReplies:
    """Loses the reply of every other committed write, from the first: each action's first attempt
    is made and committed, its reply lost, and the retry must find its key spent."""

    def __init__(self) -> None:
        self.writes = 0
        self.lost = 0

    def before(self, what: str) -> None:
        """Nothing fails before the write."""

    def after(self, what: str) -> None:
        self.writes += 1
        if self.writes % 2:
            self.lost += 1
            raise TransientProviderError(f"{what}: timed out after the change was made (test)", 0)


def test_a_purchase_key_is_spent_once_even_after_the_subscription_is_gone(tmp_path: Path) -> None:
    p = tenant(tmp_path, "  agreement: MOSA\n")
    assert p.purchase_subscription("SPE_E3", 5, "P1Y", "monthly", "buy-1") is True
    assert p.purchase_subscription("SPE_E3", 5, "P1Y", "monthly", "buy-1") is False
    for table in ("commitments", "renewals", "subscriptions"):  # cancelled in the admin center, say
        p.db.execute(f"DELETE FROM {table} WHERE sku = 'SPE_E3'")
    assert p.purchase_subscription("SPE_E3", 5, "P1Y", "monthly", "buy-1") is False  # the same intent: done
    assert "SPE_E3" not in p.read_state().subscriptions
    assert p.purchase_subscription("SPE_E3", 5, "P1Y", "monthly", "buy-2") is True  # a new intent buys


def test_a_funds_key_sent_twice_is_already_done_never_a_crash(tmp_path: Path) -> None:
    p = tenant(tmp_path, "  agreement: EA\n")
    assert p.add_funds(Decimal("10.01"), "fund-1") is True
    assert p.add_funds(Decimal("10.01"), "fund-1") is False
    assert p.add_funds(Decimal("99"), "fund-1") is False  # the key, not the amount, names the purchase
    credits = p.read_state().credits
    assert credits is not None and [lot.amount for lot in credits.funds] == [Decimal("10.01")]


def test_lost_replies_on_keyed_actions_buy_once(tmp_path: Path) -> None:
    """Every write's first reply is lost (deterministically): the retry with the same key is 'already so'."""
    from reconciler.apply.run import apply_plan
    from reconciler.plan.compute import compute_plan
    from reconciler.spec.loader import spec_from_document

    p = tenant(tmp_path, "  agreement: EA\n")
    spec = spec_from_document(
        load_bytes(
            b"apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: sim}\nspec:\n  agreement: EA\n"
            b"  subscriptions: [{sku: SPE_E3, seats: 5}]\n  communicationsCredits:\n"
            b"    autoRecharge: {enabled: false}\n    minimumBalance: 40\n  users: []\n",
            "spec.yaml",
        )
    )
    plan = compute_plan(spec, p.read_state())
    assert [a.type for a in plan.actions] == ["purchase_subscription", "add_funds"]
    p.faults = lost = LoseReplies()  # type: ignore[assignment]
    result = apply_plan(plan, p, sleep=lambda _: None)
    assert result.ok and lost.lost == 2
    assert [o.status for o in result.outcomes] == ["unchanged", "unchanged"]  # done, its reply lost, retried
    state = p.read_state()
    assert state.subscriptions["SPE_E3"].seats == 5 and state.credits is not None
    assert [lot.amount for lot in state.credits.funds] == [Decimal(40)]
    assert p.db.execute("SELECT COUNT(*) FROM purchases").fetchone() == (1,)


# ---------------------------------------------------------------- the license rules, at the boundary


SEATS_TWO = (
    "  agreement: MOSA\n  subscriptions:\n    - {sku: MCOEV, seats: 2}\n    - {sku: MCOPSTN1, seats: 2}\n"
    "  users:\n    - {upn: a@x.example, usageLocation: US, licenses: [MCOEV, MCOPSTN1]}\n"
    "    - {upn: b@x.example, usageLocation: US}\n    - {upn: c@x.example, usageLocation: US}\n"
    "    - {upn: d@x.example}\n"
)


def test_the_last_free_seat_is_assigned_and_one_past_it_refused(tmp_path: Path) -> None:
    p = tenant(tmp_path, SEATS_TWO)
    assert p.assign_license("b@x.example", "MCOEV") is True  # 2 of 2
    error = refused(lambda: p.assign_license("c@x.example", "MCOEV"), "no_available_licenses")
    assert "2 of 2 assigned" in str(error)
    assert p.read_state().subscriptions["MCOEV"].consumed == 2


def test_seats_go_down_to_those_assigned_and_not_one_below(tmp_path: Path) -> None:
    p = tenant(tmp_path, SEATS_TWO)
    refused(lambda: p.set_seats("MCOEV", 0))
    assert p.set_seats("MCOEV", 1) is True
    assert p.read_state().subscriptions["MCOEV"].seats == 1


def test_a_prerequisite_stays_while_its_dependent_does(tmp_path: Path) -> None:
    p = tenant(tmp_path, SEATS_TWO)
    refused(lambda: p.remove_license("a@x.example", "MCOEV"), "dependency_violation")
    assert p.remove_license("a@x.example", "MCOPSTN1") is True
    assert p.remove_license("a@x.example", "MCOEV") is True


def test_a_license_needs_its_prerequisite_and_a_usage_location(tmp_path: Path) -> None:
    p = tenant(tmp_path, SEATS_TWO)
    refused(lambda: p.assign_license("b@x.example", "MCOPSTN1"), "dependency_violation")
    refused(lambda: p.assign_license("d@x.example", "MCOEV"), "invalid_usage_location")
    refused(lambda: p.assign_license("nobody@x.example", "MCOEV"), "not_found")


# ------------------------------------------------- the remaining rows of docs/rules.md the simulator enforces


def test_c4_nce_has_no_credits_to_buy_or_recharge(tmp_path: Path) -> None:
    p = tenant(tmp_path, "  agreement: NCE\n")
    refused(lambda: p.add_funds(Decimal(10), "k"))
    refused(lambda: p.set_auto_recharge(AutoRecharge(True, Decimal(10), Decimal(50))))
    assert p.read_state().credits is None


def test_c6_turning_auto_recharge_on_twice_buys_once(tmp_path: Path) -> None:
    p = tenant(tmp_path, "  agreement: EA\n")
    on = AutoRecharge(True, Decimal(50), Decimal(20))  # amount 20 leaves the balance below the trigger
    assert p.set_auto_recharge(on) is True
    assert p.set_auto_recharge(on) is False
    credits = p.read_state().credits
    assert credits is not None and [lot.amount for lot in credits.funds] == [Decimal(20)]


@pytest.mark.parametrize("agreement", ["EA", "MCA"])
def test_c3_c13_no_credits_license_without_credits_set_up(tmp_path: Path, agreement: str) -> None:
    p = tenant(
        tmp_path,
        f"  agreement: {agreement}\n  subscriptions:\n    - {{sku: MCOEV, seats: 1}}\n"
        "    - {sku: MCOMEETADV, seats: 1}\n  users:\n"
        "    - {upn: a@x.example, usageLocation: US, licenses: [MCOEV, MCOMEETADV]}\n",
    )
    refused(lambda: p.assign_license("a@x.example", "MCOPSTNC"), "no_available_licenses")


def test_c13_funding_adds_the_credits_licenses(tmp_path: Path) -> None:
    p = tenant(
        tmp_path,
        "  agreement: EA\n  subscriptions:\n    - {sku: MCOMEETADV, seats: 1}\n  users:\n"
        "    - {upn: a@x.example, usageLocation: US, licenses: [MCOMEETADV]}\n",
    )
    assert p.add_funds(Decimal(10), "k") is True
    assert p.assign_license("a@x.example", "MCOPSTNC") is True


def test_p7_only_plans_that_offer_it_take_pay_as_you_go(tmp_path: Path) -> None:
    p = tenant(
        tmp_path, "  agreement: NCE\n  subscriptions:\n    - {sku: SPE_E3, seats: 1}\n    - {sku: MCOPSTN1, seats: 1}\n"
    )
    refused(lambda: p.set_pay_as_you_go("SPE_E3", True))
    assert p.set_pay_as_you_go("MCOPSTN1", True) is True


def test_t10a_a_monthly_term_is_never_billed_annually(tmp_path: Path) -> None:
    p = tenant(tmp_path, "  agreement: MOSA\n  subscriptions:\n    - {sku: SPE_E3, seats: 1}\n")
    refused(lambda: p.set_term("SPE_E3", "P1M", "annual"))
    refused(lambda: p.purchase_subscription("MCOEV", 1, "P1M", "annual", "k"))
    assert p.set_term("SPE_E3", "P1M", "monthly") is True


# ------------------------------------------------- what each commerce write leaves behind (mutation run)


def test_a_purchase_of_what_is_owned_changes_nothing_and_an_ea_only_sku_is_refused_elsewhere(tmp_path: Path) -> None:
    p = tenant(tmp_path, "  agreement: MOSA\n  subscriptions:\n    - {sku: MCOEV, seats: 3}\n")
    assert p.purchase_subscription("MCOEV", 9, "P1Y", "monthly", "new-key") is False
    assert p.read_state().subscriptions["MCOEV"].seats == 3
    error = refused(lambda: p.purchase_subscription("MCOMEETACPEA", 1, "P1M", "monthly", "k2"))
    assert (error.message, error.hint) == (
        "MCOMEETACPEA is not sold under a MOSA agreement",
        "it is offered to volume-licensing (EA) customers only",
    )
    assert "MCOMEETACPEA" not in p.read_state().subscriptions


def test_a_purchase_under_nce_opens_a_seven_day_cancellation_window(tmp_path: Path) -> None:
    p = tenant(tmp_path, "  agreement: NCE\n")
    assert p.purchase_subscription("MCOEV", 4, "P1Y", "monthly", "k") is True
    bought = p.read_state().subscriptions["MCOEV"]
    assert [(r.seats, r.until) for r in bought.refundable or ()] == [(4, TODAY + timedelta(days=7))]
    assert bought.term_end == date(2027, 11, 21)
    mosa = tenant(tmp_path, "  agreement: MOSA\n", name="m.db")
    assert mosa.purchase_subscription("MCOEV", 4, "P1Y", "monthly", "k") is True
    assert mosa.read_state().subscriptions["MCOEV"].refundable is None  # no window outside NCE and MCA


def test_a_scheduled_change_takes_effect_on_the_term_end(tmp_path: Path) -> None:
    p = nce(tmp_path, ", refundable: []")
    assert p.schedule_seats("SPE_E3", 6) is True
    scheduled = p.read_state().subscriptions["SPE_E3"].scheduled
    assert scheduled is not None and (scheduled.seats, scheduled.effective) == (6, date(2027, 3, 1))


def test_a_term_change_says_whether_it_changed_anything(tmp_path: Path) -> None:
    p = nce(tmp_path, ", refundable: [], billingFrequency: monthly")
    assert p.set_term("SPE_E3", "P1Y", "monthly") is False
    assert p.set_term("SPE_E3", "P1Y", "annual") is True
    assert p.read_state().subscriptions["SPE_E3"].billing_frequency == "annual"


def test_scheduling_seats_and_changing_terms_need_their_documented_roles(tmp_path: Path) -> None:
    p = tenant(
        tmp_path,
        "  agreement: MOSA\n  billingRoles: [BillingAccountOwner]\n  subscriptions:\n"
        "    - {sku: SPE_E3, seats: 10, term: P1Y, termEnd: '2027-03-01'}\n",
    )
    assert "Billing Administrator" in str(refused(lambda: p.schedule_seats("SPE_E3", 6), "forbidden"))
    assert "Billing Administrator" in str(refused(lambda: p.set_term("SPE_E3", "P1M", "monthly"), "forbidden"))


def test_mca_never_buys_credits_and_says_what_to_use_instead(tmp_path: Path) -> None:
    p = tenant(tmp_path, "  agreement: MCA\n")
    error = refused(lambda: p.add_funds(Decimal(10), "k"))
    assert (error.message, error.hint) == (
        "MCA customers cannot buy Communications Credits",
        "their calls are billed after use; use the pay-as-you-go option",
    )


def test_removing_what_a_user_does_not_hold_is_already_so(tmp_path: Path) -> None:
    p = nce(tmp_path, ", refundable: []")
    assert p.remove_license("a@sim.example", "MCOEV") is False
    assert p.remove_license("a@sim.example", "SPE_E3") is True
    assert p.remove_license("a@sim.example", "SPE_E3") is False


def test_nce_auto_recharge_is_refused_with_what_to_use_instead(tmp_path: Path) -> None:
    error = refused(lambda: nce(tmp_path).set_auto_recharge(AutoRecharge(False)))
    assert (error.message, error.hint) == (
        "NCE calling subscriptions cannot use Communications Credits",
        "NCE bills overage after use; turn on pay-as-you-go instead",
    )


def test_the_pay_as_you_go_switch_says_whether_it_changed_and_names_its_direction(tmp_path: Path) -> None:
    body = "  subscriptions:\n    - {sku: MCOPSTN1, seats: 1, payAsYouGo: false}\n"
    p = tenant(tmp_path, "  agreement: MCA\n" + body)
    assert p.set_pay_as_you_go("MCOPSTN1", False) is False
    assert p.set_pay_as_you_go("MCOPSTN1", True) is True
    assert p.set_pay_as_you_go("MCOPSTN1", True) is False
    ea = tenant(tmp_path, "  agreement: EA\n" + body, name="ea.db")
    error = refused(lambda: ea.set_pay_as_you_go("MCOPSTN1", True))
    assert (error.message, error.hint) == (
        "the pay-as-you-go option is not offered under EA",
        "minutes past a plan's allowance are paid from Communications Credits",
    )
    reader = tenant(tmp_path, "  agreement: MCA\n  billingRoles: [BillingAccountReader]\n" + body, name="r.db")
    assert str(refused(lambda: reader.set_pay_as_you_go("MCOPSTN1", True), "forbidden")).startswith(
        "turning pay-as-you-go on for MCOPSTN1 needs "
    )
    assert str(refused(lambda: reader.set_pay_as_you_go("MCOPSTN1", False), "forbidden")).startswith(
        "turning pay-as-you-go off for MCOPSTN1 needs "
    )


def test_writes_that_find_the_tenant_already_so_say_so(tmp_path: Path) -> None:
    p = nce(tmp_path, ", refundable: []")
    assert p.assign_license("a@sim.example", "SPE_E3") is False
    assert p.set_usage_location("a@sim.example", "US") is False
    assert p.set_seats("SPE_E3", 10) is False


def test_seats_below_those_assigned_are_refused_with_how_many_to_free(tmp_path: Path) -> None:
    p = tenant(
        tmp_path,
        "  agreement: MOSA\n  subscriptions:\n    - {sku: MCOEV, seats: 5}\n  users:\n"
        + "".join(f"    - {{upn: u{i}@sim.example, usageLocation: US, licenses: [MCOEV]}}\n" for i in range(3)),
    )
    error = refused(lambda: p.set_seats("MCOEV", 1))
    assert (error.message, error.hint) == (
        "cannot reduce MCOEV to 1 seats: 3 are assigned",
        "remove 2 MCOEV licenses from users first",
    )


def test_an_nce_increase_keeps_the_windows_already_open(tmp_path: Path) -> None:
    p = nce(tmp_path, ", refundable: [{seats: 3, until: '2026-11-24'}]")
    assert p.set_seats("SPE_E3", 12) is True
    lots = p.read_state().subscriptions["SPE_E3"].refundable or ()
    assert [(r.seats, r.until) for r in lots] == [(3, date(2026, 11, 24)), (2, TODAY + timedelta(days=7))]


def test_seat_changes_need_their_documented_role(tmp_path: Path) -> None:
    p = tenant(
        tmp_path,
        "  agreement: MOSA\n  billingRoles: [BillingAccountOwner]\n  subscriptions:\n    - {sku: MCOEV, seats: 5}\n",
    )
    assert "Billing Administrator" in str(refused(lambda: p.set_seats("MCOEV", 6), "forbidden"))


def test_auto_recharge_needs_a_trigger_and_an_amount_and_mca_says_what_to_write(tmp_path: Path) -> None:
    p = tenant(tmp_path, "  agreement: EA\n")
    for half in (AutoRecharge(True, Decimal(10), None), AutoRecharge(True, None, Decimal(10))):
        assert (
            str(refused(lambda half=half: p.set_auto_recharge(half))) == "auto-recharge needs a trigger and an amount"
        )
    mca = tenant(tmp_path, "  agreement: MCA\n", name="mca.db")
    error = refused(lambda: mca.set_auto_recharge(AutoRecharge(True, Decimal(10), Decimal(50))))
    assert error.hint == "under an MCA, calls are billed after use; set autoRecharge: {enabled: false}"


def test_turning_auto_recharge_on_without_any_credits_buys_from_a_zero_balance(tmp_path: Path) -> None:
    p = tenant(tmp_path, "  agreement: EA\n")
    assert p.set_auto_recharge(AutoRecharge(True, Decimal(1), Decimal(50))) is True  # 0 is below 1
    credits = p.read_state().credits
    assert credits is not None and credits.balance(TODAY) == Decimal(50)


def test_changing_the_amount_of_an_enabled_recharge_buys_nothing(tmp_path: Path) -> None:
    # Below its trigger already (the recharge runs on Microsoft's schedule, not on this change).
    p = tenant(
        tmp_path,
        "  agreement: EA\n  communicationsCredits:\n"
        "    autoRecharge: {enabled: true, triggerBelow: 50, amount: 100}\n"
        "    funds:\n      - {purchased: '2026-10-01', amount: 100, remaining: 30}\n",
    )
    assert p.set_auto_recharge(AutoRecharge(True, Decimal(50), Decimal(200))) is True
    credits = p.read_state().credits
    assert credits is not None and credits.balance(TODAY) == Decimal(30)


# ------------------------------------------------------------------------ renewals and old files


def test_a_missing_subscription_is_named_with_what_to_do(tmp_path: Path) -> None:
    p = nce(tmp_path)
    error = refused(lambda: p.set_seats("MCOEV", 3), "not_found")
    assert (error.message, error.hint) == ("the tenant has no MCOEV subscription", "buy MCOEV first")


def test_a_renewal_that_fell_due_opens_its_window_for_the_first_write(tmp_path: Path) -> None:
    nce(tmp_path, ", refundable: []").close()
    later = LocalProvider(tmp_path / "t.db", date(2027, 3, 3))  # renewed on 2027-03-01: window to 03-08
    assert later.set_seats("SPE_E3", 8) is True
    sub = later.read_state().subscriptions["SPE_E3"]
    assert (sub.seats, sub.term_end, sub.refundable) == (8, date(2028, 3, 1), (RefundableSeats(8, date(2027, 3, 8)),))


def test_the_first_write_after_a_renewal_records_it_with_the_seats_in_use_then(tmp_path: Path) -> None:
    nce(tmp_path, ", refundable: [], scheduled: {seats: 0}").close()
    later = LocalProvider(tmp_path / "t.db", date(2027, 3, 2))
    assert later.set_term("SPE_E3", "P1Y", "annual") is True  # renews first: 0 scheduled, 1 in use -> 1 seat
    assert later.remove_license("a@sim.example", "SPE_E3") is True
    sub = later.read_state().subscriptions["SPE_E3"]
    assert (sub.seats, sub.consumed, sub.term_end) == (1, 0, date(2028, 3, 1))


def test_a_file_from_before_seat_counts_were_kept_is_read_without_changing_it(tmp_path: Path) -> None:
    import sqlite3

    nce(tmp_path).close()
    with sqlite3.connect(tmp_path / "t.db") as old:  # as an older version wrote it: counted on the fly
        old.executescript("DROP TRIGGER consumed_add; DROP TRIGGER consumed_remove; DROP TABLE consumed;")
    old.close()
    before = (tmp_path / "t.db").read_bytes()
    reader = LocalProvider(tmp_path / "t.db", TODAY, read_only=True)
    assert reader.read_state().subscriptions["SPE_E3"].consumed == 1
    reader.close()
    assert (tmp_path / "t.db").read_bytes() == before


def test_a_file_from_before_kept_licenses_is_read_as_is_then_a_writer_adds_them(tmp_path: Path) -> None:
    import sqlite3

    nce(tmp_path).close()
    with sqlite3.connect(tmp_path / "t.db") as old:  # as an older version wrote it: licenses joined per read
        old.executescript(
            "DROP INDEX users_stale; "
            + "".join(f"DROP TRIGGER {t}; " for t in HELD_TRIGGERS)
            + "ALTER TABLE users DROP COLUMN held;"
        )
    old.close()
    before = (tmp_path / "t.db").read_bytes()
    reader = LocalProvider(tmp_path / "t.db", TODAY, read_only=True)
    assert reader.read_state().users["a@sim.example"].licenses == frozenset({"SPE_E3"})
    reader.close()
    assert (tmp_path / "t.db").read_bytes() == before
    writer = LocalProvider(tmp_path / "t.db", TODAY)
    assert writer.remove_license("a@sim.example", "SPE_E3") is True
    assert writer.read_state().users == read_licenses_afresh(tmp_path / "t.db")
    assert writer.read_state().users["a@sim.example"].licenses == frozenset()


def test_a_database_that_is_not_a_tenant_is_named_as_such(tmp_path: Path) -> None:
    import sqlite3

    from reconciler.providers.local.store import NoTenantError

    with sqlite3.connect(tmp_path / "other.db") as other:
        other.execute("CREATE TABLE notes (text TEXT)")
    other.close()
    with pytest.raises(NoTenantError) as error:
        LocalProvider(tmp_path / "other.db", TODAY, read_only=True)
    assert str(error.value) == (
        f"{tmp_path / 'other.db'} is not a tenantctl simulated tenant; load one with "
        "`tenantctl snapshot load SNAPSHOT.yaml`"
    )


def test_funds_keep_their_idempotency_keys_through_a_read_and_a_reload(tmp_path: Path) -> None:
    """snapshot dump then load must not forget which purchases were made: the same key buys nothing."""
    p = tenant(tmp_path, "  agreement: EA\n  communicationsCredits:\n    autoRecharge: {enabled: false}\n")
    assert p.add_funds(Decimal(10), "tenantctl-k1") is True
    state = p.read_state()
    assert state.credits is not None and [lot.idempotency_key for lot in state.credits.funds] == ["tenantctl-k1"]
    copy = LocalProvider(tmp_path / "copy.db", TODAY)
    copy.replace_state(state)
    assert copy.add_funds(Decimal(10), "tenantctl-k1") is False


@pytest.mark.parametrize(
    "recharge, expected",
    [
        ("{enabled: false, triggerBelow: 50, amount: 100}", AutoRecharge(False, Decimal(50), Decimal(100))),
        ("{enabled: true, triggerBelow: 25, amount: 200}", AutoRecharge(True, Decimal(25), Decimal(200))),
        ("{enabled: false}", AutoRecharge(False, None, None)),
        ("{enabled: false, triggerBelow: 50}", AutoRecharge(False, Decimal(50), None)),  # half set, kept as is
        ("{enabled: false, amount: 70}", AutoRecharge(False, None, Decimal(70))),
    ],
)
def test_auto_recharge_reads_back_as_loaded(tmp_path: Path, recharge: str, expected: AutoRecharge) -> None:
    p = tenant(tmp_path, f"  agreement: EA\n  communicationsCredits:\n    autoRecharge: {recharge}\n")
    credits = p.read_state().credits
    assert credits is not None and credits.auto_recharge == expected


def test_the_tenant_id_reads_back_as_loaded(tmp_path: Path) -> None:
    text = (
        "apiVersion: tenantctl/v1\nkind: TenantSnapshot\n"
        "metadata: {name: sim, tenantId: 3f2a9c1e-0000-4000-8000-000000000001}\nstate:\n  agreement: EA\n"
    )
    p = LocalProvider(tmp_path / "t.db", TODAY)
    p.replace_state(snapshot_from_document(load_bytes(text.encode(), "sim.yaml"), TODAY))
    assert p.read_state().tenant_id == "3f2a9c1e-0000-4000-8000-000000000001"


def test_injected_faults_hit_the_writes_but_never_the_snapshot_load(tmp_path: Path) -> None:
    from reconciler.providers.faults import FaultInjector

    always = FaultInjector(transient=1.0, seed=1)
    p = LocalProvider(tmp_path / "t.db", TODAY, faults=always)
    text = "apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: {name: sim}\nstate:\n  agreement: EA\n"
    p.replace_state(snapshot_from_document(load_bytes(text.encode(), "sim.yaml"), TODAY))  # administration: no faults
    with pytest.raises(TransientProviderError):
        p.add_funds(Decimal(10), "k")


def test_a_tenant_that_must_exist_and_does_not_says_how_to_load_one(tmp_path: Path) -> None:
    from reconciler.providers.local.store import NoTenantError

    with pytest.raises(NoTenantError) as error:
        LocalProvider(tmp_path / "none.db", TODAY, create=False)
    assert str(error.value) == (
        f"there is no simulated tenant at {tmp_path / 'none.db'}; load one first: "
        f"`tenantctl snapshot load SNAPSHOT.yaml --provider local:{tmp_path / 'none.db'}`"
    )
    assert not (tmp_path / "none.db").exists()
