"""The Graph client at its edges: answers that leave a write in doubt, and where the token may go.

Faults are injected deterministically by the fake (lose_writes, next_link_base), never by chance.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from conftest import TODAY
from reconciler import catalog
from reconciler.errors import PermanentProviderError
from reconciler.providers.base import UserWrite
from reconciler.providers.graph import GraphProvider
from reconciler.providers.graphauth import StaticToken
from reconciler.providers.graphhttp import GraphClient

MCOEV = catalog.CATALOG["MCOEV"].sku_id


def provider_for(g: Any) -> GraphProvider:
    tokens = StaticToken(g.env["TENANTCTL_GRAPH_TOKEN"])
    return GraphProvider(Path("unused.db"), "x", g.tenant_id, TODAY,
                         lambda: (GraphClient(g.env["TENANTCTL_GRAPH_URL"], tokens), tokens))


def license_writes(g: Any) -> list[Any]:
    """Every assignLicense the fake received (a lost reply is recorded with the status it answered)."""
    return [r for r in g.fake.inner_requests if r.method == "POST" and r.path.endswith("/assignLicense")]


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
def test_an_assignment_whose_reply_is_lost_is_read_back_not_repeated_or_failed(graph_tenant, status: int) -> None:
    """408 and 5xx say nothing about whether the write happened: the user is read again."""
    g = graph_tenant(None, skus=[("MCOEV", MCOEV, 1)],
                     users=[{"userPrincipalName": "b@x.example", "usageLocation": "US", "licenses": []}])
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
    g = graph_tenant(None, skus=[("MCOEV", MCOEV, 1)],
                     users=[{"userPrincipalName": "a@x.example", "usageLocation": "US", "licenses": ["MCOEV"]}])
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

    seen: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        Recorder.seen.append((self.path, self.headers.get("Authorization")))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"value": []}')

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def test_the_token_is_never_sent_to_a_next_page_on_another_host(graph_tenant) -> None:
    """A next-page link that points elsewhere stops the read; the other host gets nothing."""
    other = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    Recorder.seen = []
    try:
        # More users than the client's largest page ($top=999), so the listing has a second page.
        users = [{"userPrincipalName": f"u{i}@x.example", "usageLocation": "US", "licenses": []}
                 for i in range(1000)]
        g = graph_tenant(None, skus=[("MCOEV", MCOEV, 1)], users=users,
                         next_link_base=f"http://127.0.0.1:{other.server_address[1]}")
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
