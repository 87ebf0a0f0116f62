"""Many tenants in one run: every spec in a folder, worked on concurrently, one failure hiding none.

Each tenant is independent (its own spec, its own provider connection), so they run in a thread
pool: reading live tenants is I/O bound. Results come back in file order whatever finishes first,
so output is stable between runs.
"""

from __future__ import annotations

import hashlib
import os
import re
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


# `metadata: {name: x}` or a block `metadata:` whose `name:` follows: the tenant's name, read without
# parsing the whole spec (a shard is chosen before any spec is loaded).
_FLOW_NAME = re.compile(r"^metadata:\s*\{[^}\n]*?\bname:\s*['\"]?([a-z0-9][a-z0-9-]*)", re.M)
_BLOCK_NAME = re.compile(
    r"^metadata:[ \t]*(?:#.*)?\n(?:[ \t]+.*\n|[ \t]*\n)*?[ \t]+name:[ \t]*['\"]?([a-z0-9][a-z0-9-]*)", re.M
)


def tenant_key(path: str) -> str:
    """What a spec's shard is chosen by: its tenant's name (metadata.name), or its file's name when the
    name cannot be read without parsing (the spec is then refused by whichever shard takes it)."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return Path(path).stem
    found = _FLOW_NAME.search(text) or _BLOCK_NAME.search(text)
    return found.group(1) if found else Path(path).stem


def shard_of(key: str, count: int) -> int:
    """The shard (1 to `count`) a tenant belongs to: a stable hash of its key, the same on every machine."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") % count + 1


def in_shard(files: list[str], shard: tuple[int, int]) -> list[str]:
    """The files of shard K of N (`shard` = (K, N)); the shards of all K are disjoint and cover `files`."""
    k, n = shard
    return [f for f in files if shard_of(tenant_key(f), n) == k]


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
