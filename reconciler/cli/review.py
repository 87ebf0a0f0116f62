"""`plan`, `drift` and `validate`: the read-only commands, for one spec or a folder of specs.

With a folder, every spec is worked on concurrently; each tenant gets its own section, a failing
tenant is reported in its section without hiding the others, and a footer counts the outcomes.
With one file, output is exactly the single-tenant format and errors go to stderr.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from ..apply.savedplan import saved_document, written_by_tenantctl
from ..domain.errors import UsageError
from ..plan import guardrails
from ..plan.compute import Plan, compute_plan
from ..plan.drift import DriftReport, drift_report
from ..plan.targets import check as check_targets
from ..providers import today
from ..providers.graph.delta import Refresh
from ..render.fleet import (
    drift_footer,
    drift_status,
    drifts_json,
    fleet_markdown,
    fleet_text,
    footer,
    plan_footer,
    plan_status,
    plans_json,
)
from ..render.junit import drift_junit
from ..render.markdown import drift_blocks, plan_blocks
from ..render.progress import fleet_tick
from ..render.text import Style, drift_text, plan_text, to_json
from ..render.validation import snapshot_ok, spec_ok
from ..spec.loader import load_spec, spec_from_document
from ..spec.snapshot import snapshot_from_document
from ..spec.yamlload import load_file
from . import fleet
from .common import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    FORMATS,
    GROUP_GRACE_OPT,
    REFRESH_OPT,
    SHARD_OPT,
    TARGET,
    Settings,
    observe,
    provider_opt,
    write_text,
)

T = TypeVar("T")
PART_GLOB = "part-*.md"


@dataclass(frozen=True)
class Planned:
    """One tenant's plan and where its live state was read."""

    spec_path: str
    plan: Plan
    address: str


@dataclass(frozen=True)
class Drifted:
    """One tenant's drift report."""

    spec_path: str
    report: DriftReport


def _targets(
    target: str, settings: Settings, override: str | None, shard: tuple[int, int] | None = None
) -> tuple[list[str], bool]:
    """The spec files to work on (only shard K of N's, with --shard), and whether `target` was a folder."""
    if not Path(target).is_dir():
        if shard is not None:
            what = "is a file" if Path(target).exists() else "does not exist"
            raise UsageError(f"--shard splits a folder of specs; {target} {what}")
        return [target], False
    url = override or settings.provider  # the global option also reads TENANTCTL_PROVIDER
    if url and url.startswith(("local:", "graph:")) and "{name}" not in url:
        raise UsageError(
            f"with a folder of tenants, the provider URL must contain {{name}} (one tenant each), "
            f"such as local:state/{{name}}.db or graph (a ledger per tenant); got {url!r}"
        )
    files = fleet.spec_files(target)
    return (fleet.in_shard(files, shard) if shard else files), True


def _run(files: list[str], many: bool, work: Any, settings: Settings) -> list[fleet.TenantRun[T]]:
    if not many:
        return [fleet.TenantRun(files[0], result=work(files[0]))]  # one file: errors propagate as usual
    if settings.quiet or not sys.stderr.isatty():
        return fleet.run_all(files, work)
    finished = itertools.count(1)

    def tick(run: fleet.TenantRun[Any]) -> None:
        click.echo(fleet_tick(next(finished), len(files), run.file, failed=bool(run.error)), err=True)

    return fleet.run_all(files, work, tick)


def _only(runs: list[fleet.TenantRun[T]]) -> T:
    """The result of the one file: with one file its errors propagate (see _run), so there is one."""
    assert runs[0].result is not None
    return runs[0].result


def _tenant_of(run: fleet.TenantRun[Any]) -> str | None:
    result = run.result
    if isinstance(result, Planned):
        return result.plan.tenant
    if isinstance(result, Drifted):
        return result.report.tenant
    return None


def _dedupe(runs: list[fleet.TenantRun[T]]) -> list[fleet.TenantRun[T]]:
    """Two files naming one tenant would plan against one tenant twice: the later one fails."""
    first: dict[str, str] = {}
    out = []
    for run in runs:
        name = _tenant_of(run)
        if name is not None and name in first:
            run = fleet.TenantRun(
                run.file,
                error=f"{run.file}: metadata.name '{name}' is also used by "
                f"{first[name]}; each tenant must be declared once",
            )
        elif name is not None:
            first[name] = run.file
        out.append(run)
    return out


