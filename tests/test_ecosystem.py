"""The CI examples (examples/ci) and the pre-commit hook (.pre-commit-hooks.yaml) against the real CLI.

Every `tenantctl ...` command line in the workflows is extracted from the shell scripts and
checked against the click command tree, so a renamed or removed option breaks this test rather
than a user's pipeline. The scripts that decide exit codes are run with bash against a stub
`tenantctl`, and the pre-commit hook's entry is run for real.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from conftest import ROOT, SAMPLES, SPECS

from reconciler.cli.main import cli as tenantctl_cli

CI = ROOT / "examples" / "ci"
GITHUB = CI / "github"
GITLAB_FILE = CI / "gitlab" / ".gitlab-ci.yml"
HOOKS_FILE = ROOT / ".pre-commit-hooks.yaml"
WORKFLOWS = ("tenantctl-plan.yml", "tenantctl-apply.yml", "tenantctl-drift.yml")
YAML_FILES = sorted([*CI.rglob("*.yml"), *CI.rglob("*.yaml"), HOOKS_FILE])


# --- reading the files ---------------------------------------------------------------------------


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text("utf-8"))


def on_of(workflow: dict[Any, Any]) -> Any:
    """`on:` is the boolean True under YAML 1.1 (PyYAML); GitHub reads it as the string."""
    return workflow["on"] if "on" in workflow else workflow[True]


def workflow(name: str) -> dict[Any, Any]:
    data = load(GITHUB / name)
    assert isinstance(data, dict), name
    return data


def steps_of(wf: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in wf["jobs"].values() for step in job.get("steps", [])]


def step(wf: dict[Any, Any], step_id: str) -> dict[str, Any]:
    found = [s for s in steps_of(wf) if s.get("id") == step_id]
    assert len(found) == 1, f"no step with id {step_id!r}"
    return found[0]


def github_scripts(path: Path) -> list[str]:
    """The shell of every `run:` step (all steps here run in bash)."""
    return [s["run"] for s in steps_of(load(path)) if "run" in s]


def gitlab_scripts(path: Path) -> list[str]:
    """`before_script`, `script` and `after_script` of every job, template and `default`, each as one script."""
    scripts = []
    for job in load(path).values():
        if not isinstance(job, dict):
            continue
        for key in ("before_script", "script", "after_script"):
            lines = job.get(key)
            if lines is None:
                continue
            if isinstance(lines, str):
                lines = [lines]
            scripts.append("\n".join(_flatten(lines)))
    return scripts


def _flatten(items: list[Any]) -> list[str]:
    out: list[str] = []
    for item in items:
        out += _flatten(item) if isinstance(item, list) else [str(item)]
    return out


def hook() -> dict[str, Any]:
    hooks = load(HOOKS_FILE)
    assert isinstance(hooks, list) and len(hooks) == 1
    return dict(hooks[0])


# --- a small shell reader: the simple commands of a script ----------------------------------------

SEPARATORS = {";", "&", "&&", "||", "|", "|&", ";;", "(", ")", "\n"}
# Words that may come before the command name without being it.
PREFIXES = {"if", "then", "else", "elif", "while", "until", "do", "!", "{", "time", "exec", "command", "nohup"}
OPAQUE = "\x00"  # marks a word built from an expansion ($VAR, $(...), ${{ }}): its value is unknown


@dataclass(frozen=True)
class Invocation:
    """One `tenantctl` command line: its arguments (after `tenantctl`) and where it came from."""

    args: tuple[str, ...]
    source: str

    def __str__(self) -> str:
        return f"{self.source}: tenantctl {' '.join(a.replace(OPAQUE, '$') for a in self.args)}"


def _matching(text: str, i: int, open_: str, close: str) -> int:
    """Index of the `close` matching the `open_` just before `i`, skipping quotes."""
    depth = 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            i = text.index("'", i + 1) + 1
            continue
        if c == '"':
            i = _end_of_double(text, i + 1) + 1
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError(f"unbalanced {open_!r} in {text!r}")


def _end_of_double(text: str, i: int) -> int:
    """Index of the `"` closing a double-quoted string that starts at `i`."""
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i
        if text.startswith("$(", i):
            i = _matching(text, i + 2, "(", ")") + 1
            continue
        if c == "`":
            i = text.index("`", i + 1) + 1
            continue
        i += 1
    raise ValueError(f"unterminated double quote in {text!r}")


def tokens(script: str, nested: list[str]) -> list[str]:
    """Words and operators of a script; command substitutions are appended to `nested`.

    Handles quotes, escapes, line continuations, comments, `$(...)`, backticks, `${...}`,
    `$((...))`, `$'...'`, redirections (dropped with their target) and here-documents (skipped).
    """
    text = re.sub(r"\$\{\{.*?\}\}", "${GHA}", script)  # GitHub expressions: an unknown value
    out: list[str] = []
    word: list[str] = []
    in_word = False
    drop_next = False
    heredocs: list[str] = []
    i = 0

    def end_word() -> None:
        nonlocal word, in_word, drop_next
        if in_word:
            if drop_next:
                drop_next = False
            else:
                out.append("".join(word))
        word, in_word = [], False

    def substitution(inner: str) -> None:
        nested.append(inner)
        word.append(OPAQUE)

    while i < len(text):
        c = text[i]
        if c == "\\" and text.startswith("\\\n", i):  # line continuation
            i += 2
            continue
        if c == "\\":
            word.append(text[i + 1 : i + 2])
            in_word = True
            i += 2
            continue
        if c in " \t":
            end_word()
            i += 1
            continue
        if c == "\n":
            end_word()
            out.append("\n")
            i += 1
            for delimiter in heredocs:  # the bodies of here-documents opened on this line
                while i < len(text):
                    line_end = text.find("\n", i)
                    line_end = len(text) if line_end < 0 else line_end
                    line, i = text[i:line_end], line_end + 1
                    if line.strip() == delimiter:
                        break
            heredocs.clear()
            continue
        if c == "#" and not in_word:
            i = text.find("\n", i)
            i = len(text) if i < 0 else i
            continue
        if c == "'":
            end = text.index("'", i + 1)
            word.append(text[i + 1 : end])
            in_word, i = True, end + 1
            continue
        if text.startswith("$'", i):
            end = text.index("'", i + 2)
            word.append(text[i + 2 : end])
            in_word, i = True, end + 1
            continue
        if c == '"':
            end = _end_of_double(text, i + 1)
            inner = text[i + 1 : end]
            j = 0
            while j < len(inner):
                if inner.startswith("$(", j) and not inner.startswith("$((", j):
                    close = _matching(inner, j + 2, "(", ")")
                    substitution(inner[j + 2 : close])
                    j = close + 1
                elif inner[j] == "`":
                    close = inner.index("`", j + 1)
                    substitution(inner[j + 1 : close])
                    j = close + 1
                elif inner[j] == "$" and j + 1 < len(inner) and (inner[j + 1].isalnum() or inner[j + 1] in "_{@*#?!"):
                    word.append(OPAQUE)  # the name or ${...} that follows stays as text
                    j += 1
                elif inner[j] == "\\" and j + 1 < len(inner) and inner[j + 1] in '$`"\\\n':
                    word.append(inner[j + 1])  # inside "...", a backslash escapes only these
                    j += 2
                else:
                    word.append(inner[j])
                    j += 1
            in_word, i = True, end + 1
            continue
        if text.startswith("$((", i):
            close = _matching(text, i + 3, "(", ")")
            word.append(OPAQUE)
            in_word, i = True, close + 2
            continue
        if text.startswith("$(", i):
            close = _matching(text, i + 2, "(", ")")
            substitution(text[i + 2 : close])
            in_word, i = True, close + 1
            continue
        if c == "`":
            close = text.index("`", i + 1)
            substitution(text[i + 1 : close])
            in_word, i = True, close + 1
            continue
        if text.startswith("${", i):
            close = _matching(text, i + 2, "{", "}")
            word.append(OPAQUE)
            in_word, i = True, close + 1
            continue
        if c == "$" and i + 1 < len(text) and (text[i + 1].isalnum() or text[i + 1] in "_@*#?!$-"):
            word.append(OPAQUE + text[i + 1])  # $VAR, $1, $?: the name stays, marked as unknown
            in_word, i = True, i + 2
            continue
        if c in "<>" or (c == "&" and text.startswith("&>", i)):
            if in_word and "".join(word).isdigit():  # a file descriptor: 2>&1
                word, in_word = [], False
            end_word()
            match = re.match(r"&>>|&>|<<<|<<-|<<|>>|>&|<&|>\||<>|>|<", text[i:])
            assert match
            op = match.group(0)
            i += len(op)
            if op in ("<<", "<<-"):
                rest = text[i:].lstrip(" \t")
                tag = re.match(r"""['"]?([A-Za-z_0-9]+)['"]?""", rest)
                assert tag, f"here-document without a delimiter in {script!r}"
                heredocs.append(tag.group(1))
                i = len(text) - len(rest) + tag.end()
                continue
            drop_next = True  # the target of the redirection is not an argument
            continue
        if c in ";&|()":
            end_word()
            match = re.match(r";;|&&|\|\||\|&|[;&|()]", text[i:])
            assert match
            out.append(match.group(0))
            i += len(match.group(0))
            continue
        word.append(c)
        in_word = True
        i += 1
    end_word()
    return out


