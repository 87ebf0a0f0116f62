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
