"""Check mutmut's timeouts again, against the wall clock: `python tests/mutation_timeouts.py [--limit S]`.

mutmut stops a mutant at 3x its tests' CPU time (RLIMIT_CPU), and CPU time counts every thread:
the Graph tests run a fake service and a pool of client threads, so their CPU time passes their
wall time and some mutants were stopped as "timeouts" while their tests were merely busy (a
mutant that only changes the case of a message word among them). This runs each timed-out
mutant's tests again in mutants/, the way mutmut does (MUTANT_UNDER_TEST), with a wall-clock
limit, and records what happened in mutants/timeouts-rechecked.json: killed (a test failed),
survived (every test passed) or hang (still running at the limit: a real timeout).
tests/mutation_score.py reads that file. Run it from the mutation venv (tests/mutation.sh makes it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from mutation_score import MUTANTS, code_hash, results

RECHECKED = MUTANTS / "timeouts-rechecked.json"


def tests_of(name: str, stats: dict[str, list[str]]) -> list[str]:
    """The tests mutmut runs for a mutant: those that called its function in the stats run."""
    function = name.rsplit("__mutmut_", 1)[0]
    return sorted(stats.get(function, []))


def recheck(name: str, tests: list[str], limit: float) -> str:
    """killed, survived or hang: the mutant's tests run once more in mutants/, limited by the wall clock."""
    if not tests:
        return "no tests"
    env = {**os.environ, "MUTANT_UNDER_TEST": name, "TENANTCTL_HYPOTHESIS": "ci", "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-n", "0", "-p", "no:cacheprovider", *tests]
    try:
        run = subprocess.run(command, cwd=MUTANTS, env=env, capture_output=True, timeout=limit, check=False)
    except subprocess.TimeoutExpired:
        return "hang"
    return "survived" if run.returncode == 0 else "killed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=600, help="wall-clock seconds per mutant (default 600)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--also", nargs="*", default=[], help="test files to run as well (tests written after mutmut's stats run)"
    )
    args = parser.parse_args()
    stats = json.loads((MUTANTS / "mutmut-stats.json").read_text("utf-8"))["tests_by_mangled_function_name"]
    names = sorted(n for n, s in results().items() if s == "timeout")
    done: dict[str, dict[str, str]] = json.loads(RECHECKED.read_text("utf-8")) if RECHECKED.exists() else {}
    # An answer holds for the mutant's code it was found with; a changed function is checked again.
    todo = [n for n in names if not isinstance(done.get(n), dict) or done[n].get("code") != code_hash(n)]
    print(f"{len(names)} timeouts, {len(todo)} to check", flush=True)
    with ThreadPoolExecutor(args.jobs) as pool:
        for name, outcome in zip(
            todo, pool.map(lambda n: recheck(n, tests_of(n, stats) + args.also, args.limit), todo)
        ):
            done[name] = {"outcome": outcome, "code": code_hash(name)}
            RECHECKED.write_text(json.dumps(done, indent=1, sort_keys=True), "utf-8")  # progress survives a stop
            print(f"{outcome:<9} {name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
