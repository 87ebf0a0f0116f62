"""Never buy twice, never lose a change: the lock, crash-safe apply, history, and faults.

The crash test kills an apply with SIGKILL at every action, at three points each (journal intent
recorded, inside the provider's write before it commits, outcome recorded), then recovers the way a
user would (the stale lock is reported, `force-unlock`, apply again) and checks that the tenant
ends exactly as a clean apply leaves it: the same seats and licenses, one purchase, one funding.
The runs are forked from this process (a real process that really dies), which keeps 48 crashes
fast.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import sqlite3
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import EXAMPLES, SPECS, TODAY
from synthetic import write_calling_tenant

from reconciler.apply.ledger import Ledger
from reconciler.cli.main import main  # imported here, once: each forked child would import it again
from reconciler.domain.canonical import state_to_dict
from reconciler.plan.compute import compute_plan
from reconciler.providers.local.provider import LocalProvider
from reconciler.spec.loader import load_spec
from reconciler.spec.snapshot import dump_yaml, load_snapshot

PHASES = ("intent", "inside", "outcome")
TENANT = "northwind"


def forked(workdir: Path, *args: str, env: dict[str, str] | None = None) -> int:
    """Run `tenantctl ARGS` in a forked child with its output discarded; its exit code (-9: killed)."""

    def child() -> None:
        os.chdir(workdir)
        for key in [k for k in os.environ if k.startswith("TENANTCTL_")]:
            del os.environ[key]
        os.environ.update({"TENANTCTL_TODAY": TODAY.isoformat(), "NO_COLOR": "1", **(env or {})})
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        main(list(args))

    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    process.join(120)
    assert process.exitcode is not None, "the child did not finish"
    return process.exitcode


def dump_without_keys(db: Path) -> str:
    """The tenant as a snapshot; idempotency keys differ between runs by design, so they are dropped."""
    provider = LocalProvider(db, TODAY)
    try:
        text = dump_yaml(state_to_dict(provider.read_state()))
    finally:
        provider.close()
    return re.sub(r",? ?idempotencyKey: [\w-]+", "", text)


def money_rows(db: Path) -> tuple[int, int]:
    """(fund lots, recorded purchases) in the local tenant database."""
    with sqlite3.connect(db) as conn:
        return (
            conn.execute("SELECT COUNT(*) FROM funds").fetchone()[0],
            conn.execute("SELECT COUNT(*) FROM purchases").fetchone()[0],
        )


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, tuple[int, int], int]:
    """The tenant after one clean apply, and how many actions that apply has."""
    work = tmp_path_factory.mktemp("reference")
    assert forked(work, "snapshot", "load", str(EXAMPLES / f"{TENANT}.snapshot.yaml")) == 0
    assert forked(work, "apply", str(SPECS / f"{TENANT}.yaml"), "--auto-approve", "--allow-destroy") == 0
    text = dump_without_keys(work / ".tenantctl" / f"{TENANT}.db")
    actions = len(
        compute_plan(
            load_spec(SPECS / f"{TENANT}.yaml"), load_snapshot(EXAMPLES / f"{TENANT}.snapshot.yaml", TODAY)
        ).actions
    )
    return text, money_rows(work / ".tenantctl" / f"{TENANT}.db"), actions


def test_reference_apply_buys_once(reference: tuple[str, tuple[int, int], int]) -> None:
    _, (lots, purchases), actions = reference
    # The snapshot has two fund lots; the plan adds one (90.00) and buys MCOMEETACPEA once.
    assert (lots, purchases) == (3, 1) and actions == 15


@pytest.mark.parametrize("phase", PHASES)
def test_killed_at_every_action_converges_without_buying_twice(
    workdir: Path, phase: str, reference: tuple[str, tuple[int, int], int]
) -> None:
    expected, money, actions = reference
    spec = str(SPECS / f"{TENANT}.yaml")
    db = workdir / ".tenantctl" / f"{TENANT}.db"
    for action_id in range(1, actions + 1):
        if db.exists():
            for leftover in db.parent.iterdir():
                leftover.unlink()
        assert forked(workdir, "snapshot", "load", str(EXAMPLES / f"{TENANT}.snapshot.yaml")) == 0
        killed = forked(
            workdir,
            "apply",
            spec,
            "--auto-approve",
            "--allow-destroy",
            env={"TENANTCTL_CRASH_AT": f"{action_id}:{phase}"},
        )
        assert killed == -9, f"action {action_id} {phase}: expected SIGKILL, got exit {killed}"

        # The dead run's lock is reported as stale, with the command that clears it.
        ledger = Ledger(db)
        holder = ledger.holder()
        ledger.close()
        assert holder is not None and holder.stale, f"action {action_id} {phase}: no stale lock left"
        assert forked(workdir, "apply", spec, "--auto-approve", "--allow-destroy") == 1
        assert forked(workdir, "force-unlock", holder.lock_id, "--provider", f"local:{db}") == 0

        assert forked(workdir, "apply", spec, "--auto-approve", "--allow-destroy") == 0, (
            f"action {action_id} {phase}: the apply after the crash failed"
        )
        assert dump_without_keys(db) == expected, f"action {action_id} {phase}: tenant differs from a clean apply"
        assert money_rows(db) == money, f"action {action_id} {phase}: funds or purchases done twice"
        assert forked(workdir, "plan", spec, "--detailed-exitcode") == 0


def test_history_shows_the_interrupted_run_and_the_action_in_doubt(cli, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    spec = str(SPECS / f"{TENANT}.yaml")
    assert cli("snapshot", "load", EXAMPLES / f"{TENANT}.snapshot.yaml").code == 0
    crash = {"TENANTCTL_CRASH_AT": "9:inside"}
    assert forked(workdir, "apply", spec, "--auto-approve", "--allow-destroy", env=crash) == -9  # a real death
    locked = cli("apply", spec, "--auto-approve", "--allow-destroy")
    assert locked.code == 1
    match = re.search(r"clear it with `(tenantctl force-unlock (\w+) --provider \S+)`", locked.err)
    assert match and "is locked by apply (host " in locked.err and "pid " in locked.err, locked.err
    assert cli(*match.group(1).split()[1:]).code == 0
    again = cli("apply", spec, "--auto-approve", "--allow-destroy")
    assert again.code == 0, again.err
    assert re.search(r"was interrupted while action #9 \(add_funds communicationsCredits\) was running", again.err)

    runs = cli("history", "--name", TENANT)
    assert runs.code == 0
    lines = [ln for ln in runs.out.splitlines() if not ln.startswith(" ")]
    assert [ln.split()[2] for ln in lines] == ["complete", "interrupted"]
    interrupted_id = lines[1].split()[0]
    detail = cli("history", interrupted_id, "--name", TENANT).out
    assert re.search(r"#1 +set_seats +subscription/MCOEV +done", detail)
    assert re.search(r"#9 +add_funds +communicationsCredits +IN DOUBT", detail)
    assert "#10 " not in detail  # never reached


def test_second_apply_waits_for_the_lock_then_names_the_holder(cli_process, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    cli = cli_process  # the subject is the process boundary
    spec = SPECS / f"{TENANT}.yaml"
    assert cli("snapshot", "load", EXAMPLES / f"{TENANT}.snapshot.yaml").code == 0
    ledger = Ledger(workdir / ".tenantctl" / f"{TENANT}.db")
    lock = ledger.acquire(TENANT, "apply", 0, "unused")  # held by this (live) test process
    try:
        r = cli("apply", spec, "--auto-approve", "--allow-destroy", "--lock-timeout", "0.5")
        assert r.code == 1
        assert (
            f"is locked by apply (host {lock.host}, pid {os.getpid()}, since {lock.since}, "
            f"lock id {lock.lock_id})" in r.err
        )
        assert "Wait for it to finish" in r.err and "stale" not in r.err
        assert "snapshot load" not in r.err
        assert cli("snapshot", "load", EXAMPLES / f"{TENANT}.snapshot.yaml").code == 1
        assert cli("plan", spec).code == 0  # plans take no lock
        assert cli("force-unlock", "not-the-id", "--name", TENANT).code == 1
        assert ledger.holder() == lock
        # Released while the second apply waits: it goes ahead.
        db = workdir / ".tenantctl" / f"{TENANT}.db"
        threading.Timer(1.0, lambda: Ledger(db).release(lock)).start()
        waited = cli("apply", spec, "--auto-approve", "--allow-destroy", "--lock-timeout", "60")
        assert waited.code == 0, waited.err
    finally:
        time.sleep(0)  # the timer thread has run once the apply succeeded
        ledger.close()


def test_stale_lock_is_reported_and_cleared(cli, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    spec = SPECS / f"{TENANT}.yaml"
    assert cli("snapshot", "load", EXAMPLES / f"{TENANT}.snapshot.yaml").code == 0
    db = workdir / ".tenantctl" / f"{TENANT}.db"
    dead = multiprocessing.get_context("fork").Process(target=lambda: Ledger(db).acquire(TENANT, "apply", 0, "x"))
    dead.start()
    dead.join(30)
    r = cli("apply", spec, "--auto-approve")
    assert r.code == 1 and "the lock is stale" in r.err
    command = re.search(r"`(tenantctl force-unlock \w+ --provider local:\S+)`", r.err)
    assert command, r.err
    unlocked = cli(*command.group(1).split()[1:])
    assert unlocked.code == 0 and "Removed the lock held by apply" in unlocked.err
    assert cli("apply", spec, "--auto-approve", "--allow-destroy").code == 0


def test_large_apply_converges_under_a_30_percent_fault_rate(cli, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    spec = write_calling_tenant(workdir, 1000)
    assert cli("snapshot", "load", "faults.snapshot.yaml").code == 0
    faults = {"TENANTCTL_FAULTS": "transient=0.3,lost=0.05,retry_after=0,seed=11"}
    r = cli("apply", spec, "--auto-approve", env=faults)
    assert r.code == 0, r.out[-2000:] + r.err
    retries = re.search(
        r"Apply: ([\d,]+) done, ([\d,]+) already so, 0 failed, 0 not attempted, ([\d,]+) retries\.", r.out
    )
    assert retries, r.out[-500:]
    done, already, count = (int(n.replace(",", "")) for n in retries.groups())
    # 4,004 actions: 2 purchases, auto-recharge, funds, 1,000 locations, 3,000 assignments. A lost
    # response is retried and then found already done, so done + already so is every action.
    assert done + already == 4004 and already > 0 and count > 1000
    assert cli("plan", spec, "--detailed-exitcode").code == 0  # converged, and reading needs no faults
    with sqlite3.connect(workdir / ".tenantctl" / "faults.db") as conn:
        lots = conn.execute("SELECT amount FROM funds ORDER BY id").fetchall()
        purchases = conn.execute("SELECT sku FROM purchases ORDER BY sku").fetchall()
    # Turning auto-recharge on over an empty balance buys its 200 at once; the top-up to the minimum
    # of 300 adds the other 100. Each is bought once despite lost replies.
    assert lots == [("200",), ("100",)] and purchases == [("MCOEV",), ("MCOPSTN1",)]


def test_faults_setting_is_checked(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("plan", SPECS / f"{TENANT}.yaml", env={"TENANTCTL_FAULTS": "transiant=0.3"})
    assert r.code == 1 and "TENANTCTL_FAULTS: unknown key 'transiant'" in r.err and "Traceback" not in r.err


if sys.platform == "win32":  # pragma: no cover - fork and SIGKILL are POSIX
    pytestmark = pytest.mark.skip("POSIX only")
