"""Rosters: `spec.users` read from CSV, JSON or YAML files that the spec names (`- file: PATH`).

A roster is a list of users with the same fields as spec.users (upn, usageLocation, licenses,
profile). It is turned into the same plain data as an inline list and checked by the same
schema and rules, so a user is treated alike wherever it is written; only the locations differ.
Every format keeps the line of each user, so errors point at file:line:col like the spec's.

    upn,usageLocation,licenses,profile          # CSV: a header, then one user per row;
    ada@contoso.com,GB,SPE_E5;MCOEV,            # licenses are separated by ; or spaces
    bob@contoso.com,US,,calling                 # an empty cell is an absent field
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any, Iterator

from .errors import Problem, ValidationError
from .longlived import long_lived
from .yamlload import Document, Where, decode, load_bytes, read_bytes, render_path

COLUMNS = ("upn", "usageLocation", "licenses", "profile")
SUFFIXES = (".csv", ".json", ".yaml", ".yml")
_LICENSE_SPLIT = re.compile(r"[;,\s]+")
_WS = re.compile(r"[ \t\n\r]*")


def resolve(spec_path: str, ref: str) -> tuple[Path, str]:
    """(the file to read, its name in messages) for `ref` written in the spec at `spec_path`.

    A roster must live beside the spec or below it: a spec reviewed in a pull request must not
    read files elsewhere on the machine that applies it (and echo their lines in errors).
    """
    folder = Path(spec_path).parent
    if Path(ref).is_absolute():
        raise ValueError("a roster path must be relative to the spec's folder")
    base = folder.resolve()
    target = (base / ref).resolve()
    if not target.is_relative_to(base):
        raise ValueError(f"'{ref}' leaves the spec's folder; keep rosters beside the spec or in a folder below it")
    name = str(folder / ref) if str(folder) != "." else ref
    return target, name


@dataclass(frozen=True)
class Roster:
    """A roster read: its users as a Document (data is a list), each user's line, and problems of
    the file's own shape (a CSV row with too many cells) that do not stop the users being checked."""

    doc: Document
    lines: list[int]
    problems: list[Problem] = field(default_factory=list)


@long_lived
def load_roster(path: Path, name: str) -> Roster:
    """The roster at `path`; ValidationError if it cannot be read as a list of users at all."""
    raw, total = read_bytes(path)
    text = decode(raw, name, total)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv(text, name)
    if not text.strip():
        raise ValidationError([Problem(name, 1, 1, "", "roster is empty", "write a list of users, or [] for none")])
    if suffix == ".json":
        return _json(text, name)
    doc = load_bytes(raw, name, total)
    if not isinstance(doc.data, list):
        raise ValidationError([doc.problem((), "expected a list of users", "each item as in spec.users: "
                                           "{upn: ..., usageLocation: ..., licenses: [...]}")])
    assert doc.root is not None
    return Roster(doc, [node.start_mark.line + 1 for node in doc.root.value])


# ---- CSV -----------------------------------------------------------------------------------------


