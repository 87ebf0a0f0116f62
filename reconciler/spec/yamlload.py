"""Load YAML into plain data while keeping the node tree, so any error can point at file:line:col.

Stricter than yaml.safe_load on purpose, because a silently misread spec changes what is bought:
- a duplicated mapping key is an error (PyYAML keeps the last one);
- only YAML 1.2 booleans (true/false): `usageLocation: NO` is Norway, not false;
- no dates: `2026-02-01` stays a string and is checked by the schema;
- no tags beyond the plain ones (`!!python/object` and friends are rejected);
- one document per file, and a cap on alias expansion (billion laughs).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate, count
from pathlib import Path
from typing import Any

import yaml

from ..domain.errors import Problem, ValidationError
from ..support.gc_pause import long_lived

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_NODES = 2_000_000  # expanded nodes; a 100,000-user spec is about 1 million
MAX_BYTES = 32 * 1024 * 1024  # a 100,000-user spec is about 10 MB
# CSV and JSON rosters are read by the standard parsers, without a node tree: a million users is 40 to 90 MB.
ROSTER_MAX_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 100  # nesting; a spec is about six levels deep
_BRACKETS = re.compile(r"[\[\]{}]")
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")
_WEIGHTS = bytes.maketrans(b"[{]}", bytes([2, 2, 0, 0]))

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


def _shown(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


class _StrictLoader(_BaseLoader):  # type: ignore[misc]
    """A safe loader whose implicit types follow YAML 1.2's core schema."""


