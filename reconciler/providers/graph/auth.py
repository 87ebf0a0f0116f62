"""Signing in to Microsoft Graph: a bearer token from the environment, never printed or stored.

In order: TENANTCTL_GRAPH_TOKEN (a token obtained elsewhere, e.g. `az account get-access-token
--resource-type ms-graph`); workload identity federation (AZURE_FEDERATED_TOKEN_FILE, how GitHub
Actions and GitLab sign in without a secret); a certificate (AZURE_CLIENT_CERTIFICATE_PATH);
a client secret (AZURE_CLIENT_SECRET); and on a laptop, the Azure CLI's `az login`.

The tenant is checked before anything is read: a spec's metadata.tenantId must be the tenant the
token is for, so a contoso spec can never be applied to fabrikam with a mixed-up credential.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

from ...domain.errors import PermanentProviderError

ENV_HELP = (
    "set TENANTCTL_GRAPH_TOKEN, or AZURE_CLIENT_ID with one of AZURE_FEDERATED_TOKEN_FILE, "
    "AZURE_CLIENT_CERTIFICATE_PATH or AZURE_CLIENT_SECRET, or run `az login` (see the README, "
    "'Connect a real tenant')"
)
REFRESH_MARGIN = 300  # seconds before expiry at which a cached token is renewed
MICROSOFT_AUTHORITIES = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
    }
)


class TokenSource(Protocol):
    """Where bearer tokens come from."""

    method: str  # how we sign in, for messages (never the secret)
    tenant_id: str | None  # the tenant the tokens are for, when known

    def token(self, refresh: bool = False) -> str:
        """A valid bearer token; `refresh` forces a new one (after a 401)."""


class StaticToken:
    """TENANTCTL_GRAPH_TOKEN: used as is; it cannot be renewed."""

    method = "TENANTCTL_GRAPH_TOKEN"

    def __init__(self, value: str) -> None:
        self._value = value.strip()
        self.tenant_id = claim(self._value, "tid")

    def token(self, refresh: bool = False) -> str:
        """The token; a refresh request means it was rejected, which only a new token fixes."""
        if refresh:
            raise PermanentProviderError(
                "Microsoft Graph rejected the token in TENANTCTL_GRAPH_TOKEN (expired or for another resource)",
                "get a new one, e.g. `az account get-access-token --resource-type ms-graph --query accessToken -o tsv`",
                code="unauthorized",
            )
        return self._value


class CredentialToken:
    """An azure-identity credential, with the token cached until shortly before it expires."""

    def __init__(self, credential: Any, scope: str, method: str, tenant_id: str, hint: str = ENV_HELP) -> None:
        self._hint = hint  # what to set instead, named for the service the token is for
        self._credential = credential
        self._scope = scope
        self.method = method
        self.tenant_id: str | None = tenant_id
        self._lock = threading.Lock()
        self._cached: tuple[str, float] | None = None

    def token(self, refresh: bool = False) -> str:
        """A cached or new token for the Graph scope."""
        from azure.core.exceptions import AzureError, ClientAuthenticationError

        with self._lock:
            if self._cached and not refresh and self._cached[1] - REFRESH_MARGIN > time.time():
                return self._cached[0]
            try:
                got = self._credential.get_token(self._scope)
            except ClientAuthenticationError as exc:
                raise PermanentProviderError(
                    f"could not sign in to Microsoft Entra ID with {self.method}: {_first_line(exc)}",
                    self._hint,
                    code="sign_in_failed",
                ) from None
            except AzureError as exc:
                # azure-core has already retried; minutes more of it would only hide the cause.
                raise PermanentProviderError(
                    f"could not reach Microsoft Entra ID to sign in with {self.method}: {_first_line(exc)}",
                    "check the network, a proxy, or AZURE_AUTHORITY_HOST",
                    code="sign_in_failed",
                ) from None
            token: str = got.token
            self._cached = (token, float(got.expires_on))
            return token


def token_source(expected_tenant: str | None, base_url: str, environ: dict[str, str] | None = None) -> TokenSource:
    """The token source the environment asks for, signed in to `expected_tenant` when given."""
    env = dict(os.environ if environ is None else environ)
    if env.get("TENANTCTL_GRAPH_TOKEN"):
        return StaticToken(env["TENANTCTL_GRAPH_TOKEN"])
    tenant = _tenant(expected_tenant, env.get("AZURE_TENANT_ID"))
    scope = f"{urlsplit(base_url).scheme}://{urlsplit(base_url).netloc}/.default"
    method, make = choose_credential(env)
    return CredentialToken(make(tenant), scope, method, tenant)


def choose_credential(env: dict[str, str]) -> tuple[str, Callable[[str], Any]]:
    """(description, factory taking the tenant id) for the credential the AZURE_* variables describe."""
    import azure.identity as identity

    # azure-identity logs each failed attempt as a warning on stderr; tenantctl reports it once.
    logging.getLogger("azure").setLevel(logging.CRITICAL)

    client_id = env.get("AZURE_CLIENT_ID")
    wants_app = any(
        env.get(k) for k in ("AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_SECRET")
    )
    if wants_app and not client_id:
        raise PermanentProviderError(
            "AZURE_CLIENT_ID is not set",
            "set it to the application (client) id of the app registration tenantctl signs in as",
            code="sign_in_failed",
        )
    extra: dict[str, Any] = {}
    if env.get("AZURE_AUTHORITY_HOST"):
        extra["authority"] = env["AZURE_AUTHORITY_HOST"]
        if urlsplit(env["AZURE_AUTHORITY_HOST"]).hostname not in MICROSOFT_AUTHORITIES:
            # A private cloud's authority (Azure Stack Hub) publishes no instance metadata to check against.
            extra["disable_instance_discovery"] = True
    if env.get("AZURE_FEDERATED_TOKEN_FILE"):
        path = env["AZURE_FEDERATED_TOKEN_FILE"]
        return (
            "workload identity federation (AZURE_FEDERATED_TOKEN_FILE)",
            lambda t: identity.WorkloadIdentityCredential(
                tenant_id=t, client_id=client_id, token_file_path=path, **extra
            ),
        )
    if env.get("AZURE_CLIENT_CERTIFICATE_PATH"):
        cert, password = env["AZURE_CLIENT_CERTIFICATE_PATH"], env.get("AZURE_CLIENT_CERTIFICATE_PASSWORD")
        return (
            "a certificate (AZURE_CLIENT_CERTIFICATE_PATH)",
            lambda t: identity.CertificateCredential(
                t, client_id or "", certificate_path=cert, password=password, **extra
            ),
        )
    if env.get("AZURE_CLIENT_SECRET"):
        secret = env["AZURE_CLIENT_SECRET"]
        return (
            "a client secret (AZURE_CLIENT_SECRET)",
            lambda t: identity.ClientSecretCredential(t, client_id or "", secret, **extra),
        )
    return "the Azure CLI (`az login`)", lambda t: identity.AzureCliCredential(tenant_id=t)


def check_tenant(source: TokenSource, expected: str | None) -> None:
    """Refuse a token for another tenant than the spec's metadata.tenantId."""
    if expected and source.tenant_id and source.tenant_id.lower() != expected.lower():
        raise PermanentProviderError(
            f"the token from {source.method} is for tenant {source.tenant_id}, but the spec "
            f"is for tenant {expected} (metadata.tenantId)",
            "sign in to the spec's tenant, or fix metadata.tenantId",
            code="tenant_mismatch",
        )


def claim(token: str, name: str) -> str | None:
    """A claim from a JWT's payload, unverified (Graph verifies the token; we only read who it is for)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    value = payload.get(name) if isinstance(payload, dict) else None
    return value if isinstance(value, str) else None


def _tenant(expected: str | None, from_env: str | None) -> str:
    if expected and from_env and expected.lower() != from_env.lower():
        raise PermanentProviderError(
            f"AZURE_TENANT_ID is {from_env} but the spec is for tenant {expected} (metadata.tenantId)",
            "unset AZURE_TENANT_ID or point it at the spec's tenant",
            code="tenant_mismatch",
        )
    tenant = expected or from_env
    if not tenant:
        raise PermanentProviderError(
            "no tenant to sign in to",
            "set metadata.tenantId in the spec (or AZURE_TENANT_ID for commands without a spec)",
            code="sign_in_failed",
        )
    return tenant


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
