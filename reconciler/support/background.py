"""Run one piece of I/O-bound work in the background while the caller does other work, then take its result.

A read through Graph waits on the network most of the time; two independent reads (a tenant's users, and its
SKUs and groups) overlap their waits this way. The thread is a daemon: if the caller fails or is interrupted
before it asks for the result, the work is abandoned, not waited for (a read changes nothing in the tenant).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Background(Generic[T]):
    """`work(stop)` started in a daemon thread; `result()` waits for it and returns its value or raises its
    error; `abandon()` sets `stop`, which the work checks when it can stop early."""

    def __init__(self, work: Callable[[threading.Event], T], name: str) -> None:
        self._work = work
        self._stop = threading.Event()
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._work(self._stop)
        except BaseException as exc:  # handed to the caller, in its thread
            self._error = exc

    def abandon(self) -> None:
        """Tell the work to stop early: its result will not be asked for."""
        self._stop.set()

    def result(self) -> T:
        """The work's value, once it is done; its exception, raised here."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]  # set by _run when no error was
