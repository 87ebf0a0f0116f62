"""The users a spec lists, as the rule checker takes them: one user written inline or in a roster's row
(Entry), or a CSV roster to read later (Deferred), in bulk when it can be (bulk.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ..domain.errors import Problem, ValidationError
from ..domain.model import Origin
from . import roster
from .schema import check_users
from .yamlload import Document

Path_ = tuple[str | int, ...]


class Entry(NamedTuple):
    """One user as written: inline in the spec or a roster's row, with where to point errors."""

    doc: Document
    where: Path_
    raw: dict[str, Any]
    origin: Origin  # spec.users[3], or rosters/staff.csv:14


@dataclass(frozen=True)
class Deferred:
    """A CSV roster the spec lists, left for the rule checker: a million plain rows are judged in bulk
    (bulk.py) at a third of the cost of an Entry each; a roster with any row that needs a message is read
    row by row (`read`), so every message is the same as it would be."""

    path: Path
    name: str  # as messages write it: rosters/staff.csv

    def read(self) -> tuple[list[Entry], list[Problem]]:
        """The roster's users, each an Entry, and the problems of the file and its rows."""
        return read_roster(self.path, self.name)


def read_roster(path: Path, name: str) -> tuple[list[Entry], list[Problem]]:
    """The schema-valid users of the roster at `path`, and the problems that leave the others out."""
    try:
        found = roster.load_roster(path, name)
    except ValidationError as exc:
        return [], exc.problems
    if found.problems:
        return [], found.problems
    problems, paths = check_users(found.doc, found.doc.data)
    bad_rows = {f.path[0] for f in paths if f.path}
    return [
        Entry(found.doc, (j,), row, origin)
        for j, (row, origin) in enumerate(zip(found.doc.data, found.origins))
        if j not in bad_rows
    ], problems
