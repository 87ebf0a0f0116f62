"""A group's assignLicense through Microsoft Graph, never sent twice on a guess.

Graph answers a group's assignLicense with 202 Accepted and processes the members later. A write
whose outcome is unknown (5xx, timeout) is read back (the group's assignedLicenses) before anything is
sent again, and only what is still missing goes.
"""

from __future__ import annotations

from ...domain.errors import PermanentProviderError, TransientProviderError
from ..base import GroupWrite, WriteResult
from .client import AMBIGUOUS, GraphClient, SubRequest
from .licensing import GROUP_FIELDS, TenantSkus, license_body


def group_write(client: GraphClient, group_id: str, write: GroupWrite, skus: TenantSkus) -> WriteResult:
    """Send `write` for the group `group_id`; read back after an unknown outcome."""
    left, retries = write, 0
    for round_ in range(client.retry.attempts):
        try:
            body = license_body(left.add, left.remove, skus)
        except PermanentProviderError as exc:
            return WriteResult(error=exc, retries=retries)
        answer = client.batch([SubRequest("g", "POST", f"/groups/{group_id}/assignLicense", body)])["g"]
        retries += answer.retries
        if answer.status != AMBIGUOUS and answer.status < 300:
            return WriteResult(changed=True, retries=retries)
        if answer.status != AMBIGUOUS:
            code, message = answer.error
            return WriteResult(
                error=PermanentProviderError(
                    f"group '{write.group}': Microsoft Graph refused the change ({answer.status} {code}: {message})",
                    "check the group and its licenses in the Microsoft 365 admin center, then plan again",
                    code=code or "rejected",
                ),
                retries=retries,
            )
        client.sleep(client.retry.delay(round_, None))
        rest = _still_to_do(client, group_id, left, skus)
        if rest is None:
            return WriteResult(changed=True, retries=retries + 1)
        left = rest
    return WriteResult(
        error=TransientProviderError(
            f"group '{write.group}': Microsoft Graph did not confirm the change; run apply again"
        ),
        retries=retries,
    )


def _still_to_do(client: GraphClient, group_id: str, write: GroupWrite, skus: TenantSkus) -> GroupWrite | None:
    """What of `write` the group does not show yet (None: all of it happened)."""
    group = client.get(f"/groups/{group_id}?$select={GROUP_FIELDS}")
    held = {
        skus.part(a["skuId"]): skus.names(a.get("disabledPlans") or []) for a in group.get("assignedLicenses") or []
    }
    left = GroupWrite(
        write.group,
        tuple((sku, plans) for sku, plans in write.add if held.get(sku) != frozenset(plans)),
        tuple(sku for sku in write.remove if sku in held),
    )
    return left if left.add or left.remove else None
