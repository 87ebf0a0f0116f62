"""The Graph client's $batch retry loop, exactly: how often it re-sends, how long it waits, what it counts.

The fake Graph service tests the client end to end with random faults; these script each $batch
round's answers instead (`_send_batch` replaced), so a bound that moved by one fails here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from reconciler.domain.errors import PermanentProviderError, TransientProviderError
from reconciler.providers.graph.auth import StaticToken
from reconciler.providers.graph.client import AMBIGUOUS, GraphClient, SubRequest, SubResponse
from reconciler.providers.retry import RetryPolicy

GET = SubRequest("g", "GET", "/users/a")
POST = SubRequest("p", "POST", "/users/a/assignLicense", {"addLicenses": [], "removeLicenses": []})


class Script:
    """Answers each $batch round from a list of {id: (status, retry_after)}; records rounds and sleeps."""

    def __init__(self, rounds: list[dict[str, tuple[int, float | None]]]) -> None:
        self.rounds, self.sent, self.slept = iter(rounds), [], []  # type: Iterator[Any], list[list[str]], list[float]

    def send(self, chunk: list[SubRequest]) -> dict[str, tuple[SubResponse, float | None]]:
        answers = next(self.rounds)
        self.sent.append([r.id for r in chunk])
        return {r.id: (SubResponse(answers[r.id][0], {"n": len(self.sent)}), answers[r.id][1]) for r in chunk}


@pytest.fixture
def client() -> Iterator[GraphClient]:
    c = GraphClient("http://127.0.0.1:9", StaticToken("t"))
    yield c
    c.close()


def run(client: GraphClient, script: Script, policy: RetryPolicy, *requests: SubRequest) -> dict[str, SubResponse]:
    client.retry, client.sleep = policy, script.slept.append
    client._send_batch = script.send  # type: ignore[method-assign]
    return client.batch(list(requests))


def test_a_throttled_request_is_sent_attempts_times_with_exponential_backoff(client: GraphClient) -> None:
    script = Script([{"g": (429, None)}] * 3)
    answers = run(client, script, RetryPolicy(attempts=3, base_delay=1, budget=100), GET)
    assert script.sent == [["g"], ["g"], ["g"]] and script.slept == [1, 2]
    assert (answers["g"].status, answers["g"].retries, answers["g"].body) == (429, 2, {"n": 3})


def test_retry_after_is_honoured_and_the_budget_is_inclusive(client: GraphClient) -> None:
    script = Script([{"g": (429, 0.5)}] * 3 + [{"g": (200, None)}])
    answers = run(client, script, RetryPolicy(attempts=10, base_delay=5, budget=1.0), GET)
    # 0.5 + 0.5 reaches the budget exactly: allowed; a third wait would pass it.
    assert script.slept == [0.5, 0.5] and len(script.sent) == 3
    assert (answers["g"].status, answers["g"].retries) == (429, 2)


def test_an_answer_resets_the_bound_for_the_requests_still_throttled(client: GraphClient) -> None:
    script = Script([{"g": (200, None), "p": (429, None)}, {"p": (429, None)}, {"p": (200, None)}])
    answers = run(client, script, RetryPolicy(attempts=2, base_delay=1, budget=100), GET, POST)
    assert script.sent == [["g", "p"], ["p"]] and script.slept == [1]
    assert (answers["g"].status, answers["g"].retries) == (200, 0)
    assert (answers["p"].status, answers["p"].retries) == (429, 1)


def test_a_read_that_failed_is_sent_again_but_a_write_never_is(client: GraphClient) -> None:
    script = Script([{"g": (AMBIGUOUS, None), "p": (AMBIGUOUS, None)}, {"g": (200, None)}])
    answers = run(client, script, RetryPolicy(attempts=5, base_delay=0.25, budget=100), GET, POST)
    assert script.sent == [["g", "p"], ["g"]] and script.slept == [0.25]
    assert (answers["g"].status, answers["g"].retries) == (200, 1)
    assert (answers["p"].status, answers["p"].retries) == (AMBIGUOUS, 0)


def test_a_batch_that_never_arrived_leaves_every_request_in_doubt_with_the_reason(client: GraphClient) -> None:
    def lost(method: str, url: str, body: Any = None) -> Any:
        assert (method, url) == ("POST", "http://127.0.0.1:9/$batch")
        raise TransientProviderError("connection reset", 7.0)

    client._send = lost  # type: ignore[method-assign]
    answers = client._send_batch([GET, POST])
    assert {k: (a.status, a.error, after) for k, (a, after) in answers.items()} == {
        "g": (AMBIGUOUS, ("transport", "connection reset"), 7.0),
        "p": (AMBIGUOUS, ("transport", "connection reset"), 7.0),
    }


def test_a_batch_refused_for_its_token_is_every_request_s_refusal(client: GraphClient) -> None:
    def refused(method: str, url: str, body: Any = None) -> Any:
        raise PermanentProviderError("token expired", code="unauthorized")

    client._send = refused  # type: ignore[method-assign]
    answers = client._send_batch([POST])
    assert {k: (a.status, a.error, after) for k, (a, after) in answers.items()} == {
        "p": (401, ("unauthorized", "token expired"), None)
    }


# ------------------------------------------- the provider's rounds: send, read back, send what is missing


class Scripted:
    """A Graph client whose answers are scripted per request id, in order; records every request."""

    def __init__(self, answers: dict[str, list[tuple[int, dict[str, Any], int]]], attempts: int = 4) -> None:
        self.answers, self.asked, self.slept = answers, [], []  # type: ignore[var-annotated]
        self.retry = RetryPolicy(attempts=attempts, base_delay=0.5)

    def batch(self, requests: list[SubRequest]) -> dict[str, SubResponse]:
        self.asked.extend((r.id, r.method, r.url) for r in requests)
        out = {}
        for r in requests:
            status, body, retries = self.answers[r.id].pop(0)
            out[r.id] = SubResponse(status, body, retries)
        return out

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def provider(client: Scripted) -> Any:
    from pathlib import Path

    from conftest import TODAY

    from reconciler.domain import catalog
    from reconciler.providers.graph.licensing import TenantSkus
    from reconciler.providers.graph.provider import GraphProvider

    p = GraphProvider(Path("unused.db"), "x", None, TODAY, lambda: (client, None))  # type: ignore[arg-type,return-value]
    p._client = client  # type: ignore[assignment]
    p._skus = TenantSkus({"MCOEV": catalog.CATALOG["MCOEV"].sku_id}, {catalog.CATALOG["MCOEV"].sku_id: "MCOEV"})
    p._user_ids = {"a@x.example": "id-a", "b@x.example": "id-b"}
    return p


def held(*skus: str) -> dict[str, Any]:
    from reconciler.domain import catalog

    return {"usageLocation": "US", "assignedLicenses": [{"skuId": catalog.CATALOG[s].sku_id} for s in skus]}


def test_a_write_whose_read_failed_is_read_again_while_another_is_resent() -> None:
    from reconciler.providers.base import UserWrite

    client = Scripted(
        {
            "a0": [(AMBIGUOUS, {}, 0)],
            "a1": [(AMBIGUOUS, {}, 0), (200, {}, 2)],
            "r0": [(503, {}, 0), (200, held("MCOEV"), 0)],
            "r1": [(200, held(), 0)],
        }
    )
    results = provider(client).write_users(
        [UserWrite("A@x.example", add=("MCOEV",)), UserWrite("b@x.example", add=("MCOEV",))]
    )
    assert [(r.changed, r.error, r.retries) for r in results] == [(True, None, 2), (True, None, 3)]
    assert [url for _, _, url in client.asked][:2] == ["/users/id-a/assignLicense", "/users/id-b/assignLicense"]
    assert [i for i, _, _ in client.asked] == ["a0", "a1", "r0", "r1", "a1", "r0"] and client.slept == [0.5]


def test_a_write_never_confirmed_is_reported_as_transient_naming_what_is_in_doubt() -> None:
    from reconciler.providers.base import UserWrite

    client = Scripted(
        {"l0": [(AMBIGUOUS, {}, 0)], "r0": [(503, {}, 0)] * 3, "a1": [(AMBIGUOUS, {}, 1)], "r1": [(503, {}, 0)] * 3},
        attempts=3,
    )
    located, licensed = provider(client).write_users(
        [UserWrite("a@x.example", location="US"), UserWrite("b@x.example", add=("MCOEV",))]
    )
    for result, part, tries in ((located, "location", 3), (licensed, "licenses", 4)):
        assert isinstance(result.error, TransientProviderError) and (result.part, result.retries) == (part, tries)
    assert located.error.message == "a@x.example: Microsoft Graph did not confirm the change; run apply again"  # type: ignore[union-attr]


def test_a_license_the_tenant_does_not_have_fails_that_user_only_saying_how_to_get_it() -> None:
    from reconciler.providers.base import UserWrite

    client = Scripted({"l0": [(200, {}, 1)], "a1": [(200, {}, 0)]})
    bad, good = provider(client).write_users(
        [UserWrite("a@x.example", location="US", add=("MCOPSTN1",)), UserWrite("b@x.example", add=("MCOEV",))]
    )
    assert isinstance(bad.error, PermanentProviderError) and (bad.part, bad.retries) == ("licenses", 1)
    assert (bad.error.message, bad.error.hint, bad.error.code) == (
        "the tenant has no MCOPSTN1 subscription",
        "buy it first (the plan lists the admin-center steps), then run apply again",
        "no_subscription",
    )
    assert (good.changed, good.error) == (True, None)
    assert ("l0", "PATCH", "/users/id-a") in client.asked


def test_retries_are_counted_per_write_from_zero() -> None:
    """A write with nothing to send and one refused before sending took no retries; one throttled
    twice and then refused says so."""
    from reconciler.providers.base import UserWrite

    client = Scripted({"a2": [(400, {"error": {"code": "Request_BadRequest", "message": "no"}}, 2)]})
    nothing, unknown, refused = provider(client).write_users(
        [
            UserWrite("a@x.example"),
            UserWrite("b@x.example", add=("MCOPSTN1",)),
            UserWrite("a@x.example", add=("MCOEV",)),
        ]
    )
    assert (nothing.changed, nothing.error, nothing.retries) == (True, None, 0)
    assert isinstance(unknown.error, PermanentProviderError) and (unknown.part, unknown.retries) == ("licenses", 0)
    assert isinstance(refused.error, PermanentProviderError) and (refused.part, refused.retries) == ("licenses", 2)


@pytest.mark.parametrize("status", [300, 399])
def test_a_write_answered_3xx_failed(status: int) -> None:
    """Graph never redirects a write; a 3xx is no success, and the write is not sent again."""
    from reconciler.providers.base import UserWrite

    client = Scripted({"l0": [(status, {}, 0)]})
    [result] = provider(client).write_users([UserWrite("a@x.example", location="US", add=("MCOEV",))])
    assert isinstance(result.error, PermanentProviderError) and result.part == "location" and not result.changed
    assert [i for i, _, _ in client.asked] == ["l0"]


# ------------------------------------------- one HTTP answer, read: GETs (`_checked`) and $batch items


def http(status: int, body: Any = None, headers: dict[str, str] | None = None) -> requests.Response:
    """A requests.Response as the transport would hand it over."""
    response = requests.Response()
    response.status_code = status
    response._content = b"" if body is None else json.dumps(body).encode()
    response.headers.update(headers or {})
    return response


def answering(client: GraphClient, *responses: requests.Response) -> list[tuple[str, str]]:
    """Make the client's transport answer `responses` in turn, with no waiting; returns what was asked."""
    asked: list[tuple[str, str]] = []
    queue = list(responses)

    def send(method: str, url: str, body: Any = None) -> requests.Response:
        asked.append((method, url))
        return queue.pop(0)

    client._send = send  # type: ignore[method-assign]
    client.retry, client.sleep = RetryPolicy(attempts=1), lambda _: None
    return asked


