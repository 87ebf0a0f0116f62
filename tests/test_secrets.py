"""Secrets in the environment never reach an output, a saved file or the tenant database.

Recognisable canary values are planted in the environment of every CLI run (client secret,
certificate password, a Graph token, Partner Center and Azure Billing tokens, and a federated token file
whose content is a canary), then
the whole product surface is run against the local provider and the graph provider (a fake Graph
service that accepts exactly the canary token; then a refused token; then sign-ins with the
federated token file and the client secret, which fail without a network). Every stdout and
stderr, and every byte of every file left under the working directory (plans, Markdown parts, the
SQLite databases and any -wal/-shm files), is searched for each canary: raw, in either case, hex- and base64-encoded.
"""

from __future__ import annotations

import base64
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, SAMPLES, SPECS, Result

BAD = Path(__file__).resolve().parent / "bad_specs"

CANARIES = {
    "AZURE_CLIENT_SECRET": "CANARYclientSECRET-5f0c2b7e9a1d",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD": "CANARYcertPASSWORD-8e3a61d4c07b",
    "TENANTCTL_GRAPH_TOKEN": "CANARYgraphTOKEN-2d9b74f1e6a3",
    "FEDERATED_TOKEN_FILE_CONTENT": "CANARYfederatedTOKEN-b41e0c9d7f52",
    "TENANTCTL_PARTNER_CENTER_TOKEN": "CANARYpartnerTOKEN-7c2e91a4d3f0",
    "TENANTCTL_AZURE_BILLING_TOKEN": "CANARYbillingTOKEN-4a8d06e2b9c1",
}


