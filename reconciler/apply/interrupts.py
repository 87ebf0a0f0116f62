"""Ctrl-C (SIGINT) and CI cancels (SIGTERM) during apply: stop at a safe point, tell the truth.

Before any action runs, a signal stops the command at once: nothing was applied, and the lock
is released on the way out. While actions run, the first signal asks apply to stop before the
next action, so the action in flight finishes and is journaled; a second signal abandons it
(its outcome is then "in doubt" in the journal, and the next apply reads the tenant again).
While the run is being closed and the lock released, further signals are noted, not obeyed, so
cleanup cannot be cut short. Once a signal has been received, the process is on its way out with
128 + N: leaving, tenantctl ignores further signals rather than restoring the defaults, so a second
Ctrl-C or SIGTERM that lands after the run is closed cannot print a traceback over the report or
kill the process before its output is flushed. SIGKILL cannot be caught: that is what
`force-unlock` is for.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

CAUGHT = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """A signal stopped the command; not an Exception, so no `except Exception` swallows it."""

    def __init__(self, signum: int, truth: str = "") -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.truth = truth  # what the journal proves was done, once a run had started

    @property
    def name(self) -> str:
        """`SIGINT` or `SIGTERM`."""
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 + the signal number (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + self.signum


class Signals:
    """What the handlers decide with; `running` is set while actions run."""

    def __init__(self, note: Callable[[str], None]) -> None:
        self.note = note
        self.running = False
        self.stop: int | None = None  # the signal that asked apply to stop after the action in flight
        self.received = False  # any signal at all: the process will exit because of it
        self._shielded = False

    @property
    def requested(self) -> bool:
        """True once a signal asked apply to stop before the next action."""
        return self.stop is not None

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """The handler installed for SIGINT and SIGTERM."""
        name = signal.Signals(signum).name
        self.received = True
        if self._shielded:
            self.note(f"{name} received while closing the run; finishing that first")
            return
        if self.running and self.stop is None:
            self.stop = signum
            self.note(
                f"{name} received: finishing the action in flight, then stopping (send {name} again to abandon it)"
            )
            return
        raise Interrupted(signum)

    def settle(self) -> None:
        """From now on signals are noted, not obeyed: the run is over and its report must be printed."""
        self._shielded = True

    @contextmanager
    def shielded(self) -> Iterator[None]:
        """While inside, signals are noted but do not interrupt (closing the run, releasing the lock)."""
        before, self._shielded = self._shielded, True
        try:
            yield
        finally:
            self._shielded = before


@contextmanager
def trapped(note: Callable[[str], None]) -> Iterator[Signals]:
    """SIGINT and SIGTERM handled as this module says, for the duration; the old handlers after, unless a
    signal was received: then the process is leaving because of it, and further signals are ignored."""
    signals = Signals(note)
    if threading.current_thread() is not threading.main_thread():
        yield signals  # signal handlers can only be set from the main thread
        return
    previous = {sig: signal.signal(sig, signals.handle) for sig in CAUGHT}
    try:
        yield signals
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_IGN if signals.received else handler)
