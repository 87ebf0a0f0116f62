"""Primitives shared by tests/fakegraph.py and tests/fakegraph_groups.py: the request and reply records,
Graph's error envelope, OData query-option helpers, the assignLicense body parser, and the tenant's data
model (SKUs, users, their direct and inherited license assignments).

Moved out of fakegraph.py unchanged (apart from the user model) so that the group-licensing module can use
them without an import cycle. fakegraph.py re-exports every name, so `from fakegraph import GraphError` and
the like keep working.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

USER_PROPS = ("id", "userPrincipalName", "displayName", "usageLocation", "assignedLicenses", "licenseAssignmentStates")
DEFAULT_USER_PROPS = ("id", "userPrincipalName", "displayName")


@dataclass
class Recorded:
    """One request as the fake saw it; status is filled in once the answer is known."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class Reply:
    """A response before it is written to the wire (or into a $batch envelope)."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class GraphError(Exception):
    """Raised by handlers; turned into Graph's error envelope."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class _Sku:
    part: str
    sku_id: str
    enabled: int


# licenseAssignmentState.state values that mean the user holds the license (and consumes a unit).
HOLDING = ("Active", "ActiveWithError")


@dataclass
class _Inherited:
    """One license assignment a user inherits from a group (a licenseAssignmentState with assignedByGroup)."""

    group: str  # the group's id
    sku: str  # skuId
    disabled: list[str]  # disabledPlans of this assignment
    state: str = "Active"  # Active, ActiveWithError, Disabled or Error
    error: str = "None"  # None, CountViolation, MutuallyExclusiveViolation, DependencyViolation, ...
    updated: str = ""  # lastUpdatedDateTime

    @property
    def holding(self) -> bool:
        return self.state in HOLDING


@dataclass
class _User:
    id: str
    upn: str
    location: str | None
    licenses: dict[str, list[str]]  # skuId -> disabledPlans, in assignment order (direct assignments)
    inherited: list[_Inherited] = field(default_factory=list)  # group-based assignments, held or in error
    stamps: dict[str, str] = field(default_factory=dict)  # skuId -> lastUpdatedDateTime of a direct assignment

    def held(self) -> set[str]:
        """The skuIds the user holds: direct, or inherited without error. One unit each, however many copies."""
        return set(self.licenses) | {i.sku for i in self.inherited if i.holding}


@dataclass
class _Group:
    id: str
    name: str
    security: bool
    mail: bool
    types: list[str]
    licenses: dict[str, list[str]]  # skuId -> disabledPlans, in assignment order
    members: list[str] = field(default_factory=list)  # member object ids (users and groups), in order
    ids: set[str] = field(default_factory=set, repr=False)  # the same, for constant-time membership tests

    def add(self, member: str) -> bool:
        if member in self.ids:
            return False
        self.members.append(member)
        self.ids.add(member)
        return True

    def remove(self, member: str) -> None:
        self.members.remove(member)
        self.ids.discard(member)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error_body(code: str, message: str) -> dict[str, Any]:
    inner = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": str(uuid.uuid4()),
        "client-request-id": str(uuid.uuid4()),
    }
    return {"error": {"code": code, "message": message, "innerError": inner}}


def _bad(message: str, code: str = "Request_BadRequest") -> GraphError:
    return GraphError(400, code, message)