def simple_commands(script: str) -> list[list[str]]:
    """The simple commands of a script, including those inside command substitutions."""
    nested: list[str] = []
    commands: list[list[str]] = [[]]
    for token in tokens(script, nested):
        if token in SEPARATORS:
            commands.append([])
        else:
            commands[-1].append(token)
    for inner in nested:
        commands += simple_commands(inner)
    return [c for c in commands if c]


def _is_tenantctl(words: list[str]) -> int:
    """How many words name tenantctl at the start of a command (0: it is another command)."""
    if words and (words[0] == "tenantctl" or words[0].endswith("/tenantctl")):
        return 1
    if len(words) >= 3 and re.fullmatch(r"(.*/)?python3?(\.\d+)?", words[0]) and words[1:3] == ["-m", "reconciler"]:
        return 3
    return 0


def invocations(script: str, source: str = "<script>") -> list[Invocation]:
    """Every `tenantctl ...` run by a shell script."""
    found = []
    for words in simple_commands(script):
        while words and (words[0] in PREFIXES or re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*=.*", words[0])):
            words = words[1:]  # `if`, `do`, `VAR=value` and the like come before the command
        skip = _is_tenantctl(words)
        if skip:
            found.append(Invocation(tuple(words[skip:]), source))
    return found


# --- checking an invocation against the click command tree --------------------------------------


def _params(command: click.Command) -> dict[str, click.Parameter]:
    """Every option string a command accepts (its help option included)."""
    ctx = click.Context(command, info_name=command.name, **tenantctl_cli.context_settings)  # -h and --help
    return {
        opt: p for p in command.get_params(ctx) if isinstance(p, click.Option) for opt in (*p.opts, *p.secondary_opts)
    }


def _takes_value(option: click.Parameter) -> bool:
    return not (isinstance(option, click.Option) and (option.is_flag or option.count))


def _check_value(name: str, option: click.Parameter, value: str, where: str) -> list[str]:
    if OPAQUE in value or not isinstance(option.type, click.Choice):
        return []
    if value not in option.type.choices:
        return [f"{where}: {name} {value!r} is not one of {list(option.type.choices)}"]
    return []


def _options(
    command: click.Command, args: list[str], where: str, stop_at_positional: bool
) -> tuple[list[str], list[str], int]:
    """Check the options in `args`: (problems, positional arguments, index where parsing stopped)."""
    known = _params(command)
    problems: list[str] = []
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            positional += args[i + 1 :]
            return problems, positional, len(args)
        if arg.startswith("-") and arg != "-" and OPAQUE not in arg[:2]:
            name, has_value, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
            if name in known:
                option = known[name]
                if _takes_value(option):
                    if not has_value:
                        if i + 1 >= len(args):
                            problems.append(f"{where}: {name} needs a value")
                            return problems, positional, len(args)
                        value = args[i + 1]
                        i += 1
                    problems += _check_value(name, option, value, where)
                elif has_value:
                    problems.append(f"{where}: {name} is a flag and takes no value")
            elif not arg.startswith("--") and len(arg) > 2 and arg[:2] in known:
                option = known[arg[:2]]  # -xVALUE, or flags bundled like -qv
                if _takes_value(option):
                    problems += _check_value(arg[:2], option, arg[2:], where)
                else:
                    for letter in arg[1:]:
                        if f"-{letter}" not in known:
                            problems.append(f"{where}: unknown option -{letter} (in {arg})")
            else:
                problems.append(f"{where}: unknown option {name}")
        else:
            if stop_at_positional:
                return problems, positional, i
            positional.append(arg)
        i += 1
    return problems, positional, i


def _check_arguments(command: click.Command, positional: list[str], where: str) -> list[str]:
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    low = sum((1 if a.nargs == -1 else a.nargs) for a in arguments if a.required)
    high = None if any(a.nargs == -1 for a in arguments) else sum(a.nargs for a in arguments)
    if len(positional) < low:
        return [f"{where}: expects at least {low} argument(s), got {positional}"]
    if high is not None and len(positional) > high:
        return [f"{where}: expects at most {high} argument(s), got {positional}"]
    return []


EAGER = {"-h", "--help", "--version"}


def check(invocation: Invocation, root: click.Group = tenantctl_cli) -> list[str]:
    """Problems with one command line: unknown commands, options, choices, argument counts.

    Options of a group (the global --provider, --no-color, -q) count only before its subcommand,
    as click parses them: `tenantctl plan DIR -q` is an error.
    """
    args = list(invocation.args)
    command: click.Command = root
    where = f"{invocation} [tenantctl"
    while isinstance(command, click.Group):
        problems, _, i = _options(command, args, where + "]", stop_at_positional=True)
        if problems:
            return problems
        if i >= len(args):
            return [] if EAGER & set(args) else [f"{where}]: no subcommand"]
        name = args[i]
        sub = command.get_command(click.Context(command), name)
        if sub is None:
            return [f"{where}]: unknown command {name!r} (known: {sorted(command.commands)})"]
        command, args, where = sub, args[i + 1 :], f"{where} {name}"
    problems, positional, _ = _options(command, args, where + "]", stop_at_positional=False)
    if EAGER & set(args):
        return problems  # --help: the arguments are not needed
    return problems + _check_arguments(command, positional, where + "]")


def command_path(invocation: Invocation) -> tuple[str, ...]:
    """`("snapshot", "load")` for `tenantctl -q snapshot load FILE`: the command names, options skipped."""
    names: list[str] = []
    command: click.Command = tenantctl_cli
    args = list(invocation.args)
    while isinstance(command, click.Group):
        _, _, i = _options(command, args, "", stop_at_positional=True)
        sub = command.get_command(click.Context(command), args[i]) if i < len(args) else None
        if sub is None:
            break
        names.append(args[i])
        command, args = sub, args[i + 1 :]
    return tuple(names)


def uses(invocation: Invocation, *options: str) -> bool:
    return all(o in invocation.args or any(a.startswith(o + "=") for a in invocation.args) for o in options)


def option_value(invocation: Invocation, option: str) -> str | None:
    args = invocation.args
    for i, arg in enumerate(args):
        if arg == option and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
    return None


def all_invocations() -> dict[str, list[Invocation]]:
    found: dict[str, list[Invocation]] = {}
    for name in WORKFLOWS:
        path = GITHUB / name
        found[name] = [inv for script in github_scripts(path) for inv in invocations(script, path.name)]
    found[".gitlab-ci.yml"] = [
        inv for script in gitlab_scripts(GITLAB_FILE) for inv in invocations(script, ".gitlab-ci.yml")
    ]
    entry = shlex.split(hook()["entry"])
    found[".pre-commit-hooks.yaml"] = [Invocation((*entry[1:], "tenant-specs/contoso.yaml"), ".pre-commit-hooks.yaml")]
    return found


# --- the files parse ------------------------------------------------------------------------------


def test_the_expected_files_exist() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in YAML_FILES}
    assert {
        "examples/ci/github/tenantctl-plan.yml",
        "examples/ci/github/tenantctl-apply.yml",
        "examples/ci/github/tenantctl-drift.yml",
        "examples/ci/gitlab/.gitlab-ci.yml",
        ".pre-commit-hooks.yaml",
    } <= names
    assert (CI / "README.md").is_file()


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_yaml_parses(path: Path) -> None:
    data = load(path)
    assert isinstance(data, (dict, list)) and data


