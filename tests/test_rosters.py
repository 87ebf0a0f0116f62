"""Rosters: spec.users read from CSV, JSON and YAML files named by the spec (`- file: PATH`).

A user means the same wherever it is written: a sample spec with its users moved into a
roster plans byte for byte like the inline spec. Every bad roster gets one located message
(the roster's file:line:col and field) through the same runner, and a spec's reference to a
roster is checked where the spec writes it.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLES, SAMPLES, SPECS
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from reconciler.domain.errors import ValidationError
from reconciler.spec.loader import load_spec
from reconciler.spec.schema import plain_user, schema
from reconciler.spec.yamlload import load_file


def roster_text(users: list[dict[str, Any]], fmt: str) -> str:
    """`users` (spec.users items) written as a roster in `fmt`."""
    if fmt == "json":
        return json.dumps(users, indent=1)
    if fmt == "yaml":
        return yaml.safe_dump(users)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["upn", "usageLocation", "licenses", "profile"])
    for u in users:
        writer.writerow([u["upn"], u.get("usageLocation", ""), ";".join(u.get("licenses", [])), u.get("profile", "")])
    return out.getvalue()


def split_spec(sample: str, folder: Path, fmt: str, inline: int = 1) -> Path:
    """The sample spec in `folder`, its users after the first `inline` moved to rosters/people.<fmt>."""
    data = load_file(SPECS / f"{sample}.yaml").data
    users = data["spec"]["users"]
    (folder / "rosters").mkdir(parents=True, exist_ok=True)
    (folder / "rosters" / f"people.{fmt}").write_text(roster_text(users[inline:], fmt), encoding="utf-8")
    data["spec"]["users"] = users[:inline] + [{"file": f"rosters/people.{fmt}"}]
    spec = folder / f"{sample}.yaml"
    spec.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return spec


@pytest.mark.parametrize("fmt", ["csv", "json", "yaml"])
@pytest.mark.parametrize("sample", SAMPLES)
def test_a_roster_plans_exactly_like_the_inline_users(cli: Any, workdir: Path, sample: str, fmt: str) -> None:
    spec = split_spec(sample, workdir / "repo", fmt)
    assert cli("snapshot", "load", EXAMPLES / f"{sample}.snapshot.yaml", "--provider", "local:t.db").code == 0
    inline = cli("plan", SPECS / f"{sample}.yaml", "--provider", "local:t.db", "--format", "json")
    rostered = cli("plan", spec, "--provider", "local:t.db", "--format", "json")
    assert inline.code == rostered.code == 0, rostered.err
    assert rostered.out == inline.out  # actions, diagnostics, cost and the spec digest
    applied = cli("apply", spec, "--provider", "local:t.db", "--auto-approve", "--allow-destroy")
    assert applied.code == 0, applied.err
    again = cli("plan", spec, "--provider", "local:t.db", "--detailed-exitcode")
    assert again.code == 0 and "No changes" in again.out


def test_the_shipped_roster_example_plans_like_its_inline_twin(cli: Any) -> None:
    assert cli("snapshot", "load", EXAMPLES / "contoso.snapshot.yaml", "--provider", "local:t.db").code == 0
    inline = cli("plan", SPECS / "contoso.yaml", "--provider", "local:t.db", "--format", "json")
    rostered = cli("plan", EXAMPLES / "rosters" / "contoso.yaml", "--provider", "local:t.db", "--format", "json")
    assert rostered.code == 0 and rostered.out == inline.out, rostered.err


def test_a_user_missing_from_the_tenant_is_named_by_its_roster_line(cli: Any, workdir: Path) -> None:
    spec = split_spec("contoso", workdir, "csv")
    with open(workdir / "rosters" / "people.csv", "a", encoding="utf-8") as handle:
        handle.write("zoe@contoso.com,US,ENTERPRISEPREMIUM,\n")
    cli("snapshot", "load", EXAMPLES / "contoso.snapshot.yaml", "--provider", "local:t.db")
    result = cli("plan", spec.name, "--provider", "local:t.db", "--format", "json")  # as the user types it
    lines = (workdir / "rosters" / "people.csv").read_text().splitlines()
    found = [d for d in json.loads(result.out)["diagnostics"] if d["code"] == "user_not_found"]
    assert [d["message"].split("(")[1].split(")")[0] for d in found] == [f"rosters/people.csv:{len(lines)}"]


def test_excel_csv_with_bom_crlf_and_quoted_commas(workdir: Path) -> None:
    spec = split_spec("contoso", workdir, "csv")
    rows = [
        "\ufeffUPN,UsageLocation,Licenses,Profile",
        'bob@contoso.com,US,"ENTERPRISEPREMIUM, MCOPSTN1",',
        "carol@contoso.com,US,ENTERPRISEPREMIUM MCOPSTN1 MCOPSTNC,",
        "",
        "dave@contoso.com,CA,,voice",
    ]
    (workdir / "rosters" / "people.csv").write_bytes("\r\n".join(rows).encode("utf-8") + b"\r\n")
    users = load_spec(spec).users
    assert users["bob@contoso.com"].licenses == {"ENTERPRISEPREMIUM", "MCOPSTN1"}
    assert users["carol@contoso.com"].licenses == {"ENTERPRISEPREMIUM", "MCOPSTN1", "MCOPSTNC"}
    assert users["dave@contoso.com"].usage_location == "CA" and "MCOPSTNC" in users["dave@contoso.com"].licenses
    roster = str(workdir / "rosters" / "people.csv")
    assert [u.origin for u in sorted(users.values(), key=lambda u: u.index)] == [
        "spec.users[0]",
        f"{roster}:2",
        f"{roster}:3",
        f"{roster}:5",
    ]


def test_a_yaml_roster_keeps_norway(workdir: Path) -> None:
    spec = split_spec("contoso", workdir, "yaml")
    (workdir / "rosters" / "people.yaml").write_text(
        "- {upn: ola@contoso.com, usageLocation: NO, licenses: [ENTERPRISEPREMIUM]}\n"
    )
    assert load_spec(spec).users["ola@contoso.com"].usage_location == "NO"


@dataclass(frozen=True)
class Bad:
    """One bad roster (or reference to one) and the single error it must give."""

    name: str
    fmt: str  # the roster's suffix
    content: str | bytes
    file: str  # where the error points: "roster" or "spec"
    line: int
    col: int
    field: str
    fragments: tuple[str, ...]
    ref: str = ""  # the spec's `file:` value, when not rosters/people.<fmt>

    def __str__(self) -> str:
        return self.name


HEAD = "upn,usageLocation,licenses,profile\n"
BAD = [
    Bad(
        "csv_unknown_column",
        "csv",
        "upn,usageLocation,licences\n",
        "roster",
        1,
        19,
        "",
        ("unknown column 'licences'", "did you mean 'licenses'?"),
    ),
    Bad(
        "csv_semicolons",  # as Excel saves CSV in many European locales
        "csv",
        "upn;usageLocation;licenses\nada@contoso.com;GB;ENTERPRISEPREMIUM\n",
        "roster",
        1,
        1,
        "",
        ("unknown column 'upn;usageLocation;licenses'", "the columns are separated by ';'; tenantctl reads ','"),
    ),
    Bad(
        "csv_no_header",
        "csv",
        "ada@contoso.com,GB,ENTERPRISEPREMIUM\n",
        "roster",
        1,
        1,
        "",
        ("first line holds a user", "start the file with the header line: upn,usageLocation"),
    ),
    Bad(
        "csv_no_upn_column",
        "csv",
        "usageLocation,licenses\nGB,ENTERPRISEPREMIUM\n",
        "roster",
        1,
        1,
        "",
        ("no 'upn' column",),
    ),
    Bad("csv_empty", "csv", "", "roster", 1, 1, "", ("roster is empty",)),
    Bad(
        "csv_bad_country",
        "csv",
        HEAD + "ada@contoso.com,GBR,ENTERPRISEPREMIUM,\n",
        "roster",
        2,
        17,
        "usageLocation",
        ("'GBR' is not valid", "two-letter"),
    ),
    Bad(
        "csv_unknown_sku",
        "csv",
        HEAD + "ada@contoso.com,GB,ENTERPRISEPREMIUM;MCOPSTN11,\n",
        "roster",
        2,
        38,
        "licenses",
        ("unknown SKU 'MCOPSTN11'", "did you mean 'MCOPSTN1'?"),
    ),
    Bad(
        "csv_unknown_profile",
        "csv",
        HEAD + "ada@contoso.com,GB,,vioce\n",
        "roster",
        2,
        21,
        "profile",
        ("unknown license profile 'vioce'",),
    ),
    Bad(
        "csv_too_many_cells",
        "csv",
        HEAD + "ada@contoso.com,GB,ENTERPRISEPREMIUM,MCOPSTN1,\n",
        "roster",
        2,
        47,
        "",
        ("5 cells", "4 columns", "separate licenses with ;"),
    ),
    Bad(
        "csv_no_location",
        "csv",
        HEAD + "ada@contoso.com,,ENTERPRISEPREMIUM,\n",
        "roster",
        2,
        17,
        "usageLocation",
        ("no usageLocation",),
    ),
    Bad(
        "csv_bad_upn",
        "csv",
        HEAD + "\n\nada at contoso,GB,,\n",
        "roster",
        4,
        1,
        "upn",
        ("'ada at contoso' is not valid",),
    ),
    Bad(
        "csv_not_utf8",
        "csv",
        (HEAD + "b\xf8rge@contoso.com,NO,,\n").encode("latin-1"),
        "roster",
        2,
        2,
        "",
        ("not valid UTF-8", "0xf8"),
    ),
    Bad(
        "csv_missing_prerequisite",
        "csv",
        HEAD + "ada@contoso.com,GB,MCOPSTN1,\n",
        "roster",
        2,
        20,
        "licenses",
        ("MCOPSTN1 for 'ada@contoso.com' needs",),
    ),
    Bad(
        "csv_lone_cr_line_ends",
        "csv",
        "upn,usageLocation\rada@contoso.com,GBR\r",
        "roster",
        2,
        17,
        "usageLocation",
        ("'GBR' is not valid",),
    ),
    Bad(
        "csv_cell_over_two_lines",
        "csv",
        HEAD + 'ada@contoso.com,GB,"ENTERPRISEPREMIUM\nBOGUS",\n',
        "roster",
        3,
        1,
        "licenses",
        ("unknown SKU 'BOGUS'",),
    ),
    Bad(
        "csv_quote_inside_a_cell",
        "csv",
        HEAD + 'o"brien@contoso.com,XX,,\n',
        "roster",
        2,
        21,
        "usageLocation",
        ("'XX' is not an ISO 3166-1 country code",),
    ),
    Bad(
        "csv_unnamed_column",
        "csv",
        "upn,usageLocation,licenses,profile,\n",
        "roster",
        1,
        36,
        "",
        ("column 5 of the header has no name",),
    ),
    Bad(
        "csv_unclosed_quote",
        "csv",
        HEAD + 'ada@contoso.com,GB,"ENTERPRISEPREMIUM\n',
        "roster",
        2,
        1,
        "",
        ("malformed CSV", "unexpected end of data"),
    ),
    Bad("json_trailing_comma", "json", '[{"upn": "ada@contoso.com"},]', "roster", 1, 29, "", ("trailing comma",)),
    Bad("json_huge_number", "json", '[{"upn": ' + "1" * 5000 + "}]", "roster", 1, 2, "", ("Exceeds the limit",)),
    Bad(
        "json_unpaired_surrogate",
        "json",
        '[{"upn": "\\ud800da@contoso.com"}]',
        "roster",
        1,
        1,
        "[0]",
        ("half a character",),
    ),
    Bad(
        "yaml_too_deep",
        "yaml",
        "- upn: ada@contoso.com\n  licenses: " + "[" * 200 + "]" * 200 + "\n",
        "roster",
        2,
        113,
        "",
        ("nested more than 100 levels",),
    ),
    Bad(
        "json_malformed",
        "json",
        '[\n  {"upn": "ada@contoso.com" "usageLocation": "GB"}\n]',
        "roster",
        2,
        29,
        "",
        ("malformed JSON",),
    ),
    Bad("json_not_a_list", "json", '{"users": []}', "roster", 1, 1, "", ("expected a list of users",)),
    Bad("json_unclosed", "json", '[{"upn": "ada@contoso.com"}', "roster", 1, 28, "", ("not closed",)),
    Bad(
        "json_duplicate_key",
        "json",
        '[{"upn": "ada@contoso.com",\n  "upn": "bob@contoso.com"}]',
        "roster",
        2,
        3,
        "[0].upn",
        ("duplicate key 'upn'",),
    ),
    Bad(
        "json_wrong_type",
        "json",
        '[\n {"upn": "ada@contoso.com", "usageLocation": "GB",\n  "licenses": ["ENTERPRISEPREMIUM", 3]}]',
        "roster",
        3,
        37,
        "[0].licenses[1]",
        ("expected a SKU's name or {sku, disabledPlans}, got 3",),
    ),
    Bad(
        "json_unknown_field",
        "json",
        '[{"upn": "ada@contoso.com", "seat": 1}]',
        "roster",
        1,
        29,
        "[0].seat",
        ("unknown field 'seat'",),
    ),
    Bad(
        "json_nested_file",
        "json",
        '[{"file": "other.csv"}]',
        "roster",
        1,
        3,
        "[0].file",
        ("a roster cannot name other rosters",),
    ),
    Bad("json_empty", "json", "  \n", "roster", 1, 1, "", ("roster is empty",)),
    Bad(
        "yaml_wrong_type",
        "yaml",
        "- upn: ada@contoso.com\n  usageLocation: GB\n  licenses: ENTERPRISEPREMIUM\n",
        "roster",
        3,
        13,
        "[0].licenses",
        ("expected a list",),
    ),
    Bad(
        "yaml_not_a_list",
        "yaml",
        "users:\n  - upn: ada@contoso.com\n",
        "roster",
        1,
        1,
        "",
        ("expected a list of users",),
    ),
    Bad(
        "yaml_duplicate_user",
        "yaml",
        "- {upn: Alice@contoso.com, usageLocation: US}\n",
        "roster",
        1,
        9,
        "[0].upn",
        ("duplicate user 'Alice@contoso.com'", "already listed at spec.users[0]"),
    ),
    Bad(
        "spec_missing_roster",
        "csv",
        HEAD,
        "spec",
        0,
        0,
        "spec.users[1].file",
        ("roster 'rosters/nobody.csv' not found",),
        ref="rosters/nobody.csv",
    ),
    Bad(
        "spec_absolute_path",
        "csv",
        HEAD,
        "spec",
        0,
        0,
        "spec.users[1].file",
        ("relative to the spec",),
        ref="/etc/passwd.csv",
    ),
    Bad(
        "spec_leaves_folder",
        "csv",
        HEAD,
        "spec",
        0,
        0,
        "spec.users[1].file",
        ("leaves the spec's folder",),
        ref="../outside.csv",
    ),
    Bad(
        "spec_wrong_suffix",
        "csv",
        HEAD,
        "spec",
        0,
        0,
        "spec.users[1].file",
        ("is not valid", ".csv, .json"),
        ref="rosters/people.txt",
    ),
]


@pytest.mark.parametrize("case", BAD, ids=str)
def test_a_bad_roster_gets_one_located_error(workdir: Path, case: Bad) -> None:
    spec = split_spec("contoso", workdir / "repo", case.fmt)
    roster = workdir / "repo" / "rosters" / f"people.{case.fmt}"
    if isinstance(case.content, bytes):
        roster.write_bytes(case.content)
    else:
        roster.write_text(case.content, encoding="utf-8")
    (workdir / "outside.csv").write_text(HEAD)
    if case.ref:
        spec.write_text(spec.read_text().replace(f"rosters/people.{case.fmt}", case.ref))
    with pytest.raises(ValidationError) as caught:
        load_spec(spec)
    assert len(caught.value.problems) == 1, caught.value
    problem = caught.value.problems[0]
    if case.file == "roster":
        assert (problem.file, problem.line, problem.col) == (
            str(workdir / "repo" / "rosters" / f"people.{case.fmt}"),
            case.line,
            case.col,
        ), problem.render()
    else:
        lines = spec.read_text().splitlines()
        assert problem.file == str(spec) and case.ref in lines[problem.line - 1], problem.render()
    assert problem.field == case.field, problem.render()
    for fragment in case.fragments:
        assert fragment in problem.render(), problem.render()


@pytest.mark.parametrize("make", ["loop", "folder"])
def test_a_roster_path_that_is_no_file_is_reported_in_the_spec(workdir: Path, make: str) -> None:
    spec = split_spec("contoso", workdir, "csv")
    roster = workdir / "rosters" / "people.csv"
    roster.unlink()
    if make == "loop":
        roster.symlink_to("people.csv")
    else:
        roster.mkdir()
    with pytest.raises(ValidationError) as caught:
        load_spec(spec)
    [problem] = caught.value.problems
    assert problem.file == str(spec) and problem.field == "spec.users[1].file", problem.render()
    assert ("cannot follow" if make == "loop" else "is not a file") in problem.message


def test_a_bad_roster_through_the_cli_applies_nothing(cli: Any, workdir: Path) -> None:
    split_spec("contoso", workdir, "csv")
    (workdir / "rosters" / "people.csv").write_text(
        HEAD + "bob@contoso.com,US,ENTERPRISEPREMIUM,\ncarol@contoso.com,USA,ENTERPRISEPREMIUM,\n"
    )
    cli("snapshot", "load", EXAMPLES / "contoso.snapshot.yaml", "--provider", "local:t.db")
    before = cli("snapshot", "dump", "--provider", "local:t.db").out
    result = cli("apply", "contoso.yaml", "--provider", "local:t.db", "--auto-approve", "--allow-destroy")
    assert result.code == 1 and "Traceback" not in result.err
    assert result.err.strip().splitlines()[0].startswith("rosters/people.csv:3:19: error: usageLocation: 'USA'")
    assert cli("snapshot", "dump", "--provider", "local:t.db").out == before


def test_the_schema_is_the_one_editors_see() -> None:
    """`- file:` items are described by the shipped schema, so editors check them too."""
    validator = Draft202012Validator(schema("tenant"))
    spec = load_file(SPECS / "contoso.yaml").data
    spec["spec"]["users"].append({"file": "rosters/people.csv"})
    assert not list(validator.iter_errors(spec))
    spec["spec"]["users"].append({"file": "people.xlsx"})
    assert list(validator.iter_errors(spec))


# ---- the fast path never accepts what the schema refuses -----------------------------------------

_texts = (
    st.sampled_from(
        [
            "ada@contoso.com",
            "a@b.co",
            "US",
            "GB",
            "us",
            "",
            " ",
            "x@y",
            "ada@contoso.com\n",
            "ENTERPRISEPREMIUM",
            "voice",
            "@contoso.com",
            "a@-b.com",
            "a" * 110 + "@b.co",
        ]
    )
    | st.text()
)
_values = st.none() | st.booleans() | st.integers() | _texts | st.lists(_texts | st.integers(), max_size=3)
_users = st.dictionaries(
    st.sampled_from(["upn", "usageLocation", "profile", "licenses", "file", "seat"]), _values, max_size=5
)


@settings(max_examples=400, deadline=None)
@given(_users | _values)
def test_the_fast_user_check_never_accepts_what_the_schema_refuses(user: Any) -> None:
    item = Draft202012Validator({**schema("tenant")["$defs"]["user"], "$defs": schema("tenant")["$defs"]})
    if plain_user(user):
        assert not list(item.iter_errors(user)), user


def test_the_fast_user_check_accepts_the_common_shape() -> None:
    """Otherwise it would be a slow path in disguise."""
    assert plain_user({"upn": "ada@contoso.com", "usageLocation": "GB", "licenses": ["SPE_E5", "MCOEV"]})
    assert plain_user({"upn": "bob@contoso.com", "profile": "voice"})


def test_a_snapshot_takes_its_users_from_rosters_too(cli, workdir: Path) -> None:
    """Issue 18: a million-user tenant's snapshot is a roster, as its spec is; errors point into the roster."""
    (workdir / "people.csv").write_text(
        "upn,usageLocation,licenses\nann@x.example,US,SPE_E5;MCOEV\nbob@x.example,GB,\ncy@x.example,,SPE_E5\n"
    )
    (workdir / "people.json").write_text('[{"upn": "dee@x.example", "usageLocation": "US", "licenses": ["SPE_E5"]}]')
    snapshot = workdir / "s.yaml"
    snapshot.write_text(
        "apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: {name: sr}\nstate:\n  agreement: MCA\n"
        "  subscriptions:\n    - {sku: SPE_E5, seats: 5}\n    - {sku: MCOEV, seats: 5}\n"
        "  users:\n    - {upn: zed@x.example, usageLocation: US}\n    - file: people.csv\n    - file: people.json\n"
    )
    bad = cli("validate", snapshot)
    assert (
        bad.code == 1
        and "people.csv:4:1: error: user 'cy@x.example' holds licenses but has no usageLocation" in bad.err
    )
    (workdir / "people.csv").write_text(
        "upn,usageLocation,licenses\nann@x.example,US,SPE_E5;MCOEV\nbob@x.example,GB,\ncy@x.example,US,SPE_E5\n"
    )
    assert cli("snapshot", "load", snapshot).code == 0
    dumped = cli("snapshot", "dump", "--name", "sr").out
    assert "{upn: cy@x.example, usageLocation: US, licenses: [SPE_E5]}" in dumped and "dee@x.example" in dumped
    (workdir / "people.json").write_text('[{"upn": "ZED@x.example", "usageLocation": "US"}]')
    doubled = cli("validate", snapshot)
    assert doubled.code == 1 and "duplicate user 'ZED@x.example' (already listed at state.users[0]" in doubled.err
    (workdir / "people.json").write_text('[{"upn": "dee@x.example", "usageLocation": "US", "licenses": ["SPE_E5"]}]')
    twice = snapshot.read_text() + "    - file: people.csv\n"
    snapshot.write_text(twice)
    again = cli("validate", snapshot)
    assert again.code == 1 and "roster 'people.csv' is listed twice" in again.err and "state.users[1]" in again.err


