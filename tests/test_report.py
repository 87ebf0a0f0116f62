"""`tenantctl report` (issue 13 item 16): one self-contained HTML page, checked by parsing it; a
headless Chromium screenshot where Debian's chromium is installed."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import EXAMPLES, SAMPLES, SPECS


class Page(HTMLParser):
    """What the tests look at: tags, external references, text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_a_tenant_report_is_self_contained_and_says_what_plan_and_drift_say(cli, workdir: Path) -> None:
    assert cli("snapshot", "load", EXAMPLES / "northwind.snapshot.yaml").code == 0
    r = cli("report", SPECS / "northwind.yaml", "--out", "report.html")
    assert r.code == 0, r.err
    page = parse(workdir / "report.html")
    tags = [t for t, _ in page.tags]
    assert "script" not in tags and "img" not in tags and "link" not in tags  # readable without anything else
    assert not [a for _, a in page.tags for k in ("src", "href") if (a.get(k) or "").startswith(("http", "//"))]
    text = " ".join(page.text)
    plan = json.loads(cli("plan", SPECS / "northwind.yaml", "--format", "json").out)
    assert "Plan: 2 to buy, 4 to change, 9 to assign, 0 to remove (0 destructive)." in text
    assert f"{plan['cost']['monthly_before']:,.2f}" in text and f"{plan['cost']['monthly_after']:,.2f}" in text
    bars = [a["aria-label"] for t, a in page.tags if t == "div" and a.get("role") == "img"]
    assert "1 of 1 seats assigned; the spec wants 2" in bars  # MCOEV: full, and the spec raises it
    assert any("fields differ from the spec" in t for t in page.text)
    assert "Balance 160; auto-recharge on: below 100, buy 300." in text
    assert "2025-12-10" in text  # the lot that expires within 30 days is listed


def test_a_fleet_report_has_a_table_and_a_section_per_tenant(cli, workdir: Path) -> None:
    specs = workdir / "specs"
    specs.mkdir()
    for name in SAMPLES:
        shutil.copy(SPECS / f"{name}.yaml", specs / f"{name}.yaml")
        assert cli("snapshot", "load", EXAMPLES / f"{name}.snapshot.yaml").code == 0
    (specs / "broken.yaml").write_text("apiVersion: tenantctl/v1\nkind: Tenant\n")
    r = cli("report", "specs", "--out", "fleet.html")
    assert r.code == 1 and "1 failed" in r.err  # the broken spec is reported, the others are complete
    page = parse(workdir / "fleet.html")
    ids = [a.get("id") for t, a in page.tags if t == "h2" and a.get("id")]
    assert ids == [f"tenant-{name}" for name in sorted(SAMPLES)]
    assert any("broken.yaml" in t for t in page.text) and "Fleet" in page.text


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed here")
def test_the_report_renders_in_headless_chromium(cli, workdir: Path) -> None:
    assert cli("snapshot", "load", EXAMPLES / "contoso.snapshot.yaml").code == 0
    assert cli("report", SPECS / "contoso.yaml", "--out", "report.html").code == 0
    shot = workdir / "report.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={workdir / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,1600",
            (workdir / "report.html").as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert shot.stat().st_size > 10_000  # a rendered page, not a blank one