def test_on_loads_as_true_and_is_handled() -> None:
    raw = workflow("tenantctl-plan.yml")
    assert True in raw and "on" not in raw  # YAML 1.1: `on` is a boolean; on_of() reads either
    assert "pull_request" in on_of(raw)
    assert on_of({"on": {"push": None}}) == {"push": None}


# --- the extractor ----------------------------------------------------------------------------------


TRICKY = r"""
# a comment: tenantctl plan --not-run
set -e
code=0
tenantctl --no-color plan tenant-specs/ --out plans/ \
  --markdown-dir comment/ --detailed-exitcode || code=$?
summary="$(tenantctl -q drift tenant-specs/ --format markdown 2>/dev/null | head -n 5)"
for f in plans/*.json; do if [ -f "$f" ]; then tenantctl apply "$f" --auto-approve >> log.txt 2>&1; fi; done
echo '<!-- tenantctl plan --nope -->' | grep -q "tenantctl plan --nope"
TENANTCTL_TODAY=2026-01-01 tenantctl drift tenant-specs/ --format=junit > drift.xml; echo done
out=`tenantctl validate a.yaml b.yml`
cat <<EOF > x.md
tenantctl plan --inside-a-heredoc
EOF
.venv/bin/tenantctl snapshot load examples/contoso.snapshot.yaml && python -m reconciler catalog
"""


