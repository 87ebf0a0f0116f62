"""Rosters: `spec.users` read from CSV, JSON or YAML files that the spec names (`- file: PATH`).

A roster is a list of users with the same fields as spec.users (upn, usageLocation, licenses,
profile). It is turned into the same plain data as an inline list and checked by the same
schema and rules, so a user is treated alike wherever it is written; only the locations differ.
Errors point at file:line:col like the spec's. The standard parsers read the files (csv, json,
yaml); the place of a cell or field is worked out again only for a message that needs it.

    upn,usageLocation,licenses,profile          # CSV: a header, then one user per row;
    ada@contoso.com,GB,SPE_E5;MCOEV,            # licenses are separated by ; or spaces
    bob@contoso.com,US,,calling                 # an empty cell is an absent field
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from ..domain.errors import Problem, ValidationError
from ..domain.model import Origin
from ..support.gc_pause import long_lived
from .jsonroster import json_users
from .yamlload import (
    MAX_BYTES,
    ROSTER_MAX_BYTES,
    Document,
    Where,
    decode,
    line_col,
    load_bytes,
    read_bytes,
    render_path,
)

COLUMNS = ("upn", "usageLocation", "licenses", "profile")


def resolve(spec_path: str, ref: str) -> tuple[Path, str]:
    """(the file to read, its name in messages) for `ref` written in the spec at `spec_path`.

    A roster must live beside the spec or below it: a spec reviewed in a pull request must not
    read files elsewhere on the machine that applies it (and echo their lines in errors).
    """
    folder = Path(spec_path).parent
    if Path(ref).is_absolute():
        raise ValueError("a roster path must be relative to the spec's folder")
    try:
        base = folder.resolve()
        target = (base / ref).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop, a name too long
        raise ValueError(f"cannot follow '{ref}': {getattr(exc, 'strerror', None) or exc}") from None
    if not target.is_relative_to(base):
        raise ValueError(f"'{ref}' leaves the spec's folder; keep rosters in the spec's folder or one below it")
    name = str(folder / ref) if str(folder) != "." else ref
    return target, name


@dataclass(frozen=True)
class Roster:
    """A roster read: its users as a Document (data is a list), where each is written (for messages:
    rosters/staff.csv:14), and problems of the file's own shape (a CSV row with too many cells) that
    do not stop the users being checked."""

    doc: Document
    origins: list[Origin]
    problems: list[Problem] = field(default_factory=list)


@long_lived
def load_roster(path: Path, name: str) -> Roster:
    """The roster at `path`; ValidationError if it cannot be read as a list of users at all."""
    suffix = path.suffix.lower()
    limit = ROSTER_MAX_BYTES if suffix in (".csv", ".json") else MAX_BYTES  # YAML keeps the spec's cap
    raw, total = read_bytes(path, name, limit)
    text = decode(raw, name, total, limit)
    if suffix == ".csv":
        return _csv(text, name)
    if not text.strip():
        raise ValidationError([Problem(name, 1, 1, "", "roster is empty", "write a list of users, or [] for none")])
    if suffix == ".json":
        users, lines, locate = json_users(text, name)
        return Roster(
            Document(name, users, None, locate, render_path), [_Line(name, lines, j) for j in range(len(users))]
        )
    doc = load_bytes(raw, name, total)
    if not isinstance(doc.data, list):
        raise ValidationError(
            [
                doc.problem(
                    (),
                    "expected a list of users",
                    "each item as in spec.users: {upn: ..., usageLocation: ..., licenses: [...]}",
                )
            ]
        )
    assert doc.root is not None
    return Roster(doc, [f"{name}:{node.start_mark.line + 1}" for node in doc.root.value])


class _Line:
    """Where a JSON roster's user j is written, for a message: people.json:14. Finding the line
    means reading the file again, so it is left to the message that shows it."""

    __slots__ = ("j", "lines", "name")  # one per user: a third of a partial's memory

    def __init__(self, name: str, lines: Callable[[], list[int]], j: int) -> None:
        self.name, self.lines, self.j = name, lines, j

    def __call__(self) -> str:
        return f"{self.name}:{self.lines()[self.j]}"


# ---- CSV -----------------------------------------------------------------------------------------


def _csv(text: str, name: str) -> Roster:
    # The csv module ends lines at \r, \n or \r\n; so do the line numbers, once all are \n.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = _Records(text)
    header: list[str | None] = []
    header_line = 0
    rows: list[dict[str, Any]] = []
    firsts: list[int] = []  # each row's first and last line (a quoted cell may span lines)
    lasts: list[int] = []
    problems: list[Problem] = []
    previous = 0
    try:
        for record in reader:
            first, previous = previous + 1, reader.line_num
            if not "".join(record).strip():
                continue
            if not header_line:
                header_line = first
                header = _header(record, name, first, partial(records.cells, first, previous), problems)
                continue
            if len(record) > len(header):
                body, cells = records.cells(first, previous)
                problems.append(
                    Problem(
                        name,
                        *_position(body, first, cells[len(header)]),
                        "",
                        f"this row has {len(record)} cells but the header names {len(header)} columns",
                        "separate licenses with ; (SPE_E5;MCOEV), or quote a cell that holds commas",
                    )
                )
            rows.append(_row(header, record))
            firsts.append(first)
            lasts.append(previous)
    except csv.Error as exc:
        problems.append(
            Problem(
                name,
                reader.line_num,
                1,
                "",
                f"malformed CSV: {exc}",
                "a quoted cell must end with a quote followed by a comma or the line's end",
            )
        )
    if not header_line and not problems:
        problems.append(
            Problem(name, 1, 1, "", "roster is empty", "the first line names the columns: " + ",".join(COLUMNS))
        )
    if problems and (not header_line or "upn" not in header or None in header):
        raise ValidationError(problems)  # without the columns, no row can be read
    columns = list(header)

    def locate(where: Where, key: bool) -> tuple[int, int]:
        if not where or not isinstance(where[0], int) or not 0 <= where[0] < len(firsts):
            return (header_line, 1)
        first = firsts[where[0]]
        if len(where) < 2 or where[1] not in columns:
            return (first, 1)
        body, cells = records.cells(first, lasts[where[0]])
        index = columns.index(str(where[1]))
        start = cells[index] if index < len(cells) - 1 else len(body)
        if len(where) > 2 and isinstance(where[2], int):
            tokens = list(re.finditer(r"[^;,\s\"]+", body[start : cells[index + 1] - 1]))
            if where[2] < len(tokens):
                start += tokens[where[2]].start()
        return _position(body, first, start)

    def field_name(where: Where) -> str:
        return str(where[1]) if len(where) > 1 else ""

    return Roster(Document(name, rows, None, locate, field_name), [f"{name}:{line}" for line in firsts], problems)


class _Records:
    """A CSV roster's text, read again only to point into a record: split into lines on first use."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: list[str] = []

    def cells(self, first: int, last: int) -> tuple[str, list[int]]:
        """The text of the record on lines `first` to `last`, and the offset where each of its cells
        starts, then one past its end.

        The csv module reads the record again, strictly: a cell is then written either as read or,
        when its text starts with a quote, between quotes with each quote inside doubled; so the
        length of its text follows from what was read."""
        if not self.lines:
            self.lines = self.text.split("\n")
        body = "\n".join(self.lines[first - 1 : last])
        starts, pos = [], 0
        for cell in next(csv.reader(io.StringIO(body, newline=""), strict=True)):
            starts.append(pos)
            quoted = body.startswith('"', pos)
            pos += len(cell) + (2 + cell.count('"') if quoted else 0) + 1  # and the comma after it
        return body, [*starts, pos]


