"""Shared fixtures: a pinned clock, CLI runners (in this process, or in a subprocess), sample paths."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Property-test profiles: `ci` (the default) is reproducible, a fixed seed and 500 examples per
# property; `deep` is for a long hunt: TENANTCTL_HYPOTHESIS=deep pytest tests/test_properties.py.
_RELAXED = [HealthCheck.too_slow, HealthCheck.filter_too_much]
settings.register_profile(
    "ci", max_examples=500, derandomize=True, database=None, deadline=None, suppress_health_check=_RELAXED
)
# `mutation`: the CI profile with 25 examples, for the first pass of a mutation run, where every
# surviving mutant costs a run of the selected tests; its survivors are run again with `ci`.
settings.register_profile("mutation", settings.get_profile("ci"), max_examples=25)
MUTATION_PASS = os.environ.get("TENANTCTL_HYPOTHESIS") == "mutation"  # scale tests shrink, their logic stays
settings.register_profile("deep", max_examples=20_000, deadline=None, suppress_health_check=_RELAXED)
settings.load_profile(os.environ.get("TENANTCTL_HYPOTHESIS", "ci"))

# Scratch files in memory where the machine has a tmpfs: SQLite syncs each commit to disk, and on a
# shared disk those syncs were most of the suite's time (a property test with two simulated
# tenants per example: 15.7 s on disk, 8 s in /dev/shm). The product code run is the same; only
# power loss, which no test simulates, tells the two apart. TENANTCTL_TEST_TMP picks another place.
_SCRATCH = os.environ.get("TENANTCTL_TEST_TMP") or (
    f"/dev/shm/tenantctl-tests-{os.getuid()}" if os.access("/dev/shm", os.W_OK) else ""
)
if _SCRATCH:
    os.makedirs(_SCRATCH, exist_ok=True)
    os.environ["TMPDIR"] = tempfile.tempdir = _SCRATCH  # tmp_path, tempfile and the CLI's children

# The CLI's child processes keep their compiled bytecode in the scratch folder, not in the source
# tree: where PYTHONDONTWRITEBYTECODE is set (as on CI machines), each of the suite's ~140 children
# would otherwise compile every module of the package again (0.5 s a start instead of 0.3 s).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
os.environ["PYTHONPYCACHEPREFIX"] = os.path.join(_SCRATCH or tempfile.gettempdir(), "pycache")

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "tenant-specs"
EXAMPLES = ROOT / "examples"
SAMPLES = ("contoso", "fabrikam", "northwind", "woodgrove")
TODAY = date(2026, 11, 21)
DEFAULT_TENANT_ID = "2f1c0b5e-7a4d-4c1e-9f55-3c2a9d1e8b70"  # contoso's, from its spec


@dataclass
class Result:
    """What a CLI run printed and returned."""

    code: int
    out: str
    err: str


@pytest.fixture
def today() -> date:
    """The pinned date every test runs on."""
    return TODAY


def _cli_env(env: dict[str, str] | None) -> dict[str, str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTCTL_")}
    full_env.update({"TENANTCTL_TODAY": TODAY.isoformat(), "NO_COLOR": "1"})
    full_env.update(env or {})
    return full_env


@pytest.fixture
def cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run `tenantctl ARGS` in this process, in a scratch directory, with the clock pinned.

    The same entry point as the command (`reconciler.cli.main.main`), its exit code from SystemExit,
    its output captured. Tests whose subject is the process boundary (SIGKILL, signals, a second
    process holding the lock, what reaches a child's environment) use `cli_process` instead."""
    from reconciler.cli.main import main

    def run(*args: str | Path, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
        saved_env, saved_cwd, saved_stdin = dict(os.environ), os.getcwd(), sys.stdin
        out, err = io.StringIO(), io.StringIO()
        os.environ.clear()
        os.environ.update(_cli_env(env))
        os.chdir(tmp_path)
        sys.stdin = io.StringIO(stdin or "")
        try:
            with redirect_stdout(out), redirect_stderr(err):
                try:
                    main([str(a) for a in args])
                    code = 0
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
            os.chdir(saved_cwd)
            sys.stdin = saved_stdin
        return Result(code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture
def cli_process(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run `tenantctl ARGS` in a subprocess, in a scratch directory, with the clock pinned."""

    def run(*args: str | Path, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "reconciler", *map(str, args)],
            cwd=tmp_path,
            env=_cli_env(env),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The directory the `cli` fixture runs in."""
    return tmp_path


def read_licenses_afresh(db: Path) -> dict[str, Any]:
    """The users of the simulated tenant at `db` with their licenses joined from the rows, not taken from
    users.held: a test compares it with the provider's read to prove the kept column current."""
    from reconciler.providers.local.store import LocalStore

    store = LocalStore(db, TODAY, read_only=True)
    store._has_held = False
    try:
        return store._users()
    finally:
        store.close()


def fake_jwt(tenant_id: str) -> str:
    """An unsigned JWT-shaped bearer token naming `tenant_id` (the fake checks equality, Graph would verify)."""

    def part(data: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'tid': tenant_id, 'aud': 'https://graph.microsoft.com'})}.x"


@dataclass
class GraphTenant:
    """A running fake Graph service and the environment that points tenantctl at it."""

    fake: Any
    env: dict[str, str]
    tenant_id: str


@pytest.fixture
def graph_tenant():  # type: ignore[no-untyped-def]
    """Start a fake Graph service from a sample snapshot (or given users/SKUs); stopped after the test."""
    from fakegraph import FakeGraph, from_snapshot

    started: list[Any] = []

    def start(name: str | None = None, tenant_id: str = DEFAULT_TENANT_ID, **kwargs: Any) -> GraphTenant:
        token = fake_jwt(tenant_id)
        if name is not None:
            fake = from_snapshot(EXAMPLES / f"{name}.snapshot.yaml", tenant_id=tenant_id, token=token, **kwargs)
        else:
            fake = FakeGraph(tenant_id=tenant_id, token=token, **kwargs)
        started.append(fake)
        url = fake.start()
        return GraphTenant(fake, {"TENANTCTL_GRAPH_URL": url, "TENANTCTL_GRAPH_TOKEN": token}, tenant_id)

    yield start
    for fake in started:
        fake.stop()


def load_nce_tenant(cli: Any, folder: Path, commitment: str, seats: int) -> None:
    """A one-subscription NCE tenant (SPE_E3: 10 seats, renewing 2027-03-01, plus `commitment`, such as
    `refundable: [...]`) loaded as `nce`, and `nce.yaml`, a spec that wants `seats`."""
    (folder / "s.yaml").write_text(
        "apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: {name: nce}\nstate:\n  agreement: NCE\n"
        f"  subscriptions:\n    - {{sku: SPE_E3, seats: 10, termEnd: '2027-03-01', {commitment}}}\n"
    )
    (folder / "nce.yaml").write_text(
        "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {name: nce}\nspec:\n  agreement: NCE\n"
        f"  subscriptions:\n    - {{sku: SPE_E3, seats: {seats}}}\n"
    )
    assert cli("snapshot", "load", "s.yaml").code == 0


def spec_for_tenant(name: str, tenant_id: str, folder: Path) -> Path:
    """A copy of a sample spec whose metadata.tenantId is `tenant_id` (graph requires one)."""
    # Edited as text: a YAML 1.1 round trip would turn usageLocation NO (Norway) into false.
    text = (SPECS / f"{name}.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^  tenantId: .*\n", "", text)
    text = re.sub(r"(?m)^(metadata:\n  name: .*\n)", rf"\g<1>  tenantId: {tenant_id}\n", text, count=1)
    assert f"tenantId: {tenant_id}" in text, "the sample spec's metadata changed shape"
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# The files whose tests take seconds each run first. Workers steal queued tests from each other
# (`--dist worksteal`) but cannot split one, so a long test that starts last sets the suite's end.
LONG_FIRST = (
    "test_properties.py",
    "test_graph.py",
    "test_crash_safety.py",
    "test_interrupts.py",
    "test_report.py",
    "test_ecosystem.py",
    "test_review.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the collected tests: the long files first (in LONG_FIRST's order), then the rest as found."""
    rank = {name: i for i, name in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
