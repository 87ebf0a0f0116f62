"""What Microsoft Graph's refusals mean for a user's write, and the refusal for what Graph cannot do."""

from __future__ import annotations

from ...domain.errors import PermanentProviderError, ProviderError, TransientProviderError
from ..base import UserWrite
from .client import SubResponse


def user_error(w: UserWrite, answer: SubResponse) -> ProviderError:
    """Graph's refusal as a per-user message that says what to change."""
    code, message = answer.error
    if answer.status == 429:
        return TransientProviderError(f"{w.upn}: still throttled by Microsoft Graph after every retry")
    lowered = message.lower()
    if "usage location" in lowered:
        return PermanentProviderError(
            f"{w.upn} has no valid usage location, which Microsoft requires before any license",
            f"set usageLocation for {w.upn} in the spec",
            code="usage_location",
        )
    if "available licenses" in lowered:
        return PermanentProviderError(
            f"no free seat for {w.upn}: {message}",
            "raise the subscription's seats in the admin center (and the spec) or free a license",
            code="no_available_licenses",
        )
    if answer.status in (401, 403):
        return PermanentProviderError(
            f"{w.upn}: Microsoft Graph refused access ({answer.status} {code}: {message})",
            "check the permissions in the README ('Connect a real tenant') and the token",
            code="forbidden",
        )
    if answer.status == 404:
        return PermanentProviderError(
            f"{w.upn} does not exist in the tenant", "create the user or remove it from the spec", code="user_not_found"
        )
    return PermanentProviderError(
        f"{w.upn}: Microsoft Graph refused the change ({answer.status} {code}: {message})", code=code or "rejected"
    )


def no_api(what: str) -> PermanentProviderError:
    """The error for a commerce write through Graph without a channel (the plan marks these manual)."""
    return PermanentProviderError(
        f"Microsoft Graph has no API to {what}",
        "do it in the Microsoft 365 admin center; the plan lists the steps",
        code="no_api",
    )