def _position(body: str, first: int, offset: int) -> tuple[int, int]:
    """(line, col) of `offset` in a record's text that starts on line `first`."""
    line, col = line_col(body, offset)
    return first + line - 1, col


def _header(
    record: list[str], name: str, line: int, cells: Callable[[], tuple[str, list[int]]], problems: list[Problem]
) -> list[str | None]:
    """Column names, canonical case; unknown ones are reported (and None). `cells` finds where the
    header's cells start, for those messages."""
    known = {c.lower(): c for c in COLUMNS}
    if any("@" in cell for cell in record):
        problems.append(
            Problem(
                name,
                line,
                1,
                "",
                "the first line holds a user, not the column names",
                "start the file with the header line: " + ",".join(COLUMNS),
            )
        )
        return [None]
    out: list[str | None] = []
    for k, cell in enumerate(record):
        column = known.get(cell.strip().lower())
        if column is None or column in out:
            col = cells()[1][k] + 1  # the header's text is read again only for a message
            if column is not None:
                problems.append(Problem(name, line, col, "", f"column '{column}' appears twice"))
            elif cell.strip():
                near = difflib.get_close_matches(cell.strip(), COLUMNS, n=1, cutoff=0.5)
                hint = f"did you mean '{near[0]}'?" if near else "columns: " + ",".join(COLUMNS)
                if ";" in cell and any(part.strip().lower() in known for part in cell.split(";")):
                    # Excel in many European locales saves CSV with semicolons between the columns.
                    hint = (
                        "the columns are separated by ';'; tenantctl reads ',' (in Excel: CSV UTF-8, comma delimited)"
                    )
                problems.append(Problem(name, line, col, "", f"unknown column '{cell.strip()}'", hint))
            else:
                what, hint = f"column {k + 1} of the header has no name", "name it, or remove the trailing comma"
                problems.append(Problem(name, line, col, "", what, hint))
        out.append(column)
    if "upn" not in out and not problems:
        problems.append(
            Problem(
                name,
                line,
                1,
                "",
                "the header has no 'upn' column",
                "the first line names the columns: " + ",".join(COLUMNS),
            )
        )
    return out


def _row(header: list[str | None], record: list[str]) -> dict[str, Any]:
    """One user as spec.users writes it; empty cells are absent fields."""
    user: dict[str, Any] = {}
    for column, cell in zip(header, record):
        value = cell.strip()
        if value and column is not None:
            # Licenses are separated by ; , or whitespace; str.split() takes the runs of whitespace.
            user[column] = value.replace(";", " ").replace(",", " ").split() if column == "licenses" else value
    return user
