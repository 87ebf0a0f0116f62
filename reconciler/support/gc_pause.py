"""Build long-lived data (a spec, a tenant's state) without the cyclic garbage collector running.

Loading 100,000 users allocates millions of container objects. Each collection re-scans every
one of them although none is garbage, and at that size collections took 5 of the 11 s of a plan
(benchmarks/results). So the collector pauses while such data is built, and what was built is
then frozen out of later collections: it lives until the command ends anyway.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
_depth = 0  # nested and concurrent builds (a folder of tenants) share one pause
_resume = True  # whether the collector was running when the outermost build began


def long_lived(build: Callable[P, R]) -> Callable[P, R]:
    """Decorate a function that builds data meant to live for the rest of the run."""

    @functools.wraps(build)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        _enter()
        try:
            built = build(*args, **kwargs)
        except BaseException:
            _leave(keep=False)  # what a failed build made is garbage: leave it to the collector
            raise
        _leave(keep=True)
        return built

    return paused


def _enter() -> None:
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1


def _leave(keep: bool) -> None:
    global _depth
    with _lock:
        _depth -= 1
        if _depth == 0:
            if keep:
                gc.freeze()
            if _resume:
                gc.enable()
