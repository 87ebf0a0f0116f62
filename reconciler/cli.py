"""The `tenantctl` command line.

Exit codes everywhere: 0 success or nothing to do, 1 error, 2 changes present (plan
--detailed-exitcode, drift). Click's own usage errors would exit 2, which scripts would read as
"changes present", so they are mapped to 1 in main().
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

import click

from . import catalog, guardrails
from .apply import ApplyResult, Outcome, apply_plan
from .cli_common import EXIT_ERROR, EXIT_OK, FORMATS, Settings, color_wanted, observe, open_for, provider_opt
from .cli_review import drift, plan, validate
from .digest import spec_digest, state_digest
from .errors import TenantctlError, ValidationError
from .markdown import plan_blocks, split
from .plan import Plan, compute_plan
from .prices import price_list
from .providers import today
from .render import Style, amount, apply_text, plan_text, to_json
from .savedplan import check_fresh, is_saved_plan, load_saved
from .schema import schema as load_schema
from .snapshot import dump_yaml, load_snapshot, state_to_dict
from .spec import load_spec
from .specdoc import export_spec, spec_to_dict


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--provider", envvar="TENANTCTL_PROVIDER", metavar="URL",
              help="local:PATH (SQLite file). Default: local:.tenantctl/<metadata.name>.db.")
@click.option("--no-color", is_flag=True, help="No ANSI colours (also NO_COLOR).")
@click.option("-q", "--quiet", is_flag=True, help="Only machine output and errors.")
@click.version_option(package_name="tenantctl")
@click.pass_context
def cli(ctx: click.Context, provider: str | None, no_color: bool, quiet: bool) -> None:
    """Keep a Microsoft 365 tenant's licensing and calling billing as code."""
    ctx.obj = Settings(provider=provider, color=color_wanted(no_color), quiet=quiet)


for _command in (validate, plan, drift):
    cli.add_command(_command)


def _emit_plan(the_plan: Plan, fmt: str, settings: Settings, source: str) -> None:
    if fmt == "json":
        click.echo(to_json(the_plan.to_dict()), nl=False)
    elif fmt == "markdown":
        click.echo("\n".join(split(plan_blocks(the_plan, source), label="tenantctl plan")), nl=False)
    else:
        click.echo(plan_text(the_plan, Style(settings.color), source), nl=False)


@cli.command()
@click.argument("spec_file", metavar="SPEC|PLAN.json", type=click.Path(dir_okay=False))
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--allow-destroy", is_flag=True, help="Permit destructive actions (removals, decreases).")
@click.option("--override-guardrail", "overrides", multiple=True, type=click.Choice(guardrails.NAMES),
              help="Accept a plan that exceeds this guardrail (recorded in the output). Repeatable.")
@provider_opt
@click.pass_obj
def apply(settings: Settings, spec_file: str, auto_approve: bool, allow_destroy: bool, overrides: tuple[str, ...],
          provider_override: str | None) -> int:
    """Plan, then make the tenant match the spec; or apply exactly a plan saved with `plan --out`."""
    saved = load_saved(spec_file) if is_saved_plan(spec_file) else None
    if saved is not None and overrides:
        settings.say("note: --override-guardrail is ignored with a saved plan: it applies as reviewed, "
                     "overrides included")
    spec = load_spec(saved.spec_path if saved else spec_file)
    provider = open_for(settings, provider_override or (saved.provider if saved else None), spec.name)
    try:
        state = provider.read_state()
        if saved is not None:
            # Refuse before showing anything as if it would run: the reviewed plan is stale.
            check_fresh(saved, spec_digest(spec), state_digest(state), provider.applied_at(saved.plan_digest))
            the_plan = saved.plan
        else:
            the_plan = compute_plan(spec, state, frozenset(overrides))
        click.echo(plan_text(the_plan, Style(settings.color), provider.address), nl=False)
        if the_plan.has_errors:
            settings.say("error: the plan has errors (above); nothing was applied")
            return EXIT_ERROR
        if not the_plan.actions:
            return EXIT_OK
        if the_plan.destructive and not allow_destroy:
            settings.say(f"error: {len(the_plan.destructive)} destructive action(s) planned; nothing was applied. "
                         "Review them and rerun with --allow-destroy to permit them.")
            return EXIT_ERROR
        if not auto_approve and not _confirm(settings, the_plan):
            return EXIT_ERROR
        result = apply_plan(the_plan, provider, on_outcome=_progress(settings, len(the_plan.actions)))
        if saved is not None:
            provider.record_applied(saved.plan_digest, apply_text(result))
    finally:
        provider.close()
    _report(result, settings)
    return EXIT_OK if result.ok else EXIT_ERROR