def graph_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


@pytest.mark.parametrize("status", [200, 204, 299])
def test_a_2xx_read_is_its_body(client: GraphClient, status: int) -> None:
    asked = answering(client, http(status, {"value": [1]}))
    assert client.get("/users") == {"value": [1]}
    assert asked == [("GET", "http://127.0.0.1:9/users")]


@pytest.mark.parametrize("status", [300, 301, 400, 404, 409, 499])
def test_any_other_answer_below_500_is_a_permanent_refusal_with_graph_s_code(client: GraphClient, status: int) -> None:
    answering(client, http(status, graph_error("Request_BadRequest", "Invalid object identifier 'x'.")))
    with pytest.raises(PermanentProviderError) as err:
        client.get("/users/x")
    assert err.value.message == f"Microsoft Graph answered {status} Request_BadRequest: Invalid object identifier 'x'."
    assert (err.value.code, err.value.hint) == ("Request_BadRequest", "")


def test_a_refusal_without_a_code_is_rejected(client: GraphClient) -> None:
    answering(client, http(400, "not json an object"))
    with pytest.raises(PermanentProviderError) as err:
        client.get("/users/x")
    assert (err.value.message, err.value.code) == ("Microsoft Graph answered 400 : ", "rejected")


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_are_refused_access_naming_the_permissions(client: GraphClient, status: int) -> None:
    answering(client, http(status, graph_error("Authorization_RequestDenied", "Insufficient privileges.")), http(200))
    with pytest.raises(PermanentProviderError) as err:
        client.get("/users")
    assert err.value.code == "forbidden"
    assert str(err.value) == (
        f"Microsoft Graph refused access ({status} Authorization_RequestDenied: Insufficient privileges.) "
        "(grant the app the permissions in the README ('Connect a real tenant'): "
        "LicenseAssignment.Read.All and User.Read.All to plan; "
        "LicenseAssignment.ReadWrite.All and User.ReadWrite.All to apply)"
    )


