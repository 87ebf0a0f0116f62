"""docs/rules.md names a test for each rule: every name it gives must be a test that exists."""

from __future__ import annotations

import re

from conftest import ROOT

TESTS = ROOT / "tests"
PREFIXES = {"sim::": "test_simulator_rules.py", "steps::": "test_manual_steps.py"}


def _references() -> list[str]:
    rows = [
        line
        for line in (ROOT / "docs" / "rules.md").read_text(encoding="utf-8").splitlines()
        if re.match(r"\| [A-Z]+\d+[a-z]? \|", line)
    ]
    out: list[str] = []
    rules = 0
    for row in rows:
        cells = [c.strip() for c in row.strip().strip("|").split(" | ")]
        if len(cells) < 5:  # the sources table: id, title, address
            continue
        rules += 1
        out += [ref.strip() for ref in cells[-1].split(",") if ref.strip()]
    assert rules > 40, "the rules table changed shape"
    return out


def test_every_test_the_rules_name_exists() -> None:
    missing = []
    for ref in _references():
        ref = re.sub(r" \(.*\)$", "", ref)  # a note on what the test shows
        if ref.startswith("tests/") and "::" not in ref:
            ok = (ROOT / ref).is_file()
        elif ref.startswith("cases/"):
            ok = (TESTS / "cases" / ref.split("/", 1)[1]).is_dir()
        elif ref.startswith("bad/"):
            ok = (TESTS / "bad_specs" / f"{ref.split('/', 1)[1]}.yaml").is_file()
        elif ref.startswith(tuple(PREFIXES)):
            prefix = next(p for p in PREFIXES if ref.startswith(p))
            ok = f"def {ref[len(prefix) :]}(" in (TESTS / PREFIXES[prefix]).read_text(encoding="utf-8")
        elif "::" in ref:
            path, name = ref.split("::", 1)
            file = ROOT / path if path.startswith("tests/") else TESTS / path
            ok = file.is_file() and f"def {name.split('[')[0]}(" in file.read_text(encoding="utf-8")
        else:
            ok = ref in ("-", "") or ref.startswith(("*", "—"))
        if not ok:
            missing.append(ref)
    assert not missing, f"docs/rules.md names tests that do not exist: {missing}"
