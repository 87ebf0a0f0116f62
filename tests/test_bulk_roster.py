"""CSV rosters judged in bulk (spec/bulk.py) mean exactly what they mean read row by row: the same users,
numbered and located alike, or the same problems; and a plain roster is really taken in bulk."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import example, given, settings
from hypothesis import strategies as st

from reconciler.domain.errors import ValidationError
from reconciler.spec import bulk, loader

SPEC = """apiVersion: tenantctl/v1
kind: Tenant
metadata: {name: bulk}
spec:
  agreement: EA
  subscriptions:
    - {sku: SPE_E5, seats: 500}
    - {sku: MCOEV, seats: 500}
    - {sku: MCOPSTN1, seats: 500}
  licenseProfiles:
    voice: [MCOEV]
  users:
%s"""

HEADERS = [
    *["upn,usageLocation,licenses,profile"] * 8,
    "licenses , UPN,usageLocation, Profile",  # any order and case: still plain
    "upn;usageLocation;licenses;profile",  # Excel's semicolons: a header problem
    "upn,usageLocation,licenses,seats",  # an unknown column
    "upn,upn,licenses,profile",
    "usageLocation,licenses,profile,",  # no upn
    "",
]
# The rest of a plain row (usageLocation, licenses, profile), in the header's first order.
PLAIN = ["US,SPE_E5,", "GB,SPE_E5;MCOEV,", "US,MCOEV MCOPSTN1,", " NO ,,voice", 'GB,"SPE_E5,MCOEV",voice', "US,,"]
# Lines that need a message, or that look odd and are fine (the multi-line cell, the short row, the spaces).
FLAWS = [
    "x@y,US,SPE_E5,",
    "@x.example,US,SPE_E5,",
    "a" * 110 + "@b.co,US,SPE_E5,",
    "U1@X.example,US,SPE_E5,",  # u1 again
    "bob@x.example,US,SPE_E5,",  # the inline user again
    "u20@x.example,,SPE_E5,",
    "u21@x.example,us,SPE_E5,",
    "u22@x.example,XX,,",
    "u23@x.example,US,NOPE,",
    "u24@x.example,US,MCOPSTN1,",
    "u25@x.example,US,MCOEV;MCOEV,",
    "u26@x.example,US,,nope",
    "u27@x.example, NO ,MCOEV MCOPSTN1,",
    "u28@x.example,US,SPE_E5,,extra",
    ",US,SPE_E5,",  # no UPN
    "",
    ",,,",
    '"unclosed',
    'u29@x.example,US,"SPE_E5\nMCOEV",',
    " u30@x.example ,GB,SPE_E5,voice",
    "u31@x.example,GB",
]


@st.composite
def rosters(draw: st.DrawFn) -> list[str]:
    """Plain rows, numbered users, with up to two flaws put in anywhere: most rosters are taken in bulk, and
    the others differ from one in one line."""
    rows = [f"u{i}@x.example,{rest}" for i, rest in enumerate(draw(st.lists(st.sampled_from(PLAIN), max_size=10)))]
    for at, flaw in draw(st.lists(st.tuples(st.integers(0, 10), st.sampled_from(FLAWS)), max_size=2)):
        rows.insert(min(at, len(rows)), flaw)
    return rows


def _outcome(folder: Path) -> Any:
    """The users as loaded (each one's fields, place and number), or the problems."""
    try:
        spec = loader.load_spec(folder / "spec.yaml")
    except ValidationError as exc:
        return [str(p) for p in exc.problems]
    return [(k, u.upn, u.usage_location, u.licenses, u.index, u.where, dict(u.disabled)) for k, u in spec.users.items()]


_LISTED = loader.listed_users


def _row_by_row(doc: Any, root: str = "spec", bulk: bool = False) -> Any:
    """listed_users as it is without bulk: every roster read row by row."""
    return _LISTED(doc, root, False)


@settings(max_examples=300, deadline=None)
@example(header=HEADERS[0], body=["u0@x.example,US,SPE_E5,", "bob@x.example,US,SPE_E5,"], inline_first=True, crlf=False)
@example(header=HEADERS[0], body=["u0@x.example,US,SPE_E5,", ",US,SPE_E5,"], inline_first=False, crlf=True)
@given(
    header=st.sampled_from(HEADERS),
    body=rosters(),
    inline_first=st.booleans(),
    crlf=st.booleans(),
)
def test_bulk_and_row_by_row_agree(header: str, body: list[str], inline_first: bool, crlf: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        newline = "\r\n" if crlf else "\n"
        (folder / "users.csv").write_text(newline.join([header, *body]) + newline, encoding="utf-8")
        inline = "    - {upn: bob@x.example, usageLocation: US, licenses: [SPE_E5]}\n"
        users = (inline if inline_first else "") + "    - file: users.csv\n"
        (folder / "spec.yaml").write_text(SPEC % users, encoding="utf-8")
        fast = _outcome(folder)
        with mock.patch.object(loader, "listed_users", _row_by_row):
            slow = _outcome(folder)
        assert fast == slow


def test_a_plain_roster_is_taken_in_bulk(tmp_path: Path) -> None:
    """Else the bulk path would be a slow path in disguise: every user comes from bulk_users."""
    rows = [f"u{i}@x.example,{'US' if i % 2 else 'GB'},SPE_E5;MCOEV,{'voice' if i % 3 else ''}" for i in range(300)]
    (tmp_path / "users.csv").write_text("\n".join(["upn,usageLocation,licenses,profile", *rows]) + "\n")
    (tmp_path / "spec.yaml").write_text(SPEC % "    - file: users.csv\n", encoding="utf-8")
    taken: list[int] = []

    def spy(*args: Any) -> Any:
        found = bulk.bulk_users(*args)
        taken.append(-1 if found is None else len(found))
        return found

    with mock.patch("reconciler.spec.users.bulk_users", spy):
        spec = loader.load_spec(tmp_path / "spec.yaml")
    assert taken == [300] and len(spec.users) == 300
    assert spec.users["u7@x.example"].where == f"{tmp_path / 'users.csv'}:9"
