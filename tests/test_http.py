"""What the three HTTP clients share (providers/http.py): a host that cannot be reached is reported at once,
naming the variable to check, instead of minutes of backoff against a wrong URL."""

from __future__ import annotations

import socket

import pytest

from reconciler.domain.errors import PermanentProviderError
from reconciler.providers.azurebilling.client import AzureBillingClient
from reconciler.providers.graph.auth import StaticToken
from reconciler.providers.graph.client import GraphClient
from reconciler.providers.http import CONNECT_TRIES, EnvToken
from reconciler.providers.partnercenter.client import PartnerCenterClient


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed when the block ends: nothing listens there


@pytest.mark.parametrize("service", ["graph", "partnerCenter", "azureBilling"])
def test_a_host_that_refuses_the_connection_is_reported_after_a_few_quick_tries(service: str) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    slept: list[float] = []
    token = EnvToken("X", "t", "S", "")
    if service == "graph":
        client = GraphClient(url + "/v1.0", StaticToken("t"), sleep=slept.append)
        call, variable = (lambda: client.get("/users")), "TENANTCTL_GRAPH_URL"
    elif service == "partnerCenter":
        client = PartnerCenterClient(url, token, sleep=slept.append)  # type: ignore[assignment]
        call, variable = (lambda: client.get("/customers/c/subscriptions")), "TENANTCTL_PARTNER_CENTER_URL"
    else:
        client = AzureBillingClient(url, token, sleep=slept.append)  # type: ignore[assignment]
        call, variable = (lambda: client.get("/billingAccounts/a")), "TENANTCTL_AZURE_BILLING_URL"
    with pytest.raises(PermanentProviderError) as refused:
        call()
    client.close()
    assert refused.value.code == "unreachable" and variable in str(refused.value) and url in str(refused.value)
    assert slept == [1.0] * (CONNECT_TRIES - 1)  # a few quick tries, not the retry budget


@pytest.mark.parametrize(
    "service, variable",
    [("partnerCenter", "TENANTCTL_PARTNER_CENTER_TOKEN"), ("azureBilling", "TENANTCTL_AZURE_BILLING_TOKEN")],
)
def test_a_failed_sign_in_names_the_channels_own_token_variable(service: str, variable: str) -> None:
    """No token and no credential but the Azure CLI, which is not installed here: the error says what to set
    for this service (it once named TENANTCTL_GRAPH_TOKEN)."""
    from reconciler.providers.azurebilling.client import azure_billing_tokens
    from reconciler.providers.partnercenter.client import partner_center_tokens

    env = {"PATH": "/nonexistent", "AZURE_TENANT_ID": "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"}
    tokens = partner_center_tokens(env) if service == "partnerCenter" else azure_billing_tokens(None, env)
    with pytest.raises(PermanentProviderError) as failed:
        tokens.token()
    assert variable in str(failed.value) and "TENANTCTL_GRAPH_TOKEN" not in str(failed.value)


def test_requests_in_flight_across_tenants_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 18: a fleet reads tenants concurrently; the whole process never has more than the bound in flight."""
    import threading
    import time as clock

    import requests

    from reconciler.providers import http

    monkeypatch.setattr(http, "IN_FLIGHT", threading.BoundedSemaphore(3))
    state = {"now": 0, "most": 0}
    lock = threading.Lock()

    class Session:
        def request(self, *args: object, **kwargs: object) -> object:
            with lock:
                state["now"] += 1
                state["most"] = max(state["most"], state["now"])
            clock.sleep(0.01)
            with lock:
                state["now"] -= 1
            response = requests.Response()
            response.status_code = 200
            return response

    class Tokens:
        method = "test"
        tenant_id = None

        def token(self, refresh: bool = False) -> str:
            return "t"

    service = http.Service("Microsoft Graph", "http://127.0.0.1:9", "TENANTCTL_GRAPH_URL")
    answers: list[int] = []

    def call() -> None:
        response = http.send(Session(), service, Tokens(), "GET", "http://127.0.0.1:9/x", None, dict, lambda s: None)
        answers.append(response.status_code)

    calls = [threading.Thread(target=call) for _ in range(24)]
    for t in calls:
        t.start()
    for t in calls:
        t.join()
    assert answers == [200] * 24 and state["most"] == 3
