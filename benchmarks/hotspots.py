"""Profile one tenantctl command with py-spy and print (or return) its top entries.

    .venv/bin/python benchmarks/hotspots.py -- plan /tmp/bench/bench-none.yaml --provider local:/tmp/x.db

py-spy samples from outside the process, so unlike a tracing profiler it does not inflate small,
frequently called functions. Two views: the slowest of tenantctl's own functions counted
inclusively (where the time goes, stage by stage) and the functions with the most samples of
their own (what to make faster).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _label(frame: dict[str, Any]) -> str:
    file = str(frame.get("file", ""))
    for marker in ("/reconciler/", "/site-packages/", "/lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{frame['name']} ({file})"


# tenantctl's own packages (reconciler/<stage>/...): _label strips the path up to reconciler/.
STAGES = ("domain", "spec", "providers", "plan", "apply", "render", "cli", "support")


def summarise(speedscope: dict[str, Any], top: int = 12) -> dict[str, list[dict[str, Any]]]:
    """Inclusive time of tenantctl's own functions and self time of any, as shares of all samples."""
    # py-spy names a frame per line; count per function, so a function's lines add up.
    labels = [_label(frame) for frame in speedscope["shared"]["frames"]]
    ids = {label: n for n, label in enumerate(dict.fromkeys(labels))}
    names = list(ids)
    inclusive: Counter[int] = Counter()
    own: Counter[int] = Counter()
    total = 0.0
    for profile in speedscope["profiles"]:
        for stack, weight in zip(profile["samples"], profile["weights"]):
            total += weight
            if stack:
                own[ids[labels[stack[-1]]]] += weight
            for index in {ids[labels[i]] for i in stack}:
                inclusive[index] += weight
    plumbing = ("<module> (", "main (cli/main.py)", "main (cli/entry.py)")  # every sample is under them
    ours = [
        (i, w)
        for i, w in inclusive.most_common()
        if not names[i].startswith(plumbing) and names[i].split("(", 1)[1].split("/", 1)[0] in STAGES
    ]

    def rows(pairs: list[tuple[int, float]]) -> list[dict[str, Any]]:
        return [{"function": names[i], "share": round(w / total, 3)} for i, w in pairs[:top]]

    return {"inclusive": rows(ours), "self": rows(own.most_common(top))}


def spy() -> str | None:
    """The py-spy executable (`pip install py-spy`), if installed."""
    beside = Path(sys.executable).parent / "py-spy"
    return shutil.which("py-spy") or (str(beside) if beside.exists() else None)


def profile(args: list[str], env: dict[str, str] | None = None, rate: int = 100) -> dict[str, list[dict[str, Any]]]:
    """Run `tenantctl *args` under py-spy and summarise; py-spy must be installed."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "profile.json"
        cmd = [
            spy() or "py-spy",
            "record",
            "-f",
            "speedscope",
            "-o",
            str(out),
            "-r",
            str(rate),
            "--",
            sys.executable,
            "-m",
            "reconciler",
            *args,
        ]
        subprocess.run(
            cmd,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        return summarise(json.loads(out.read_text()))


def main() -> None:
    """Print the summary of one profiled command."""
    args = sys.argv[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    for view, entries in profile(args).items():
        print(f"{view}:")
        for entry in entries:
            print(f"  {entry['share']:6.1%}  {entry['function']}")


if __name__ == "__main__":
    main()