def _csv(text: str, name: str) -> Roster:
    reader = csv.reader(io.StringIO(text, newline=""))
    lines = text.split("\n")
    header: list[str | None] = []
    header_line = 0
    rows: list[dict[str, Any]] = []
    starts: list[int] = []
    problems: list[Problem] = []
    previous = 0
    try:
        for record in reader:
            line, previous = previous + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if not header_line:
                header_line = line
                header = _header(record, name, line, lines[line - 1], problems)
                continue
            if len(record) > len(header):
                cells = _cell_starts(lines[line - 1])
                problems.append(Problem(name, line, cells[min(len(header), len(cells) - 1)] + 1, "",
                                        f"this row has {len(record)} cells but the header names {len(header)} "
                                        "columns", "separate licenses with ; (SPE_E5;MCOEV), or quote a cell "
                                        "that holds commas"))
            rows.append(_row(header, record))
            starts.append(line)
    except csv.Error as exc:
        problems.append(Problem(name, reader.line_num, 1, "", f"malformed CSV: {exc}"))
    if not header_line:
        problems.append(Problem(name, 1, 1, "", "roster is empty", "the first line names the columns: "
                                + ",".join(COLUMNS)))
    if not header_line or "upn" not in header or None in header:
        raise ValidationError(problems)  # without the columns, no row can be read
    columns = list(header)

    def locate(where: Where, key: bool) -> tuple[int, int]:
        if not where or not isinstance(where[0], int) or not 0 <= where[0] < len(starts):
            return (header_line, 1)
        line = starts[where[0]]
        if len(where) < 2 or where[1] not in columns:
            return (line, 1)
        text_line = lines[line - 1]
        cells = _cell_starts(text_line)
        index = columns.index(str(where[1]))
        col = cells[index] if index < len(cells) else len(text_line)
        if len(where) > 2 and isinstance(where[2], int):
            end = cells[index + 1] - 1 if index + 1 < len(cells) else len(text_line)
            tokens = list(re.finditer(r"[^;,\s\"]+", text_line[col:end]))
            if where[2] < len(tokens):
                col += tokens[where[2]].start()
        return (line, col + 1)

    def field_name(where: Where) -> str:
        return str(where[1]) if len(where) > 1 else ""
    return Roster(Document(name, rows, None, locate, field_name), starts, problems)


def _header(record: list[str], name: str, line: int, text: str, problems: list[Problem]) -> list[str | None]:
    """Column names, canonical case; unknown ones are reported (and None)."""
    known = {c.lower(): c for c in COLUMNS}
    cells = _cell_starts(text)
    if any("@" in cell for cell in record):
        problems.append(Problem(name, line, 1, "", "the first line holds a user, not the column names",
                                "start the file with the header line: " + ",".join(COLUMNS)))
        return [None]
    out: list[str | None] = []
    for k, cell in enumerate(record):
        col = cells[k] + 1 if k < len(cells) else 1
        column = known.get(cell.strip().lower())
        if column is None:
            near = difflib.get_close_matches(cell.strip(), COLUMNS, n=1, cutoff=0.5)
            hint = f"did you mean '{near[0]}'?" if near else "columns: " + ",".join(COLUMNS)
            problems.append(Problem(name, line, col, "", f"unknown column '{cell.strip()}'", hint))
        elif column in out:
            problems.append(Problem(name, line, col, "", f"column '{column}' appears twice"))
        out.append(column)
    if "upn" not in out and not problems:
        problems.append(Problem(name, line, 1, "", "the header has no 'upn' column",
                                "the first line names the columns: " + ",".join(COLUMNS)))
    return out


def _row(header: list[str | None], record: list[str]) -> dict[str, Any]:
    """One user as spec.users writes it; empty cells are absent fields."""
    user: dict[str, Any] = {}
    for column, cell in zip(header, record):
        value = cell.strip()
        if not value or column is None:
            continue
        user[column] = [s for s in _LICENSE_SPLIT.split(value) if s] if column == "licenses" else value
    return user


def _cell_starts(line: str) -> list[int]:
    """Offsets where each cell of one CSV line starts (commas inside quotes do not count)."""
    starts, quoted = [0], False
    for pos, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            starts.append(pos + 1)
    return starts


# ---- JSON ----------------------------------------------------------------------------------------


