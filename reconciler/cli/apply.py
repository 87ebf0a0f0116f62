"""`apply`, `history` and `force-unlock`: the commands that change a tenant or its ledger.

Apply holds the tenant's lock from before it reads the tenant until the last action, so the
plan it shows is the plan it runs, and journals every action (see ledger.py), so a run killed
at any point is visible in `history` and the next apply finishes the job without repeating it.
"""

from __future__ import annotations

import shlex
import signal
import sys
import time
from dataclasses import replace
from typing import Any

import click

from ..apply.interrupts import Interrupted, Signals, trapped
from ..apply.ledger import Ledger, RunJournal, locked
from ..apply.run import ApplyResult, Outcome, apply_plan, with_retries
from ..apply.savedplan import (
    SavedPlan,
    StalePlanError,
    check_fresh,
    check_same,
    is_saved_plan,
    load_saved,
    overrides_of,
)
from ..domain.errors import ValidationError
from ..plan import guardrails
from ..plan.compute import Plan, compute_plan
from ..plan.digest import spec_digest, state_digest
from ..plan.targets import check as check_targets
from ..render.apply_report import apply_report, journal_truth, stopped_summary
from ..render.history import history_json, history_text
from ..render.progress import apply_bar
from ..render.text import Style, apply_text, plan_text, to_json
from ..spec.loader import load_spec
from .common import EXIT_ERROR, EXIT_MANUAL, EXIT_OK, FORMATS, TARGET, Settings, open_for, provider_opt

LOCK_TIMEOUT = click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    metavar="SECONDS",
    help="Wait this long for another run's lock on the tenant.",
)


@click.command()
@click.argument("spec_file", metavar="SPEC|PLAN.json", type=click.Path(dir_okay=False))
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--allow-destroy", is_flag=True, help="Permit destructive actions (removals, decreases).")
@click.option(
    "--override-guardrail",
    "overrides",
    multiple=True,
    type=click.Choice(guardrails.NAMES),
    help="Accept a plan that exceeds this guardrail (recorded in the output). Repeatable.",
)
@TARGET
@LOCK_TIMEOUT
@provider_opt
@click.pass_obj
def apply(
    settings: Settings,
    spec_file: str,
    auto_approve: bool,
    allow_destroy: bool,
    overrides: tuple[str, ...],
    targets: tuple[str, ...],
    lock_timeout: float,
    provider_override: str | None,
) -> int:
    """Plan, then make the tenant match the spec; or apply exactly a plan saved with `plan --out`."""
    try:
        check_targets(targets)
        if targets and is_saved_plan(spec_file):
            raise click.UsageError("--target goes with a spec; a saved plan applies as it was made (targets included)")
        return _apply(
            settings, spec_file, auto_approve, allow_destroy, overrides, targets, lock_timeout, provider_override
        )
    except StalePlanError as exc:
        # Every refusal of a saved plan names the file it refused.
        raise StalePlanError(str(exc) if str(exc).startswith(spec_file) else f"{spec_file}: {exc}") from None


