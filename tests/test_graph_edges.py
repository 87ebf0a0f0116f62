"""The Graph client at its edges: answers that leave a write in doubt, and where the token may go.

Faults are injected deterministically by the fake (lose_writes, next_link_base), never by chance.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from conftest import TODAY

from reconciler.domain import catalog
from reconciler.domain.errors import PermanentProviderError
from reconciler.providers.base import UserWrite
from reconciler.providers.graph.auth import StaticToken
from reconciler.providers.graph.client import GraphClient
from reconciler.providers.graph.licensing import TenantSkus
from reconciler.providers.graph.provider import GraphProvider

MCOEV = catalog.CATALOG["MCOEV"].sku_id


def provider_for(g: Any) -> GraphProvider:
    tokens = StaticToken(g.env["TENANTCTL_GRAPH_TOKEN"])
    return GraphProvider(
        Path("unused.db"), "x", g.tenant_id, TODAY, lambda: (GraphClient(g.env["TENANTCTL_GRAPH_URL"], tokens), tokens)
    )


def license_writes(g: Any) -> list[Any]:
    """Every assignLicense the fake received (a lost reply is recorded with the status it answered)."""
    return [r for r in g.fake.inner_requests if r.method == "POST" and r.path.endswith("/assignLicense")]


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
def test_an_assignment_whose_reply_is_lost_is_read_back_not_repeated_or_failed(graph_tenant, status: int) -> None:
    """408 and 5xx say nothing about whether the write happened: the user is read again."""
    g = graph_tenant(
        None,
        skus=[("MCOEV", MCOEV, 1)],
        users=[{"userPrincipalName": "b@x.example", "usageLocation": "US", "licenses": []}],
    )
    g.fake.lose_writes(1, status)
    provider = provider_for(g)
    try:
        provider.read_state()
        [result] = provider.write_users([UserWrite("b@x.example", add=("MCOEV",))])
    finally:
        provider.close()
    assert result.error is None, result.error
    assert g.fake.licenses()["b@x.example"] == {"MCOEV"}
    assert len(license_writes(g)) == 1  # applied once; the seat (1 of 1) was never asked for twice


def test_a_removal_whose_reply_is_lost_is_done_when_the_read_back_says_so(graph_tenant) -> None:
    g = graph_tenant(
        None,
        skus=[("MCOEV", MCOEV, 1)],
        users=[{"userPrincipalName": "a@x.example", "usageLocation": "US", "licenses": ["MCOEV"]}],
    )
    g.fake.lose_writes(1, 504)
    provider = provider_for(g)
    try:
        provider.read_state()
        [result] = provider.write_users([UserWrite("a@x.example", remove=("MCOEV",))])
    finally:
        provider.close()
    assert result.error is None and result.changed
    assert g.fake.licenses()["a@x.example"] == set()
    assert len(license_writes(g)) == 1  # a second removal would have been refused: "does not have" it


class Recorder(BaseHTTPRequestHandler):
    """Another host: records every request it gets (and the Authorization header it carried)."""

    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        Recorder.seen.append((self.path, self.headers.get("Authorization")))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"value": []}')

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_the_token_is_never_sent_to_a_next_page_on_another_host(graph_tenant) -> None:
    """A next-page link that points elsewhere stops the read; the other host gets nothing."""
    other = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=other.serve_forever, args=(0.05,), daemon=True).start()
    Recorder.seen = []
    try:
        # More users than the client's largest page ($top=999), so the listing has a second page.
        users = [{"userPrincipalName": f"u{i}@x.example", "usageLocation": "US", "licenses": []} for i in range(1000)]
        g = graph_tenant(
            None, skus=[("MCOEV", MCOEV, 1)], users=users, next_link_base=f"http://127.0.0.1:{other.server_address[1]}"
        )
        provider = provider_for(g)
        try:
            with pytest.raises(PermanentProviderError) as exc:
                provider.read_state()
        finally:
            provider.close()
    finally:
        other.shutdown()
        other.server_close()
    assert "next-page link to another host" in str(exc.value) and "refusing to send the token" in str(exc.value)
    assert Recorder.seen == []


def test_one_action_at_a_time_goes_through_the_same_batch(graph_tenant) -> None:
    """The Provider protocol's single actions (apply itself batches); a repeat is harmless (Graph accepts it)."""
    g = graph_tenant(
        None,
        skus=[("MCOEV", MCOEV, 1)],
        users=[{"userPrincipalName": "b@x.example", "usageLocation": None, "licenses": []}],
    )
    provider = provider_for(g)
    try:
        provider.read_state()
        assert provider.set_usage_location("b@x.example", "US") is True  # a PATCH: Graph does not say "already"
        assert provider.assign_license("b@x.example", "MCOEV") is True
        provider.assign_license("b@x.example", "MCOEV")
        assert g.fake.licenses()["b@x.example"] == {"MCOEV"}
        assert provider.remove_license("b@x.example", "MCOEV") is True
        assert g.fake.licenses()["b@x.example"] == set()
        with pytest.raises(PermanentProviderError) as refused:
            provider.assign_license("nobody@x.example", "MCOEV")
        assert refused.value.code == "user_not_found"
    finally:
        provider.close()


