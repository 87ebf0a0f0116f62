"""Providers: the only code that talks to a tenant. Chosen by a URL such as `local:PATH`."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from ..errors import UsageError
from .base import Provider
from .faults import FaultInjector
from .local import LocalProvider

__all__ = ["Provider", "LocalProvider", "open_provider", "provider_url", "today"]


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
    if url == "local":
        if not tenant:
            raise UsageError("--provider local needs a tenant name to pick .tenantctl/<name>.db; "
                             "pass --provider local:PATH")
        url = f"local:{Path('.tenantctl') / f'{tenant}.db'}"
    return url


def open_provider(url: str) -> LocalProvider:
    """Open the provider a URL names."""
    scheme, _, rest = url.partition(":")
    if scheme == "local" and rest:
        faults = os.environ.get("TENANTCTL_FAULTS")
        return LocalProvider(rest, today(), FaultInjector.parse(faults) if faults else None)
    raise UsageError(f"unknown provider '{url}'; use local:PATH (a SQLite file) or local "
                     "(the default, .tenantctl/<metadata.name>.db)")