@pytest.mark.parametrize(
    "status, body, headers, message, after",
    [
        (429, graph_error("TooManyRequests", "slow down"), {"Retry-After": "7"}, "429 TooManyRequests", 7.0),
        (500, None, {}, "500", None),  # no body, no code: no trailing space either
        (503, graph_error("serviceNotAvailable", ""), {"retry-after": "2.5"}, "503 serviceNotAvailable", 2.5),
        (599, None, {"Retry-After": "soon"}, "599", None),  # not a number of seconds: backoff decides
    ],
)
def test_429_and_5xx_reads_are_transient_with_graph_s_retry_after(
    client: GraphClient, status: int, body: Any, headers: dict[str, str], message: str, after: float | None
) -> None:
    answering(client, http(status, body, headers))
    with pytest.raises(TransientProviderError) as err:
        client.get("/users")
    assert err.value.message == f"Microsoft Graph answered {message}; gave up after 1 attempts"
    assert err.value.retry_after == after


def test_a_whole_batch_refused_is_each_request_s_refusal_with_graph_s_body(client: GraphClient) -> None:
    answering(client, http(400, graph_error("BadRequest", "Invalid batch payload.")))
    answers = client._send_batch([GET, POST])
    assert {k: (a.status, a.error, after) for k, (a, after) in answers.items()} == {
        "g": (400, ("BadRequest", "Invalid batch payload."), None),
        "p": (400, ("BadRequest", "Invalid batch payload."), None),
    }


