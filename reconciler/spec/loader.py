"""Stage 1: load the desired state (`kind: Tenant`) and check it against the business rules.

Every problem is collected with its file:line:col before anything is raised, so a user fixes
a spec in one pass. The rules come from the seed articles (see shared/reference).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..domain.errors import Problem, ValidationError
from ..domain.model import TenantSpec
from ..support.gc_pause import long_lived
from . import roster
from .entries import Deferred, Entry, read_roster
from .rules import Path_, RuleChecker
from .salvage import salvage
from .schema import check
from .yamlload import Document, load_file, render_path


def load_spec(path: str | Path) -> TenantSpec:
    """Read, schema-check and rule-check a Tenant spec; raise ValidationError listing every problem."""
    doc = load_file(path)
    return spec_from_document(doc)


@long_lived
def spec_from_document(doc: Document) -> TenantSpec:
    """Build a TenantSpec from parsed YAML, or raise ValidationError."""
    if not isinstance(doc.data, dict):
        raise ValidationError([doc.problem((), "expected a mapping with apiVersion, kind, metadata, spec")])
    if doc.data.get("kind") == "TenantSnapshot":
        raise ValidationError(
            [
                doc.problem(
                    ("kind",),
                    "this is a TenantSnapshot (observed state), not a Tenant spec",
                    "load it with `tenantctl snapshot load`",
                )
            ]
        )
    problems, paths = check(doc, "tenant")
    rest = salvage(doc.data, paths)
    if rest is None:
        raise ValidationError(problems)
    checked = replace(doc, data=rest.data)  # located by `doc`'s node tree, so every index stays right
    entries, trouble = listed_users(checked, bulk=True)
    checker = RuleChecker(checked, entries, rest)
    spec = checker.build()
    problems += trouble + checker.trouble + checker.problems
    if problems:
        raise ValidationError(problems)
    return spec


def user_entries(doc: Document, root: str = "spec") -> tuple[list[Entry], list[Problem]]:
    """`root`.users (a spec's, or a snapshot's `state`) with roster files read in place, each schema-checked:
    the valid users, and the problems."""
    entries, problems = listed_users(doc, root)
    return [e for e in entries if isinstance(e, Entry)], problems  # without bulk, every one is an Entry


def listed_users(doc: Document, root: str = "spec", bulk: bool = False) -> tuple[list[Entry | Deferred], list[Problem]]:
    """As user_entries; with `bulk`, CSV rosters are left to the rule checker to read (Deferred)."""
    entries: list[Entry | Deferred] = []
    problems: list[Problem] = []
    read: dict[Path, int] = {}  # roster -> where it was listed first
    for i, raw in enumerate(doc.data[root].get("users") or []):
        where: Path_ = (root, "users", i)
        if raw is None:  # left out by salvage: it has schema errors
            continue
        if "file" not in raw:
            entries.append(Entry(doc, where, raw, render_path(where)))
            continue
        found = _roster(doc, where, raw["file"], read)
        if isinstance(found, Problem):
            problems.append(found)
        elif bulk and found[0].suffix.lower() == ".csv":
            entries.append(Deferred(*found))
        else:
            rows, trouble = read_roster(*found)
            entries += rows
            problems += trouble
    return entries, problems


def _roster(doc: Document, where: Path_, ref: str, read: dict[Path, int]) -> tuple[Path, str] | Problem:
    """The roster `ref`, listed in `doc` at `where` (the file, and its name in messages), or why it cannot be read."""
    try:
        path, name = roster.resolve(doc.path, ref)
    except ValueError as exc:
        return doc.problem(where + ("file",), str(exc))
    if not path.is_file():
        what = "is not a file" if path.exists() else "not found"
        return doc.problem(
            where + ("file",),
            f"roster '{ref}' {what}",
            f"looked for {name}; paths are relative to the spec's folder",
        )
    if path in read:
        return doc.problem(
            where + ("file",), f"roster '{ref}' is listed twice", f"already read as {where[0]}.users[{read[path]}]"
        )
    read[path] = int(where[-1])
    return path, name
