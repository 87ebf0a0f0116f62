"""The mutation score, from mutmut's results and the explained survivors (docs/mutation.md).

    python tests/mutation_score.py                  # the table per module, and what is unexplained
    python tests/mutation_score.py --all             # and every mutant with its status
    python tests/mutation_score.py --survivors GLOB  # unexplained survivors' names (tests/mutation.sh)

A survivor counts as explained only when `tests/mutation_explained.yaml` names it and the line it
quotes is still in that mutant's code under mutants/, so an explanation goes stale (and says so)
when the code it explained changes. Run it with the mutation venv's Python or any Python with
PyYAML; it reads files only and never runs mutmut.
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import json
import re
import sys
import textwrap
import tokenize
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
EXPLAINED = ROOT / "tests" / "mutation_explained.yaml"
STATUS = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    36: "timeout",
    37: "mypy",
    None: "not checked",
}


def results() -> dict[str, str]:
    """Every mutant's status, by name, from mutmut's .meta files."""
    found: dict[str, str] = {}
    for meta in sorted(MUTANTS.glob("reconciler/**/*.meta")):
        for name, code in json.loads(meta.read_text("utf-8"))["exit_code_by_key"].items():
            found[name] = STATUS.get(code, "timeout" if code in (-24, 24, 152, 255) else "suspicious")
    # mutmut's timeouts are CPU time over all threads; tests/mutation_timeouts.py ran them again
    # against the wall clock: killed, survived, or a real hang (which stays a timeout).
    rechecked = MUTANTS / "timeouts-rechecked.json"
    if rechecked.exists():
        for name, answer in json.loads(rechecked.read_text("utf-8")).items():
            fresh = isinstance(answer, dict) and answer.get("code") == code_hash(name)
            if fresh and found.get(name) == "timeout" and answer["outcome"] in ("killed", "survived"):
                found[name] = answer["outcome"]
    return found


def mutant_code(name: str) -> str:
    """The source of one mutant's function, as mutmut wrote it under mutants/."""
    module, _, function = name.rpartition(".")  # reconciler.plan.licenses . x_split__mutmut_3
    source = (MUTANTS / (module.replace(".", "/") + ".py")).read_text("utf-8")
    match = re.search(rf"^(\s*)def {re.escape(function)}\(.*?(?=^\1(?:def |class |@)|\Z)", source, re.M | re.S)
    return match.group(0) if match else ""


def code_hash(name: str) -> str:
    """A fingerprint of one mutant's function as mutmut wrote it: a recorded answer holds only for it."""
    return hashlib.sha256(mutant_code(name).encode()).hexdigest()[:16]


def _tokens(code: str) -> list[tuple[int, str]]:
    body = textwrap.dedent(code.strip("\n"))
    tokens = [
        (t.type, t.string)
        for t in tokenize.generate_tokens(io.StringIO(body).readline)
        if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
    ]
    return tokens[2:]  # past `def NAME`: the mutant's name and the original's differ


SQL_START = (
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "CREATE",
    "DROP",
    "ALTER",
    "PRAGMA",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "ON CONFLICT",
    "WHERE",
    "VALUES",
)


def automatic(name: str) -> str | None:
    """A survivor explained by its shape alone, or None. `wording`: one string literal of prose (it
    holds a space, unlike a key or a code) changed in case or wrapped in XX, its words kept. `sql
    case`: one SQL string changed in case only, which SQLite reads the same (keywords and
    identifiers are case-insensitive; the string holds no quoted value)."""
    original = name.rsplit("__mutmut_", 1)[0] + "__mutmut_orig"
    try:
        mine, theirs = _tokens(mutant_code(name)), _tokens(mutant_code(original))
    except (tokenize.TokenError, IndentationError):
        return None
    diff = [(a, b) for a, b in zip(mine, theirs) if a != b]
    if len(mine) != len(theirs) or len(diff) != 1 or diff[0][0][0] != tokenize.STRING:
        return None
    new, old = diff[0][0][1], diff[0][1][1]
    text = old.strip("\"'fbr")
    if new.lower() == old.lower() and "'" not in text and (text.upper().startswith(SQL_START) or "?" in text):
        return "sql case"
    if " " in old and new.replace("XX", "").lower() == old.lower():
        return "wording"
    return None


def explanations() -> dict[str, dict[str, str]]:
    """The explained survivors: name -> {kind, line, why}."""
    data = yaml.safe_load(EXPLAINED.read_text("utf-8")) or {}
    return {name: entry for name, entry in data.items()}


def module_of(name: str) -> str:
    return name.split(".x")[0]  # reconciler.plan.compute.x_f__mutmut_1, reconciler.plan.cost.xǁClassǁm__mutmut_2


def main(argv: list[str]) -> int:
    status = results()
    explained = explanations()
    if argv[:1] == ["--survivors"]:  # worth a second, slower pass: neither explained nor shaped like wording
        globs = argv[1:] or ["*"]
        print(
            " ".join(
                n
                for n, s in sorted(status.items())
                if s == "survived"
                and n not in explained
                and automatic(n) is None
                and any(fnmatch.fnmatch(n, g) for g in globs)
            )
        )
        return 0
    stale = [n for n, e in explained.items() if status.get(n) == "survived" and e["line"] not in mutant_code(n)]
    counts: dict[str, Counter[str]] = {}
    unexplained: list[str] = []
    final: dict[str, str] = {}
    for name, state in sorted(status.items()):
        if state == "survived" and name in explained and name not in stale:
            state = f"explained ({explained[name]['kind']})"
        elif state == "survived" and (shape := automatic(name)) is not None:
            state = "wording" if shape == "wording" else "explained (sql case)"
        elif state == "survived":
            unexplained.append(name)
        counts.setdefault(module_of(name), Counter())[state] += 1
        final[name] = state
    print(
        "| module | mutants | killed | timeout | mypy | explained | wording | survived | no tests | not checked "
        "| score | without wording |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    total: Counter[str] = Counter()
    for module, c in sorted(counts.items()):
        total += c
        print(_row(module, c))
    print(_row("**all**", total))
    for name in stale:
        print(f"stale explanation (the quoted line is no longer in the mutant): {name}")
    for name in sorted(set(explained) - set(status)) if status else ():
        print(f"explanation names no mutant (renamed or gone; rename its key): {name}")
    for name in unexplained:
        print(f"unexplained survivor: {name}")
    if argv[:1] == ["--all"]:
        print()
        for name, state in final.items():
            print(f"{state:<24} {name}")
    return 0


def _row(module: str, c: Counter[str]) -> str:
    explained = sum(v for k, v in c.items() if k.startswith("explained"))
    checked = sum(c.values()) - c["not checked"]
    # A timeout left after tests/mutation_timeouts.py is a real hang (a retry or a loop that no longer
    # ends), which CI would show: counted as detected, as PIT and Stryker count them, in a column apart.
    good = c["killed"] + c["timeout"] + c["mypy"] + explained
    score = f"{100 * (good + c['wording']) / checked:.1f} %" if checked else "-"
    strict = f"{100 * good / (checked - c['wording']):.1f} %" if checked > c["wording"] else "-"
    return (
        f"| {module} | {sum(c.values())} | {c['killed']} | {c['timeout']} | {c['mypy']} | {explained} | "
        f"{c['wording']} | {c['survived']} | {c['no tests']} | {c['not checked']} | {score} | {strict} |"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
