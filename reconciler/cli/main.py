"""The `tenantctl` command line.

Exit codes everywhere: 0 success or nothing to do, 1 error, 2 changes present (plan
--detailed-exitcode, drift), 3 apply did everything it can but manual steps remain (no API for
them: the checklist says what to do). Click's own usage errors would exit 2, which scripts would
read as "changes present", so they are mapped to 1 in main().
"""

from __future__ import annotations

import json
import os
import sys

import click

from ..apply.interrupts import Interrupted, trapped
from ..apply.ledger import locked
from ..apply.savedplan import load_saved
from ..domain import catalog
from ..domain.canonical import spec_to_dict, state_to_dict
from ..domain.errors import TenantctlError, UsageError, ValidationError
from ..domain.model import AGREEMENT, AGREEMENTS, CURRENCY, TERMS
from ..providers import LocalProvider, today
from ..render.formats import plan_as
from ..render.tables import catalog_table, prices_table, product_table, products_table
from ..render.text import Style, count
from ..spec.export import export_spec, undeclared_parts, unlisted_users
from ..spec.prices import price_list
from ..spec.schema import schema as load_schema
from ..spec.skutable import sku_table
from ..spec.snapshot import dump_yaml, load_snapshot
from .apply import LOCK_TIMEOUT, apply, force_unlock, history
from .common import (
    EXIT_ERROR,
    EXIT_OK,
    FORMATS,
    Settings,
    accept_output_options,
    color_wanted,
    observe,
    open_for,
    provider_opt,
)
from .help import add_epilogs
from .report import report
from .review import drift, plan, validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--provider",
    envvar="TENANTCTL_PROVIDER",
    metavar="URL",
    help="local:PATH (the simulated tenant, a SQLite file) or graph (Microsoft Graph; see the README). "
    "Default: local:.tenantctl/<metadata.name>.db.",
)
@click.option("--no-color", is_flag=True, help="No ANSI colours (also NO_COLOR).")
@click.option("-q", "--quiet", is_flag=True, help="Only machine output and errors.")
@click.version_option(package_name="tenantctl")
@click.pass_context
def cli(ctx: click.Context, provider: str | None, no_color: bool, quiet: bool) -> None:
    """Keep a Microsoft 365 tenant's licensing and calling billing as code."""
    ctx.obj = Settings(provider=provider, color=color_wanted(no_color), quiet=quiet)


for _command in (validate, plan, apply, drift, history, force_unlock, report):
    cli.add_command(_command)


