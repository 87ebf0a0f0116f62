"""Providers: the only code that talks to a tenant. Chosen by a URL such as `local:PATH`: `local/` (a tenant
simulated in SQLite) or `graph/` (Microsoft Graph)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

from ..domain.commerce import AZURE_BILLING, Commerce
from ..domain.errors import UsageError
from ..domain.groups import GroupSpec
from .azurebilling.channel import AzureBillingChannel
from .azurebilling.client import AzureBillingClient, azure_billing_tokens
from .azurebilling.client import base_url as azure_billing_url
from .base import Provider
from .commerce import CommerceChannel
from .faults import FaultInjector
from .graph.auth import TokenSource, token_source
from .graph.client import GraphClient
from .graph.delta import USER_FIELDS, Policy, Refresh, max_age
from .graph.provider import DEFAULT_URL, GraphProvider
from .http import checked_url
from .local.provider import LocalProvider
from .partnercenter.channel import PartnerCenterChannel
from .partnercenter.client import PartnerCenterClient, partner_center_tokens
from .partnercenter.client import base_url as partner_center_url

__all__ = ["GraphProvider", "LocalProvider", "Provider", "open_provider", "provider_url", "today"]
DEFAULT_CONCURRENCY = 4


def today() -> date:
    """The local clock, pinned by TENANTCTL_TODAY=YYYY-MM-DD when set."""
    pinned = os.environ.get("TENANTCTL_TODAY")
    if not pinned:
        return date.today()
    try:
        return date.fromisoformat(pinned)
    except ValueError:
        raise UsageError(f"TENANTCTL_TODAY={pinned!r} is not a date; use YYYY-MM-DD") from None


def provider_url(option: str | None, tenant: str | None) -> str:
    """The provider URL from --provider, then TENANTCTL_PROVIDER, then local:.tenantctl/<tenant>.db.

    `{name}` in the URL is replaced by the tenant name, so one URL serves a folder of tenants.
    """
    url = option or os.environ.get("TENANTCTL_PROVIDER") or "local"
    if "{name}" in url:
        if not tenant:
            raise UsageError(f"the provider URL {url!r} has {{name}} but there is no tenant name; pass --name")
        url = url.replace("{name}", tenant)
    if url in ("local", "graph"):
        if not tenant:
            raise UsageError(
                f"--provider {url} needs a tenant name to pick its file in .tenantctl/; "
                f"pass --name NAME, or --provider {url}:PATH"
            )
        url = (
            f"local:{Path('.tenantctl') / f'{tenant}.db'}"
            if url == "local"
            else f"graph:{Path('.tenantctl') / f'{tenant}.graph.db'}"
        )
    return url


def open_provider(
    url: str,
    tenant: str | None = None,
    tenant_id: str | None = None,
    read_only: bool = False,
    create: bool = False,
    commerce: Commerce | None = None,
    groups: tuple[GroupSpec, ...] = (),
    managed: frozenset[str] = frozenset(),
    refresh: Refresh = "auto",
) -> Provider:
    """Open the provider a URL names; `tenant_id` is the tenant a Graph sign-in must be for.

    `read_only`: the command only reads, so no file may be created or changed by opening it;
    `create`: a local tenant file may be created (snapshot load), otherwise it must exist;
    `commerce`: the spec's commerce channel, which Graph reads and buys subscriptions through;
    `groups`: the spec's groups, which Graph looks up by name or id (one holding no license yet is not
    among the licensed groups it lists); `managed` and `refresh` decide whether Graph may read only what
    changed since the read kept in its ledger file (graph/delta.py)."""
    scheme, _, rest = url.partition(":")
    if scheme == "local" and rest:
        faults = os.environ.get("TENANTCTL_FAULTS")
        return LocalProvider(rest, today(), FaultInjector.parse(faults) if faults else None, read_only, create)
    if scheme == "graph" and rest:
        channel = _channel(commerce, tenant_id, Path(rest))
        # The kept read is for this tenant, this endpoint, these SKUs and fields: any change reads in full.
        where = os.environ.get("TENANTCTL_GRAPH_URL") or DEFAULT_URL
        scope = "|".join((",".join(sorted(managed)), USER_FIELDS, tenant_id or "", where))
        policy = Policy(refresh, scope, max_age())
        return GraphProvider(
            Path(rest), tenant, tenant_id, today(), lambda: graph_client(tenant_id), channel, groups, policy
        )
    raise UsageError(
        f"unknown provider '{url}'; use local (the default, .tenantctl/<metadata.name>.db), "
        "local:PATH (a simulated tenant in SQLite), graph (Microsoft Graph; lock and history in "
        ".tenantctl/<metadata.name>.graph.db) or graph:PATH"
    )


def _channel(commerce: Commerce | None, customer: str | None, memory: Path) -> Callable[[], CommerceChannel] | None:
    """The commerce channel a spec names, opened on first use (the simulator models commerce itself)."""
    if commerce is None or not commerce.automated:
        return None
    if customer is None:
        raise UsageError(f"the {commerce.channel} channel needs metadata.tenantId, the tenant it buys for")
    if commerce.channel == AZURE_BILLING:
        arm = azure_billing_url()
        return lambda: AzureBillingChannel(
            AzureBillingClient(arm, azure_billing_tokens(customer)), customer, commerce, today()
        )
    url = partner_center_url()  # checked now, before anything is read
    return lambda: PartnerCenterChannel(
        PartnerCenterClient(url, partner_center_tokens()), customer, commerce, today(), memory
    )


def graph_client(tenant_id: str | None) -> tuple[GraphClient, TokenSource]:
    """A Graph client for TENANTCTL_GRAPH_URL (default the global cloud), signed in from the environment."""
    base = checked_url("TENANTCTL_GRAPH_URL", os.environ.get("TENANTCTL_GRAPH_URL") or DEFAULT_URL)
    raw = os.environ.get("TENANTCTL_GRAPH_CONCURRENCY", str(DEFAULT_CONCURRENCY))
    if not raw.isdigit() or not 1 <= int(raw) <= 16:
        raise UsageError(f"TENANTCTL_GRAPH_CONCURRENCY={raw!r} must be a whole number from 1 to 16")
    tokens = token_source(tenant_id, base)
    return GraphClient(base, tokens, concurrency=int(raw)), tokens
