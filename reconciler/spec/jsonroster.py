"""JSON rosters. The json module reads the whole list at C speed but keeps no positions, so where a
user starts (and a field inside it) is found by reading the text again with the same decoder, one
element at a time, and only when a message needs a place."""

from __future__ import annotations

import functools
import json
import re
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

from ..domain.errors import Problem, ValidationError
from .yamlload import Locator, Where, line_col, render_path

_WS = re.compile(r"[ \t\n\r]*")  # JSON's whitespace, which is narrower than str.isspace
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")  # JSON's escape for half of a surrogate pair
_DECODER = json.JSONDecoder()
_DEEPER = threading.RLock()  # one raised recursion limit at a time (see _with_headroom)
P = ParamSpec("P")
R = TypeVar("R")
_A_LIST = 'a roster holds a list: [{"upn": "ada@contoso.com", "usageLocation": "GB", "licenses": [...]}]'


def _with_headroom(scan: Callable[P, R]) -> Callable[P, R]:
    """Let `scan`, which reads a roster again, nest as deep as the first reading could.

    The decoder recurses once per level, within the recursion limit. A message is placed from
    deeper in the call stack than the file was read from, so a user nested near the limit, which
    the first reading took, could otherwise fail to be read again."""

    @functools.wraps(scan)
    def deeper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _DEEPER:
            limit = sys.getrecursionlimit()
            sys.setrecursionlimit(limit + 200)
            try:
                return scan(*args, **kwargs)
            finally:
                sys.setrecursionlimit(limit)

    return deeper


def json_users(text: str, name: str) -> tuple[list[Any], Callable[[], list[int]], Locator]:
    """(users, the line each user starts on, a locator for any path) of a JSON roster; ValidationError
    if malformed. The lines and the locator read the file a second time on their first call, so call
    them only for a message."""
    duplicated = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal duplicated
        out = dict(items)
        duplicated = duplicated or len(out) < len(items)
        return out

    start = _skip(text, 0)
    try:
        users, end = json.JSONDecoder(object_pairs_hook=pairs).raw_decode(text, start)
    except (ValueError, RecursionError):  # a JSONDecodeError is a ValueError
        raise ValidationError([_malformed(text, name)]) from None
    if not isinstance(users, list):
        raise ValidationError([_at(name, text, start, "expected a list of users", _A_LIST)])
    if text[end:].strip():
        raise ValidationError([_at(name, text, _skip(text, end), "malformed JSON: extra data after the list")])

    @functools.cache
    @_with_headroom
    def offsets() -> list[int]:
        return [pos for _, _, pos, _ in _members(text, start)]

    @functools.cache
    def lines() -> list[int]:
        return _lines_of(text, offsets())

    if _SURROGATE.search(text):
        unpaired = [i for i, user in enumerate(users) if _unpaired_surrogate(user)]
        if unpaired:
            raise ValidationError(
                [
                    Problem(
                        name,
                        lines()[i],
                        1,
                        render_path((i,)),
                        "an escape such as \\ud800 stands for half a character",
                        "write the character itself, or both halves of its surrogate pair",
                    )
                    for i in unpaired
                ]
            )
    if duplicated:
        raise ValidationError(_duplicates(text, name, offsets()))

    def locate(where: Where, key: bool) -> tuple[int, int]:
        if not where or not isinstance(where[0], int) or not 0 <= where[0] < len(users):
            return line_col(text, 0)
        return line_col(text, _find(text, offsets()[where[0]], where[1:], key))

    return users, lines, locate