_StrictLoader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in (
    (_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (_INT, r"^[-+]?[0-9]+$", "-+0123456789"),
    (_FLOAT, r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$", "-+.0123456789"),
    (_NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
):
    _StrictLoader.add_implicit_resolver(_tag, re.compile(_regexp), list(_first))


Where = tuple[str | int, ...]
Locator = Callable[[Where, bool], tuple[int, int]]  # (line, col) of a path; of its key when asked


@dataclass
class Document:
    """Parsed input: plain data plus a way to locate any path in it.

    A YAML file keeps its node tree (`root`); other formats (JSON and CSV rosters) bring their
    own `locator`, and may name fields their own way (`field_name`).
    """

    path: str
    data: Any
    root: yaml.Node | None
    locator: Locator | None = None
    field_name: Callable[[Where], str] | None = None

    def locate(self, where: Where, key: bool = False) -> tuple[int, int]:
        """(line, col), 1-based, of the node at `where`; of its key when `key` is true.

        Walks as deep as the path exists, so a missing field points at its parent.
        """
        if self.locator is not None:
            return self.locator(where, key)
        node = self.root
        if node is None:
            return (1, 1)
        mark = node.start_mark
        for step in where:
            child, key_node = _child(node, step)
            if child is None:
                break
            mark = (key_node if key and step == where[-1] and key_node is not None else child).start_mark
            node = child
        return (mark.line + 1, mark.column + 1)

    def problem(self, where: tuple[str | int, ...], message: str, hint: str = "", key: bool = False) -> Problem:
        """A Problem located at `where` in this document."""
        line, col = self.locate(where, key=key)
        field = self.field_name(where) if self.field_name else render_path(where)
        return Problem(self.path, line, col, field, message, hint)


def _child(node: yaml.Node, step: str | int) -> tuple[yaml.Node | None, yaml.Node | None]:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == step:
                return v, k
    elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        return node.value[step], None
    return None, None


def render_path(where: tuple[str | int, ...]) -> str:
    """('spec', 'users', 3, 'upn') -> 'spec.users[3].upn'."""
    out = ""
    for step in where:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def load_file(path: str | Path) -> Document:
    """Read and parse one YAML file; raise ValidationError with a location on any problem."""
    raw, total = read_bytes(path)
    return load_bytes(raw, str(path), total)


def read_bytes(path: str | Path, name: str | None = None, limit: int = MAX_BYTES) -> tuple[bytes, int]:
    """At most `limit` + 1 bytes of a file, and its size; an error naming `name` if it cannot be read."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)  # never read a huge file whole just to refuse it
            total = Path(path).stat().st_size
    except OSError as exc:
        raise ValidationError(
            [Problem(name or str(path), 0, 0, "", f"cannot read file: {exc.strerror or exc}")]
        ) from None
    return raw, total


def decode(raw: bytes, name: str, total: int | None = None, limit: int = MAX_BYTES) -> str:
    """UTF-8 text of an input file (without a byte-order mark), or a located error: too big, not UTF-8."""
    if len(raw) > limit:
        line = raw.count(b"\n", 0, limit) + 1
        col = limit - raw.rfind(b"\n", 0, limit)
        size = (total or len(raw)) / (1024 * 1024)
        raise ValidationError(
            [
                Problem(
                    name,
                    line,
                    col,
                    "",
                    f"the file passes the {limit // (1024 * 1024)} MiB limit here (it is {size:.1f} MiB)",
                    "a file this large is almost certainly not what you meant to load; "
                    "split it (one file per tenant, or several rosters)",
                )
            ]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        col = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1  # characters, not bytes
        raise ValidationError(
            [
                Problem(
                    name,
                    line,
                    col,
                    "",
                    "file is not valid UTF-8",
                    f"byte 0x{raw[exc.start]:02x}; save the file as UTF-8",
                )
            ]
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


@long_lived
def load_bytes(raw: bytes, name: str, total: int | None = None) -> Document:
    """Parse YAML bytes named `name` (used in messages); `total` is the file size when `raw` is a prefix."""
    text = decode(raw, name, total)
    deep = _too_deep(raw, text)
    if deep is not None:
        line, col = line_col(text, deep)
        raise ValidationError(
            [
                Problem(
                    name,
                    line,
                    col,
                    "",
                    f"nested more than {MAX_DEPTH} levels deep",
                    "a spec is a few levels deep; this looks like a generated or hostile file",
                )
            ]
        )
    try:
        nodes = list(yaml.compose_all(text, Loader=_StrictLoader))
    except yaml.MarkedYAMLError as exc:
        raise ValidationError([_syntax_problem(name, text, exc)]) from None
    except yaml.YAMLError as exc:
        raise ValidationError([Problem(name, 0, 0, "", f"malformed YAML: {exc}")]) from None
    except RecursionError:  # block nesting, which the bracket count below does not see; where is lost, so line 1
        raise ValidationError([Problem(name, 1, 1, "", f"nested more than {MAX_DEPTH} levels deep")]) from None
    while len(nodes) > 1 and _is_empty(nodes[-1]):
        nodes.pop()  # a trailing `---` opens no real document
    if not nodes or _is_empty(nodes[0]):
        raise ValidationError(
            [Problem(name, 1, 1, "", "file is empty", "expected a YAML mapping with apiVersion, kind, metadata")]
        )
    if len(nodes) > 1:
        mark = nodes[1].start_mark
        raise ValidationError(
            [
                Problem(
                    name,
                    mark.line + 1,
                    mark.column + 1,
                    "",
                    "file holds several YAML documents; one per file",
                    "put each tenant in its own file",
                )
            ]
        )
    converter = _Converter(name)
    try:
        data = converter.convert(nodes[0])
    except RecursionError:  # where it started is lost with the stack: the document's first line is given
        at, why = nodes[0].start_mark, f"nested more than {MAX_DEPTH} levels deep, or an alias refers to itself"
        raise ValidationError([Problem(name, at.line + 1, at.column + 1, "", why)]) from None
    if converter.found:
        raise ValidationError(converter.problems(nodes[0]))
    return Document(name, data, nodes[0])


def line_col(text: str, offset: int) -> tuple[int, int]:
    """(line, col), 1-based, of a character offset in `text`."""
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def _too_deep(raw: bytes, text: str) -> int | None:
    """Where flow collections ([ and {) nest deeper than MAX_DEPTH in `text`, if they do.

    libyaml's composer recurses in C: a few hundred thousand [ in a row overflow the stack and kill
    the process before any error can be reported. Counting brackets (in comments and strings too) is
    rough, but a real spec is a few levels deep, far below the limit. The count runs in C over the
    bytes (25 ms for 100,000 users); only a file that fails it is scanned again for the place.
    """
    brackets = raw.translate(None, _NOT_BRACKETS).translate(_WEIGHTS)  # [ and { weigh 2, ] and } 0
    if max(map(operator.sub, accumulate(brackets), count(1)), default=0) <= MAX_DEPTH:  # opened - closed
        return None
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_DEPTH:
            return match.start()
    return None


def _is_empty(node: yaml.Node | None) -> bool:
    return node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL and node.value in ("", "~"))


def _syntax_problem(name: str, text: str, exc: yaml.MarkedYAMLError) -> Problem:
    """A YAML syntax error, located where the user must look."""
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    what, hint = exc.problem or "malformed YAML", ""
    context = exc.context or ""
    if "flow" in context and exc.context_mark is not None:
        # An unclosed [ or { is reported where parsing gave up; the fix is at the opener.
        opener = exc.context_mark
        hint = f"the {'[' if 'sequence' in context else '{'} here is not closed; parsing stopped at line {line}"
        line, col = opener.line + 1, opener.column + 1
    lines = text.splitlines()
    if 0 < line <= len(lines) and "\t" in lines[line - 1][: max(col, 1)]:
        hint = "YAML indentation must use spaces, not tabs"
    return Problem(name, line, col, "", f"malformed YAML: {what}", hint)


def _path_to(root: yaml.Node, target: yaml.Node) -> tuple[str | int, ...]:
    """The data path of `target` inside `root` (only used to describe an error, so not hot)."""
    stack: list[tuple[yaml.Node, tuple[str | int, ...]]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen:
            continue
        seen.add(id(node))
        # Children are pushed in reverse so they are visited in document order: with aliases, the
        # path reported is the one where the node is written, not a longer route through an alias.
        if isinstance(node, yaml.MappingNode):
            for k, v in reversed(node.value):
                if k is target:
                    return path + (str(k.value),)
                stack.append((v, path + (str(k.value),)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, path + (i,)) for i, child in reversed(list(enumerate(node.value))))
    return ()


class _Converter:
    """Node tree -> plain Python, collecting problems instead of stopping at the first."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0
        self.found: list[tuple[yaml.Node, str, str]] = []

    def _problem(self, node: yaml.Node, message: str, hint: str = "") -> None:
        self.found.append((node, message, hint))

    def problems(self, root: yaml.Node) -> list[Problem]:
        """The problems found, each with its location and field path."""
        return [
            Problem(
                self.name,
                node.start_mark.line + 1,
                node.start_mark.column + 1,
                render_path(_path_to(root, node)),
                message,
                hint,
            )
            for node, message, hint in self.found
        ]

    def convert(self, node: yaml.Node) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            if self.count == MAX_NODES + 1:
                self._problem(
                    node,
                    f"document expands to more than {MAX_NODES:,} nodes",
                    "aliases (*name) multiply content; write the values out or remove them",
                )
            return None
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                self._problem(node, f"tag {_shown(node.tag)} is not allowed", "remove the tag")
            return [self.convert(child) for child in node.value]
        if node.tag != _MAP:
            self._problem(node, f"tag {_shown(node.tag)} is not allowed", "remove the tag")
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(key_node, "mapping keys must be plain scalars")
                continue
            if key_node.value == "<<" and not key_node.style:  # plain (libyaml gives "", PyYAML None)
                self._problem(
                    key_node,
                    "YAML merge keys (<<) are not supported",
                    "write the fields out in full; a license profile can share a list of SKUs",
                )
                continue
            key = self._scalar(key_node)
            if not isinstance(key, str):
                key = str(key_node.value)
            if key in out:
                self._problem(
                    key_node,
                    f"duplicate key '{key}'",
                    "YAML keeps only the last one, which would silently change what is applied; remove one",
                )
                continue
            out[key] = self.convert(value_node)
        return out

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        tag, value = node.tag, node.value
        if tag == _STR:
            return value
        if tag == _INT:
            return int(value)
        if tag == _FLOAT:
            number = float(value)
            if not math.isfinite(number):
                self._problem(node, f"the number {value} is too large", "write a finite number")
                return None
            return number
        if tag == _BOOL:
            return value.lower() == "true"
        if tag == _NULL:
            return None
        self._problem(node, f"tag {_shown(tag)} is not allowed", "only plain strings, numbers, booleans and null")
        return None