def test_each_batch_item_is_read_with_its_own_status_body_and_retry_after(client: GraphClient) -> None:
    third = SubRequest("x", "GET", "/users/x")
    items = [
        {"id": "g", "status": 429, "headers": {"Retry-After": "9"}, "body": graph_error("TooManyRequests", "")},
        {"id": "p", "status": 204, "body": "not an object"},  # a body that is not a JSON object reads as empty
    ]
    answering(client, http(200, {"responses": items}))
    answers = client._send_batch([GET, POST, third])
    assert {k: (a.status, a.body, after) for k, (a, after) in answers.items()} == {
        "g": (429, graph_error("TooManyRequests", ""), 9.0),
        "p": (204, {}, None),
        # No answer for a request in the batch: it may or may not have run.
        "x": (AMBIGUOUS, graph_error("missing", "no answer in the batch"), None),
    }


# ------------------------------------------- the transport: what goes on the wire (`_send`)


class Tokens:
    """Hands out token-1, token-2, ... and records whether each was asked for fresh."""

    method, tenant_id = "test", None

    def __init__(self) -> None:
        self.asked: list[bool] = []

    def token(self, refresh: bool = False) -> str:
        self.asked.append(refresh)
        return f"token-{len(self.asked)}"


class Wire:
    """A requests.Session stand-in: records each request and answers from a list (or raises)."""

    def __init__(self, *answers: requests.Response | Exception) -> None:
        self.answers, self.sent = list(answers), []  # type: ignore[var-annotated]

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        # The headers as they go out: the request's auth applied to them, as a Session does.
        # (Content-Length is left out: requests computes it from the data.)
        prepared = requests.Request(method, url, kwargs.pop("headers"), auth=kwargs.pop("auth", None)).prepare()
        headers = {k: v for k, v in prepared.headers.items() if k != "Content-Length"}
        self.sent.append((method, url, {"headers": headers, **kwargs}))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self) -> None:
        self.closed = True