def _json(text: str, name: str) -> Roster:
    """Parse element by element, so each user's offset is known without a second pass."""
    duplicated = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal duplicated
        out = dict(items)
        duplicated = duplicated or len(out) < len(items)
        return out
    decoder = json.JSONDecoder(object_pairs_hook=pairs)
    offsets: list[int] = []
    users: list[Any] = []
    try:
        pos = _WS.match(text, 0).end()  # type: ignore[union-attr]
        if text[pos] != "[":
            decoder.raw_decode(text, pos)  # malformed JSON is reported as such first
            raise ValidationError([_at(name, text, pos, "expected a list of users", 'a roster holds a list: '
                                       '[{"upn": "ada@contoso.com", "usageLocation": "GB", "licenses": [...]}]')])
        pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
        while text[pos] != "]":
            offsets.append(pos)
            user, pos = decoder.raw_decode(text, pos)
            users.append(user)
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            if text[pos] == ",":
                pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
            elif text[pos] != "]":
                raise json.JSONDecodeError("expected ',' or ']'", text, pos)
        if text[pos + 1:].strip():
            raise json.JSONDecodeError("extra data after the list", text, _WS.match(text, pos + 1).end())  # type: ignore[union-attr]
    except json.JSONDecodeError as exc:
        raise ValidationError([Problem(name, exc.lineno, exc.colno, "", f"malformed JSON: {exc.msg}")]) from None
    except IndexError:
        raise ValidationError([_at(name, text, len(text), "malformed JSON: the list is not closed")]) from None
    except RecursionError:
        raise ValidationError([Problem(name, 1, 1, "", "malformed JSON: nested too deeply")]) from None
    starts = _lines_of(text, offsets)
    if duplicated:
        raise ValidationError(_duplicates(text, name, offsets))

    def locate(where: Where, key: bool) -> tuple[int, int]:
        if not where or not isinstance(where[0], int) or not 0 <= where[0] < len(offsets):
            return _line_col(text, 0)
        found = _find(text, offsets[where[0]], where[1:], key)
        return _line_col(text, found)
    return Roster(Document(name, users, None, locate, render_path), starts)


def _find(text: str, pos: int, where: Where, key: bool) -> int:
    """Offset of the value at `where` inside the JSON value at `pos` (of its key when `key`), as deep
    as the path exists. Only called to report an error, and only within one user."""
    found = pos
    for n, step in enumerate(where):
        hit = _child_at(text, pos, step)
        if hit is None:
            break
        key_pos, pos = hit
        found = key_pos if key and n == len(where) - 1 and key_pos is not None else pos
    return found


def _child_at(text: str, pos: int, step: str | int) -> tuple[int | None, int] | None:
    """(key offset, value offset) of child `step` of the object or array at `pos`."""
    for key_pos, name, value_pos, _ in _children(text, pos):
        if name == step:
            return key_pos, value_pos
    return None


def _children(text: str, pos: int) -> Iterator[tuple[int | None, str | int, int, int]]:
    """(key offset or None, key or index, value offset, value end) of each child of a container."""
    opener = text[pos]
    if opener not in "[{":
        return
    pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    index = 0
    skip = json.JSONDecoder()
    while text[pos] not in "]}":
        key_pos: int | None = None
        name: str | int = index
        if opener == "{":
            key_pos = pos
            name, pos = scanstring(text, pos + 1)
            pos = _WS.match(text, _WS.match(text, pos).end() + 1).end()  # type: ignore[union-attr]
        _, end = skip.raw_decode(text, pos)
        yield key_pos, name, pos, end
        pos = _WS.match(text, end).end()  # type: ignore[union-attr]
        if text[pos] == ",":
            pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
        index += 1


def _duplicates(text: str, name: str, offsets: list[int]) -> list[Problem]:
    problems = []
    for i, offset in enumerate(offsets):
        stack: list[tuple[int, Where]] = [(offset, (i,))]
        while stack:
            pos, path = stack.pop()
            seen: set[Any] = set()
            for key_pos, key, value_pos, _ in _children(text, pos):
                if key_pos is not None and key in seen:
                    line, col = _line_col(text, key_pos)
                    problems.append(Problem(name, line, col, render_path(path + (key,)), f"duplicate key '{key}'",
                                            "JSON keeps only the last one, which would silently change what is "
                                            "applied; remove one"))
                seen.add(key)
                stack.append((value_pos, path + (key,)))
    return problems


def _lines_of(text: str, offsets: list[int]) -> list[int]:
    lines, line, last = [], 1, 0
    for offset in offsets:
        line += text.count("\n", last, offset)
        last = offset
        lines.append(line)
    return lines


def _line_col(text: str, pos: int) -> tuple[int, int]:
    return text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)


def _at(name: str, text: str, pos: int, message: str, hint: str = "") -> Problem:
    line, col = _line_col(text, pos)
    return Problem(name, line, col, "", message, hint)
