"""Reading users through Graph's delta query (issue 18; providers/graph/delta.py), against the fake written
from Microsoft's documentation (tests/fakegraph_delta.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import TODAY, fake_jwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.domain import catalog
from reconciler.domain.model import TenantState
from reconciler.providers.graph.auth import StaticToken
from reconciler.providers.graph.client import GraphClient
from reconciler.providers.graph.delta import FORGOTTEN, LINK, Policy
from reconciler.providers.graph.provider import GraphProvider

TENANT = "5b1e2c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
SKUS = ("SPE_E3", "MCOEV")
PEOPLE = [f"u{i}@delta.example" for i in range(6)]


def _fake(**knobs: Any) -> Any:
    from fakegraph import FakeGraph

    users = [{"userPrincipalName": upn, "usageLocation": "US", "licenses": ["SPE_E3"]} for upn in PEOPLE[:4]]
    skus = [(part, catalog.CATALOG[part].sku_id, 50) for part in SKUS]
    fake = FakeGraph(tenant_id=TENANT, token=fake_jwt(TENANT), users=users, skus=skus, **knobs)
    fake.start()
    return fake


def _provider(fake: Any, ledger: Path | None, refresh: str = "auto", scope: str = "s") -> GraphProvider:
    tokens = StaticToken(fake_jwt(TENANT))
    policy = Policy(refresh, scope, timedelta(days=7)) if ledger is not None else None  # type: ignore[arg-type]
    return GraphProvider(
        ledger or Path("unused.db"),
        "delta",
        TENANT,
        TODAY,
        lambda: (GraphClient(fake.base_url, tokens), tokens),
        policy=policy,
    )


def _read(fake: Any, ledger: Path | None, refresh: str = "auto", scope: str = "s") -> TenantState:
    provider = _provider(fake, ledger, refresh, scope)
    try:
        return provider.read_state()
    finally:
        provider.close()


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("assign"), st.sampled_from(PEOPLE), st.sampled_from(SKUS)),
        st.tuples(st.just("unassign"), st.sampled_from(PEOPLE), st.sampled_from(SKUS)),
        st.tuples(st.just("move"), st.sampled_from(PEOPLE), st.sampled_from(("US", "GB", None))),
        st.tuples(st.just("add"), st.sampled_from(PEOPLE), st.just("")),
        st.tuples(st.just("delete"), st.sampled_from(PEOPLE), st.booleans()),
        st.tuples(st.just("read"), st.just(""), st.just("")),
        # Group G gives SPE_E3; processing changes licenseAssignmentStates, which delta does not track.
        st.tuples(st.sampled_from(("join", "leave")), st.sampled_from(PEOPLE), st.booleans()),
        st.tuples(st.just("process"), st.just(""), st.just("")),
    ),
    max_size=25,
)


def _do(fake: Any, op: tuple[str, str, Any]) -> None:
    kind, upn, arg = op
    try:
        if kind == "assign":
            fake.assign(upn, arg)
        elif kind == "unassign":
            fake.unassign(upn, arg)
        elif kind == "move":
            fake.set_location(upn, arg)
        elif kind == "add":
            fake.add_user(upn, "US")
        elif kind == "delete":
            fake.delete_user(upn, permanent=arg)
        elif kind in ("join", "leave"):
            (fake.add_member if kind == "join" else fake.remove_member)("G", upn)
            if arg:
                fake.process_groups()
        elif kind == "process":
            fake.process_groups()
    except (ValueError, KeyError):
        pass  # not possible in this state (no such user, held already, a prerequisite): Graph would refuse it too


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_any_changes_read_by_delta_equal_a_full_read(tmp_path: Path, ops: list[tuple[str, str, Any]]) -> None:
    fake = _fake()
    fake.add_group({"displayName": "G", "licenses": ["SPE_E3"], "members": []})
    ledger = tmp_path / f"l{abs(hash(tuple(ops)))}.db"
    try:
        _read(fake, ledger)  # the first read is full, and kept
        for op in [*ops, ("read", "", "")]:
            if op[0] != "read":
                _do(fake, op)
                continue
            seen = _read(fake, ledger)
            assert seen.read_note.startswith("delta read"), seen.read_note
            assert seen.users == _read(fake, None).users
    finally:
        fake.stop()


@pytest.fixture()
def fake() -> Any:
    started = _fake()
    yield started
    started.stop()


def test_what_forces_a_full_read_is_said(fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = tmp_path / "ledger.db"
    assert _read(fake, ledger).read_note == "full read (nothing stored yet)"
    assert _read(fake, ledger).read_note.startswith("delta read: 0 changed, 0 removed")
    assert _read(fake, ledger, refresh="full").read_note == "full read (--refresh full)"
    assert (
        _read(fake, ledger, scope="other").read_note
        == "full read (the spec's managed SKUs changed since the stored read)"
    )
    fake.expire_delta_tokens()
    assert _read(fake, ledger, scope="other").read_note == "full read (Microsoft Graph said the delta token expired)"
    fake.reset_delta_tokens()
    assert _read(fake, ledger, scope="other").read_note == "full read (Microsoft Graph said the delta token expired)"
    assert _read(fake, ledger, scope="other").read_note.startswith("delta read")


def test_a_refused_delta_query_is_a_full_read_never_a_failed_run(fake: Any, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    _read(fake, ledger)
    fake.configure(delta_unsupported=True)
    fake.set_location(PEOPLE[0], "GB")
    seen = _read(fake, ledger)
    assert seen.read_note.startswith("full read (Microsoft Graph refused the delta query (Request_UnsupportedQuery)")
    assert seen.users[PEOPLE[0]].usage_location == "GB"
    again = _read(fake, ledger)  # nothing could be kept: the stored read (and its token) are the old ones
    assert again.users[PEOPLE[0]].usage_location == "GB" and again.read_note.startswith("full read")


def test_an_apply_s_writes_reach_the_cache_only_through_graph(cli, fake: Any, workdir: Path) -> None:
    """Plan and drift say which read they did; what an apply wrote shows in the next delta, from Graph."""
    spec = workdir / "delta.yaml"
    users = "".join(f"    - {{upn: {u}, usageLocation: US, licenses: [SPE_E3, MCOEV]}}\n" for u in PEOPLE[:4])
    spec.write_text(
        "apiVersion: tenantctl/v1\nkind: Tenant\n"
        f"metadata: {{name: delta, tenantId: {TENANT}}}\nspec:\n  agreement: EA\n"
        "  subscriptions: [{sku: SPE_E3, seats: 50}, {sku: MCOEV, seats: 50}]\n  users:\n" + users
    )
    env = {"TENANTCTL_GRAPH_URL": fake.base_url, "TENANTCTL_GRAPH_TOKEN": fake_jwt(TENANT)}
    first = cli("plan", spec, "--provider", "graph", env=env)
    assert "tenant read: full read (nothing stored yet)" in first.out
    assert cli("apply", spec, "--provider", "graph", "--auto-approve", env=env).code == 0
    after = cli("drift", spec, "--provider", "graph", "--format", "json", env=env)
    assert after.code == 0, after.out + after.err
    assert "tenant read: delta read: 4 changed, 0 removed" in after.out
    fake.unassign(PEOPLE[1], "MCOEV")  # out of band
    drifted = cli("drift", spec, "--provider", "graph", env=env)
    assert drifted.code == 2 and "user/u1@delta.example" in drifted.out and "delta read: 1 changed" in drifted.out
    full = cli("drift", spec, "--provider", "graph", "--refresh", "full", env=env)
    assert full.code == 2 and "full read (--refresh full)" in full.out


def test_a_stale_group_state_never_makes_a_last_copy_look_like_a_spare(cli, workdir: Path) -> None:
    """Review finding: delta does not track licenseAssignmentStates. A user taken out of the group that also
    gave their license kept the cached "also from a group" state, so removing their only copy looked safe."""
    fake = _fake()
    try:
        fake.add_group({"displayName": "G", "licenses": ["SPE_E3"], "members": [PEOPLE[0]]})
        fake.process_groups()
        spec = workdir / "g.yaml"
        spec.write_text(
            f"apiVersion: tenantctl/v1\nkind: Tenant\nmetadata: {{name: g, tenantId: {TENANT}}}\nspec:\n"
            "  agreement: EA\n  subscriptions: [{sku: SPE_E3, seats: 50}]\n  groups: [{name: G, licenses: [SPE_E3]}]\n"
            f"  users:\n    - {{upn: {PEOPLE[0]}, usageLocation: US, licenses: []}}\n"
        )
        env = {"TENANTCTL_GRAPH_URL": fake.base_url, "TENANTCTL_GRAPH_TOKEN": fake_jwt(TENANT)}
        first = cli("plan", spec, "--provider", "graph", "--format", "json", env=env)
        assert [a["destructive"] for a in __import__("json").loads(first.out)["actions"]] == [False]  # a spare copy
        fake.remove_member("G", PEOPLE[0])
        fake.process_groups()
        again = cli("apply", spec, "--provider", "graph", "--auto-approve", env=env)
        assert again.code == 1 and "destructive" in again.err, again.out + again.err  # the last copy: refused
        assert "read again for their group licenses" in again.out
        assert "SPE_E3" in fake.licenses()[PEOPLE[0]]
    finally:
        fake.stop()


def test_a_ledger_that_cannot_keep_the_read_costs_the_cache_not_the_run(fake: Any, tmp_path: Path) -> None:
    damaged = tmp_path / "ledger.db"
    damaged.write_bytes(b"this is not SQLite" * 100)
    seen = _read(fake, damaged)
    assert seen.users and "cannot be used" in seen.read_note and "nothing is kept" in seen.read_note
    blocked = tmp_path / "a-file"  # its "folder" cannot be made (root ignores read-only modes, so not those)
    blocked.write_text("")
    seen = _read(fake, blocked / "ledger.db")
    assert seen.users and "cannot be kept" in seen.read_note


@pytest.mark.parametrize("days", ["abc", "nan", "inf", "-1", "1e10"])
def test_a_bad_cache_age_is_a_clear_error(cli, days: str) -> None:
    from conftest import SPECS

    run = cli("plan", SPECS / "contoso.yaml", "--provider", "graph:x.db", env={"TENANTCTL_GRAPH_CACHE_DAYS": days})
    assert run.code == 1 and "TENANTCTL_GRAPH_CACHE_DAYS" in run.err and "Traceback" not in run.err


@pytest.mark.parametrize(
    "older",
    [
        "CREATE TABLE graph_read_users (id TEXT PRIMARY KEY, body TEXT NOT NULL);"
        "INSERT INTO graph_read_users VALUES ('x', '{}');",  # one JSON body per user
        "CREATE TABLE graph_users (id TEXT PRIMARY KEY, upn TEXT, location TEXT, licenses TEXT NOT NULL);"
        "INSERT INTO graph_users VALUES ('x', 'x@y.example', 'US', '{}');",  # a user's whole licenses JSON
    ],
)
def test_a_read_kept_by_an_older_version_is_forgotten_and_read_in_full(fake: Any, tmp_path: Path, older: str) -> None:
    import sqlite3

    ledger = tmp_path / "ledger.db"
    _read(fake, ledger)
    with sqlite3.connect(ledger) as db:  # as an earlier version kept it
        db.executescript("DROP TABLE graph_users; DROP TABLE graph_shapes;" + older)
    db.close()
    seen = _read(fake, ledger)
    assert seen.read_note == f"full read ({FORGOTTEN})" and seen.users == _read(fake, None).users
    assert _read(fake, ledger).read_note.startswith("delta read: 0 changed")
    with sqlite3.connect(ledger) as db:  # an earlier version finds no deltaLink it knows, so it reads in full
        keys = {key for (key,) in db.execute("SELECT key FROM graph_read")}
    db.close()
    assert "link" not in keys and LINK in keys


def test_a_failed_read_of_groups_abandons_the_users_read_beside_it(
    fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review finding: the users are read in the background; when the groups' read failed, that read went on
    paging through every user (and kept them) after the command had failed, spending a folder's requests."""
    from reconciler.domain.errors import PermanentProviderError
    from reconciler.providers.graph import provider as graph_provider
    from reconciler.support.background import Background

    abandoned: list[str] = []

    class Watched(Background[Any]):
        def abandon(self) -> None:
            abandoned.append("users")
            super().abandon()

    def forbidden(*_: Any) -> Any:
        raise PermanentProviderError("Insufficient privileges to complete the operation.", code="forbidden")

    monkeypatch.setattr(graph_provider, "Background", Watched)
    monkeypatch.setattr(graph_provider, "read_groups", forbidden)
    with pytest.raises(PermanentProviderError):
        _read(fake, tmp_path / "ledger.db", refresh="full")
    assert abandoned == ["users"]


def test_an_abandoned_read_stops_at_its_next_request_and_only_its_own(fake: Any) -> None:
    import threading

    from reconciler.providers.graph.client import ReadAbandoned

    client = GraphClient(fake.base_url, StaticToken(fake_jwt(TENANT)))
    stop, seen = threading.Event(), []

    def background() -> None:
        client.abandon_when(stop)
        client.get("/subscribedSkus")  # before: it runs
        stop.set()
        try:
            client.get("/subscribedSkus")
        except ReadAbandoned:
            seen.append("abandoned")

    thread = threading.Thread(target=background)
    thread.start()
    thread.join()
    try:
        assert seen == ["abandoned"]
        assert client.get("/subscribedSkus")["value"]  # this thread's reads go on
    finally:
        client.close()
