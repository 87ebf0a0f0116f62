"""`tenantctl report`: the HTML page of a tenant, or of every tenant in a folder (see render/html.py);
`tenantctl report merge`: the summaries of a fleet's shards as one (render/merge.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ..domain.errors import UsageError
from ..plan.compute import compute_plan
from ..plan.drift import drift_report
from ..render.html import FailedTenant, TenantReport, page
from ..render.merge import (
    MergeError,
    junit_counts,
    merge_json,
    merge_junit,
    merged_footer,
    merged_markdown,
    merged_text,
)
from ..render.text import to_json
from ..spec.loader import load_spec
from . import fleet
from .common import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, Settings, observe, provider_opt, write_text


class ReportGroup(click.Group):
    """`report SPEC|DIR --out FILE` is `report page ...`: the command people know keeps its form."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Anything but a subcommand's name (or --help) goes to `page`; options written before the
        subcommand's name (`report -q merge ...`) go after it."""
        lead = next((i for i, arg in enumerate(args) if not arg.startswith("-")), len(args))
        if lead < len(args) and args[lead] in self.commands:
            args = [args[lead], *args[:lead], *args[lead + 1 :]]
        elif args and args[0] not in ("--help", "-h"):
            args = ["page", *args]
        return super().parse_args(ctx, args)


@click.group(cls=ReportGroup)
def report() -> None:
    """Write the HTML page of tenants (`report SPEC|DIR --out FILE`), or merge shards' summaries (`report merge`)."""


@report.command("page")
@click.argument("target", metavar="SPEC|DIR", type=click.Path(exists=True))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False),
    help="The HTML file to write (self-contained: no network, no script).",
)
@provider_opt
@click.pass_obj
def report_page(settings: Settings, target: str, out: str, provider_override: str | None) -> int:
    """Write one HTML page: seats, cost, drift, credits and manual steps, per tenant or for a fleet."""
    many = Path(target).is_dir()
    url = provider_override or settings.provider
    if many and url and url.startswith(("local:", "graph:")) and "{name}" not in url:
        raise UsageError(f"with a folder of tenants, the provider URL must contain {{name}}; got {url!r}")
    files = fleet.spec_files(target) if many else [target]

    def work(path: str) -> TenantReport:
        spec = load_spec(path)
        seen = observe(settings, provider_override, spec.name, spec)
        the_plan = compute_plan(spec, seen.state, managed_before=seen.managed_before, digests=False)
        return TenantReport(spec, seen.state, the_plan, drift_report(the_plan, spec, seen.state), seen.address)

    sections: list[TenantReport | FailedTenant]
    if many:
        runs = fleet.run_all(files, work)
        sections = [r.result if r.result is not None else FailedTenant(r.file, r.error or "failed") for r in runs]
        title = f"tenantctl report: {len(files)} tenants"
    else:
        single = work(target)  # one file: errors are reported as usual
        sections, title = [single], f"tenantctl report: {single.plan.tenant}"
    write_text(out, page(sections, title))
    failed = sum(isinstance(s, FailedTenant) for s in sections)
    settings.say(f"Wrote {out} ({len(sections)} tenant(s){f', {failed} failed' if failed else ''}).")
    return EXIT_ERROR if failed else EXIT_OK


@report.command("merge")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "text", "markdown", "junit"]),
    help="Default: json for JSON inputs, junit for JUnit XML inputs.",
)
@click.pass_obj
def merge(settings: Settings, files: tuple[str, ...], fmt: str | None) -> int:
    """Merge the JSON (or JUnit XML) of `plan|drift DIR --shard K/N` runs into the whole fleet's summary."""
    texts = [(name, _text_of(name)) for name in files]
    xml = [t.lstrip().startswith("<") for _, t in texts]
    if any(xml) != all(xml):
        raise UsageError("give either every shard's JSON or every shard's JUnit XML, not both")
    try:
        if all(xml):
            if fmt not in (None, "junit"):
                raise UsageError("JUnit XML merges into JUnit XML only (--format junit)")
            merged = merge_junit(texts)
            click.echo(merged, nl=False)
            errors, drifted = junit_counts(merged)
            return EXIT_ERROR if errors else EXIT_CHANGES if drifted else EXIT_OK
        doc = merge_json([(name, _json(name, text)) for name, text in texts])
    except MergeError as exc:
        raise UsageError(str(exc)) from None
    summary = doc["summary"]
    if fmt in (None, "json"):
        click.echo(to_json(doc), nl=False)
    elif fmt == "markdown":
        click.echo(merged_markdown(doc), nl=False)
    elif fmt == "text":  # quiet: the footer alone, as a fleet's own quiet run
        click.echo(merged_footer(doc) if settings.quiet else merged_text(doc), nl=settings.quiet)
    else:
        raise UsageError("JSON merges into json, text or markdown; --format junit needs the shards' JUnit XML")
    # As the fleet's own run: 1 when a tenant failed, 2 when one drifted (a plan's changes are not an error).
    return EXIT_ERROR if summary["failed"] else EXIT_CHANGES if summary.get("drifted") else EXIT_OK


def _text_of(name: str) -> str:
    try:
        return Path(name).read_text(encoding="utf-8-sig")  # a byte-order mark, as Windows tools write, is fine
    except UnicodeDecodeError:
        raise UsageError(
            f"{name}: not UTF-8 text (PowerShell's `>` writes UTF-16: use `| Out-File -Encoding utf8`)"
        ) from None


def _json(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{name}: not JSON ({exc})") from None