def test_extractor_finds_every_invocation_and_nothing_else() -> None:
    found = [" ".join(a.replace(OPAQUE, "$") for a in inv.args) for inv in invocations(TRICKY)]
    assert found == [
        "--no-color plan tenant-specs/ --out plans/ --markdown-dir comment/ --detailed-exitcode",
        "apply $f --auto-approve",
        "drift tenant-specs/ --format=junit",
        "snapshot load examples/contoso.snapshot.yaml",
        "catalog",
        "-q drift tenant-specs/ --format markdown",
        "validate a.yaml b.yml",
    ]
    assert all(check(inv) == [] for inv in invocations(TRICKY))


def test_checker_accepts_help_version_and_option_forms() -> None:
    script = (
        "tenantctl --version; tenantctl -h; tenantctl plan -h\n"
        "tenantctl --provider=local:x.db -q plan x.yaml --format=json --override-guardrail maxMonthlyIncrease\n"
        'tenantctl apply "plans/$tenant\\".json" --provider "local:state/${name}.db" --auto-approve\n'
    )
    found = invocations(script)
    assert len(found) == 5
    assert [p for inv in found for p in check(inv)] == []
    assert found[-1].args[1] == "plans/" + OPAQUE + 'tenant".json'


BOGUS = r"""
tenantctl plan tenant-specs/ --out plans/ --bogus-flag || code=$?
x="$(tenantctl drift tenant-specs/ --format yaml | tee out)"
tenantctl -Z validate a.yaml
tenantctl snapshot load --nope f.yaml
tenantctl frobnicate
tenantctl plan tenant-specs/ -x
tenantctl apply plans/a.json --auto-approve=yes
tenantctl validate
tenantctl show a.json b.json
tenantctl plan tenant-specs/ --out
"""


def test_checker_reports_bogus_flags() -> None:
    problems = {str(inv): check(inv) for inv in invocations(BOGUS, "bogus")}
    assert len(problems) == 10
    assert all(problems.values()), [k for k, v in problems.items() if not v]
    text = "\n".join(p for ps in problems.values() for p in ps)
    for expected in (
        "unknown option --bogus-flag",
        "--format 'yaml' is not one of",
        "unknown option -Z",
        "unknown option --nope",
        "unknown command 'frobnicate'",
        "unknown option -x",
        "--auto-approve is a flag",
        "at least 1 argument",
        "at most 1 argument",
        "--out needs a value",
    ):
        assert expected in text, expected


def test_checker_reports_a_bogus_flag_in_a_workflow_file(tmp_path: Path) -> None:
    path = tmp_path / "wf.yml"
    path.write_text(
        "on: push\njobs:\n  j:\n    steps:\n      - run: |\n          echo hi\n"
        "          tenantctl --no-color plan tenant-specs/ --out plans/ --bogus-flag\n"
    )
    found = [inv for script in github_scripts(path) for inv in invocations(script, path.name)]
    assert [p for inv in found for p in check(inv)] == [
        "wf.yml: tenantctl --no-color plan tenant-specs/ --out plans/ --bogus-flag [tenantctl plan]: "
        "unknown option --bogus-flag"
    ]


# --- the examples use the real CLI -------------------------------------------------------------------


def test_every_tenantctl_invocation_matches_the_cli() -> None:
    found = all_invocations()
    assert all(found.values()), {k: len(v) for k, v in found.items()}
    problems = [p for invs in found.values() for inv in invs for p in check(inv)]
    assert problems == []


def test_the_expected_commands_are_used() -> None:
    found = all_invocations()

    def having(file: str, *path: str) -> list[Invocation]:
        return [inv for inv in found[file] if command_path(inv) == path]

    for file in ("tenantctl-plan.yml", ".gitlab-ci.yml"):
        assert any(inv.args[-1:] == ("tenant-specs/",) for inv in having(file, "validate")), file
        plans = having(file, "plan")
        assert any(
            uses(p, "--out", "--markdown-dir", "--detailed-exitcode")
            and option_value(p, "--out") == "plans/"
            and option_value(p, "--markdown-dir") == "comment/"
            for p in plans
        ), file
    for file in ("tenantctl-apply.yml", ".gitlab-ci.yml"):
        applies = having(file, "apply")
        assert applies and all(uses(a, "--auto-approve") for a in applies), file
        assert any(not uses(a, "--allow-destroy") for a in applies), f"{file}: --allow-destroy must be opt-in"
    for file in ("tenantctl-drift.yml", ".gitlab-ci.yml"):
        drifts = having(file, "drift")
        formats = {option_value(d, "--format") for d in drifts}
        # JUnit for the CI system and a Markdown report: from one read, or from two runs.
        assert "junit" in formats and ("markdown" in formats or any(uses(d, "--markdown-dir") for d in drifts)), file
    assert [command_path(inv) for inv in found[".pre-commit-hooks.yaml"]] == [("validate",)]


def test_run_scripts_take_inputs_from_env_not_expressions() -> None:
    """`${{ }}` inside `run:` is pasted into the script before bash reads it (script injection)."""
    for name in WORKFLOWS:
        for script in github_scripts(GITHUB / name):
            assert "${{" not in script, f"{name}: use env: instead of ${{{{ }}}} in run:\n{script}"


# --- the GitHub workflows ---------------------------------------------------------------------------


def _action(wf: dict[Any, Any], prefix: str) -> list[dict[str, Any]]:
    return [s for s in steps_of(wf) if str(s.get("uses", "")).startswith(prefix)]


def _run_text(wf: dict[Any, Any]) -> str:
    return "\n".join(str(s.get("run", "")) for s in steps_of(wf))


