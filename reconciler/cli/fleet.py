"""Many tenants in one run: every spec in a folder, worked on concurrently, one failure hiding none.

Each tenant is independent (its own spec, its own provider connection), so they run in a thread
pool: reading live tenants is I/O bound. Results come back in file order whatever finishes first,
so output is stable between runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from ..domain.errors import TenantctlError, UsageError

T = TypeVar("T")

SPEC_SUFFIXES = (".yaml", ".yml")
MAX_WORKERS = 8


@dataclass(frozen=True)
class TenantRun(Generic[T]):
    """The outcome for one file: a result, or the error that stopped it."""

    file: str
    result: T | None = None
    error: str | None = None


def spec_files(directory: str) -> list[str]:
    """The YAML files directly in `directory`, sorted; an empty folder is a usage error."""
    folder = Path(directory)
    files = sorted(
        str(p) for p in folder.iterdir() if p.is_file() and p.suffix in SPEC_SUFFIXES and not p.name.startswith(".")
    )
    if not files:
        raise UsageError(f"{directory}: no .yaml or .yml files in this folder")
    return files


def run_all(
    files: list[str], work: Callable[[str], T], on_done: Callable[[TenantRun[T]], None] | None = None
) -> list[TenantRun[T]]:
    """Run `work` on every file concurrently; errors are caught per file and reported, never raised."""
    workers = max(1, min(len(files), MAX_WORKERS, (os.cpu_count() or 2) * 2))

    def one(file: str) -> TenantRun[T]:
        try:
            run = TenantRun(file, result=work(file))
        except TenantctlError as exc:
            run = TenantRun(file, error=str(exc))
        except Exception as exc:
            run = TenantRun(
                file,
                error=f"internal error: {type(exc).__name__}: {exc} (a bug in tenantctl; "
                "rerun this file alone with TENANTCTL_DEBUG=1 for the traceback)",
            )
        if on_done is not None:
            on_done(run)
        return run

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tenant") as pool:
        return list(pool.map(one, files))
