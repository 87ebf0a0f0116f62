"""HTTP to Partner Center's REST API, as its documentation asks (docs/commerce-apis.md 1.1, 1.11, 1.12).

Every call carries the bearer token, `MS-Contract-Version: v1`, a fresh `MS-CorrelationId` and an
`MS-RequestId`. The request id is what makes a retry safe: "If there's a timeout, the retry call
should include the same value", so a write is re-sent with the id of its first try, and a caller that
must survive a crash (a checkout) derives the id from its idempotency key. Throttling (429) waits
for Retry-After; an answer lost in transit (408, 5xx, no answer) is retried with the same id.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests

from ...domain.errors import PermanentProviderError, TransientProviderError, UsageError
from ..graph.auth import CredentialToken, TokenSource, choose_credential
from ..http import EnvToken, Pacer, Service, checked_url, retry_after, send
from ..retry import RetryPolicy, with_retries

DEFAULT_URL = "https://api.partnercenter.microsoft.com"
SCOPE = "https://api.partnercenter.microsoft.com/.default"
SUBSCRIPTION_LIMIT = 500  # requests per minute per customer tenant


class PartnerCenterError(PermanentProviderError):
    """A refusal with Partner Center's own error code (`800090`, `20003`, ...)."""


def partner_center_tokens(environ: dict[str, str] | None = None) -> TokenSource:
    """The token source: TENANTCTL_PARTNER_CENTER_TOKEN, else the azure-identity chain in the partner's tenant."""
    env = dict(os.environ if environ is None else environ)
    if env.get("TENANTCTL_PARTNER_CENTER_TOKEN"):
        return EnvToken(
            "TENANTCTL_PARTNER_CENTER_TOKEN",
            env["TENANTCTL_PARTNER_CENTER_TOKEN"],
            "Partner Center",
            "get a new one for https://api.partnercenter.microsoft.com, signed in to the partner's tenant",
        )
    tenant = env.get("AZURE_TENANT_ID")
    if not tenant:
        raise UsageError(
            "Partner Center needs the partner's sign-in: set TENANTCTL_PARTNER_CENTER_TOKEN, or AZURE_TENANT_ID "
            "(the partner's tenant) with the app's credentials (AZURE_CLIENT_ID and a secret, certificate or "
            "federated token)"
        )
    method, make = choose_credential(env)
    hint = (
        "set TENANTCTL_PARTNER_CENTER_TOKEN, or AZURE_TENANT_ID (the partner's tenant) with AZURE_CLIENT_ID and "
        "AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE"
    )
    return CredentialToken(make(tenant), SCOPE, method, tenant, hint)


def base_url(environ: dict[str, str] | None = None) -> str:
    """TENANTCTL_PARTNER_CENTER_URL (the bare host), else Microsoft's; https, or http on localhost only."""
    env = os.environ if environ is None else environ
    return checked_url("TENANTCTL_PARTNER_CENTER_URL", env.get("TENANTCTL_PARTNER_CENTER_URL") or DEFAULT_URL)


class PartnerCenterClient:
    """Calls under `{base}/v1`, with retries for throttling and lost answers."""

    def __init__(
        self,
        base: str,
        tokens: TokenSource,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        pacer: Pacer | None = None,
    ) -> None:
        self.base = base.rstrip("/")
        self._service = Service("Partner Center", self.base, "TENANTCTL_PARTNER_CENTER_URL")
        self.tokens = tokens
        self.retry = retry
        self.sleep = sleep
        self.session = requests.Session()
        self.requests_made = 0
        self._lock = threading.Lock()
        # "The Subscription resource has a rate limit of 500 requests per minute per tenant identifier"
        # (docs/commerce-apis.md 1.3): one client serves one customer, so one pacer per client.
        self.pacer = pacer or Pacer(SUBSCRIPTION_LIMIT, 60.0, sleep=sleep)

    def close(self) -> None:
        """Release the connection pool."""
        self.session.close()

    def get(self, path: str) -> dict[str, Any]:
        """GET `/v1{path}`."""
        return self.call("GET", path)

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        request_id: str | None = None,
        etag: str | None = None,
    ) -> dict[str, Any]:
        """One call, retried within the policy with the same MS-RequestId; its JSON answer."""
        rid = request_id or str(uuid.uuid4())
        return with_retries(lambda: self._once(method, path, body, rid, etag), self.retry, self.sleep)

    def _once(
        self, method: str, path: str, body: dict[str, Any] | None, request_id: str, etag: str | None
    ) -> dict[str, Any]:
        def headers() -> dict[str, str]:
            out = {"MS-Contract-Version": "v1", "MS-RequestId": request_id, "MS-CorrelationId": str(uuid.uuid4())}
            return out | ({"If-Match": etag} if etag is not None else {})

        url = f"{self.base}/v1{path}"
        return _checked(
            send(self.session, self._service, self.tokens, method, url, body, headers, self.sleep, self._before)
        )

    def _before(self) -> None:
        with self._lock:
            self.requests_made += 1
        self.pacer.take()


def _checked(response: requests.Response) -> dict[str, Any]:
    """The JSON of a 2xx answer; a typed error otherwise."""
    status = response.status_code
    data = _json(response)
    if status < 300:
        return data
    code, text = str(data.get("code", "")), str(data.get("description") or data.get("message") or "")
    if status == 429:
        raise TransientProviderError(
            f"Partner Center throttled the request: {text}".rstrip(": "), retry_after(response.headers)
        )
    if status == 408 or status >= 500:
        raise TransientProviderError(
            f"Partner Center answered {status} {code} {text}".rstrip(), retry_after(response.headers)
        )
    if status == 401:
        raise PermanentProviderError(
            "Partner Center refused the sign-in (401)", "check the partner's token and its app consent", "unauthorized"
        )
    raise PartnerCenterError(f"Partner Center refused it ({status}, code {code}): {text}", _hint(code), code)


def _hint(code: str) -> str:
    return {
        "800090": "the seats are outside their seven-day cancellation window: schedule the decrease for the renewal",
        "20002": "the partner has no commerce relationship with this customer: check metadata.tenantId",
        "900206": "accept the partner attestation in Partner Center",
        "800093": "the offer cannot renew automatically",
    }.get(code, "see Partner Center's error codes (https://learn.microsoft.com/partner-center/developer/error-codes)")


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {"items": data}