@pytest.mark.parametrize("name", WORKFLOWS)
def test_workflows_share_the_basics(name: str) -> None:
    wf = workflow(name)
    assert wf["permissions"]["contents"] == "read"
    assert wf["permissions"]["id-token"] == "write"
    assert "TENANTCTL_PROVIDER" in wf["env"] and "{name}" in wf["env"]["TENANTCTL_PROVIDER"]
    assert _action(wf, "actions/checkout@")
    python = _action(wf, "actions/setup-python@")
    assert python and str(python[0]["with"]["python-version"]) == "3.11"
    assert any("pip install tenantctl" in str(s.get("run", "")) for s in steps_of(wf))
    for s in steps_of(wf):
        if "uses" in s:
            assert re.search(r"@v\d+$|@[0-9a-f]{40}$", s["uses"]), f"{name}: unpinned action {s['uses']}"


def test_plan_workflow_structure() -> None:
    wf = workflow("tenantctl-plan.yml")
    on = on_of(wf)
    assert on["pull_request"]["paths"] == ["tenant-specs/**"]
    assert wf["permissions"] == {"contents": "read", "pull-requests": "write", "id-token": "write"}
    uploads = _action(wf, "actions/upload-artifact@")
    assert len(uploads) == 1
    assert uploads[0]["with"]["name"] == "tenantctl-plans"
    assert uploads[0]["with"]["path"].rstrip("/") == "plans"
    runs = _run_text(wf)
    assert "gh pr comment" in runs and "--body-file" in runs
    assert 'startswith("<!-- tenantctl plan")' in runs and "--method DELETE" in runs
    # The comment and the artifact are produced even when the plan exited 1, then the job fails.
    post = next(s for s in steps_of(wf) if "gh pr comment" in str(s.get("run", "")))
    assert "always()" in post["if"] and "always()" in uploads[0]["if"]


def test_apply_workflow_structure() -> None:
    wf = workflow("tenantctl-apply.yml")
    on = on_of(wf)
    assert on["pull_request"]["types"] == ["closed"]
    assert on["pull_request"]["paths"] == ["tenant-specs/**"]
    assert wf["permissions"]["actions"] == "read"  # to download another run's artifact
    assert "pull-requests" not in wf["permissions"]
    (job,) = wf["jobs"].values()
    # On the job: at the workflow level, the skipped runs of PRs closed unmerged would join the
    # group and cancel a pending apply (GitHub keeps one pending run per group).
    assert job["concurrency"] == {"group": "tenantctl-apply", "cancel-in-progress": False}
    assert "concurrency" not in wf
    assert "github.event.pull_request.merged == true" in job["if"]
    checkout = _action(wf, "actions/checkout@")[0]
    assert "merge_commit_sha" in checkout["with"]["ref"]
    runs = _run_text(wf)
    assert re.search(r"gh run list --workflow tenantctl-plan\.yml --branch \"\$HEAD_REF\" --status success", runs)
    assert re.search(r"gh run download \"\$RUN_ID\" -n tenantctl-plans -D plans", runs)
    find = step(wf, "run")
    assert find["env"]["HEAD_REF"] == "${{ github.event.pull_request.head.ref }}"
    destroy = next(s for s in steps_of(wf) if "--allow-destroy" in str(s.get("run", "")))
    assert "vars.TENANTCTL_ALLOW_DESTROY" in destroy["env"]["ALLOW_DESTROY"]


def test_drift_workflow_structure() -> None:
    wf = workflow("tenantctl-drift.yml")
    on = on_of(wf)
    assert "workflow_dispatch" in on
    (schedule,) = on["schedule"]
    assert len(schedule["cron"].split()) == 5
    uploads = _action(wf, "actions/upload-artifact@")
    assert len(uploads) == 1 and uploads[0]["if"] == "always()"
    assert {"drift.xml", "drift.md"} <= set(uploads[0]["with"]["path"].split())
    assert "GITHUB_STEP_SUMMARY" in step(wf, "drift")["run"]


# --- running the exit-code logic of the scripts against a stub tenantctl ---------------------------


