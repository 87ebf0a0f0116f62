"""JSON rosters with positions: Python's json module gives none, so users are read one by one
(each one's offset kept), and the offset of a field inside a user is found again only to report
an error in it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from ..domain.errors import Problem, ValidationError
from .yamlload import Where, line_col, render_path

_WS = re.compile(r"[ \t\n\r]*")
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")  # JSON's escape for half of a surrogate pair


def json_users(text: str, name: str) -> tuple[list[Any], list[int], Callable[[Where, bool], tuple[int, int]]]:
    """(users, each user's line, a locator for any path) of a JSON roster; ValidationError if malformed.

    Parsed element by element, so each user's offset is known without a second pass."""
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
            raise ValidationError(
                [
                    _at(
                        name,
                        text,
                        pos,
                        "expected a list of users",
                        'a roster holds a list: [{"upn": "ada@contoso.com", "usageLocation": "GB", "licenses": [...]}]',
                    )
                ]
            )
        pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
        while text[pos] != "]":
            offsets.append(pos)
            user, pos = decoder.raw_decode(text, pos)
            users.append(user)
            pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
            if text[pos] == ",":
                pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
                if text[pos] == "]":
                    raise json.JSONDecodeError("a comma before ']' (JSON allows no trailing comma)", text, pos)
            elif text[pos] != "]":
                raise json.JSONDecodeError("expected ',' or ']'", text, pos)
        if text[pos + 1 :].strip():
            raise json.JSONDecodeError("extra data after the list", text, _WS.match(text, pos + 1).end())  # type: ignore[union-attr]
    except json.JSONDecodeError as exc:
        raise ValidationError([Problem(name, exc.lineno, exc.colno, "", f"malformed JSON: {exc.msg}")]) from None
    except IndexError:
        raise ValidationError([_at(name, text, len(text), "malformed JSON: the list is not closed")]) from None
    except RecursionError:
        raise ValidationError([Problem(name, 1, 1, "", "malformed JSON: nested too deeply")]) from None
    except ValueError as exc:  # a number too long to convert, say: at the user being read
        reason = str(exc).split(":")[0]  # "Exceeds the limit (4300 digits) for integer string conversion"
        raise ValidationError([_at(name, text, offsets[-1] if offsets else 0, f"malformed JSON: {reason}")]) from None
    starts = _lines_of(text, offsets)
    if _SURROGATE.search(text):
        unpaired = [i for i, user in enumerate(users) if _unpaired_surrogate(user)]
        if unpaired:
            raise ValidationError(
                [
                    Problem(
                        name,
                        starts[i],
                        1,
                        render_path((i,)),
                        "an escape such as \\ud800 stands for half a character",
                        "write the character itself, or both halves of its surrogate pair",
                    )
                    for i in unpaired
                ]
            )
    if duplicated:
        raise ValidationError(_duplicates(text, name, offsets))

    def locate(where: Where, key: bool) -> tuple[int, int]:
        if not where or not isinstance(where[0], int) or not 0 <= where[0] < len(offsets):
            return line_col(text, 0)
        found = _find(text, offsets[where[0]], where[1:], key)
        return line_col(text, found)

    return users, starts, locate


def _unpaired_surrogate(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


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
                    line, col = line_col(text, key_pos)
                    problems.append(
                        Problem(
                            name,
                            line,
                            col,
                            render_path(path + (key,)),
                            f"duplicate key '{key}'",
                            "JSON keeps only the last one, which would silently change what is applied; remove one",
                        )
                    )
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


def _at(name: str, text: str, pos: int, message: str, hint: str = "") -> Problem:
    line, col = line_col(text, pos)
    return Problem(name, line, col, "", message, hint)
