"""HTTP to Azure Resource Manager's Microsoft.Billing provider, api-version 2024-04-01
(docs/commerce-apis.md section 2 and 8): bearer token, `api-version` on every call, paging by
absolute `nextLink`, long-running PATCH answered 202 with a `Location` to poll, throttling by 429
with Retry-After, and ARM's error shape `{"error": {"code", "message"}}`."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

from ...domain.errors import PermanentProviderError, TransientProviderError
from ..graph.auth import CredentialToken, TokenSource, choose_credential
from ..http import EnvToken, Service, checked_url, retry_after, same_host, send
from ..retry import Backoff, RetryPolicy, with_retries

DEFAULT_URL = "https://management.azure.com"
SCOPE = "https://management.azure.com/.default"
API_VERSION = "2024-04-01"


class AzureBillingError(PermanentProviderError):
    """A refusal with ARM's error code."""


def azure_billing_tokens(tenant: str | None, environ: dict[str, str] | None = None) -> TokenSource:
    """TENANTCTL_AZURE_BILLING_TOKEN, else the azure-identity chain for Azure Resource Manager."""
    env = dict(os.environ if environ is None else environ)
    if env.get("TENANTCTL_AZURE_BILLING_TOKEN"):
        return EnvToken(
            "TENANTCTL_AZURE_BILLING_TOKEN",
            env["TENANTCTL_AZURE_BILLING_TOKEN"],
            "Azure Billing",
            "get a new one, e.g. `az account get-access-token --resource https://management.azure.com`",
        )
    method, make = choose_credential(env)
    signed_in = env.get("AZURE_TENANT_ID") or tenant or ""
    hint = (
        "set TENANTCTL_AZURE_BILLING_TOKEN (a token for https://management.azure.com), or AZURE_CLIENT_ID with "
        "AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE, or sign in with `az login`"
    )
    return CredentialToken(make(signed_in), SCOPE, method, signed_in, hint)


def base_url(environ: dict[str, str] | None = None) -> str:
    """TENANTCTL_AZURE_BILLING_URL, else Azure Resource Manager; https, or http on localhost only."""
    env = os.environ if environ is None else environ
    return checked_url("TENANTCTL_AZURE_BILLING_URL", env.get("TENANTCTL_AZURE_BILLING_URL") or DEFAULT_URL)


class AzureBillingClient:
    """Calls under `{base}/providers/Microsoft.Billing`, retried within the policy."""

    def __init__(
        self,
        base: str,
        tokens: TokenSource,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base, self.tokens, self.retry, self.sleep = base.rstrip("/"), tokens, retry, sleep
        self._service = Service("Azure Billing", self.base, "TENANTCTL_AZURE_BILLING_URL")
        self.session = requests.Session()

    def close(self) -> None:
        """Release the connection pool."""
        self.session.close()

    def listed(self, path: str) -> Iterator[dict[str, Any]]:
        """Every item of a list, following `nextLink` (absolute, on the same host only)."""
        url: str | None = self._url(path)
        while url:
            page = with_retries(lambda u=url: self._once("GET", u), self.retry, self.sleep)  # type: ignore[misc]
            yield from page.get("value") or []
            url = page.get("nextLink")
            if url and not same_host(url, self.base):
                raise PermanentProviderError(
                    f"Azure Billing gave a next-page link to another host; refusing to send the token there: {url}"
                )

    def get(self, path: str) -> dict[str, Any]:
        """GET one resource."""
        return with_retries(lambda: self._once("GET", self._url(path)), self.retry, self.sleep)

    def patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH, then follow a 202's Location until the operation ends; the resource as it ends."""
        answer = self._send("PATCH", self._url(path), body)
        backoff = Backoff(self.retry, self.sleep)
        while answer.status_code == 202:
            # Location only: its final answer is the resource (Billing declares no Azure-AsyncOperation,
            # whose status document answers 200 while the operation still runs).
            location = answer.headers.get("Location")
            if not location or not same_host(location, self.base):
                raise PermanentProviderError(
                    f"Azure Billing accepted the change but gave no operation to follow ({location})"
                )
            delay = retry_after(answer.headers)
            if not backoff.wait(delay if delay is not None else backoff.next_delay(None)):
                raise TransientProviderError("Azure Billing's operation did not end within the retry budget")
            answer = self._send("GET", location)
        return _checked(answer)

    def _url(self, path: str) -> str:
        return f"{self.base}/providers/Microsoft.Billing{path}?api-version={API_VERSION}"

    def _once(self, method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return _checked(self._send(method, url, body))

    def _send(self, method: str, url: str, body: dict[str, Any] | None = None) -> requests.Response:
        return send(self.session, self._service, self.tokens, method, url, body, dict, self.sleep)


def _checked(response: requests.Response) -> dict[str, Any]:
    status = response.status_code
    try:
        data = response.json() if response.content else {}
    except ValueError:
        data = {}
    if status < 300:
        return data if isinstance(data, dict) else {}
    error = (data.get("error") if isinstance(data, dict) else None) or {}
    code, message = str(error.get("code", "")), str(error.get("message", ""))
    if status in (408, 409, 429) or status >= 500:  # 409: locked by an operation still running
        raise TransientProviderError(
            f"Azure Billing answered {status} {code}: {message}", retry_after(response.headers)
        )
    if status == 401:
        raise PermanentProviderError(
            "Azure Billing refused the sign-in (401)",
            "check the token's audience (Azure Resource Manager)",
            "unauthorized",
        )
    hint = "check the billing account and its scope in metadata.commerce, and the signed-in identity's billing role"
    raise AzureBillingError(f"Azure Billing refused it ({status} {code}): {message}", hint, code)