def _header(headers: dict[str, str], name: str) -> str | None:
    # Header names are case-insensitive on the wire and in $batch envelopes alike.
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def _guid(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise _bad(f"Cannot convert the literal '{value}' to the expected type 'Edm.Guid'.") from None


def _single(query: dict[str, list[str]], name: str) -> str | None:
    values = set(query.get(name, []))
    if len(values) > 1:  # identical repeats are tolerated, conflicting ones are not
        raise _bad(f"Query option '{name}' was specified more than once, but it must be specified at most once.")
    return values.pop() if values else None


def _select(query: dict[str, list[str]], known: tuple[str, ...], entity: str) -> tuple[str, ...] | None:
    raw = _single(query, "$select")
    if raw is None:
        return None
    by_lower = {p.lower(): p for p in known}
    picked = []
    for name in (n.strip() for n in raw.split(",") if n.strip()):
        if name.lower() not in by_lower:
            raise _bad(f"Could not find a property named '{name}' on type 'microsoft.graph.{entity}'.")
        picked.append(by_lower[name.lower()])
    return tuple(picked)


def _check_options(query: dict[str, list[str]], allowed: set[str]) -> None:
    # Silently ignoring $filter etc. would hand back wrong data; say the fake lacks it instead.
    for name in query:
        if name.startswith("$") and name not in allowed:
            raise GraphError(400, "Request_UnsupportedQuery", f"fakegraph does not support query option '{name}' here.")


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def _decode_token(token: str | None) -> int:
    if token is None:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["o"]
        if isinstance(offset, int) and offset >= 0:
            return offset
    except (ValueError, KeyError, TypeError):
        pass
    raise _bad("The specified page token value has expired or is invalid.")


def _json_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _bad(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is "
            "of valid JSON format."
        )
    return body


def _parse_assign(raw: Any) -> tuple[dict[str, list[str]], list[str]]:
    """Validate an assignLicense body; returns ({skuId: disabledPlans}, [skuId to remove])."""
    body = _json_object(raw)
    for name in body:
        if name not in ("addLicenses", "removeLicenses"):
            raise _bad(
                f"The parameter '{name}' in the request payload is not a valid parameter for the "
                "operation 'assignLicense'."
            )
    missing = [n for n in ("addLicenses", "removeLicenses") if not isinstance(body.get(n), list)]
    if missing:
        raise _bad(
            "One or more parameters of the function import 'assignLicense' are missing from the request "
            f"payload. The missing parameters are: {', '.join(missing)}."
        )
    adds: dict[str, list[str]] = {}
    for item in body["addLicenses"]:
        if not isinstance(item, dict) or "skuId" not in item or set(item) - {"skuId", "disabledPlans"}:
            raise _bad("Each addLicenses item must be an assignedLicense object with a skuId.")
        # A missing disabledPlans is accepted and means none: Graph answers 200 to
        # {"addLicenses":[{"skuId":"..."}],"removeLicenses":[]} (reported in
        # https://github.com/microsoftgraph/msgraph-sdk-go/issues/163), and Microsoft's own examples pass only
        # a SkuId (Set-MgUserLicense -AddLicenses @{SkuId = $e5Sku.SkuId} -RemoveLicenses @(), in
        # https://learn.microsoft.com/microsoft-365/enterprise/assign-licenses-to-user-accounts-with-microsoft-365-powershell).
        # An explicit null is refused:
        # Graph's $metadata declares <Property Name="disabledPlans" Type="Collection(Edm.Guid)"
        # Nullable="false"/> on assignedLicense (github.com/microsoftgraph/msgraph-metadata,
        # clean_v10_metadata/cleanMetadata.xml), and the OData library Graph is built on rejects a null
        # for such a property with this message (ReaderValidationUtils_NullNamedValueForNonNullableType,
        # github.com/OData/odata.net). No report of Graph's exact reply to a null disabledPlans was found;
        # the status (400) and the message follow from those two sources.
        plans = item.get("disabledPlans", [])
        if plans is None:
            raise _bad(
                "A null value was found for the property named 'disabledPlans', which has the expected type "
                "'Collection(Edm.Guid)[Nullable=False]'. The expected type "
                "'Collection(Edm.Guid)[Nullable=False]' does not allow null values."
            )
        if not isinstance(plans, list):
            raise _bad("disabledPlans must be a collection of GUIDs.")
        adds[_guid(item["skuId"])] = [_guid(p) for p in plans]
    return adds, [_guid(s) for s in body["removeLicenses"]]
