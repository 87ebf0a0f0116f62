"""Progress lines on stderr while a command runs: a fleet's `[2/5] file: done` and apply's bar.

Plain text and a carriage return, the same bytes on every terminal: click.progressbar would pad
to the terminal's width, add an ETA and draw nothing off a terminal, so these stay hand-made. The
CLI decides whether and how often to show them (a terminal, not --quiet, at most ten a second).
"""

from __future__ import annotations

BAR_WIDTH = 30


def fleet_tick(finished: int, total: int, file: str, failed: bool) -> str:
    """`[2/5] tenant-specs/contoso.yaml: done` (or `: failed`), as each tenant of a folder finishes."""
    return f"[{finished}/{total}] {file}: {'failed' if failed else 'done'}"


def apply_bar(done: int, total: int, action_type: str) -> str:
    """`\\r[#########      ] 150/500 assign_license`: redraws itself, and ends the line after the last action."""
    bar = "#" * (BAR_WIDTH * done // total)
    return f"\r[{bar:<{BAR_WIDTH}}] {done}/{total} {action_type:<22}" + ("\n" if done == total else "")