@pytest.mark.parametrize(
    "call, what",
    [
        (lambda p: p.purchase_subscription("MCOEV", 1, "P1Y", "monthly", "k"), "buy subscriptions"),
        (lambda p: p.set_seats("MCOEV", 2), "change seat counts"),
        (lambda p: p.schedule_seats("MCOEV", 2), "schedule seat changes for the renewal"),
        (lambda p: p.set_term("MCOEV", "P1Y", "annual"), "change terms"),
        (lambda p: p.set_pay_as_you_go("MCOPSTN1", True), "toggle pay-as-you-go overage"),
        (lambda p: p.set_auto_recharge(None), "change Communications Credits auto-recharge"),
        (lambda p: p.add_funds(10, "k"), "add Communications Credits funds"),
    ],
)
def test_graph_refuses_every_commerce_action_and_says_where_to_do_it(call: Any, what: str) -> None:
    provider = GraphProvider(Path("unused.db"), "x", None, TODAY, lambda: (None, None))  # type: ignore[arg-type,return-value]
    with pytest.raises(PermanentProviderError) as refused:
        call(provider)
    assert (refused.value.message, refused.value.code) == (f"Microsoft Graph has no API to {what}", "no_api")
    assert refused.value.hint == "do it in the Microsoft 365 admin center; the plan lists the steps"


class OrgClient:
    """A client whose GET /organization answers `reply` (a value or an exception to raise)."""

    def __init__(self, reply: Any) -> None:
        self.reply = reply

    def get(self, path: str) -> Any:
        assert path == "/organization?$select=id"
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply


def test_the_tenant_id_of_an_opaque_token_is_read_from_the_organization() -> None:
    from reconciler.domain.errors import TransientProviderError
    from reconciler.providers.graph.provider import _organization_id

    assert _organization_id(OrgClient({"value": [{"id": "t-1"}, {"id": "t-2"}]})) == "t-1"  # type: ignore[arg-type]
    assert _organization_id(OrgClient({"value": []})) is None  # type: ignore[arg-type]
    assert _organization_id(OrgClient({})) is None  # type: ignore[arg-type]
    assert _organization_id(OrgClient(TransientProviderError("busy"))) is None  # type: ignore[arg-type]
    forbidden = PermanentProviderError("no Organization.Read.All", code="forbidden")
    assert _organization_id(OrgClient(forbidden)) is None  # type: ignore[arg-type]
    rejected = PermanentProviderError("token rejected", code="unauthorized")
    with pytest.raises(PermanentProviderError) as raised:
        _organization_id(OrgClient(rejected))  # type: ignore[arg-type]
    assert raised.value is rejected


def _refusal(status: int, code: str, message: str) -> Any:
    from reconciler.providers.graph.client import SubResponse
    from reconciler.providers.graph.refusals import user_error

    body = {"error": {"code": code, "message": message}} if code or message else {}
    return user_error(UserWrite("b@x.example", add=("MCOEV",)), SubResponse(status, body))