def _write_markdown(parts: list[str], markdown_dir: str | None, settings: Settings, echo: bool = True) -> None:
    """Print the parts (`echo`) and write them as numbered files for posting one comment each."""
    if echo:
        click.echo("\n".join(parts), nl=False)
    if markdown_dir:
        folder = Path(markdown_dir)
        for stale in folder.glob(PART_GLOB) if folder.is_dir() else ():
            stale.unlink()  # parts left from a longer earlier run would be posted too
        for i, part in enumerate(parts, start=1):
            write_text(folder / f"part-{i:03d}.md", part)
        last = folder / f"part-{len(parts):03d}.md"
        written = (
            f"1 Markdown part to {last}"
            if len(parts) == 1
            else f"{len(parts)} Markdown parts to {folder / 'part-001.md'} .. {last.name}"
        )
        settings.say(f"Wrote {written} (each under GitHub's comment limit).")


@click.command()
@click.argument("target", metavar="SPEC|DIR", type=click.Path())
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
@click.option(
    "--out",
    "out",
    type=click.Path(),
    help="Also save the plan (JSON) for `apply FILE`; with a "
    "folder of specs, a directory that gets one <tenant>.json per tenant.",
)
@click.option(
    "--markdown-dir",
    type=click.Path(file_okay=False),
    help="Also write the Markdown plan, split into comment-sized DIR/part-001.md, part-002.md, ...",
)
@click.option(
    "--override-guardrail",
    "overrides",
    multiple=True,
    type=click.Choice(guardrails.NAMES),
    help="Accept a plan that exceeds this guardrail (recorded in the plan). Repeatable.",
)
@click.option(
    "--allow-destroy",
    is_flag=True,
    help="With --out: the saved plan's destructive actions are "
    "approved with it, so `apply PLAN.json` needs no --allow-destroy.",
)
@TARGET
@GROUP_GRACE_OPT
@REFRESH_OPT
@SHARD_OPT
@provider_opt
@click.pass_obj
def plan(
    settings: Settings,
    target: str,
    fmt: str,
    detailed_exitcode: bool,
    out: str | None,
    markdown_dir: str | None,
    overrides: tuple[str, ...],
    allow_destroy: bool,
    targets: tuple[str, ...],
    group_grace: int,
    refresh: Refresh,
    shard: tuple[int, int] | None,
    provider_override: str | None,
) -> int:
    """Show what apply would change, without changing anything (a spec, or every spec in a folder)."""
    files, many = _targets(target, settings, provider_override, shard)
    check_targets(targets)

    def work(path: str) -> Planned:
        spec = load_spec(path)
        seen = observe(settings, provider_override, spec.name, spec, group_grace, refresh)
        return Planned(
            path,
            compute_plan(
                spec,
                seen.state,
                frozenset(overrides),
                frozenset(targets),
                seen.managed_before,
                seen.grace,
                digests=fmt == "json" or out is not None,  # only saved and JSON plans show them
            ),
            seen.address,
        )

    runs: list[fleet.TenantRun[Planned]] = _dedupe(_run(files, many, work, settings))
    status = [plan_status(r.result.plan if r.result is not None else None) for r in runs]
    counts = Counter(status)
    summary = plan_footer(status) if many else ""
    style = Style(settings.color)
    if fmt == "json":
        shard_of = f"{shard[0]}/{shard[1]}" if shard else None
        click.echo(
            to_json(plans_json(runs, lambda p: p.plan, shard_of) if many else _only(runs).plan.to_dict()), nl=False
        )
    elif fmt == "text":
        click.echo(fleet_text(runs, lambda p: plan_text(p.plan, style, p.address), summary, style), nl=False)
    if fmt == "markdown" or markdown_dir:
        parts = fleet_markdown(runs, lambda p: plan_blocks(p.plan), summary, "tenantctl plan")
        _write_markdown(parts, markdown_dir, settings, echo=fmt == "markdown")
    if out:
        _save_plans(runs, out, many, settings, allow_destroy)
    if counts["failed"]:
        settings.error(
            "the plan has errors (above); fix them before applying"
            if not many
            else f"{counts['failed']} tenant(s) failed (see their sections); the others are complete"
        )
        return EXIT_ERROR
    return EXIT_CHANGES if detailed_exitcode and counts["changes"] else EXIT_OK


