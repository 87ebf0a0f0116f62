"""Shared fixtures: a pinned clock, a CLI runner that uses a real subprocess, sample paths."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "tenant-specs"
EXAMPLES = ROOT / "examples"
SAMPLES = ("contoso", "fabrikam", "northwind")
TODAY = date(2026, 11, 21)


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


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run `tenantctl ARGS` in a subprocess, in a scratch directory, with the clock pinned."""

    def run(*args: str | Path, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTCTL_")}
        full_env.update({"TENANTCTL_TODAY": TODAY.isoformat(), "NO_COLOR": "1"})
        full_env.update(env or {})
        proc = subprocess.run([sys.executable, "-m", "reconciler", *map(str, args)], cwd=tmp_path,
                              env=full_env, input=stdin, capture_output=True, text=True, timeout=120)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The directory the `cli` fixture runs in."""
    return tmp_path