@pytest.mark.parametrize(
    "status, code, message, kind, said, hint, error_code",
    [
        (
            429,
            "TooManyRequests",
            "slow down",
            "TransientProviderError",
            "b@x.example: still throttled by Microsoft Graph after every retry (transient: retry later)",
            None,
            None,
        ),
        (
            400,
            "Request_BadRequest",
            "License assignment failed because the user has an invalid Usage Location.",
            "PermanentProviderError",
            "b@x.example has no valid usage location, which Microsoft requires before any license",
            "set usageLocation for b@x.example in the spec",
            "usage_location",
        ),
        (
            400,
            "Request_BadRequest",
            "Subscription has no available licenses.",
            "PermanentProviderError",
            "no free seat for b@x.example: Subscription has no available licenses.",
            "raise the subscription's seats in the admin center (and the spec) or free a license",
            "no_available_licenses",
        ),
        (
            401,
            "InvalidAuthenticationToken",
            "expired",
            "PermanentProviderError",
            "b@x.example: Microsoft Graph refused access (401 InvalidAuthenticationToken: expired)",
            "check the permissions in the README ('Connect a real tenant') and the token",
            "forbidden",
        ),
        (
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges",
            "PermanentProviderError",
            "b@x.example: Microsoft Graph refused access (403 Authorization_RequestDenied: Insufficient privileges)",
            "check the permissions in the README ('Connect a real tenant') and the token",
            "forbidden",
        ),
        (
            404,
            "Request_ResourceNotFound",
            "gone",
            "PermanentProviderError",
            "b@x.example does not exist in the tenant",
            "create the user or remove it from the spec",
            "user_not_found",
        ),
        (
            400,
            "Request_BadRequest",
            "odd",
            "PermanentProviderError",
            "b@x.example: Microsoft Graph refused the change (400 Request_BadRequest: odd)",
            "",
            "Request_BadRequest",
        ),
        (
            400,
            "",
            "",
            "PermanentProviderError",
            "b@x.example: Microsoft Graph refused the change (400 : )",
            "",
            "rejected",
        ),
    ],
)
def test_each_graph_refusal_says_what_to_change(
    status: int, code: str, message: str, kind: str, said: str, hint: str | None, error_code: str | None
) -> None:
    error = _refusal(status, code, message)
    assert type(error).__name__ == kind
    if hint is None:
        assert str(error) == said
    else:
        assert (error.message, error.hint, error.code) == (said, hint, error_code)


# ------------------------------------------------ reading back a write whose reply was lost (_read_back)

E5 = catalog.CATALOG["ENTERPRISEPREMIUM"].sku_id


class ReadClient:
    """Answers the read-back $batch with the given user bodies (or statuses), recording what was asked."""

    def __init__(self, answers: dict[str, tuple[int, dict[str, Any]]]) -> None:
        self.answers, self.asked = answers, []  # type: list[Any]

    def batch(self, requests: list[Any]) -> dict[str, Any]:
        from reconciler.providers.graph.client import SubResponse

        self.asked.extend(requests)
        return {r.id: SubResponse(*self.answers[r.id]) for r in requests}


def read_back(writes: list[UserWrite], answers: dict[str, tuple[int, dict[str, Any]]]) -> Any:
    """Run the read-back of `writes` (all unsure) against `answers`.

    Returns (send, unread, current, results, retries, asked)."""
    client = ReadClient(answers)
    provider = GraphProvider(Path("unused.db"), "x", None, TODAY, lambda: (client, None))  # type: ignore[arg-type,return-value]
    provider._client = client  # type: ignore[assignment]  # signed in already
    provider._skus = TenantSkus({"MCOEV": MCOEV, "ENTERPRISEPREMIUM": E5}, {MCOEV: "MCOEV", E5: "ENTERPRISEPREMIUM"})
    current, results, retries = dict(enumerate(writes)), {}, {}  # type: ignore[var-annotated]
    send, unread = provider._read_back(set(current), current, results, retries)
    return send, unread, current, results, retries, client.asked


def user(location: str | None, *skus: str) -> tuple[int, dict[str, Any]]:
    return 200, {"usageLocation": location, "assignedLicenses": [{"skuId": s, "disabledPlans": []} for s in skus]}