def _encodings(secret: str) -> dict[str, bytes]:
    """How a secret could appear in bytes: raw, hex, and base64 at each of the 3 alignments."""
    raw = secret.encode()
    out = {"raw": raw, "hex": raw.hex().encode()}
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        start = -(-shift * 8 // 6)  # characters that still carry bits of the bytes before it
        end = (shift + len(raw)) * 8 // 6  # characters made only of its own bits
        out[f"base64(shift {shift})"] = encoded[start:end]
        urlsafe = encoded[start:end].replace(b"+", b"-").replace(b"/", b"_")
        if urlsafe != encoded[start:end]:
            out[f"base64url(shift {shift})"] = urlsafe
    return out


NEEDLES = [
    (name, how, needle.lower()) for name, secret in CANARIES.items() for how, needle in _encodings(secret).items()
]


def _leaks(where: str, data: bytes) -> list[str]:
    """Every canary found in `data`, as `where: NAME (encoding)`."""
    lowered = data.lower()
    return [f"{where}: {name} ({how})" for name, how, needle in NEEDLES if needle in lowered]


def _scan_files(root: Path) -> tuple[list[str], list[Path]]:
    """(leaks, files scanned) for every file under `root`, hidden ones included."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    leaks = [leak for p in files for leak in _leaks(f"file {p.relative_to(root)}", p.read_bytes())]
    return leaks, files


def _graph_runs(run: Any, spec: str, env: dict[str, str]) -> None:
    """The graph provider signed in with each canary: used, refused, and failing to sign in."""
    from fakegraph import from_snapshot

    with from_snapshot(EXAMPLES / "contoso.snapshot.yaml", token=env["TENANTCTL_GRAPH_TOKEN"]) as fake:
        graph = {"TENANTCTL_GRAPH_URL": fake.base_url}
        run("plan", spec, "--provider", "graph", "--out", "out/graph.plan.json", **graph)
        run("apply", spec, "--provider", "graph", "--auto-approve", "--allow-destroy", expect=(3,), **graph)
        run("drift", spec, "--provider", "graph", "--format", "junit", expect=(0, 2), **graph)
        run("history", "--provider", "graph", "--name", "contoso")
        refused = run(
            "plan", spec, "--provider", "graph", expect=(1,), TENANTCTL_GRAPH_TOKEN="CANARYgraphTOKEN-x", **graph
        )
        assert "rejected the token" in refused.err
        # Without TENANTCTL_GRAPH_TOKEN: the federated token file, then the client secret. With no
        # network the sign-in fails, and says so without the secret.
        for drop in ({}, {"AZURE_FEDERATED_TOKEN_FILE": ""}):
            failed = run(
                "plan",
                spec,
                "--provider",
                "graph",
                expect=(1,),
                TENANTCTL_GRAPH_TOKEN="",
                AZURE_CLIENT_ID="00000000-0000-0000-0000-00000000c11e",
                **drop,
                **graph,
            )
            assert "sign" in failed.err.lower(), failed.err


@pytest.fixture
def env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The canary environment for every run; the federated token file lives outside the workdir."""
    monkeypatch.delenv("TENANTCTL_DEBUG", raising=False)  # a traceback must not be the way out
    secrets_dir = tmp_path_factory.mktemp("secrets")
    token_file = secrets_dir / "federated-token"
    token_file.write_text(CANARIES["FEDERATED_TOKEN_FILE_CONTENT"])
    planted = {k: v for k, v in CANARIES.items() if k != "FEDERATED_TOKEN_FILE_CONTENT"}
    planted["AZURE_FEDERATED_TOKEN_FILE"] = str(token_file)
    # Also in os.environ: the `cli` fixture copies it (all but TENANTCTL_*), so both routes carry them.
    for name, value in planted.items():
        monkeypatch.setenv(name, value)
    return planted


def test_scanner_finds_a_planted_canary(workdir: Path) -> None:
    """Control: the search does see a canary in a file (also base64-encoded, also inside a SQLite-like
    blob at an odd offset) and in a stream."""
    secret = CANARIES["AZURE_CLIENT_SECRET"]
    (workdir / "sub").mkdir()
    (workdir / "sub" / ".leak.db").write_bytes(b"SQLite format 3\0" + b"x" + secret.encode() + b"\0")
    (workdir / "b64.txt").write_bytes(b"token=" + base64.b64encode(b"ab" + CANARIES["TENANTCTL_GRAPH_TOKEN"].encode()))
    (workdir / "clean.txt").write_text("nothing to see")
    leaks, files = _scan_files(workdir)
    assert len(files) == 3
    assert "file sub/.leak.db: AZURE_CLIENT_SECRET (raw)" in leaks
    assert any(leak.startswith("file b64.txt: TENANTCTL_GRAPH_TOKEN (base64") for leak in leaks), leaks
    assert not any("clean.txt" in leak for leak in leaks)
    assert _leaks("stderr of x", f"error: bad token {secret.lower()}".encode()) == [
        "stderr of x: AZURE_CLIENT_SECRET (raw)"
    ]


def _commerce_runs(run: Any, workdir: Path, env: dict[str, str]) -> None:
    """Plan and apply through Partner Center and Azure Billing, each signed in with its canary token."""
    from fakeazurebilling import DEFAULT_ACCOUNT, FakeAzureBilling
    from fakegraph import FakeGraph
    from fakepartnercenter import FakePartnerCenter

    from reconciler.domain import catalog

    tenant = "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
    skus = [(s, catalog.CATALOG[s].sku_id, 10) for s in ("SPE_E3", "SPE_E5")]
    head = "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata:\n  tenantId: " + tenant + "\n"
    subscriptions = "  subscriptions:\n    - {sku: SPE_E3, seats: 12, autoRenew: false}\n"
    (workdir / "pc.yaml").write_text(
        head + "  name: partnercenter\n  commerce: {channel: partnerCenter}\nspec:\n  agreement: NCE\n" + subscriptions
    )
    (workdir / "ab.yaml").write_text(
        head
        + f'  name: azurebilling\n  commerce: {{channel: azureBilling, billingAccount: "{DEFAULT_ACCOUNT}"}}\n'
        + 'spec:\n  agreement: MCA\n  offers: {SPE_E3: "CFQ7TTC0LFLX:0001", SPE_E5: "CFQ7TTC0LFLZ:0002"}\n'
        + subscriptions
    )
    with (
        FakeGraph(tenant_id=tenant, token=env["TENANTCTL_GRAPH_TOKEN"], skus=skus) as graph,
        FakePartnerCenter(
            token=env["TENANTCTL_PARTNER_CENTER_TOKEN"],
            customers={tenant: [{"offer": "CFQ7TTC0LFLX:0001", "quantity": 10}]},
        ) as center,
        FakeAzureBilling(token=env["TENANTCTL_AZURE_BILLING_TOKEN"], poll_retry_after=0) as billing,
    ):
        urls = {
            "TENANTCTL_GRAPH_URL": graph.base_url,
            "TENANTCTL_PARTNER_CENTER_URL": center.base_url,
            "TENANTCTL_AZURE_BILLING_URL": billing.base_url,
        }
        for name in ("pc.yaml", "ab.yaml"):
            run("plan", name, "--provider", "graph", "--out", f"out/{name}.plan.json", **urls)
            run("apply", name, "--provider", "graph", "--auto-approve", "--allow-destroy", expect=(0, 3), **urls)
        for tenant_name in ("partnercenter", "azurebilling"):
            run("history", "--provider", "graph", "--name", tenant_name)
        refused = run(
            "plan", "pc.yaml", "--provider", "graph", expect=(1,), TENANTCTL_PARTNER_CENTER_TOKEN="wrong", **urls
        )
        assert "Partner Center" in refused.err


SITECUSTOMIZE = """\
import json, os
if os.environ.get("CANARY_ENV_REPORT"):
    with open(os.environ["CANARY_ENV_REPORT"], "w") as f:
        json.dump({{k: os.environ.get(k) for k in {names!r}}}, f)
"""


def test_canaries_reach_the_cli_process(
    cli_process, env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Control: the process that runs tenantctl really has the canaries in its environment, and no
    TENANTCTL_DEBUG (so an unexpected exception is not printed as a traceback with locals)."""
    hook = tmp_path_factory.mktemp("hook")
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE.format(names=sorted(env) + ["TENANTCTL_DEBUG"]))
    report = hook / "env.json"
    r = cli_process("schema", env={**env, "PYTHONPATH": str(hook), "CANARY_ENV_REPORT": str(report)})
    assert r.code == 0, r.err
    assert json.loads(report.read_text()) == {**env, "TENANTCTL_DEBUG": None}


def test_no_secret_reaches_any_output_or_file(
    cli, workdir: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # azure-identity retries a sign-in that finds no network, waiting 10 s in all; what the failed
    # sign-ins print is the subject here, not how long they wait.
    from azure.core.pipeline.transport import HttpTransport

    monkeypatch.setattr(HttpTransport, "sleep", lambda self, duration: None)
    runs: list[tuple[str, Result]] = []

    def run(*args: str | Path, expect: tuple[int, ...] = (0,), **extra: str) -> Result:
        r = cli(*args, env={**env, **extra})
        label = "tenantctl " + " ".join(map(str, args))
        runs.append((label, r))
        assert r.code in expect, f"{label}: exit {r.code}\nstdout:\n{r.out}\nstderr:\n{r.err}"
        assert "Traceback" not in r.out + r.err and "internal error" not in r.err, f"{label}:\n{r.err}"
        return r

    shutil.copytree(SPECS, workdir / "tenant-specs")
    shutil.copy(BAD / "unknown_sku.yaml", workdir / "invalid.yaml")
    specs = [f"tenant-specs/{s}.yaml" for s in SAMPLES]
    snapshots = [EXAMPLES / f"{s}.snapshot.yaml" for s in SAMPLES]

    run("validate", *specs, *snapshots)
    for snapshot in snapshots:
        run("snapshot", "load", snapshot)  # default provider: .tenantctl/<name>.db in the workdir
    # Plans in every format, saved and split; a folder plan over the three tenants.
    run("plan", specs[0], "--out", "out/contoso.plan.json", "--markdown-dir", "out/md")
    run("plan", specs[0], "--format", "json", "--out", "out/contoso.plan2.json")
    run("plan", specs[0], "--format", "markdown", "--markdown-dir", "out/md2")
    run("plan", "tenant-specs/", "--out", "out/plans", "--markdown-dir", "out/md-all")
    run("plan", specs[1], "--out", "out/fabrikam.plan.json")  # goes stale below
    run("show", "out/contoso.plan.json")
    run("show", "out/contoso.plan.json", "--format", "json")
    # Drift while the tenants still differ from their specs (exit 2).
    for fmt in ("text", "json", "junit"):
        run("drift", "tenant-specs/", "--format", fmt, expect=(2,))
    run("drift", "tenant-specs/", "--format", "markdown", "--markdown-dir", "out/drift-md", expect=(2,))
    # Applies: a saved plan, a spec, and the stale saved plan refused.
    run("apply", "out/contoso.plan.json", "--auto-approve", "--allow-destroy")
    run("apply", specs[1], "--auto-approve", "--allow-destroy")
    stale = run("apply", "out/fabrikam.plan.json", "--auto-approve", "--allow-destroy", expect=(1,))
    assert "changed since the plan was made" in stale.err and "nothing was applied" in stale.err
    # An apply through injected transient faults (retries).
    run(
        "apply",
        specs[2],
        "--auto-approve",
        "--allow-destroy",
        expect=(0, 1),
        TENANTCTL_FAULTS="transient=0.3,retry_after=0,seed=3",
    )
    # Errors: an invalid spec through validate and apply.
    assert "error:" in run("validate", "invalid.yaml", expect=(1,)).err
    assert "error:" in run("apply", "invalid.yaml", "--auto-approve", expect=(1,)).err
    # Read-only views of what happened.
    for name in ("contoso", "fabrikam", "northwind"):
        run("history", "--name", name)
        run("history", "--name", name, "--format", "json")
    run("drift", specs[0], "--format", "junit")
    run("export", "--name", "contoso")
    run("snapshot", "dump", "--name", "northwind")
    _graph_runs(run, specs[0], env)
    _commerce_runs(run, workdir, env)

    # Control in this very workdir: a planted canary is found, named by its file; then it goes.
    control = workdir / ".tenantctl" / "control-canary.bin"
    control.write_bytes(b"\0\1" + base64.b64encode(CANARIES["AZURE_CLIENT_CERTIFICATE_PASSWORD"].encode()))
    found, _ = _scan_files(workdir)
    assert "file .tenantctl/control-canary.bin: AZURE_CLIENT_CERTIFICATE_PASSWORD (base64(shift 0))" in found, found
    control.unlink()

    leaks = [
        leak
        for label, r in runs
        for stream, text in (("stdout", r.out), ("stderr", r.err))
        for leak in _leaks(f"{stream} of `{label}`", text.encode())
    ]
    file_leaks, files = _scan_files(workdir)
    names = {p.relative_to(workdir).as_posix() for p in files}
    # The scan did see the outputs that matter, the tenant databases among them.
    assert {f".tenantctl/{s}.db" for s in SAMPLES} <= names, sorted(names)
    assert {"out/contoso.plan.json", "out/plans/northwind.json", "out/md/part-001.md"} <= names, sorted(names)
    assert not leaks + file_leaks, "secrets leaked:\n" + "\n".join(leaks + file_leaks)
    print(f"scanned {len(runs)} runs and {len(files)} files", file=sys.stderr)