@cli.command()
@click.argument("plan_file", metavar="PLAN.json", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.pass_obj
def show(settings: Settings, plan_file: str, fmt: str) -> int:
    """Render a plan saved with `plan --out`, stale or not."""
    saved = load_saved(plan_file)
    source = f"saved from {saved.spec_path} against {saved.provider}"
    click.echo(plan_as(fmt, saved.plan, Style(settings.color), source), nl=False)
    return EXIT_OK


@cli.command()
@click.option("--name", help="metadata.name of the exported spec (and of the default local database).")
@click.option(
    "--agreement",
    type=click.Choice(AGREEMENTS),
    help="The billing agreement, for a provider that cannot read it (graph).",
)
@click.option("--currency", help="The billing currency (ISO 4217), for a provider that cannot read it (graph).")
@provider_opt
@click.pass_obj
def export(
    settings: Settings, name: str | None, agreement: str | None, currency: str | None, provider_override: str | None
) -> int:
    """Print a Tenant spec that declares the tenant as it is now."""
    state = observe(settings, provider_override, name).state
    missing = [
        f"--{flag}"
        for flag, field, given in (("agreement", AGREEMENT, agreement), ("currency", CURRENCY, currency))
        if field in state.unknown and not given
    ]
    if missing:
        raise UsageError(
            f"the provider cannot read the tenant's {' and '.join(m[2:] for m in missing)}; "
            f"pass {' and '.join(missing)} (see the tenant's invoices)"
        )
    header = ""
    if TERMS in state.unknown:
        header = (
            "# term and billingFrequency could not be read (Microsoft Graph has no API for them): they are\n"
            "# left out, so tenantctl does not manage them; check them in the admin center.\n"
        )
    spec = export_spec(state, name, agreement, currency)
    left_out = unlisted_users(state, spec)
    if left_out:
        shown = ", ".join(left_out[:5]) + (f" and {len(left_out) - 5:,} more" if len(left_out) > 5 else "")
        settings.say(
            f"note: {len(left_out):,} user(s) hold licenses but have no usage location, so the spec does "
            f"not list them and tenantctl leaves them alone: {shown}. To manage them, add them with a "
            "usageLocation (a license needs one)."
        )
    undeclared = undeclared_parts(state, agreement)
    if undeclared:
        settings.say(
            f"note: not declared, so tenantctl leaves {'it' if len(undeclared) == 1 else 'them'} alone: "
            f"{'; '.join(undeclared)}."
        )
    click.echo(header + dump_yaml(spec_to_dict(spec)), nl=False)
    return EXIT_OK


@cli.group()
def snapshot() -> None:
    """Load or dump the observed state of a local tenant."""


@snapshot.command("load")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--replace", is_flag=True, help="Overwrite a file that holds another tenant.")
@LOCK_TIMEOUT
@provider_opt
@click.pass_obj
def snapshot_load(
    settings: Settings, file: str, replace: bool, lock_timeout: float, provider_override: str | None
) -> int:
    """Replace the local tenant's state with a TenantSnapshot file (takes the tenant's lock)."""
    state = load_snapshot(file, today())
    provider = open_for(settings, provider_override, state.name, create=True)
    if not isinstance(provider, LocalProvider):
        provider.close()
        raise UsageError(
            f"snapshot load replaces a simulated tenant; {provider.address} is a real one. Use --provider local:PATH"
        )
    held = provider.stored_name()
    if held is not None and held != state.name and not replace:
        provider.close()
        raise UsageError(
            f"{provider.address} holds tenant '{held}', not '{state.name}'; nothing was loaded. Pass "
            f"--replace to overwrite it, or load into local:.tenantctl/{state.name}.db"
        )
    # SIGTERM as well as Ctrl-C stop it cleanly: the load is one transaction, and the lock is released.
    with trapped(settings.say) as signals:
        try:
            with locked(
                provider.ledger_path, state.name, "snapshot load", lock_timeout, provider.address, signals.shielded
            ):
                provider.replace_state(state)
        finally:
            with signals.shielded():
                provider.close()
    settings.say(
        f"Loaded {file} into {provider.address}: {count(len(state.users), 'user')}, "
        f"{count(len(state.subscriptions), 'subscription')}."
    )
    return EXIT_OK


@snapshot.command("dump")
@click.option("--name", help="Tenant name, for the default local database.")
@provider_opt
@click.pass_obj
def snapshot_dump(settings: Settings, name: str | None, provider_override: str | None) -> int:
    """Print the tenant's observed state as a TenantSnapshot."""
    state = observe(settings, provider_override, name).state
    if state.unknown:
        raise UsageError(
            f"this provider cannot read {', '.join(sorted(state.unknown))}, so it cannot write a complete "
            "snapshot; use `tenantctl export` for a spec of what it can read"
        )
    click.echo(dump_yaml(state_to_dict(state)), nl=False)
    return EXIT_OK


@cli.command("schema")
@click.option("--kind", type=click.Choice(["tenant", "snapshot"]), default="tenant", show_default=True)
def schema_cmd(kind: str) -> int:
    """Print the JSON Schema of a document kind (for editors and CI)."""
    click.echo(json.dumps(load_schema(kind), indent=2))
    return EXIT_OK


@cli.command("catalog")
@click.argument("sku", required=False)
@click.option(
    "--search", "text", metavar="TEXT", help="Find SKUs in Microsoft's whole table by name, id or service plan."
)
@click.option("--all", "everything", is_flag=True, help="List every SKU in Microsoft's table.")
def catalog_cmd(sku: str | None, text: str | None, everything: bool) -> int:
    """List the SKUs tenantctl models (what they provide and need); `catalog SKU` shows one SKU's service
    plans, `--search` and `--all` Microsoft's whole table."""
    table = sku_table()
    if sku is not None:
        product = table.resolve(sku)
        if product is None:
            near = table.suggest(sku)
            raise click.UsageError(f"unknown SKU {sku!r}" + (f"; did you mean {near!r}?" if near else ""))
        click.echo(product_table(product, table.as_of), nl=False)
    elif text is not None or everything:
        found = table.search(text) if text is not None else list(table.by_guid.values())
        if not found:
            raise click.UsageError(f"no SKU in Microsoft's table (as of {table.as_of}) matches {text!r}")
        click.echo(products_table(found, table.as_of), nl=False)
    else:
        click.echo(catalog_table(catalog.CATALOG), nl=False)
    return EXIT_OK


@cli.command("prices")
@click.option("--currency", default="USD", show_default=True, help="ISO 4217 code, such as EUR.")
def prices_cmd(currency: str) -> int:
    """List the shipped list prices per seat per month (a spec overrides them with spec.prices)."""
    prices = price_list(currency.upper())
    if not prices.per_seat:
        raise click.UsageError(f"no shipped prices in {currency.upper()}; declare yours in spec.prices")
    click.echo(prices_table(prices), nl=False)
    return EXIT_OK


for _command in cli.commands.values():
    accept_output_options(_command)
    add_epilogs(_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn every error into a message and an exit code."""
    try:
        code = cli.main(args=argv, prog_name="tenantctl", standalone_mode=False)
    except (click.exceptions.Abort, Interrupted) as exc:
        # apply and snapshot load trap signals for their whole run and report an interrupt themselves
        # (from the journal); one that reaches here came before either had started.
        click.echo("Interrupted; no apply or snapshot load had started, so the tenant was not changed.", err=True)
        code = exc.exit_code if isinstance(exc, Interrupted) else 130
    except click.exceptions.NoArgsIsHelpError as exc:  # `tenantctl` alone: the help, not an error
        click.echo(exc.ctx.get_help() if exc.ctx is not None else exc.format_message())
        code = EXIT_OK
    except click.UsageError as exc:
        # One style for every error, click's own included: `error: ...`, and where to read more.
        where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        click.echo(f"error: {exc.format_message()}{where}", err=True)
        code = EXIT_ERROR
    except click.ClickException as exc:
        exc.show()
        code = EXIT_ERROR
    except TenantctlError as exc:
        # Validation problems already read `file:line:col: error: ...`; others get the prefix.
        click.echo(str(exc) if isinstance(exc, ValidationError) else f"error: {exc}", err=True)
        code = EXIT_ERROR
    except Exception as exc:
        if os.environ.get("TENANTCTL_DEBUG"):
            raise
        click.echo(
            f"internal error: {type(exc).__name__}: {exc}\nThis is a bug in tenantctl; rerun with "
            "TENANTCTL_DEBUG=1 for the traceback and report it.",
            err=True,
        )
        code = EXIT_ERROR
    sys.exit(code if isinstance(code, int) else EXIT_OK)


if __name__ == "__main__":
    main()