def wired(*answers: requests.Response | Exception, base: str = "https://graph.example/v1.0/") -> tuple[Any, ...]:
    tokens = Tokens()
    client = GraphClient(base, tokens, concurrency=2)
    client.session.close()
    wire = Wire(*answers)
    client.session = wire  # type: ignore[assignment]
    client.retry, client.sleep = RetryPolicy(attempts=1), lambda _: None
    return client, wire, tokens


def test_a_read_carries_the_bearer_token_asks_for_json_and_has_a_timeout() -> None:
    client, wire, tokens = wired(http(200, {"id": "org"}))
    assert client.get("/organization") == {"id": "org"}
    assert wire.sent == [
        (
            "GET",
            "https://graph.example/v1.0/organization",  # the base's trailing slash is not doubled
            {
                "headers": {"Authorization": "Bearer token-1", "Accept": "application/json"},
                "timeout": (10, 60),
                "data": None,
            },
        )
    ]
    assert (tokens.asked, client.requests_made) == ([False], 1)
    client.close()


def test_a_write_sends_its_body_as_json() -> None:
    client, wire, _ = wired(http(200, {"responses": []}))
    client._send_batch([POST])
    method, url, kwargs = wire.sent[0]
    assert (method, url) == ("POST", "https://graph.example/v1.0/$batch")
    assert kwargs["headers"] == {
        "Authorization": "Bearer token-1",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    assert json.loads(kwargs["data"]) == {"requests": [POST.to_dict()]} and kwargs["timeout"] == (10, 60)
    client.close()


def test_a_401_gets_one_fresh_token_and_one_more_try_and_each_try_is_counted() -> None:
    client, wire, tokens = wired(http(401), http(200, {"ok": True}), http(401), http(401))
    assert client.get("/users") == {"ok": True}
    assert tokens.asked == [False, True] and [h["headers"]["Authorization"] for _, _, h in wire.sent] == [
        "Bearer token-1",
        "Bearer token-2",
    ]
    with pytest.raises(PermanentProviderError) as err:  # still 401 with a fresh token: refused, no third try
        client.get("/users")
    assert err.value.code == "forbidden" and len(wire.sent) == 4 and client.requests_made == 4
    client.close()


def test_no_answer_at_all_is_transient_naming_what_went_wrong() -> None:
    client, _, _ = wired(requests.ConnectionError("reset by peer"))
    with pytest.raises(TransientProviderError) as err:
        client.get("/users")
    assert err.value.message == "Microsoft Graph did not answer (ConnectionError); gave up after 1 attempts"
    client.close()


def test_batches_in_flight_never_exceed_the_concurrency() -> None:
    import threading
    import time

    client, _, _ = wired()
    lock, state = threading.Lock(), {"now": 0, "most": 0}

    def send(method: str, url: str, body: Any = None) -> requests.Response:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.01)
        with lock:
            state["now"] -= 1
        return http(200, {"responses": [{"id": r["id"], "status": 204} for r in body["requests"]]})

    client._send = send  # type: ignore[method-assign]
    gets = [SubRequest(f"g{i}", "GET", f"/users/{i}") for i in range(8 * 20)]
    assert all(a.status == 204 for a in client.batch(gets).values())
    assert state["most"] == 2  # concurrency=2: two batches at once, never more
    client.close()


