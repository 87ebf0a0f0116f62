"""Where roster users and their fields are, in files laid out the unusual ways people write them.

The csv and json modules read a roster in one pass and keep no positions; a user's line (JSON)
and a cell's or field's column are found again only for a message. These pin that the places
found again are the places in the file: after blank lines, line ends of every kind, a byte-order
mark, cells over several lines, doubled quotes, JSON escapes and surrogate pairs, duplicate keys.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES
from test_rosters import split_spec

from reconciler.domain.errors import Problem, ValidationError
from reconciler.spec import jsonroster, roster
from reconciler.spec.loader import load_spec

SPEC = """apiVersion: tenantctl/v1
kind: Tenant
metadata: {name: t}
spec:
  agreement: EA
  subscriptions:
    - {sku: ENTERPRISEPREMIUM, seats: 50}
  users:
    - file: people.%s
    - {upn: alice@contoso.com, usageLocation: US, licenses: [ENTERPRISEPREMIUM]}
"""


def write(folder: Path, fmt: str, content: str | bytes) -> Path:
    """A spec in `folder` whose users are the roster people.<fmt> (then alice, inline)."""
    (folder / f"people.{fmt}").write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    spec = folder / "spec.yaml"
    spec.write_text(SPEC % fmt)
    return spec


def problems(spec: Path) -> list[Problem]:
    with pytest.raises(ValidationError) as caught:
        load_spec(spec)
    return caught.value.problems


def places(spec: Path) -> dict[str, str]:
    """Each user's place, as messages name it (less the folder), by UPN."""
    return {upn: user.where.replace(f"{spec.parent}/", "") for upn, user in load_spec(spec).users.items()}


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_each_csv_user_keeps_its_line(tmp_path: Path, newline: str) -> None:
    rows = [
        "upn,usageLocation,licenses",
        "",
        'bob@contoso.com,US,"ENTERPRISEPREMIUM',  # a cell over three lines
        "",
        '"',
        " , ,",  # blank but for spaces
        '"carol@contoso.com","US","ENTERPRISEPREMIUM"',
        'dave@contoso.com,CA,"ENTERPRISEPREMIUM',
        '"',
    ]
    spec = write(tmp_path, "csv", ("\ufeff" + newline.join(rows) + newline).encode("utf-8"))
    assert places(spec) == {
        "bob@contoso.com": "people.csv:3",
        "carol@contoso.com": "people.csv:7",
        "dave@contoso.com": "people.csv:8",
        "alice@contoso.com": "spec.users[1]",
    }


@pytest.mark.parametrize(
    ("row", "col", "field"),
    [
        ('"o""brien@contoso.com",XX,ENTERPRISEPREMIUM', 24, "usageLocation"),  # doubled quotes before it
        ('"bob@contoso.com" ,US,ENTERPRISEPREMIUM', 1, "upn"),  # text after a closing quote: malformed
        ('bob@contoso.com,"U,S",ENTERPRISEPREMIUM', 17, "usageLocation"),
        ('bob@contoso.com,US,"ENTERPRISEPREMIUM;""MCOPSTN11"""', 41, "licenses"),  # the SKU '"MCOPSTN11"'
        ("bob@contoso.com,US,ENTERPRISEPREMIUM  ;  MCOPSTN11", 42, "licenses"),
        ('"b""o""b@contoso.com","",ENTERPRISEPREMIUM', 23, "usageLocation"),  # no usageLocation
    ],
)
def test_a_csv_cell_is_found_again_after_quoted_cells(tmp_path: Path, row: str, col: int, field: str) -> None:
    spec = write(tmp_path, "csv", "upn,usageLocation,licenses\n\n" + row + "\n")
    [problem] = problems(spec)
    if field == "upn":  # the csv module refuses it: the message is the module's, at the row
        assert (problem.line, problem.col, problem.field) == (3, 1, "")
        assert problem.message.startswith("malformed CSV: ',' expected after '\"'"), problem.render()
        return
    assert (problem.line, problem.col, problem.field) == (3, col, field), problem.render()


def test_a_csv_header_cell_is_found_again(tmp_path: Path) -> None:
    spec = write(tmp_path, "csv", '\n"upn","usage""Location",licenses,licenses\n')
    assert [(p.line, p.col, p.message) for p in problems(spec)] == [
        (2, 7, "unknown column 'usage\"Location'"),
        (2, 34, "column 'licenses' appears twice"),
    ]


def test_each_json_user_keeps_its_line(tmp_path: Path) -> None:
    text = (
        '\r\n\r\n  [ {"upn": "b\\u006fb@contoso.com",\r\n'  # escapes, and Windows line ends
        '"usageLocation": "US", "licenses": ["ENTERPRISEPREMIUM"]},\r\n'
        '\r\n{"upn"\r\n:\r\n"carol@contoso.com", "usageLocation": "US", "licenses": []}  ,'
        '{"upn": "dave@contoso.com", "usageLocation": "CA"}\r\n]'
    )
    spec = write(tmp_path, "json", text)
    assert places(spec) == {
        "bob@contoso.com": "people.json:3",
        "carol@contoso.com": "people.json:6",
        "dave@contoso.com": "people.json:8",
        "alice@contoso.com": "spec.users[1]",
    }