def test_an_unreadable_user_is_read_again_and_never_resent_on_a_guess() -> None:
    # The first read fails (a 3xx is no answer either); the second user's read is still used.
    for status in (300, 503):
        send, unread, _current, results, retries, asked = read_back(
            [UserWrite("a@x.example", add=("MCOEV",)), UserWrite("b@x.example", add=("MCOEV",))],
            {"r0": (status, {}), "r1": user("US", MCOEV)},
        )
        assert (send, unread, retries) == (set(), {0}, {0: 1, 1: 1})
        assert 0 not in results and results[1].changed and results[1].retries == 1 and results[1].error is None
        assert [(r.method, r.url) for r in asked] == [
            (
                "GET",
                "/users/a@x.example?$select=id,userPrincipalName,usageLocation,assignedLicenses,"
                "licenseAssignmentStates",
            ),
            (
                "GET",
                "/users/b@x.example?$select=id,userPrincipalName,usageLocation,assignedLicenses,"
                "licenseAssignmentStates",
            ),
        ]


def test_only_what_the_read_shows_missing_is_sent_again() -> None:
    writes = [
        UserWrite("a@x.example", "US", ("MCOEV",), ("ENTERPRISEPREMIUM",)),  # location missing only
        UserWrite("b@x.example", "US", ("MCOEV",), ("ENTERPRISEPREMIUM",)),  # licenses missing only
        UserWrite("c@x.example", None, (), ("ENTERPRISEPREMIUM",)),
    ]  # a removal that did not happen
    send, unread, current, results, _retries, _ = read_back(
        writes, {"r0": user("GB", MCOEV), "r1": user("US", E5), "r2": user(None, E5)}
    )
    assert (send, unread, results) == ({0, 1, 2}, set(), {})
    assert current == {
        0: UserWrite("a@x.example", "US", (), ()),
        1: UserWrite("b@x.example", None, ("MCOEV",), ("ENTERPRISEPREMIUM",)),
        2: UserWrite("c@x.example", None, (), ("ENTERPRISEPREMIUM",)),
    }


def test_a_read_naming_a_license_the_tenant_lacks_fails_that_write_only() -> None:
    send, unread, _current, results, _retries, _ = read_back(
        [UserWrite("a@x.example", add=("MCOPSTN1",)), UserWrite("b@x.example", "US")],
        {"r0": user("US"), "r1": user("US")},
    )
    assert (send, unread) == (set(), set())
    assert (results[0].part, results[0].retries, results[0].error.code) == ("licenses", 1, "no_subscription")  # type: ignore[union-attr]
    assert results[1].changed and results[1].error is None and results[1].retries == 1


def test_a_license_inherited_from_a_group_is_named_by_its_sku_or_else_its_id() -> None:
    """Only group assignments count (a direct one can be removed directly); a skuId the tenant's
    subscribedSkus do not list is still reported, by its id, never dropped."""
    from reconciler.providers.graph.licensing import user_of

    stranger = "0b0b0b0b-0000-4000-8000-000000000000"
    states = [
        {"skuId": "id-mcoev", "assignedByGroup": "group-1"},
        {"skuId": "id-e5", "assignedByGroup": None},  # direct
        {"skuId": stranger, "assignedByGroup": "group-2"},
        {"skuId": "id-e5", "assignedByGroup": "group-3", "state": "Error", "error": "CountViolation"},
    ]
    skus = TenantSkus({"MCOEV": "id-mcoev", "SPE_E5": "id-e5"}, {"id-mcoev": "MCOEV", "id-e5": "SPE_E5"})
    user, errors = user_of({"userPrincipalName": "a@x", "licenseAssignmentStates": states}, skus)
    assert user.inherited == frozenset({"MCOEV", stranger}) and user.direct == frozenset({"SPE_E5"})
    assert [(e.sku, e.error, e.group) for e in errors] == [("SPE_E5", "CountViolation", "group-3")]
    user, errors = user_of({"userPrincipalName": "a@x", "licenseAssignmentStates": None}, skus)
    assert user.inherited == frozenset() and errors == ()


def test_a_netrc_entry_for_the_graph_host_never_replaces_the_token(
    graph_tenant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests puts a ~/.netrc password for the host over a hand-set Authorization header; the
    client's token is the request's own auth, so Graph gets the bearer token and nothing else."""
    g = graph_tenant("contoso")
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password CANARYnetrc\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    provider = provider_for(g)
    try:
        assert provider.read_state().users  # signed in: the fake refuses anything but its token
    finally:
        provider.close()
    sent = {r.headers.get("Authorization") or r.headers.get("authorization") for r in g.fake.requests}
    assert sent == {f"Bearer {g.env['TENANTCTL_GRAPH_TOKEN']}"}