@pytest.mark.parametrize(
    "headers, after",
    [({"retry-after": "3"}, 3.0), ({"Retry-After": "0"}, 0.0), ({"Retry-After": "-4"}, 0.0), ({}, None)],
)
def test_a_batch_item_s_retry_after_is_read_in_either_spelling_and_never_below_zero(
    client: GraphClient, headers: dict[str, str], after: float | None
) -> None:
    answering(client, http(200, {"responses": [{"id": "g", "status": 429, "headers": headers}]}))
    [(answer, retry_after)] = client._send_batch([GET]).values()
    assert (answer.status, retry_after) == (429, after)


@pytest.mark.parametrize(
    "status, headers, expected, after",
    [
        (429, {"Retry-After": "6"}, 429, 6.0),  # the whole batch throttled: nothing ran
        (500, {"Retry-After": "2"}, AMBIGUOUS, 2.0),  # the writes may have run
        (503, {}, AMBIGUOUS, None),
        (300, {"Retry-After": "2"}, 300, None),  # a refusal: every request's permanent answer
        (301, {}, 301, None),
    ],
)
def test_a_whole_batch_answer_is_every_request_s_answer(
    client: GraphClient, status: int, headers: dict[str, str], expected: int, after: float | None
) -> None:
    body = graph_error("whole", f"the batch got {status}")
    answering(client, http(status, body, headers))
    answers = client._send_batch([GET, POST])
    assert {k: (a.status, a.body, ra) for k, (a, ra) in answers.items()} == {
        "g": (expected, body, after),
        "p": (expected, body, after),
    }


def test_paging_follows_graph_s_absolute_next_link_exactly() -> None:
    base = "https://graph.example/v1.0"
    link = f"{base}/users?$select=id&$skiptoken=abc"
    client, wire, _ = wired(http(200, {"value": [1], "@odata.nextLink": link}), http(200, {"value": [2]}), base=base)
    assert list(client.paged("/users?$select=id")) == [1, 2]
    assert [url for _, url, _ in wire.sent] == [f"{base}/users?$select=id", link]
    client.close()


def test_a_read_waits_through_the_client_s_own_sleep() -> None:
    client, wire, _ = wired(http(503, headers={"Retry-After": "4"}), http(200, {"ok": 1}))
    slept: list[float] = []
    client.retry, client.sleep = RetryPolicy(attempts=3), slept.append
    assert client.get("/users") == {"ok": 1} and slept == [4.0] and len(wire.sent) == 2
    client.close()