def test_a_json_user_listed_twice_is_named_by_its_line(tmp_path: Path) -> None:
    spec = write(tmp_path, "json", '[\n\n  {"upn": "ALICE@contoso.com", "usageLocation": "US"}\n]')
    [problem] = problems(spec)
    assert (problem.line, problem.field) == (10, "spec.users[1].upn"), problem.render()
    assert f"already listed at {tmp_path / 'people.json'}:3;" in problem.message + problem.hint


def test_a_json_field_is_found_after_escapes_and_surrogate_pairs(tmp_path: Path) -> None:
    first = '[{"upn": "\\u0061da@contoso.com", "licenses": ["\\ud83d\\ude00", "\\"\\\\\\u00e9\U0001f600", 3],'
    second = '  "usageLocation": "\U0001f600", "profile": "v\\u006fice"}]'
    found = [(p.line, p.col, p.field) for p in problems(write(tmp_path, "json", f"{first}\n{second}"))]
    assert found == [
        (1, first.index("3]") + 1, "[0].licenses[2]"),
        (2, second.index('"\U0001f600') + 1, "[0].usageLocation"),
    ]


@pytest.mark.parametrize(
    ("text", "line", "col", "field"),
    [
        ('[{"upn": "ada@contoso.com", "up\\u006e": "bob@contoso.com"}]', 1, 29, "[0].upn"),  # an escaped key
        ('[{"upn": "ada@contoso.com"},\n {"upn": "b@contoso.com", "x": {"a": 1,\n  "a": 2}}]', 3, 3, "[1].x.a"),
        ('[{"upn": "ada@contoso.com", "licenses": [{"k": "\\"", "k": 2}]}]', 1, 54, "[0].licenses[0].k"),
    ],
)
def test_a_duplicate_json_key_is_found_again(tmp_path: Path, text: str, line: int, col: int, field: str) -> None:
    [problem] = problems(write(tmp_path, "json", text))
    assert (problem.line, problem.col, problem.field) == (line, col, field), problem.render()
    assert problem.message.startswith("duplicate key"), problem.render()


def test_a_good_roster_is_read_in_one_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Places are found again only for a message: a roster without one is read once."""

    def again(*args: Any) -> Any:
        raise AssertionError("read again without a message to place")

    monkeypatch.setattr(jsonroster, "_members", again)
    monkeypatch.setattr(roster._Records, "cells", again)
    users = [{"upn": f"u{i}@contoso.com", "usageLocation": "US", "licenses": ["ENTERPRISEPREMIUM"]} for i in range(3)]
    assert len(load_spec(write(tmp_path, "json", json.dumps(users))).users) == 4
    assert len(load_spec(write(tmp_path, "csv", "upn,usageLocation\nu@contoso.com,US\n")).users) == 2


def test_a_json_user_missing_from_the_tenant_is_named_by_its_roster_line(cli: Any, workdir: Path) -> None:
    spec = split_spec("contoso", workdir, "json")
    people = workdir / "rosters" / "people.json"
    users = json.loads(people.read_text())
    people.write_text(
        json.dumps(users, indent=2)[:-2] + ',\n\n  {"upn": "zoe@contoso.com",\n   "usageLocation": "US"}\n]'
    )
    cli("snapshot", "load", EXAMPLES / "contoso.snapshot.yaml", "--provider", "local:t.db")
    result = cli("plan", spec.name, "--provider", "local:t.db", "--format", "json")
    lines = people.read_text().splitlines()
    found = [d for d in json.loads(result.out)["diagnostics"] if d["code"] == "user_not_found"]
    assert [d["message"].split("(")[1].split(")")[0] for d in found] == [f"rosters/people.json:{len(lines) - 2}"]


def test_a_user_nested_near_the_recursion_limit_gets_a_message_not_a_crash(tmp_path: Path) -> None:
    """The decoder recurses once per level. Placing a message reads the user again from deeper in the
    call stack than the first reading: it must not run out of depth where the first reading did not."""
    limit = sys.getrecursionlimit()
    found = set()
    for depth in range(limit - 80, limit + 1, 2):
        spec = write(tmp_path, "json", '[{"upn": "a@contoso.com", "x": ' + "[" * depth + "]" * depth + "}]")
        [problem] = problems(spec)
        found.add((problem.line, problem.col, problem.field, problem.message.split(" (")[0]))
    assert found == {(1, 1, "", "malformed JSON: nested too deeply"), (1, 27, "[0].x", "unknown field 'x'")}