def _save_plans(
    runs: list[fleet.TenantRun[Planned]], out: str, many: bool, settings: Settings, allow_destroy: bool
) -> None:
    """Write saved plans: to `out`, or into it as <tenant>.json when it is a folder."""
    into_folder = many or out.endswith(("/", os.sep)) or Path(out).is_dir()
    if many and Path(out).is_dir():
        for old in Path(out).glob("*.json"):
            if written_by_tenantctl(str(old)):
                old.unlink()  # a tenant that fails now must not leave its last plan to be applied
    for r in runs:
        if r.result is None:
            continue
        path = Path(out) / f"{r.result.plan.tenant}.json" if into_folder else Path(out)
        write_text(
            path, to_json(saved_document(r.result.plan, r.result.spec_path, r.result.address, path, allow_destroy))
        )
        # A plan that takes something away applies only with the approval, unless it was saved with it.
        approve = " --allow-destroy" if r.result.plan.destructive and not allow_destroy else ""
        settings.say(f"Saved the plan to {path}; apply exactly it with `tenantctl apply {path}{approve}`.")


@click.command()
@click.argument("target", metavar="SPEC|DIR", type=click.Path())
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown", "junit"]), default="text", show_default=True
)
@click.option(
    "--markdown-dir",
    type=click.Path(file_okay=False),
    help="Also write the Markdown report, split into comment-sized DIR/part-001.md, ... (whatever --format prints)",
)
@GROUP_GRACE_OPT
@REFRESH_OPT
@SHARD_OPT
@provider_opt
@click.pass_obj
def drift(
    settings: Settings,
    target: str,
    fmt: str,
    markdown_dir: str | None,
    group_grace: int,
    refresh: Refresh,
    shard: tuple[int, int] | None,
    provider_override: str | None,
) -> int:
    """Report where tenants no longer match their specs (exit 2 when one does not)."""
    files, many = _targets(target, settings, provider_override, shard)

    def work(path: str) -> Drifted:
        spec = load_spec(path)
        seen = observe(settings, provider_override, spec.name, spec, group_grace, refresh)
        the_plan = compute_plan(spec, seen.state, managed_before=seen.managed_before, grace=seen.grace, digests=False)
        return Drifted(path, drift_report(the_plan, spec, seen.state))

    runs: list[fleet.TenantRun[Drifted]] = _dedupe(_run(files, many, work, settings))
    status = [drift_status(r.result.report if r.result is not None else None) for r in runs]
    counts = Counter(status)
    summary = drift_footer(status) if many else ""
    style = Style(settings.color)
    if fmt == "json":
        shard_of = f"{shard[0]}/{shard[1]}" if shard else None
        click.echo(
            to_json(drifts_json(runs, lambda d: d.report, shard_of) if many else _only(runs).report.to_dict()), nl=False
        )
    elif fmt == "junit":
        click.echo(drift_junit([(r.file, r.result.report if r.result else None, r.error) for r in runs]), nl=False)
    elif fmt == "text":
        click.echo(fleet_text(runs, lambda d: drift_text(d.report, style), summary, style), nl=False)
    if fmt == "markdown" or markdown_dir:
        parts = fleet_markdown(runs, lambda d: drift_blocks(d.report), summary, "tenantctl drift")
        _write_markdown(parts, markdown_dir, settings, echo=fmt == "markdown")
    if counts["failed"]:
        settings.error(f"{counts['failed']} tenant(s) failed (see their sections); the others are complete")
        return EXIT_ERROR
    return EXIT_CHANGES if counts["drifted"] else EXIT_OK


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@SHARD_OPT
@click.pass_obj
def validate(settings: Settings, paths: tuple[str, ...], shard: tuple[int, int] | None) -> int:
    """Check Tenant specs and TenantSnapshot files (or every YAML file in a folder); touches no tenant."""
    files = [f for p in paths for f in (fleet.spec_files(p) if Path(p).is_dir() else [p])]
    if shard is not None:
        if not all(Path(p).is_dir() for p in paths):
            raise UsageError("--shard splits folders of specs; give folders only")
        files = fleet.in_shard(files, shard)

    def work(name: str) -> str:
        doc = load_file(name)  # parsed once, then built as whichever kind it declares
        if isinstance(doc.data, dict) and doc.data.get("kind") == "TenantSnapshot":
            return snapshot_ok(snapshot_from_document(doc, today()))
        return spec_ok(spec_from_document(doc))

    runs = fleet.run_all(files, work)
    for run in runs:
        if run.result is not None:
            click.echo(f"{run.file}: {run.result}")
        else:
            click.echo(run.error, err=True)
    failed = sum(1 for r in runs if r.result is None)
    if len(runs) > 1 or shard is not None:
        click.echo(footer(len(runs), [(len(runs) - failed, "valid")], failed, noun="files"))
    return EXIT_ERROR if failed else EXIT_OK