def _apply(
    settings: Settings,
    spec_file: str,
    auto_approve: bool,
    allow_destroy: bool,
    overrides: tuple[str, ...],
    targets: tuple[str, ...],
    lock_timeout: float,
    provider_override: str | None,
) -> int:
    saved = load_saved(spec_file) if is_saved_plan(spec_file) else None
    if saved is not None and overrides:
        settings.say(
            "note: --override-guardrail is ignored with a saved plan: it applies as reviewed, overrides included"
        )
    try:
        spec = load_spec(saved.spec_path if saved else spec_file)
    except ValidationError as exc:
        if saved is None:
            raise
        raise StalePlanError(
            f"the spec it was made from cannot be read ({exc}); nothing was applied. Keep the plan "
            "beside its spec (paths are relative to the plan file), or plan again"
        ) from None
    # An explicit --provider (or TENANTCTL_PROVIDER) wins; a saved plan otherwise names its own.
    chosen = provider_override or settings.provider or (saved.provider if saved else None)
    provider = open_for(settings, chosen, spec.name, spec)
    # How to read this run's journal from here (`tenantctl history RUN` plus these).
    where = (f" --provider {shlex.quote(chosen)}" if chosen else "") + f" --name {shlex.quote(spec.name)}"
    with trapped(settings.say) as signals:
        try:
            try:
                with locked(
                    provider.ledger_path, spec.name, "apply", lock_timeout, provider.address, signals.shielded
                ) as ledger:
                    interrupted = _close_interrupted(ledger, settings)
                    state = with_retries(provider.read_state)
                    # The digests cost seconds at a million users: each is computed once, and only where used.
                    if saved is not None:
                        # Refuse before showing anything as if it would run: the reviewed plan is stale.
                        spec_now, state_now = spec_digest(spec), state_digest(state)
                        check_fresh(
                            saved,
                            spec_now,
                            state_now,
                            ledger.applied_at(saved.plan_digest),
                            interrupted.get(saved.plan_digest),
                        )
                        again = compute_plan(
                            spec,
                            state,
                            overrides_of(saved.plan),
                            frozenset(saved.plan.targets),
                            ledger.managed(),
                            digests=False,
                        )
                        check_same(saved, replace(again, spec_digest=spec_now, state_digest=state_now))
                        the_plan = saved.plan
                    else:
                        the_plan = compute_plan(
                            spec, state, frozenset(overrides), frozenset(targets), ledger.managed(), digests=False
                        )
                        if any(a.change.keyed for a in the_plan.actions):  # their keys are made from the digest
                            spec_now, state_now = spec_digest(spec), state_digest(state)
                            the_plan = replace(the_plan, spec_digest=spec_now, state_digest=state_now)
                    click.echo(plan_text(the_plan, Style(settings.color), provider.address), nl=False)
                    # A saved plan is the reviewed approval (as Terraform applies a saved plan unprompted).
                    may_run = _may_run(
                        the_plan,
                        settings,
                        allow_destroy or bool(saved and saved.allow_destroy),
                        auto_approve or saved is not None,
                        f"{spec_file}: " if saved else "",
                    )
                    if may_run or not (the_plan.actions or the_plan.has_errors):
                        # Remembered so that a later plan can say which subscriptions the spec dropped.
                        ledger.record_managed(spec.subscriptions)
                    if not may_run:
                        return EXIT_ERROR if the_plan.actions or the_plan.has_errors else EXIT_OK
                    run_id, result = _run(the_plan, provider, ledger, spec_file, saved, settings, signals, where)
            finally:
                with signals.shielded():
                    provider.close()
        except (Interrupted, KeyboardInterrupt) as exc:
            stopped = exc if isinstance(exc, Interrupted) else Interrupted(signal.SIGINT)
            settings.error(
                f"interrupted by {stopped.name}: " + (stopped.truth or "before any action ran; nothing was applied")
            )
            return stopped.exit_code
        # Still trapped (and settled: a signal now is noted, not obeyed) while the outcome is reported.
        if signals.stop is not None and result.left:
            _report(result, settings, interrupted=True)
            settings.error(
                f"interrupted by {signal.Signals(signals.stop).name}: " + stopped_summary(result, run_id, where)
            )
            return 128 + signals.stop
        _report(result, settings)
        if not result.ok:
            return EXIT_ERROR
        return EXIT_MANUAL if result.manual else EXIT_OK


def _may_run(the_plan: Plan, settings: Settings, allow_destroy: bool, auto_approve: bool, source: str = "") -> bool:
    if the_plan.has_errors:
        settings.error("the plan has errors (above); nothing was applied")
        return False
    if not the_plan.actions:
        return False
    if the_plan.destructive and not allow_destroy:
        settings.error(
            f"{source}{len(the_plan.destructive):,} destructive action(s) planned; nothing was applied. "
            "Review them and rerun with --allow-destroy to permit them."
        )
        return False
    return auto_approve or _confirm(settings, the_plan)


def _run(
    the_plan: Plan,
    provider: Any,
    ledger: Ledger,
    source: str,
    saved: SavedPlan | None,
    settings: Settings,
    signals: Signals,
    where: str,
) -> tuple[str, ApplyResult]:
    run_id = ledger.begin(the_plan.tenant, source, saved.plan_digest if saved else None, len(the_plan.actions))
    signals.running = True
    try:
        result = apply_plan(
            the_plan,
            provider,
            on_outcome=_progress(settings, len(the_plan.actions)),
            journal=RunJournal(ledger, run_id),
            stop=lambda: signals.requested,
        )
    except BaseException as exc:
        with signals.shielded():
            # The action in flight was abandoned: free the database before the ledger writes to it.
            getattr(provider, "abandon", lambda: None)()
            ledger.for_cleanup()
            truth = journal_truth(ledger.actions(run_id), len(the_plan.actions), run_id, where)
            ledger.finish(run_id, "interrupted", truth)
        if isinstance(exc, KeyboardInterrupt):  # no handler installed (not the main thread)
            raise Interrupted(signal.SIGINT, truth) from exc
        if isinstance(exc, Interrupted):
            raise Interrupted(exc.signum, truth) from exc
        raise
    finally:
        signals.running = False
        signals.settle()  # the run is over: close it, release the lock and report, whatever arrives now
    with signals.shielded():
        summary = apply_text(result)
        ledger.finish(run_id, "interrupted" if result.left else "complete" if result.ok else "failed", summary)
        if saved is not None and not result.left:
            ledger.record_applied(saved.plan_digest, summary)
    return run_id, result


