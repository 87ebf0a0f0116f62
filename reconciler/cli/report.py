"""`tenantctl report`: the HTML page of a tenant, or of every tenant in a folder (see render/html.py)."""

from __future__ import annotations

from pathlib import Path

import click

from ..domain.errors import UsageError
from ..plan.compute import compute_plan
from ..plan.drift import drift_report
from ..render.html import FailedTenant, TenantReport, page
from ..spec.loader import load_spec
from . import fleet
from .common import EXIT_ERROR, EXIT_OK, Settings, observe, provider_opt, write_text


@click.command()
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
def report(settings: Settings, target: str, out: str, provider_override: str | None) -> int:
    """Write one HTML page: seats, cost, drift, credits and manual steps, per tenant or for a fleet."""
    many = Path(target).is_dir()
    url = provider_override or settings.provider
    if many and url and url.startswith(("local:", "graph:")) and "{name}" not in url:
        raise UsageError(f"with a folder of tenants, the provider URL must contain {{name}}; got {url!r}")
    files = fleet.spec_files(target) if many else [target]

    def work(path: str) -> TenantReport:
        spec = load_spec(path)
        seen = observe(settings, provider_override, spec.name, spec)
        the_plan = compute_plan(spec, seen.state, managed_before=seen.managed_before)
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
