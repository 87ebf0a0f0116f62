"""The `tenantctl` command's entry point, kept apart so that a Ctrl-C while it starts is a message.

Importing the CLI takes a moment (click, jsonschema, yaml); an interrupt then would otherwise
print a Python traceback. Nothing has been read or changed at that point, so it says exactly that.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run tenantctl; an interrupt before it has started exits 130 with one line."""
    try:
        from .main import main as run
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted while starting; nothing was read or changed.\n")
        sys.exit(130)
    run()
