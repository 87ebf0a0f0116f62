"""A CSV roster's users judged in bulk: the common case of a very large roster, at a fraction of the cost.

A million-user roster is a million plain rows (a valid UPN, a country, licenses from a short list) whose
users hold a handful of distinct license lists. bulk_users reads the file once, checks each row's UPN,
and judges each distinct rest of a row (usageLocation, licenses, profile) once, by the same rules as a
user read alone (users.Judge). A row it cannot vouch for (a schema error, a broken rule, a duplicate, a
malformed line, an odd header) makes it give the roster up: it is then read row by row (entries.py), so
every message is the one that row would get. Nothing it judged is kept when it gives up.
"""

from __future__ import annotations

import csv
import io
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..domain.errors import Problem, ValidationError
from ..domain.model import UserSpec
from ..support.gc_pause import long_lived
from .roster import COLUMNS, _header, _row
from .schema import UPN, UPN_MAX, plain_user
from .yamlload import ROSTER_MAX_BYTES, decode, read_bytes

if TYPE_CHECKING:
    from .users import Judge


@long_lived
def bulk_users(path: Path, name: str, judge: Judge, listed: dict[str, UserSpec]) -> dict[str, UserSpec] | None:
    """The users of the CSV roster at `path` (`name` in messages), numbered on from `listed` (the users
    before it), or None if any row needs the roster read row by row."""
    try:
        raw, total = read_bytes(path, name, ROSTER_MAX_BYTES)
        text = decode(raw, name, total, ROSTER_MAX_BYTES)
    except ValidationError:
        return None
    # As roster._csv reads it: lines end at \r, \n or \r\n, and are numbered so.
    reader = csv.reader(io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n"), newline=""), strict=True)
    header: list[str | None] | None = None
    out: dict[str, UserSpec] = {}
    judged: dict[Any, tuple[str | None, frozenset[str], Any]] = {}  # the rest of a row -> its judgement
    previous, index = 0, len(listed)
    try:
        for record in reader:
            first, previous = previous + 1, reader.line_num
            if header is None:
                if "".join(record).strip():
                    header = _columns(record, name, first)
                    if header is None:
                        return None
                    width, upn_at = len(header), header.index("upn")
                    rest = [k for k in range(width) if k != upn_at]
                    rest_of: Any = itemgetter(*rest) if rest else (lambda _: ())
                continue
            if len(record) != width:
                if len(record) > width:
                    return None  # roster._csv reports the extra cells
                record += [""] * (width - len(record))
            upn = record[upn_at].strip()
            if not upn:
                if "".join(record).strip():
                    return None  # a user without a UPN
                continue  # a blank line, as roster._csv skips it
            if len(upn) > UPN_MAX or UPN.match(upn) is None:  # the pattern is anchored: ^...$
                return None
            key = rest_of(record)
            verdict = judged.get(key)
            if verdict is None:
                row = _row(header, record)
                found = judge.quietly(row) if plain_user(row) else None
                if found is None:
                    return None
                verdict = judged[key] = (row.get("usageLocation"), *found)
            folded = upn.lower()
            if folded in out or (listed and folded in listed):
                return None  # a duplicate: reported where both are written
            location, licenses, disabled = verdict
            out[folded] = UserSpec(upn, location, licenses, index, f"{name}:{first}", disabled)
            index += 1
    except csv.Error:
        return None
    return out if header is not None else None


def _columns(record: list[str], name: str, line: int) -> list[str | None] | None:
    """The header's columns, or None if roster._csv would report anything about it."""
    problems: list[Problem] = []
    header = _header(record, name, line, lambda: ("", [0] * (len(record) + 1)), problems)
    return header if not problems and "upn" in header and set(header) <= set(COLUMNS) else None