def _stub(bin_dir: Path, body: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / "tenantctl"
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a `run:` script the way GitHub does with `shell: bash`."""
    full = {"PATH": f"{cwd / 'bin'}{os.pathsep}{os.environ['PATH']}", "HOME": str(cwd), **env}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=30,
    )


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


@needs_bash
@pytest.mark.parametrize("code,job_fails", [(0, False), (2, False), (1, True)])
def test_plan_exit_codes(tmp_path: Path, code: int, job_fails: bool) -> None:
    wf = workflow("tenantctl-plan.yml")
    _stub(
        tmp_path / "bin",
        f'echo "$@" >> calls.txt\nmkdir -p comment plans\necho part > comment/part-001.md\nexit {code}\n',
    )
    output = tmp_path / "out.txt"
    ran = _bash(step(wf, "plan")["run"], tmp_path, {"GITHUB_OUTPUT": str(output)})
    assert ran.returncode == 0, ran.stderr  # the plan step itself never fails: the comment comes first
    assert _outputs(output) == {"code": str(code)}
    gate = next(s for s in steps_of(wf) if s.get("name") == "Fail when the plan failed")
    assert "steps.plan.outputs.code" in gate["env"]["CODE"]
    assert (_bash(gate["run"], tmp_path, {"CODE": str(code)}).returncode != 0) is job_fails
    assert _bash(gate["run"], tmp_path, {"CODE": ""}).returncode != 0


@needs_bash
@pytest.mark.parametrize("code", [0, 1, 2])
def test_drift_exit_codes(tmp_path: Path, code: int) -> None:
    wf = workflow("tenantctl-drift.yml")
    # The stub behaves like `drift --format junit --markdown-dir DIR`: XML on stdout, Markdown files.
    _stub(
        tmp_path / "bin",
        'case "$*" in *junit*) echo "<testsuites/>" ;; *) echo "# drift" ;; esac\n'
        'case "$*" in *--markdown-dir*) mkdir -p drift-md; echo "# drift" > drift-md/part-001.md ;; esac\n'
        f"exit {code}\n",
    )
    output, summary = tmp_path / "out.txt", tmp_path / "summary.md"
    ran = _bash(step(wf, "drift")["run"], tmp_path, {"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)})
    assert ran.returncode == 0, ran.stderr
    assert _outputs(output) == {"code": str(code)}
    assert (tmp_path / "drift.xml").read_text() == "<testsuites/>\n"
    assert "# drift" in summary.read_text()
    gate = next(s for s in steps_of(wf) if s.get("name") == "Fail when drifted or failed")
    assert gate["if"] == "always()"
    assert (_bash(gate["run"], tmp_path, {"CODE": str(code)}).returncode != 0) is (code != 0)


@needs_bash
@pytest.mark.parametrize("allow_destroy", ["", "true"])
def test_apply_loop_applies_every_plan_and_fails_if_one_fails(tmp_path: Path, allow_destroy: str) -> None:
    wf = workflow("tenantctl-apply.yml")
    script = next(s["run"] for s in steps_of(wf) if "--allow-destroy" in str(s.get("run", "")))
    (tmp_path / "plans").mkdir()
    for tenant in ("contoso", "fabrikam", "northwind"):
        (tmp_path / "plans" / f"{tenant}.json").write_text("{}")
    _stub(tmp_path / "bin", 'echo "$@" >> calls.txt\ncase "$*" in *fabrikam*) exit 1 ;; esac\n')
    ran = _bash(script, tmp_path, {"ALLOW_DESTROY": allow_destroy})
    assert ran.returncode == 1
    calls = (tmp_path / "calls.txt").read_text().splitlines()
    flags = " --allow-destroy" if allow_destroy else ""
    # --lock-timeout: an apply someone runs by hand at the same moment is waited for, not failed.
    assert calls == [
        f"--no-color apply plans/{t}.json --auto-approve{flags} --lock-timeout 300"
        for t in ("contoso", "fabrikam", "northwind")
    ]
    assert "plans/fabrikam.json was not (fully) applied" in ran.stdout

    (tmp_path / "calls.txt").unlink()
    _stub(tmp_path / "bin", 'echo "$@" >> calls.txt\n')
    assert _bash(script, tmp_path, {"ALLOW_DESTROY": allow_destroy}).returncode == 0
    shutil.rmtree(tmp_path / "plans")
    assert _bash(script, tmp_path, {"ALLOW_DESTROY": allow_destroy}).returncode == 1  # no plans: an error


# --- GitLab ------------------------------------------------------------------------------------------

GITLAB_KEYWORDS = {
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
}


def gitlab_jobs() -> dict[str, dict[str, Any]]:
    return {
        k: v
        for k, v in load(GITLAB_FILE).items()
        if k not in GITLAB_KEYWORDS and not k.startswith(".") and isinstance(v, dict)
    }


def _rules_text(job: dict[str, Any]) -> str:
    return " ".join(str(rule.get("if", "")) for rule in job.get("rules", []))


def test_gitlab_jobs() -> None:
    config = load(GITLAB_FILE)
    jobs = gitlab_jobs()
    assert {"validate", "plan", "apply", "drift"} <= set(jobs)
    for name, job in jobs.items():
        assert job["stage"] in config["stages"], name
        assert job.get("script"), name
    assert "merge_request_event" in _rules_text(jobs["validate"])
    assert "merge_request_event" in _rules_text(jobs["plan"])
    assert "CI_DEFAULT_BRANCH" in _rules_text(jobs["apply"])
    assert "schedule" in _rules_text(jobs["drift"])
    assert jobs["apply"]["resource_group"]  # applies never run at the same time

    plan_paths = {p.rstrip("/") for p in jobs["plan"]["artifacts"]["paths"]}
    assert {"plans", "comment"} <= plan_paths
    assert jobs["plan"]["artifacts"]["when"] == "always"
    plan_script = "\n".join(_flatten(jobs["plan"]["script"]))
    assert "PRIVATE-TOKEN: $GITLAB_TOKEN" in plan_script
    assert '--data-urlencode "body@$part"' in plan_script
    assert "merge_requests/$CI_MERGE_REQUEST_IID/notes" in plan_script

    drift = jobs["drift"]
    assert drift["artifacts"]["reports"]["junit"] == "drift.xml"
    assert drift["artifacts"]["when"] == "always"


@needs_bash
@pytest.mark.parametrize("code,fails", [(0, False), (2, False), (1, True)])
def test_gitlab_plan_script_exit_codes(tmp_path: Path, code: int, fails: bool) -> None:
    """The job's script lines run in one shell, as GitLab runs them; no GITLAB_TOKEN: nothing posted."""
    script = "\n".join(_flatten(gitlab_jobs()["plan"]["script"]))
    _stub(tmp_path / "bin", f"mkdir -p comment plans\necho part > comment/part-001.md\nexit {code}\n")
    ran = _bash(script, tmp_path, {"CI_COMMIT_SHA": "abc123"})
    assert (ran.returncode != 0) is fails, ran.stdout + ran.stderr
    assert "GITLAB_TOKEN is not set" in ran.stdout
    assert (tmp_path / "plan-commit.txt").read_text() == "abc123\n"


# --- the pre-commit hook -----------------------------------------------------------------------------


def test_pre_commit_hook_declaration() -> None:
    h = hook()
    assert h["id"] == "tenantctl-validate"
    assert h["name"] and h["description"]
    assert h["entry"] == "tenantctl validate"
    assert h["language"] == "python"
    assert h["types"] == ["yaml"]
    assert h["pass_filenames"] is True
    files = re.compile(h["files"])  # pre-commit uses re.search
    assert files.search("tenant-specs/contoso.yaml")
    assert files.search("tenant-specs/nested/contoso.yml")
    for other in (
        "README.md",
        "examples/contoso.snapshot.yaml",
        ".gitlab-ci.yml",
        "tenant-specs/notes.txt",
        "tenant-specs/contoso.yaml.bak",
    ):
        assert not files.search(other), other
    assert "override" in HOOKS_FILE.read_text("utf-8")  # users are told they can change `files`


def _hook_args() -> list[str]:
    entry = shlex.split(hook()["entry"])
    assert entry[0] == "tenantctl"
    return entry[1:]


def test_pre_commit_hook_passes_on_the_sample_specs(cli) -> None:  # type: ignore[no-untyped-def]
    files = re.compile(hook()["files"])
    staged = [p for p in sorted(SPECS.iterdir()) if files.search(p.relative_to(ROOT).as_posix())]
    assert len(staged) >= 3
    result = cli(*_hook_args(), *staged)
    assert result.code == 0, result.err
    assert result.err == ""


def test_pre_commit_hook_fails_on_a_broken_spec(cli, workdir: Path) -> None:  # type: ignore[no-untyped-def]
    broken = workdir / "tenant-specs" / "broken.yaml"
    broken.parent.mkdir()
    broken.write_text(
        "apiVersion: tenantctl/v1\nkind: Tenant\nmetadata:\n  name: broken\nspec:\n"
        "  agreement: MCA\n  subscriptions:\n    - sku: ENTERPRISEPREMIUM\n      seatz: 3\n"
    )
    assert re.search(hook()["files"], "tenant-specs/broken.yaml")
    good = SPECS / "contoso.yaml"
    result = cli(*_hook_args(), "tenant-specs/broken.yaml", good)
    assert result.code == 1
    assert re.search(r"^tenant-specs/broken\.yaml:9:7: error: .*seatz", result.err, re.MULTILINE), result.err
    assert "contoso.yaml: ok" in result.out  # the good file is still checked


# --- the whole GitHub flow, with the real tenantctl and the simulated tenants --------------------


@needs_bash
def test_github_flow_end_to_end(tmp_path: Path, today: Any) -> None:
    """Plan on the PR, apply the saved plans after the merge, drift: the workflows' own scripts."""
    shutil.copytree(SPECS, tmp_path / "tenant-specs")
    (tmp_path / "examples").mkdir()
    for snapshot in (ROOT / "examples").glob("*.snapshot.yaml"):
        shutil.copy(snapshot, tmp_path / "examples")
    _stub(tmp_path / "bin", f'exec "{sys.executable}" -m reconciler "$@"\n')
    env = {
        "TENANTCTL_PROVIDER": "local:state/{name}.db",
        "TENANTCTL_TODAY": today.isoformat(),
        "NO_COLOR": "1",
        "PYTHONPATH": str(ROOT),
        "GITHUB_OUTPUT": str(tmp_path / "out.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "ALLOW_DESTROY": "true",
    }

    def run(wf: dict[Any, Any], name: str) -> subprocess.CompletedProcess[str]:
        script = next(s["run"] for s in steps_of(wf) if s.get("name") == name)
        return _bash(script, tmp_path, env)

    plan_wf, apply_wf, drift_wf = (workflow(n) for n in WORKFLOWS)
    seed = "Load the simulated tenants (demo only)"
    seeds = {next(s["run"] for s in steps_of(wf) if s.get("name") == seed) for wf in (plan_wf, apply_wf, drift_wf)}
    assert len(seeds) == 1  # one script: run it once
    assert run(plan_wf, seed).returncode == 0
    assert run(plan_wf, "Validate the specs").returncode == 0
    planned = run(plan_wf, "Plan")
    assert planned.returncode == 0, planned.stderr
    assert _outputs(tmp_path / "out.txt") == {"code": "2"}  # changes
    assert sorted(p.name for p in (tmp_path / "plans").iterdir()) == sorted(f"{s}.json" for s in SAMPLES)
    assert (tmp_path / "comment" / "part-001.md").is_file()
    assert run(plan_wf, "Add the plan to the run summary").returncode == 0
    assert "### Tenant `contoso`" in (tmp_path / "summary.md").read_text()

    applied = run(apply_wf, "Apply the saved plans")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    again = run(apply_wf, "Apply the saved plans")  # a saved plan applies once
    assert again.returncode == 1 and "already applied" in again.stderr

    (tmp_path / "out.txt").unlink()
    drift = run(drift_wf, "Check for drift")
    assert drift.returncode == 0, drift.stderr
    assert _outputs(tmp_path / "out.txt") == {"code": "0"}  # in sync after the apply
    assert "<testsuites" in (tmp_path / "drift.xml").read_text()


# --- posting the comment parts ---------------------------------------------------------------------

SINGLE_PART = "<!-- tenantctl plan part 1/1 -->\n### Tenant `contoso`\n\nPlan: 1 to change.\n"
TWO_PARTS = (
    "<!-- tenantctl plan part 1/2 -->\n_Part 1 of 2_\n\nA\n",
    "<!-- tenantctl plan part 2/2 -->\n_Part 2 of 2_\n\nB\n",
)


def _write_parts(folder: Path, parts: tuple[str, ...]) -> None:
    folder.mkdir(exist_ok=True)
    for i, text in enumerate(parts, start=1):
        (folder / f"part-{i:03d}.md").write_text(text)


@needs_bash
@pytest.mark.parametrize("parts", [(SINGLE_PART,), TWO_PARTS], ids=["one part", "two parts"])
def test_github_comments_replace_the_previous_ones(tmp_path: Path, parts: tuple[str, ...]) -> None:
    wf = workflow("tenantctl-plan.yml")
    script = next(s["run"] for s in steps_of(wf) if "gh pr comment" in str(s.get("run", "")))
    _write_parts(tmp_path / "comment", parts)
    # `gh api ... --jq FILTER` lists the ids to delete; the stub answers as the filter would.
    _stub(tmp_path / "bin", "")
    gh = tmp_path / "bin" / "gh"
    gh.write_text(
        '#!/usr/bin/env bash\necho "$*" >> gh.txt\n'
        'if [ "$1" = api ] && [ "$2" = --paginate ]; then echo 11; echo 12; fi\n'
        'if [ "$1" = pr ]; then cat "$5" >> posted.md; echo ---- >> posted.md; fi\n'
    )
    gh.chmod(0o755)
    ran = _bash(script, tmp_path, {"PR": "7", "GITHUB_REPOSITORY": "o/r", "GH_TOKEN": "x"})
    assert ran.returncode == 0, ran.stderr
    calls = (tmp_path / "gh.txt").read_text().splitlines()
    assert calls[0].startswith("api --paginate repos/o/r/issues/7/comments --jq ")
    assert calls[1:3] == [
        "api --method DELETE repos/o/r/issues/comments/11",
        "api --method DELETE repos/o/r/issues/comments/12",
    ]
    assert calls[3:] == [f"pr comment 7 --body-file comment/part-{i:03d}.md" for i in range(1, len(parts) + 1)]
    posted = (tmp_path / "posted.md").read_text().split("----\n")[:-1]
    assert len(posted) == len(parts)
    assert all(p.startswith("<!-- tenantctl plan") for p in posted)  # what the next run deletes
    assert posted[-1].endswith(parts[-1])


@pytest.mark.skipif(shutil.which("jq") is None, reason="needs jq")
def test_github_comment_filter_selects_only_our_comments() -> None:
    wf = workflow("tenantctl-plan.yml")
    script = next(s["run"] for s in steps_of(wf) if "gh pr comment" in str(s.get("run", "")))
    program = re.search(r"--jq '([^']*)'", script)
    assert program
    comments = [
        {"id": 1, "user": {"login": "github-actions[bot]"}, "body": "<!-- tenantctl plan -->\nold"},
        {"id": 2, "user": {"login": "github-actions[bot]"}, "body": "<!-- tenantctl plan part 2/3 -->\nold"},
        {"id": 3, "user": {"login": "alice"}, "body": "<!-- tenantctl plan --> pasted by a human"},
        {"id": 4, "user": {"login": "github-actions[bot]"}, "body": "another bot comment"},
    ]
    ran = subprocess.run(
        ["jq", "-r", program.group(1)], input=json.dumps(comments), capture_output=True, text=True, timeout=10
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["1", "2"]


@needs_bash
def test_gitlab_notes_replace_the_previous_ones(tmp_path: Path) -> None:
    script = "\n".join(_flatten(gitlab_jobs()["plan"]["script"]))
    _stub(tmp_path / "bin", "mkdir -p comment plans\nexit 2\n")
    _write_parts(tmp_path / "comment", (SINGLE_PART,))
    curl = tmp_path / "bin" / "curl"
    notes = '[{"id": 5, "body": "<!-- tenantctl plan -->\\\\nold"}, {"id": 6, "body": "LGTM"}]'
    curl.write_text(
        '#!/usr/bin/env bash\necho "$*" >> curl.txt\n'
        'case "$*" in *"--request POST"*) ;; *"--request DELETE"*) ;; '
        f"*) echo '{notes}' ;; esac\n"
    )
    curl.chmod(0o755)
    ran = _bash(
        script,
        tmp_path,
        {
            "GITLAB_TOKEN": "t",
            "CI_API_V4_URL": "https://gl/api/v4",
            "CI_PROJECT_ID": "9",
            "CI_MERGE_REQUEST_IID": "3",
            "CI_COMMIT_SHA": "abc",
        },
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    notes_url = "https://gl/api/v4/projects/9/merge_requests/3/notes"
    calls = (tmp_path / "curl.txt").read_text().splitlines()
    assert len(calls) == 3
    assert calls[0].endswith(f"PRIVATE-TOKEN: t {notes_url}?per_page=100&sort=desc")
    assert "--request DELETE" in calls[1] and calls[1].endswith(f"{notes_url}/5")
    assert "--request POST" in calls[2] and "--data-urlencode body@comment/part-001.md" in calls[2]
    assert (tmp_path / "comment" / "part-001.md").read_text() == SINGLE_PART  # posted as written


@needs_bash
def test_sharded_drift_workflow_end_to_end(tmp_path: Path, today: Any) -> None:
    """Issue 18: the sharded drift workflow's own scripts, four shards then the merge, on the samples."""
    shutil.copytree(SPECS, tmp_path / "tenant-specs")
    (tmp_path / "examples").mkdir()
    for snapshot in (ROOT / "examples").glob("*.snapshot.yaml"):
        shutil.copy(snapshot, tmp_path / "examples")
    _stub(tmp_path / "bin", f'exec "{sys.executable}" -m reconciler "$@"\n')
    wf = workflow("tenantctl-drift-sharded.yml")
    env = {
        "TENANTCTL_PROVIDER": "local:state/{name}.db",
        "TENANTCTL_TODAY": today.isoformat(),
        "NO_COLOR": "1",
        "PYTHONPATH": str(ROOT),
        "TOTAL": wf["env"]["TOTAL"],
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    shards = wf["jobs"]["shard"]["strategy"]["matrix"]["shard"]
    assert len(shards) == int(wf["env"]["TOTAL"])
    by_name = {s.get("name"): s for s in steps_of(wf) if "run" in s}
    assert _bash(by_name["Load the simulated tenants (demo only)"]["run"], tmp_path, env).returncode == 0
    for k in shards:
        script = by_name["Drift of this shard"]["run"].replace("${{ matrix.shard }}", str(k))
        assert _bash(script, tmp_path, env).returncode == 0
    merged = _bash(by_name["The whole fleet's report"]["run"], tmp_path, env)
    assert merged.returncode == 1, merged.stderr  # the samples drift from their specs: the job fails, after the reports
    assert f"{len(SAMPLES)} tenants: {len(SAMPLES)} drifted, 0 in sync, 0 failed" in merged.stdout
    assert "::error::a tenant drifted" in merged.stdout
    xml = ET.parse(tmp_path / "drift.xml").getroot()
    assert len(xml.findall("testsuite")) == len(SAMPLES)
    assert "| tenant | file | status |" in (tmp_path / "summary.md").read_text()
