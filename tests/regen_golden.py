"""Regenerate golden plans, explicitly: `python tests/regen_golden.py [CASE...] [--write]`.

Without --write it only shows how the planner's plan differs from each case's plan.json and exits
1 when any does (0 when all match). With --write it also rewrites those plan.json files (and
creates missing ones), except where the new plan breaks a fact of the case's facts.yaml: those
it names, does not write, and exits 1. It never runs as part of the tests: a regenerated plan is the planner's
own opinion, so read the diff against the rules and the case's facts.yaml before committing it.
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from golden import actual, case_dirs, failed_facts, load_facts, text


def main(argv: list[str]) -> int:
    """Show (and with --write, write) every case whose plan changed."""
    write = "--write" in argv
    names = [a for a in argv if not a.startswith("--")]
    cases = [c for c in case_dirs() if not names or c.name in names]
    unknown = set(names) - {c.name for c in cases}
    if unknown:
        print(f"no such case: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 1
    changed = broken = written = 0
    for case in cases:
        new = text(actual(case))
        path = case / "plan.json"
        old = path.read_text(encoding="utf-8") if path.is_file() else ""
        failures = failed_facts(json.loads(new), load_facts(case)) if (case / "facts.yaml").is_file() else []
        for failure in failures:
            print(f"!! {case.name}: the planner's plan breaks a checked fact: {failure}", file=sys.stderr)
        broken += bool(failures)
        if new == old:
            continue
        changed += 1
        sys.stdout.writelines(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                f"{case.name}/plan.json",
                f"{case.name}/plan.json (planner)",
            )
        )
        if write and not failures:
            path.write_text(new, encoding="utf-8")
            written += 1
        elif write:
            print(
                f"!! {case.name}: plan.json NOT written: fix the planner, or the fact if the rule says so",
                file=sys.stderr,
            )
    print(
        (f"rewrote {written}" if write else f"would change {changed}")
        + f" of {len(cases)} case(s)"
        + ("; rerun with --write after reading the diff" if changed and not write else "")
        + (f"; {broken} case(s) break their checked facts" if broken else ""),
        file=sys.stderr,
    )
    return 1 if broken or (changed and not write) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