def _close_interrupted(ledger: Ledger, settings: Settings) -> dict[str, str]:
    """Say which earlier runs died part way and close them; returns plan digest -> run id."""
    out: dict[str, str] = {}
    for record, in_flight in ledger.interrupted():
        where = (
            f"while action #{in_flight[0]} ({in_flight[1]} {in_flight[2]}) was running; its outcome is unknown"
            if in_flight
            else "between actions"
        )
        settings.say(
            f"note: apply run {record.run_id} (started {record.started}) was interrupted {where}. "
            "The tenant is read again, so this run does only what is left, and never buys twice."
        )
        ledger.mark_interrupted(record.run_id)
        if record.plan_digest:
            out[record.plan_digest] = record.run_id
    return out


def _confirm(settings: Settings, the_plan: Plan) -> bool:
    if not sys.stdin.isatty():
        settings.error(
            "apply needs confirmation but there is no terminal; nothing was applied. Pass --auto-approve in automation."
        )
        return False
    answer = click.prompt(
        f"Apply {len(the_plan.actions):,} action(s) to tenant {the_plan.tenant}? Only 'yes' is accepted",
        default="",
        show_default=False,
        err=True,
    )
    if answer.strip() != "yes":
        settings.say("Apply cancelled; nothing was applied.")
        return False
    return True


def _progress(settings: Settings, total: int) -> Any:
    """A progress line on a terminal, refreshed at most ten times a second."""
    show = not settings.quiet and sys.stderr.isatty() and total >= 50
    state = {"n": 0, "last": 0.0}

    def tick(outcome: Outcome) -> None:
        state["n"] += 1
        now = time.monotonic()
        if show and (now - state["last"] > 0.1 or state["n"] == total):
            state["last"] = now
            click.echo(apply_bar(int(state["n"]), total, outcome.action.type), nl=False, err=True)

    return tick


def _report(result: ApplyResult, settings: Settings, interrupted: bool = False) -> None:
    click.echo(apply_report(result, Style(settings.color)), nl=False)
    if not result.ok and not interrupted:
        settings.error(
            "some actions did not complete; fix the cause and run apply again (actions already done are skipped)"
        )


@click.command("force-unlock")
@click.argument("lock_id")
@click.option("--name", help="Tenant name, for the default local database.")
@provider_opt
@click.pass_obj
def force_unlock(settings: Settings, lock_id: str, name: str | None, provider_override: str | None) -> int:
    """Remove a tenant's lock left by a run that died (the id is in the `locked` message)."""
    provider = open_for(settings, provider_override, name)
    try:
        ledger = Ledger(provider.ledger_path)
        try:
            holder = ledger.force_unlock(lock_id)
        finally:
            ledger.close()
    finally:
        provider.close()
    if holder is None:  # already free: the wanted state, so not an error (exit codes: "nothing to do")
        settings.say(f"There is no lock on {provider.ledger_path}; nothing to do.")
        return EXIT_OK
    settings.say(f"Removed the lock held by {holder.describe()}.")
    return EXIT_OK


@click.command()
@click.argument("run_id", required=False)
@click.option("--name", help="Tenant name, for the default local database.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many runs to list.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@provider_opt
@click.pass_obj
def history(
    settings: Settings, run_id: str | None, name: str | None, limit: int, fmt: str, provider_override: str | None
) -> int:
    """List past applies, newest first; with RUN_ID, every action of that run and its outcome."""
    provider = open_for(settings, provider_override, name, read_only=True)
    try:
        ledger = Ledger(provider.ledger_path, read_only=True)
        try:
            runs = ledger.runs(limit=None if run_id else limit)
            if run_id:
                runs = [r for r in runs if r.run_id == run_id]
                if not runs:
                    raise click.UsageError(
                        f"no apply run {run_id} in {provider.address}; "
                        f"`tenantctl history --provider {provider.address}` lists them"
                    )
            actions = {r.run_id: ledger.actions(r.run_id) for r in runs} if run_id or fmt == "json" else {}
        finally:
            ledger.close()
    finally:
        provider.close()
    # --format markdown lists as text: a history is not a review comment.
    text = to_json(history_json(runs, actions)) if fmt == "json" else history_text(runs, actions, provider.address)
    click.echo(text, nl=False)
    return EXIT_OK