def test_an_unknown_sku_in_a_snapshot_roster_is_shown_where_it_is_written(cli, workdir: Path) -> None:
    """Review finding (issue 18): a typo in a snapshot roster was reported as a missing subscription at
    state.subscriptions, far from the cell; a SKU only the subscriptions lack is still reported there."""
    (workdir / "people.csv").write_text(
        "upn,usageLocation,licenses\nann@x.example,US,SPE_E5\nbob@x.example,US,SPE_E55\ncy@x.example,US,MCOEV\n"
    )
    snapshot = workdir / "s.yaml"
    snapshot.write_text(
        "apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: {name: sr}\nstate:\n  agreement: MCA\n"
        "  subscriptions:\n    - {sku: SPE_E5, seats: 5}\n  users:\n    - file: people.csv\n"
    )
    bad = cli("validate", snapshot)
    assert bad.code == 1
    assert "people.csv:3:18: error: licenses: unknown SKU 'SPE_E55', and no subscription for it" in bad.err
    assert "did you mean 'SPE_E5'?" in bad.err
    assert "users hold MCOEV but there is no subscription for it" in bad.err  # a real SKU: as before


def test_a_snapshot_reads_a_sku_in_any_case_as_a_spec_does(cli, workdir: Path) -> None:
    """Review finding: `enterprisepremium` in a snapshot was a SKU of its own, reported as lacking a subscription."""
    (workdir / "people.csv").write_text("upn,usageLocation,licenses\nann@x.example,US,spe_e5\n")
    snapshot = workdir / "s.yaml"
    snapshot.write_text(
        "apiVersion: tenantctl/v1\nkind: TenantSnapshot\nmetadata: {name: sr}\nstate:\n  agreement: MCA\n"
        "  subscriptions:\n    - {sku: Spe_E5, seats: 5}\n  users:\n    - {upn: bo@x.example, usageLocation: US, "
        "licenses: [SPE_e5]}\n    - file: people.csv\n"
    )
    assert cli("snapshot", "load", snapshot).code == 0
    dumped = cli("snapshot", "dump", "--name", "sr").out
    assert "{sku: SPE_E5, seats: 5" in dumped and dumped.count("licenses: [SPE_E5]") == 2
