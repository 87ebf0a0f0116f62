"""Self-tests of the fake Graph's delta query (tests/fakegraph_delta.py) and out-of-band changes
(tests/fakegraph_admin.py), through real HTTP."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fakegraph import FakeGraph
from fakegraph_plans import SKUS as PLAN_SKUS
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fakegraph import call

TENANT = "2f1c0b5e-7a4d-4c1e-9f55-3c2a9d1e8b70"
E5, E3 = PLAN_SKUS["ENTERPRISEPREMIUM"].sku_id, PLAN_SKUS["ENTERPRISEPACK"].sku_id
SKUS = [("ENTERPRISEPREMIUM", E5, 3), ("ENTERPRISEPACK", E3, 4)]
USERS: list[dict[str, Any]] = [
    {"userPrincipalName": "alice@x.example", "usageLocation": "US", "licenses": ["ENTERPRISEPREMIUM"]},
    {"userPrincipalName": "bob@x.example", "usageLocation": "US"},
    {"userPrincipalName": "carol@x.example", "usageLocation": "GB"},
    {"userPrincipalName": "dave@x.example", "usageLocation": "DE"},
    {"userPrincipalName": "erin@x.example"},  # no usage location: never set
]
SELECT = "id,userPrincipalName,usageLocation,assignedLicenses"
LICENSING = "$select=id,userPrincipalName,usageLocation,assignedLicenses"


@pytest.fixture
def fake() -> Iterator[FakeGraph]:
    """Five users; "Sales" (E3) holds bob and carol; "Empty" has no members."""
    groups = [
        {"displayName": "Sales", "licenses": ["ENTERPRISEPACK"], "members": ["bob@x.example", "carol@x.example"]},
        {"displayName": "Empty"},
    ]
    with FakeGraph(tenant_id=TENANT, skus=SKUS, users=USERS, groups=groups) as graph:
        yield graph


def read(url: str, headers: dict[str, str] | None = None) -> tuple[list[dict[str, Any]], str, int]:
    """Follow @odata.nextLink to the deltaLink: (items, deltaLink, pages)."""
    items, pages, link = [], 0, url
    while True:
        status, _, body = call(link, headers=headers)
        assert status == 200, body
        assert ("@odata.nextLink" in body) != ("@odata.deltaLink" in body)  # exactly one (D1)
        items += body["value"]
        pages += 1
        if "@odata.deltaLink" in body:
            return items, body["@odata.deltaLink"], pages
        link = body["@odata.nextLink"]


def by_upn(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["userPrincipalName"]: i for i in items if "userPrincipalName" in i}


def uid(fake: FakeGraph, upn: str) -> str:
    return fake._by_key[upn].id


def test_first_read_returns_every_user_and_a_delta_link(fake: FakeGraph) -> None:
    items, link, _ = read(f"{fake.base_url}/users/delta?{LICENSING}")
    assert sorted(by_upn(items)) == sorted(u["userPrincipalName"] for u in USERS)
    token = parse_qs(urlsplit(link).query)["$deltatoken"][0]
    assert token and urlsplit(link).path == "/v1.0/users/delta" and "$select" not in link  # encoded in the token
    users = by_upn(items)
    assert users["alice@x.example"] == {
        "id": uid(fake, "alice@x.example"),
        "userPrincipalName": "alice@x.example",
        "usageLocation": "US",
        "assignedLicenses": [{"skuId": E5, "disabledPlans": []}],
    }
    assert users["bob@x.example"]["assignedLicenses"] == [{"skuId": E3, "disabledPlans": []}]  # from Sales
    assert "usageLocation" not in users["erin@x.example"]  # never set: not included (D5)
    assert users["erin@x.example"]["assignedLicenses"] == []  # a collection is never "never set" (X6)


def test_a_read_without_changes_returns_no_users_and_a_new_link(fake: FakeGraph) -> None:
    _, link, _ = read(f"{fake.base_url}/users/delta?{LICENSING}")
    items, again, _ = read(link)
    assert items == [] and again.startswith(f"{fake.base_url}/users/delta?$deltatoken=")
    assert read(again)[0] == []


def test_changes_show_with_every_selected_property(fake: FakeGraph) -> None:
    _, link, _ = read(f"{fake.base_url}/users/delta?{LICENSING}")
    fake.assign("dave@x.example", "ENTERPRISEPACK")
    fake.set_location("carol@x.example", "FR")
    new = fake.add_user("frank@x.example", "US", ["ENTERPRISEPREMIUM"])
    gone, purged = uid(fake, "bob@x.example"), uid(fake, "erin@x.example")
    fake.delete_user("bob@x.example")
    fake.delete_user("erin@x.example", permanent=True)
    items, link, _ = read(link)
    users = by_upn(items)
    assert users["dave@x.example"] == {  # the unchanged usageLocation comes too (D5, default)
        "id": uid(fake, "dave@x.example"),
        "userPrincipalName": "dave@x.example",
        "usageLocation": "DE",
        "assignedLicenses": [{"skuId": E3, "disabledPlans": []}],
    }
    assert users["carol@x.example"]["usageLocation"] == "FR"
    assert users["frank@x.example"]["id"] == new and "@removed" not in users["frank@x.example"]
    removed = {i["id"]: i["@removed"] for i in items if "@removed" in i}
    assert removed == {gone: {"reason": "changed"}, purged: {"reason": "deleted"}}  # D7
    assert set(by_upn(items)) == {"dave@x.example", "carol@x.example", "frank@x.example"}
    fake.delete_user("bob@x.example", permanent=True)  # purging a soft-deleted user is a change too
    assert read(link)[0] == [{"id": gone, "@removed": {"reason": "deleted"}}]


def test_a_first_read_reports_soft_deleted_users_as_removed(fake: FakeGraph) -> None:
    read(f"{fake.base_url}/users/delta")
    soft, hard = uid(fake, "bob@x.example"), uid(fake, "erin@x.example")
    fake.delete_user("bob@x.example")
    fake.delete_user("erin@x.example", permanent=True)
    items, _, _ = read(f"{fake.base_url}/users/delta")
    assert {"id": soft, "@removed": {"reason": "changed"}} in items  # D3: restorable, so reported
    assert hard not in {i["id"] for i in items} and len(items) == 4


def test_a_property_set_to_null_is_returned_as_null(fake: FakeGraph) -> None:
    _, link, _ = read(f"{fake.base_url}/users/delta?{LICENSING}")
    fake.set_location("bob@x.example", None)
    items, link, _ = read(link)
    assert items[0]["usageLocation"] is None  # changed to null: included (D5)
    fake.rename_user("bob@x.example", "robert@x.example")
    items, link, _ = read(link)
    assert "usageLocation" in items[0] and items[0]["usageLocation"] is None  # set before: its old value, null


def test_group_processing_and_renames_are_changes(fake: FakeGraph) -> None:
    _, link, _ = read(f"{fake.base_url}/users/delta?{LICENSING}")
    fake.add_member("Sales", "dave@x.example")  # a license by group processing
    fake.rename_user("carol@x.example", "caroline@x.example")
    users = by_upn(read(link)[0])
    assert users["dave@x.example"]["assignedLicenses"] == [{"skuId": E3, "disabledPlans": []}]
    assert users["caroline@x.example"]["id"] == uid(fake, "caroline@x.example")
    assert set(users) == {"dave@x.example", "caroline@x.example"}


def test_only_selected_properties_are_tracked_and_license_states_not_at_all(fake: FakeGraph) -> None:
    _, by_location, _ = read(f"{fake.base_url}/users/delta?$select=id,usageLocation")
    _, by_states, _ = read(f"{fake.base_url}/users/delta?$select=id,licenseAssignmentStates")
    _, by_default, _ = read(f"{fake.base_url}/users/delta")  # no $select: everything is tracked
    fake.assign("dave@x.example", "ENTERPRISEPACK")
    assert read(by_location)[0] == []  # D4
    assert read(by_states)[0] == []  # D6: licenseAssignmentStates is not tracked
    assert [set(i) for i in read(by_default)[0]] == [{"id", "userPrincipalName", "displayName"}]


def test_prefer_minimal_returns_only_changed_properties(fake: FakeGraph) -> None:
    _, link, _ = read(f"{fake.base_url}/users/delta?{LICENSING}")
    fake.set_location("dave@x.example", "FR")
    fake.add_user("frank@x.example")
    items, _, _ = read(link, headers={"Prefer": "return=minimal"})
    assert {"id": uid(fake, "dave@x.example"), "usageLocation": "FR"} in items
    frank = next(i for i in items if i["id"] == uid(fake, "frank@x.example"))
    assert frank == {
        "id": frank["id"],
        "userPrincipalName": "frank@x.example",
        "assignedLicenses": [],
    }  # created: whole


def test_pages_follow_next_links_and_top_is_ignored(fake: FakeGraph) -> None:
    fake.configure(delta_page=2)
    items, link, pages = read(f"{fake.base_url}/users/delta?{LICENSING}&$top=1")  # $top: silently ignored (D2)
    assert pages == 3 and len(items) == 5
    for n in range(3):
        fake.add_user(f"new{n}@x.example", "US")
    fake.set_location("alice@x.example", "GB")
    items, _, pages = read(link)
    assert pages == 2 and len({i["id"] for i in items}) == 4
    status, _, body = call(f"{fake.base_url}/users/delta?{LICENSING}")
    assert status == 200 and "@odata.nextLink" in body
    status, _, body = call(f"{body['@odata.nextLink']}&$select=id")
    assert status == 400 and body["error"]["code"] == "Request_UnsupportedQuery"  # $select with $skiptoken (D2)


def test_delta_link_keeps_the_round_version_when_the_tenant_changes_mid_round(fake: FakeGraph) -> None:
    fake.configure(delta_page=2)
    body = call(f"{fake.base_url}/users/delta?{LICENSING}")[2]
    fake.set_location("alice@x.example", "GB")  # during the round
    call(f"{fake.base_url}/users/delta?{LICENSING}")  # another client's round compares the tenant again
    _, link, _ = read(body["@odata.nextLink"])
    assert [i["usageLocation"] for i in read(link)[0]] == ["GB"]  # replayed, never lost


def test_expired_tokens_answer_sync_state_not_found(fake: FakeGraph) -> None:
    fake.configure(delta_page=2)
    _, link, _ = read(f"{fake.base_url}/users/delta?{LICENSING}")
    status, _, page = call(f"{fake.base_url}/users/delta?{LICENSING}")
    fake.expire_delta_tokens()
    for old in (link, page["@odata.nextLink"]):
        status, _, body = call(old)
        assert status == 400 and body["error"]["code"] == "syncStateNotFound"  # D10
        assert body["error"]["message"].startswith("The sync state generation is not found.")
    assert len(read(f"{fake.base_url}/users/delta?{LICENSING}")[0]) == 5  # a full read starts again


def test_a_reset_answers_410_with_a_location_for_a_full_read(fake: FakeGraph) -> None:
    _, link, _ = read(f"{fake.base_url}/users/delta?{LICENSING}")
    fake.reset_delta_tokens()
    status, headers, body = call(link)
    assert status == 410 and body["error"]["code"] == "resyncRequired"  # D11
    location = headers["Location"]
    assert parse_qs(urlsplit(location).query, keep_blank_values=True)["$deltatoken"] == [""]
    items, _, _ = read(location)
    assert set(by_upn(items)["alice@x.example"]) == set(SELECT.split(","))


def test_unsupported_tenant_bad_tokens_and_sync_from_now(fake: FakeGraph) -> None:
    fake.configure(delta_unsupported=True)
    status, _, body = call(f"{fake.base_url}/users/delta")
    assert status == 400 and body["error"]["code"] == "Request_UnsupportedQuery"  # D12
    assert call(f"{fake.base_url}/users?$select=id")[0] == 200  # full reads still work
    fake.configure(delta_unsupported=False)
    status, _, body = call(f"{fake.base_url}/users/delta?$deltatoken=not-a-token")
    assert status == 400 and body["error"]["code"] == "Request_BadRequest"
    _, users_link, _ = read(f"{fake.base_url}/users/delta")
    token = parse_qs(urlsplit(users_link).query)["$deltatoken"][0]
    assert call(f"{fake.base_url}/groups/delta?$deltatoken={token}")[0] == 400  # another collection's token
    assert json.loads(base64.urlsafe_b64decode(token + "==="))["k"] == "users"
    status, _, body = call(f"{fake.base_url}/users/microsoft.graph.delta()?$deltaToken=latest&{LICENSING}")
    assert status == 200 and body["value"] == [] and "@odata.deltaLink" in body  # D9
    fake.set_location("erin@x.example", "US")
    assert [i["usageLocation"] for i in read(body["@odata.deltaLink"])[0]] == ["US"]


def test_delta_reads_obey_faults_and_the_link_host(fake: FakeGraph) -> None:
    fake.configure(throttle_rate=1.0, retry_after=3)
    status, headers, _ = call(f"{fake.base_url}/users/delta")
    assert status == 429 and headers["Retry-After"] == "3"
    fake.configure(throttle_rate=0.0, next_link_base="https://elsewhere.example")
    status, _, body = call(f"{fake.base_url}/users/delta")
    assert status == 200 and body["@odata.deltaLink"].startswith("https://elsewhere.example/v1.0/users/delta?")


def test_groups_delta_tracks_members(fake: FakeGraph) -> None:
    url = f"{fake.base_url}/groups/delta?$select=id,displayName,assignedLicenses,members"
    items, link, _ = read(url)
    groups = {g["displayName"]: g for g in items}
    bob, carol, dave = (uid(fake, f"{n}@x.example") for n in ("bob", "carol", "dave"))
    assert groups["Sales"]["members@delta"] == [
        {"@odata.type": "#microsoft.graph.user", "id": bob},
        {"@odata.type": "#microsoft.graph.user", "id": carol},
    ]
    assert "members@delta" not in groups["Empty"]  # no members: no annotation (D8)
    fake.add_member("Sales", "dave@x.example")
    fake.remove_member("Sales", "carol@x.example")
    fake.delete_user("bob@x.example")  # soft-deleted: still a member for delta (D8)
    items, link, _ = read(link)
    assert items == [
        {
            "id": groups["Sales"]["id"],
            "displayName": "Sales",
            "assignedLicenses": [{"skuId": E3, "disabledPlans": []}],
            "members@delta": [
                {"@odata.type": "#microsoft.graph.user", "id": dave},
                {"@odata.type": "#microsoft.graph.user", "id": carol, "@removed": {"reason": "deleted"}},
            ],
        }
    ]
    fake.delete_user("bob@x.example", permanent=True)
    fake.delete_group("Empty")  # a security group: deleted at once (D7)
    status, _, _ = call(
        f"{fake.base_url}/groups/{groups['Sales']['id']}/assignLicense",
        "POST",
        {"addLicenses": [{"skuId": E5, "disabledPlans": []}], "removeLicenses": []},
    )
    assert status == 202
    items, _, _ = read(link)
    sales = next(i for i in items if i["id"] == groups["Sales"]["id"])
    assert {a["skuId"] for a in sales["assignedLicenses"]} == {E3, E5}
    assert sales["members@delta"] == [
        {"@odata.type": "#microsoft.graph.user", "id": bob, "@removed": {"reason": "deleted"}}
    ]
    assert {"id": groups["Empty"]["id"], "@removed": {"reason": "deleted"}} in items


def test_out_of_band_helpers_check_like_graph(fake: FakeGraph) -> None:
    with pytest.raises(ValueError, match="usage location"):
        fake.assign("erin@x.example", "ENTERPRISEPACK")
    with pytest.raises(ValueError, match="does not have a corresponding license"):
        fake.unassign("dave@x.example", "ENTERPRISEPACK")
    with pytest.raises(ValueError, match="exists already"):
        fake.add_user("alice@x.example")
    before = fake.sku_counts()["ENTERPRISEPREMIUM"]
    fake.delete_user("alice@x.example")
    assert call(f"{fake.base_url}/users/alice@x.example")[0] == 404
    assert fake.sku_counts()["ENTERPRISEPREMIUM"] == before  # soft-deleted: its unit waits with it (X8)
    fake.delete_user("alice@x.example", permanent=True)
    assert fake.sku_counts()["ENTERPRISEPREMIUM"] == (before[0], before[1] - 1)  # purged: freed


# ----- property: applying each round to the previous read equals a fresh full read -------------------------------
NAMES = [f"u{n}@x.example" for n in range(8)]
OP = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(NAMES), st.sampled_from([None, "US", "GB"])),
    st.tuples(st.just("delete"), st.sampled_from(NAMES), st.booleans()),
    st.tuples(st.just("locate"), st.sampled_from(NAMES), st.sampled_from([None, "US", "FR"])),
    st.tuples(st.just("assign"), st.sampled_from(NAMES), st.sampled_from(["ENTERPRISEPREMIUM", "ENTERPRISEPACK"])),
    st.tuples(st.just("unassign"), st.sampled_from(NAMES), st.sampled_from(["ENTERPRISEPREMIUM", "ENTERPRISEPACK"])),
    st.tuples(st.just("join"), st.sampled_from(NAMES), st.booleans()),
    st.tuples(st.just("rename"), st.sampled_from(NAMES), st.sampled_from(NAMES)),
)


def apply_op(fake: FakeGraph, op: tuple[str, str, Any]) -> None:
    kind, upn, arg = op
    actions = {
        "add": lambda: fake.add_user(upn, arg),
        "delete": lambda: fake.delete_user(upn, permanent=arg),
        "locate": lambda: fake.set_location(upn, arg),
        "assign": lambda: fake.assign(upn, arg),
        "unassign": lambda: fake.unassign(upn, arg),
        "join": lambda: (fake.add_member if arg else fake.remove_member)("Licensed", upn),
        "rename": lambda: fake.rename_user(upn, arg),
    }
    with contextlib.suppress(KeyError, ValueError):  # no such user, a member already, refused: no change
        actions[kind]()


def full_read(fake: FakeGraph) -> dict[str, dict[str, Any]]:
    url: str | None = f"{fake.base_url}/users?$select={SELECT}&$top=3"
    found: dict[str, dict[str, Any]] = {}
    while url:
        status, _, body = call(url)
        assert status == 200
        found.update({u["id"]: normal(u) for u in body["value"]})
        url = body.get("@odata.nextLink")
    return found


def normal(user: dict[str, Any]) -> dict[str, Any]:
    return {**user, "assignedLicenses": sorted(user["assignedLicenses"], key=lambda a: a["skuId"])}


@settings(max_examples=60)
@given(rounds=st.lists(st.lists(OP, max_size=10), min_size=1, max_size=3))
def test_applying_delta_rounds_to_the_last_read_gives_a_fresh_full_read(rounds: list[list[Any]]) -> None:
    users = [{"userPrincipalName": n, "usageLocation": "US", "licenses": []} for n in NAMES[:4]]
    groups = [{"displayName": "Licensed", "licenses": ["ENTERPRISEPACK"], "members": NAMES[:2]}]
    with FakeGraph(tenant_id=TENANT, skus=SKUS, users=users, groups=groups) as fake:
        fake.configure(delta_page=3)
        items, link, _ = read(f"{fake.base_url}/users/delta?$select={SELECT}")
        local = {i["id"]: normal({**dict.fromkeys(SELECT.split(",")), **i}) for i in items}
        assert local == full_read(fake)
        for ops in rounds:
            for op in ops:
                apply_op(fake, op)
            items, link, _ = read(link)
            for item in items:
                if "@removed" in item:
                    local.pop(item["id"], None)
                else:  # a new user's never-set usageLocation is absent: None (D5)
                    local[item["id"]] = normal(
                        {**dict.fromkeys(SELECT.split(",")), **local.get(item["id"], {}), **item}
                    )
            assert local == full_read(fake)