def _confirm(settings: Settings, the_plan: Plan) -> bool:
    if not sys.stdin.isatty():
        settings.say("error: apply needs confirmation but there is no terminal; nothing was applied. "
                     "Pass --auto-approve in automation.")
        return False
    answer = click.prompt(f"Apply {len(the_plan.actions)} action(s) to tenant {the_plan.tenant}? "
                          "Only 'yes' is accepted", default="", show_default=False, err=True)
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
            done = int(state["n"])
            bar = "#" * (30 * done // total)
            click.echo(f"\r[{bar:<30}] {done}/{total} {outcome.action.type:<22}", nl=(done == total), err=True)
    return tick


def _report(result: ApplyResult, settings: Settings) -> None:
    style = Style(settings.color)
    for o in result.outcomes:
        if o.status == "failed":
            click.echo(style.paint(f"  x failed    #{o.action.id} {o.action.type} {o.action.address}: {o.message}", "!"))
        elif o.status == "skipped":
            click.echo(f"  - skipped   #{o.action.id} {o.action.type} {o.action.address}: {o.message}")
    click.echo(style.bold(apply_text(result)))
    if not result.ok:
        settings.say("error: some actions did not complete; fix the cause and run apply again "
                     "(actions already done are skipped)")


@cli.command()
@click.argument("plan_file", metavar="PLAN.json", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.pass_obj
def show(settings: Settings, plan_file: str, fmt: str) -> int:
    """Render a plan saved with `plan --out`, stale or not."""
    saved = load_saved(plan_file)
    _emit_plan(saved.plan, fmt, settings, f"saved from {saved.spec_path} against {saved.provider}")
    return EXIT_OK


@cli.command()
@click.option("--name", help="metadata.name of the exported spec (and of the default local database).")
@provider_opt
@click.pass_obj
def export(settings: Settings, name: str | None, provider_override: str | None) -> int:
    """Print a Tenant spec that declares the tenant as it is now."""
    _, state = observe(settings, provider_override, name)
    click.echo(dump_yaml(spec_to_dict(export_spec(state, name))), nl=False)
    return EXIT_OK


@cli.group()
def snapshot() -> None:
    """Load or dump the observed state of a local tenant."""


@snapshot.command("load")
@click.argument("file", type=click.Path(dir_okay=False))
@provider_opt
@click.pass_obj
def snapshot_load(settings: Settings, file: str, provider_override: str | None) -> int:
    """Replace the local tenant's state with a TenantSnapshot file."""
    state = load_snapshot(file, today())
    provider = open_for(settings, provider_override, state.name)
    try:
        provider.replace_state(state)
    finally:
        provider.close()
    settings.say(f"Loaded {file} into {provider.address}: {len(state.users)} users, "
                 f"{len(state.subscriptions)} subscriptions.")
    return EXIT_OK


@snapshot.command("dump")
@click.option("--name", help="Tenant name, for the default local database.")
@provider_opt
@click.pass_obj
def snapshot_dump(settings: Settings, name: str | None, provider_override: str | None) -> int:
    """Print the tenant's observed state as a TenantSnapshot."""
    _, state = observe(settings, provider_override, name)
    click.echo(dump_yaml(state_to_dict(state)), nl=False)
    return EXIT_OK


@cli.command("schema")
@click.option("--kind", type=click.Choice(["tenant", "snapshot"]), default="tenant", show_default=True)
def schema_cmd(kind: str) -> int:
    """Print the JSON Schema of a document kind (for editors and CI)."""
    click.echo(json.dumps(load_schema(kind), indent=2))
    return EXIT_OK


@cli.command("catalog")
def catalog_cmd() -> int:
    """List the SKUs tenantctl knows, with what they provide and need."""
    for sku in catalog.CATALOG.values():
        extras = []
        if sku.provides:
            extras.append("provides " + ", ".join(sorted(sku.provides)))
        if sku.requires_any:
            extras.append("needs " + catalog.describe_caps(sku.requires_any))
        if sku.pay_as_you_go:
            extras.append("pay-as-you-go")
        click.echo(f"{sku.part_number:<30} {sku.sku_id}  {sku.name}" + (f"  ({'; '.join(extras)})" if extras else ""))
    return EXIT_OK


@cli.command("prices")
@click.option("--currency", default="USD", show_default=True, help="ISO 4217 code, such as EUR.")
def prices_cmd(currency: str) -> int:
    """List the shipped list prices per seat per month (a spec overrides them with spec.prices)."""
    prices = price_list(currency.upper())
    if not prices.per_seat:
        raise click.UsageError(f"no shipped prices in {currency.upper()}; declare yours in spec.prices")
    click.echo(f"# {prices.currency}, as of {prices.as_of}: {prices.source}")
    for sku, price in prices.per_seat.items():
        click.echo(f"{sku:<62} {amount(price):>9}")
    factors = ", ".join(f"{term} x{factor}" for term, factor in prices.term_factors.items())
    click.echo(f"# term factors: {factors}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn every error into a message and an exit code."""
    try:
        code = cli.main(args=argv, prog_name="tenantctl", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted; nothing was applied.", err=True)
        code = EXIT_ERROR
    except click.ClickException as exc:
        exc.show()
        code = EXIT_ERROR
    except TenantctlError as exc:
        # Validation problems already read `file:line:col: error: ...`; others get the prefix.
        click.echo(str(exc) if isinstance(exc, ValidationError) else f"error: {exc}", err=True)
        code = EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("TENANTCTL_DEBUG"):
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc}\nThis is a bug in tenantctl; rerun with "
                   "TENANTCTL_DEBUG=1 for the traceback and report it.", err=True)
        code = EXIT_ERROR
    sys.exit(code if isinstance(code, int) else EXIT_OK)


if __name__ == "__main__":
    main()