@_with_headroom
def _malformed(text: str, name: str) -> Problem:
    """The first problem in a roster the decoder refused, found again one user at a time, so that
    the list's own mistakes (a trailing comma, a missing one, no ']') are named as such and a
    number too long to convert points at its user."""
    start = _skip(text, 0)
    try:
        if text[start] != "[":
            _DECODER.raw_decode(text, start)  # malformed JSON is reported as such first
            return _at(name, text, start, "expected a list of users", _A_LIST)
        for _ in _members(text, start):
            pass
    except json.JSONDecodeError as exc:
        return Problem(name, exc.lineno, exc.colno, "", f"malformed JSON: {exc.msg}")
    except IndexError:
        return _at(name, text, len(text), "malformed JSON: the list is not closed")
    except RecursionError:
        return Problem(name, 1, 1, "", "malformed JSON: nested too deeply")
    except ValueError as exc:  # a number too long to convert, where a list was expected
        return _at(name, text, 0, f"malformed JSON: {_reason(exc)}")
    # Read one by one, users are a level less deep than the whole list: at the recursion limit, only
    # the list can fail.
    return Problem(name, 1, 1, "", "malformed JSON: nested too deeply")


def _members(text: str, pos: int) -> Iterator[tuple[int | None, str | int, int, int]]:
    """(key offset or None, key or index, value offset, value end) of each member of the object or
    array at `pos` (none for a scalar), each value read by the json module's decoder. Raises
    JSONDecodeError at a misplaced comma or a missing one, IndexError if the text ends first."""
    if text[pos] not in "[{":
        return
    closer = "}" if text[pos] == "{" else "]"
    pos = _skip(text, pos + 1)
    index = 0
    while text[pos] != closer:
        key_pos: int | None = None
        key: str | int = index
        if closer == "}":
            key_pos = pos
            key, pos = _DECODER.raw_decode(text, pos)
            pos = _skip(text, _skip(text, pos) + 1)  # past the ':'
        try:
            _, end = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError:
            raise
        except ValueError as exc:  # "Exceeds the limit (4300 digits) for integer string conversion: ..."
            raise json.JSONDecodeError(_reason(exc), text, pos) from None
        yield key_pos, key, pos, end
        pos = _skip(text, end)
        if text[pos] == ",":
            pos = _skip(text, pos + 1)
            if text[pos] == closer:
                raise json.JSONDecodeError(f"a comma before '{closer}' (JSON allows no trailing comma)", text, pos)
        elif text[pos] != closer:
            raise json.JSONDecodeError(f"expected ',' or '{closer}'", text, pos)
        index += 1


@_with_headroom
def _find(text: str, pos: int, where: Where, key: bool) -> int:
    """Offset of the value at `where` inside the JSON value at `pos` (of its key when `key`), as deep
    as the path exists."""
    found = pos
    for n, step in enumerate(where):
        hit = next(((k, v) for k, name, v, _ in _members(text, pos) if name == step), None)
        if hit is None:
            break
        key_pos, pos = hit
        found = key_pos if key and n == len(where) - 1 and key_pos is not None else pos
    return found


@_with_headroom
def _duplicates(text: str, name: str, offsets: list[int]) -> list[Problem]:
    problems = []
    for i, offset in enumerate(offsets):
        stack: list[tuple[int, Where]] = [(offset, (i,))]
        while stack:
            pos, path = stack.pop()
            seen: set[Any] = set()
            for key_pos, key, value_pos, _ in _members(text, pos):
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


def _unpaired_surrogate(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _lines_of(text: str, offsets: list[int]) -> list[int]:
    lines, line, last = [], 1, 0
    for offset in offsets:
        line += text.count("\n", last, offset)
        last = offset
        lines.append(line)
    return lines


def _skip(text: str, pos: int) -> int:
    """The offset of the first character at or after `pos` that is not JSON whitespace."""
    return _WS.match(text, pos).end()  # type: ignore[union-attr]  # [...]* always matches


def _reason(exc: ValueError) -> str:
    """'Exceeds the limit (4300 digits) for integer string conversion', without the advice after it."""
    return str(exc).split(":")[0]


def _at(name: str, text: str, pos: int, message: str, hint: str = "") -> Problem:
    line, col = line_col(text, pos)
    return Problem(name, line, col, "", message, hint)
