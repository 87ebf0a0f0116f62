"""What the speed work of issue 6 must not change: state read back exactly, the collector left as
it was found, every journal outcome written. (Speed itself is measured in benchmarks/, not here.)"""

from __future__ import annotations

import dataclasses
import gc
from pathlib import Path

import pytest
from conftest import EXAMPLES, TODAY

from reconciler.apply.ledger import Ledger
from reconciler.domain.model import SubscriptionState, UserState
from reconciler.providers.local.provider import LocalProvider
from reconciler.spec.snapshot import load_snapshot
from reconciler.support.gc_pause import long_lived


def test_read_state_gives_back_exactly_what_was_stored(tmp_path: Path) -> None:
    """License sets are read joined and shared; a SKU name with a space must survive that."""
    state = load_snapshot(EXAMPLES / "contoso.snapshot.yaml", TODAY)
    odd = "VISIO PLAN2"  # the snapshot schema allows any name for an unmanaged SKU
    subscriptions = {
        **state.subscriptions,
        odd: SubscriptionState(sku=odd, seats=5, term="P1Y", billing_frequency="monthly", consumed=1),
    }
    users = dict(state.users)
    key = sorted(users)[0]
    users[key] = dataclasses.replace(users[key], licenses=users[key].licenses | {odd})
    users["nobody@contoso.com"] = UserState(upn="nobody@contoso.com", usage_location=None, licenses=frozenset())
    state = dataclasses.replace(state, subscriptions=subscriptions, users=users)
    provider = LocalProvider(tmp_path / "t.db", TODAY)
    provider.replace_state(state)
    back = provider.read_state()
    provider.close()
    assert back.users == state.users
    assert odd in back.users[key].licenses and back.users["nobody@contoso.com"].licenses == frozenset()


def test_the_collector_is_left_as_it_was_found() -> None:
    @long_lived
    def build(fail: bool) -> list[object]:
        assert not gc.isenabled()
        if fail:
            raise ValueError("bad input")
        return [[] for _ in range(10)]

    assert gc.isenabled()
    kept = build(False)
    assert gc.isenabled() and gc.get_freeze_count() > 0 and len(kept) == 10
    with pytest.raises(ValueError):
        build(True)
    assert gc.isenabled()
    gc.disable()
    try:
        build(False)
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()
    gc.unfreeze()


def test_outcomes_waiting_for_the_next_write_are_never_lost(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.db")
    run = ledger.begin("contoso", "spec.yaml", None, 3)
    ledger.intent(run, 1, "assign_license", "user/a@contoso.com/MCOEV", None)
    ledger.outcome(run, 1, "assign_license", "user/a@contoso.com/MCOEV", "done", "", 0)
    ledger.outcome(run, 2, "assign_license", "user/b@contoso.com/MCOEV", "skipped", "blocked", 0)
    assert [a["outcome"] for a in ledger.actions(run)] == ["done", "skipped"]  # a reader sees them
    ledger.outcome(run, 3, "assign_license", "user/c@contoso.com/MCOEV", "done", "", 0)
    ledger.close()  # closing writes what is pending
    other = Ledger(tmp_path / "ledger.db")
    assert [a["outcome"] for a in other.actions(run)] == ["done", "skipped", "done"]
    other.close()
