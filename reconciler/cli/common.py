"""What every `tenantctl` command shares: settings, exit codes, the provider option, output files."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..apply.ledger import groups_changed, managed_before
from ..apply.run import with_retries
from ..domain.errors import UsageError
from ..domain.model import TenantSpec, TenantState
from ..providers import Provider, open_provider, provider_url
from ..providers.graph.delta import Refresh

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_MANUAL = 0, 1, 2, 3
FORMATS = click.Choice(["text", "json", "markdown"])


@dataclass
class Settings:
    """Options shared by every command."""

    provider: str | None
    color: bool
    quiet: bool

    def say(self, message: str) -> None:
        """A message for the human, on stderr (stdout is for machine output); --quiet drops it."""
        if not self.quiet:
            click.echo(message, err=True)

    def error(self, message: str) -> None:
        """Why the command failed, on stderr; shown even with --quiet."""
        click.echo(f"error: {message}", err=True)


def color_wanted(no_color: bool) -> bool:
    """Colour only on a terminal, and never with --no-color or NO_COLOR (https://no-color.org)."""
    return not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


def _quiet(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value and isinstance(ctx.obj, Settings):
        ctx.obj.quiet = True


def _no_color(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value and isinstance(ctx.obj, Settings):
        ctx.obj.color = False


def accept_output_options(command: click.Command) -> None:
    """-q and --no-color after the subcommand too (`tenantctl plan x.yaml -q`), as --provider is."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            accept_output_options(sub)
        return
    command.params += [
        click.Option(
            ["-q", "--quiet"],
            is_flag=True,
            expose_value=False,
            callback=_quiet,
            help="Only machine output and errors (as before the subcommand).",
        ),
        click.Option(
            ["--no-color"],
            is_flag=True,
            expose_value=False,
            callback=_no_color,
            help="No ANSI colours (as before the subcommand).",
        ),
    ]


# How long after an apply changed a group's licenses its members' missing licenses are not drift (seconds).
GROUP_GRACE = 3600

TARGET = click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="ADDRESS",
    help="Only the actions on ADDRESS (subscription/SKU, communicationsCredits, user/UPN, "
    "user/UPN/SKU, group/NAME, group/NAME/SKU) and what they depend on; the plan says it is partial. Repeatable.",
)


REFRESH_OPT = click.option(
    "--refresh",
    type=click.Choice(["auto", "full"]),
    default="auto",
    show_default=True,
    help="graph: auto reads only what changed since the read kept in the ledger (a full read when there is none, "
    "it is older than TENANTCTL_GRAPH_CACHE_DAYS, default 7, or the managed SKUs changed); full reads everything.",
)

GROUP_GRACE_OPT = click.option(
    "--group-grace",
    "group_grace",
    type=click.IntRange(min=0, max=10 * 365 * 86400),
    default=GROUP_GRACE,
    show_default=True,
    metavar="SECONDS",
    help="After an apply changed a group's licenses, members who do not show them yet are information, not "
    "drift, for this long (Microsoft processes groups asynchronously).",
)


def _shard(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    k, sep, n = value.partition("/")
    if not (sep and k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise click.BadParameter(f"{value!r} is not K/N with 1 <= K <= N, such as 1/4", ctx, param)
    return int(k), int(n)


SHARD_OPT = click.option(
    "--shard",
    metavar="K/N",
    callback=_shard,
    help="Only the K-th of N stable parts of a folder (by a hash of each tenant's name), for a CI matrix: "
    "every tenant is in exactly one shard. Output is the fleet format, mergeable with `report merge`.",
)


def provider_opt(f: Any) -> Any:
    """--provider is accepted after the subcommand too: `tenantctl plan x.yaml --provider local:db`."""
    return click.option(
        "--provider",
        "provider_override",
        metavar="URL",
        help="Overrides the global --provider; {name} is replaced by the tenant name.",
    )(f)


def open_for(
    settings: Settings,
    override: str | None,
    tenant: str | None,
    spec: TenantSpec | None = None,
    read_only: bool = False,
    create: bool = False,
    refresh: Refresh = "auto",
) -> Provider:
    """Open the provider for `tenant` (or `spec`'s tenant) from the options, the environment or the default."""
    url = provider_url(override or settings.provider, spec.name if spec else tenant)
    if spec is not None and url.startswith("graph:") and not spec.tenant_id:
        # A real tenant is only touched when the spec says which one: a mixed-up credential must fail.
        raise UsageError(
            f"{spec.source}: metadata.tenantId is required with the graph provider, so the spec can "
            "only ever be planned and applied against its own tenant; add the tenant's id (a GUID)"
        )
    return open_provider(
        url,
        spec.name if spec else tenant,
        spec.tenant_id if spec else None,
        read_only,
        create,
        spec.commerce if spec else None,
        spec.groups if spec else (),
        spec.managed_skus if spec else frozenset(),
        refresh,
    )


@dataclass(frozen=True)
class Observed:
    """What a read-only command sees: where the tenant is, its live state, and what earlier applies managed."""

    address: str
    state: TenantState
    managed_before: frozenset[str]
    grace: frozenset[str] = frozenset()  # groups a recent apply changed: Microsoft may still be processing them


def observe(
    settings: Settings,
    override: str | None,
    tenant: str | None,
    spec: TenantSpec | None = None,
    group_grace: float = GROUP_GRACE,
    refresh: Refresh = "auto",
) -> Observed:
    """Read the live state (and the ledger's memory) once and release the provider. Creates no file, except
    the Graph read kept in the ledger file (the next read asks only for what changed)."""
    provider = open_for(settings, override, tenant, spec, read_only=True, refresh=refresh)
    try:
        state = with_retries(provider.read_state)
        recent = groups_changed(provider.ledger_path, group_grace) if state.groups else frozenset()
        return Observed(provider.address, state, managed_before(provider.ledger_path), recent)
    finally:
        provider.close()


def write_text(path: str | Path, text: str) -> None:
    """Write an output file, creating its folder, atomically (a reader never sees half a plan)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(target)
