"""An in-process fake of Microsoft Graph v1.0, the licensing subset, served over real HTTP.

Strict on purpose: it rejects what real Graph rejects, so a provider's mistakes show in tests.
Random faults (throttling, 5xx, lost replies, latency) come from one seeded random generator; two
deterministic knobs (lose_writes, next_link_base) serve tests that need an exact fault.

Licensing rules come from Microsoft's documentation, kept in tests/fakegraph_plans.py with their
addresses, and never from the product under test (reconciler/): the fake is an independent witness.
Group-based licensing (groups, members, group assignLicense, asynchronous processing, license errors) is in
tests/fakegraph_groups.py (model, processing, rules and sources) and tests/fakegraph_groups_http.py (routes);
delta query (/users/delta, /groups/delta) in tests/fakegraph_delta.py, out-of-band tenant changes (add_user,
delete_user, assign, ...) in tests/fakegraph_admin.py; shared primitives are in tests/fakegraph_core.py, extra
licensing facts in tests/fakegraph_catalog.py.
"""

from __future__ import annotations

import http
import json
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit, urlunsplit

from fakegraph_admin import TenantAdmin
from fakegraph_catalog import (
    EXCLUSIVE_PLANS,
    USAGE_RESTRICTIONS,
    license_entry,
    plan_ids,
    service_plans,
    snapshot_groups,
)
from fakegraph_core import (
    DEFAULT_USER_PROPS,
    USER_PROPS,
    GraphError,
    Recorded,
    Reply,
    _bad,
    _check_options,
    _decode_token,
    _encode_token,
    _error_body,
    _header,
    _json_object,
    _now,
    _parse_assign,
    _select,
    _single,
    _Sku,
    _User,
)
from fakegraph_delta import DELTA_KEYS, DeltaQuery
from fakegraph_groups import GROUP_ID, GROUP_KEYS  # noqa: F401  (GROUP_ID: kept importable from here)
from fakegraph_groups_http import GroupRoutes
from fakegraph_plans import DEPENDENCIES, SKUS

from reconciler.domain.countries import ISO_3166_ALPHA2

MAX_BATCH = 20
SKU_PROPS = (
    "id",
    "skuId",
    "skuPartNumber",
    "appliesTo",
    "capabilityStatus",
    "consumedUnits",
    "prepaidUnits",
    "servicePlans",
)
FAULT_KEYS = {
    "throttle_rate",
    "batch_throttle_rate",
    "retry_after",
    "error_rate",
    "lost_rate",
    "latency",
    "rules",
    "default_page",
    "next_link_base",
}
# A user's license assignments after a request: (skuPartNumber, disabledPlans) for each assignment,
# direct or inherited from a group. A rule returns Graph's error message, or None when all is well.
Rules = Callable[[Sequence[tuple[str, Sequence[str]]]], str | None]
# What a lost reply looks like to the client (lose_writes): Graph's error envelope with a code from
# https://learn.microsoft.com/graph/errors ("serviceNotAvailable" for 503, "generalException" otherwise;
# 504 keeps the "gatewayTimeout" the random lost_rate fault has always used). 503 carries Retry-After,
# which that page says it may.
LOST_REPLY_CODES = {503: "serviceNotAvailable", 504: "gatewayTimeout"}


def plan_rules(assignments: Sequence[tuple[str, Sequence[str]]]) -> str | None:
    """Microsoft's service-plan dependencies (tests/fakegraph_plans.py), checked as Graph does.

    The user's enabled service plans are those of every assigned SKU minus that assignment's
    disabledPlans; a plan stays enabled if any assignment enables it. A SKU missing from Microsoft's
    table contributes no plans. The first broken dependency is reported with the message Graph gives,
    as Microsoft documents it (Microsoft Entra, "Missing dependent service plans": "License assignment
    failed because service plan [x] depends on the service plan(s) [y], [z]." -
    https://learn.microsoft.com/entra/identity/users/licensing-groups-resolve-problems, source
    github.com/MicrosoftDocs/entra-docs/blob/main/docs/identity/users/licensing-groups-resolve-problems.md);
    Graph returns it with code Request_BadRequest and no trailing period, as reported from
    POST /users/{id}/reprocessLicenseAssignment and Set-MgUserLicense ("License assignment failed because
    service plan fe71d6c3-... depends on the service plan(s) 5dbe027f-...").
    """
    enabled: set[str] = set()
    for part, disabled in assignments:
        sku = SKUS.get(part)
        if sku is not None:
            enabled |= set(sku.plans) - {str(d).lower() for d in disabled}
    for dep in DEPENDENCIES:
        if dep.plan in enabled and not dep.needs & enabled:
            return (
                f"License assignment failed because service plan {dep.plan} depends on the service "
                f"plan(s) {', '.join(sorted(dep.needs))}"
            )
    return None


def _lost_reply(status: int) -> GraphError:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return GraphError(status, LOST_REPLY_CODES.get(status, "generalException"), f"{phrase}.")


class FakeGraph(DeltaQuery, TenantAdmin, GroupRoutes):
    """A fake Graph tenant behind a ThreadingHTTPServer on 127.0.0.1.

    Group-based licensing (tests/fakegraph_groups.py, which lists its rules and sources): `groups` (raw
    groups, see add_group), group_processing ("immediate" or "manual": then only process_groups() hands group
    licenses to members), country_letter_code (the organization's country, the usage location of members
    without one), exclusive_plans, exclusive_skus, usage_restrictions. A raw user's `groupLicenses` (SKU
    names) makes them a member of a group holding those SKUs.

    Licensing: `rules` (default plan_rules) decides whether the licenses a user would hold after an
    assignLicense break a service-plan dependency Microsoft documents (tests/fakegraph_plans.py); pass
    rules=None to accept any combination.

    Random faults, drawn from one generator seeded by `seed`: throttle_rate / batch_throttle_rate (429
    with Retry-After: retry_after), error_rate (5xx before anything is done), lost_rate (a successful
    write applied, then answered 504), latency (seconds each answer takes).

    Deterministic faults, for exact tests of a client:
      lose_writes(n, status=504): the next n successful writes (PATCH user, assignLicense; direct or
        inside $batch) are applied and then answered with `status` (408, 500, 503, 504, ...) and Graph's
        error envelope, as a reply lost on the way back looks. Counted under the lock, so concurrent
        requests never lose more or fewer than n. `lost_writes_left` says how many remain.
      next_link_base: None, or "scheme://host[:port]"; when set, the users listing's @odata.nextLink
        points at that host (same path and query) instead of the fake's own, to test that a client never
        sends its bearer token to a host it was not configured for.

    configure() changes any of these at runtime: the rates, retry_after, latency, rules, default_page,
    next_link_base, seed, and lose_writes=n or lose_writes=(n, status).

    Out-of-band changes (add_user, delete_user, rename_user, set_location, assign, unassign, delete_group) are in
    tests/fakegraph_admin.py. Delta query (tests/fakegraph_delta.py): knobs delta_page (page size) and
    delta_unsupported (configure()), expire_delta_tokens(), reset_delta_tokens().
    """

    def __init__(
        self,
        *,
        tenant_id: str,
        token: str = "fake-token",
        skus: Iterable[tuple[str, str, int]] = (),
        users: Iterable[dict[str, Any]] = (),
        rules: Rules | None = plan_rules,
        throttle_rate: float = 0.0,
        batch_throttle_rate: float = 0.0,
        retry_after: int | None = 1,
        error_rate: float = 0.0,
        lost_rate: float = 0.0,
        latency: float = 0.0,
        seed: int = 0,
        default_page: int = 100,
        display_name: str = "Fake Tenant",
        next_link_base: str | None = None,
        groups: Iterable[dict[str, Any]] = (),
        group_processing: str = "immediate",
        country_letter_code: str = "US",
        exclusive_plans: Iterable[Iterable[str]] = EXCLUSIVE_PLANS,
        exclusive_skus: Iterable[tuple[str, str]] = (),
        usage_restrictions: dict[str, frozenset[str]] | None = None,
    ) -> None:
        self.tenant_id, self.token, self.display_name = tenant_id, token, display_name
        self.rules, self.default_page = rules, default_page
        self.throttle_rate, self.batch_throttle_rate, self.retry_after = throttle_rate, batch_throttle_rate, retry_after
        self.error_rate, self.lost_rate, self.latency = error_rate, lost_rate, latency
        self._lock = threading.RLock()  # guards state, the rng, the logs and the in-flight counter
        self._rng = random.Random(seed)
        self._lost_writes, self._lost_status = 0, 504
        self.next_link_base = next_link_base
        self._skus: dict[str, _Sku] = {}
        for part, sku_id, enabled in skus:
            self.set_sku(part, sku_id, enabled)
        raw_users = list(users)
        self._users: list[_User] = [self._make_user(u) for u in raw_users]
        # Indexes, so a 20,000-user tenant answers each request in constant time.
        self._by_key: dict[str, _User] = {}
        for u in self._users:
            self._by_key[u.id.lower()] = self._by_key[u.upn.lower()] = u
        self._used: dict[str, int] = {}
        for u in self._users:
            for sku_id in u.held():
                self._used[sku_id] = self._used.get(sku_id, 0) + 1
        self.requests: list[Recorded] = []
        self.inner_requests: list[Recorded] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._server: ThreadingHTTPServer | None = None
        self._base = ""
        self._init_admin()
        self._init_delta()
        self._init_groups(
            groups,
            raw_users,
            group_processing=group_processing,
            country_letter_code=country_letter_code,
            exclusive_plans=exclusive_plans,
            exclusive_skus=exclusive_skus,
            usage_restrictions=dict(USAGE_RESTRICTIONS if usage_restrictions is None else usage_restrictions),
        )

    def _make_user(self, raw: dict[str, Any]) -> _User:
        """A raw user: licenses are SKU names or {sku, disabledPlans: [service plan names or ids]}."""
        by_part = {s.part: s.sku_id for s in self._skus.values()}
        entries = [license_entry(e) for e in raw.get("licenses", [])]
        unknown = [p for p in [*(p for p, _ in entries), *raw.get("groupLicenses", [])] if p not in by_part]
        if unknown:
            raise ValueError(f"user {raw['userPrincipalName']} holds SKUs the tenant lacks: {unknown}")
        uid = raw.get("id") or str(uuid.uuid5(uuid.NAMESPACE_URL, raw["userPrincipalName"].lower()))
        licenses = {by_part[p]: plan_ids(p, plans) for p, plans in entries}
        return _User(
            uid, raw["userPrincipalName"], raw.get("usageLocation"), licenses, stamps=dict.fromkeys(licenses, _now())
        )

    # ----- lifecycle -------------------------------------------------------------------------
    def start(self) -> str:
        """Start serving on a free port in a daemon thread; returns the v1.0 base URL."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._base = f"http://127.0.0.1:{self._server.server_address[1]}/v1.0"
        # A short poll interval keeps stop() (and so each test teardown) fast.
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self._base

    def stop(self) -> None:
        """Stop the server and close its socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGraph:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The v1.0 root, e.g. http://127.0.0.1:PORT/v1.0 (only after start)."""
        if not self._base:
            raise RuntimeError("FakeGraph is not started")
        return self._base

    # ----- inspection and admin ----------------------------------------------------------------
    def licenses(self) -> dict[str, set[str]]:
        """upn (lower-case) -> skuPartNumbers held."""
        with self._lock:
            return {u.upn.lower(): {self._skus[s].part for s in u.held()} for u in self._users}

    def locations(self) -> dict[str, str | None]:
        """upn (lower-case) -> usageLocation."""
        with self._lock:
            return {u.upn.lower(): u.location for u in self._users}

    def sku_counts(self) -> dict[str, tuple[int, int]]:
        """skuPartNumber -> (enabled, consumed)."""
        with self._lock:
            return {s.part: (s.enabled, self._consumed(s.sku_id)) for s in self._skus.values()}

    def set_sku(self, part: str, sku_id: str, enabled: int) -> None:
        """Add or resize a SKU, as an admin buying seats by hand would."""
        with self._lock:
            key = sku_id.lower()
            self._skus[key] = _Sku(part, key, enabled)

    def configure(self, **kwargs: Any) -> None:
        """Change fault settings at runtime (throttle_rate, error_rate, latency, seed, next_link_base,
        lose_writes=n or (n, status), ...) and group knobs (group_processing, country_letter_code, ...)."""
        with self._lock:
            for key, value in kwargs.items():
                if key == "seed":
                    self._rng.seed(value)
                elif key == "lose_writes":
                    self.lose_writes(*(value if isinstance(value, tuple) else (value,)))
                elif key in GROUP_KEYS:
                    self._set_knobs(**{key: value})
                elif key in DELTA_KEYS:
                    self._set_delta_knob(key, value)
                elif key in FAULT_KEYS:
                    setattr(self, key, value)
                else:
                    raise TypeError(f"configure() got an unexpected keyword argument '{key}'")

    def lose_writes(self, n: int, status: int = 504) -> None:
        """Apply the next n successful writes, then answer each with `status` instead of its reply."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"lose_writes needs a count >= 0, not {n!r}")
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError(f"a lost reply needs an error status (400-599), not {status!r}")
        with self._lock:
            self._lost_writes, self._lost_status = n, status

    @property
    def lost_writes_left(self) -> int:
        """How many successful writes lose_writes will still answer with an error."""
        with self._lock:
            return self._lost_writes

    @property
    def next_link_base(self) -> str | None:
        """None, or the scheme://host[:port] the users listing's @odata.nextLink points at."""
        return self._next_link_base

    @next_link_base.setter
    def next_link_base(self, value: str | None) -> None:
        if value is not None:
            split = urlsplit(value)
            if (
                split.scheme not in ("http", "https")
                or not split.netloc
                or split.path.strip("/")
                or split.query
                or split.fragment
            ):
                raise ValueError(f"next_link_base must be scheme://host[:port], not {value!r}")
        self._next_link_base = value

    def _take_lost_write(self) -> int | None:
        # Check and decrement in one step under the lock: n concurrent writes lose exactly n replies.
        with self._lock:
            if self._lost_writes <= 0:
                return None
            self._lost_writes -= 1
            return self._lost_status

    def _consumed(self, sku_id: str) -> int:
        return self._used.get(sku_id, 0)

    def _roll(self, rate: float) -> bool:
        # Draw only when the fault is enabled, so fault-free runs keep the shuffle sequence.
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    # ----- request execution -------------------------------------------------------------------
    def serve(self, rec: Recorded, raw: bytes) -> Reply:
        """Answer one direct HTTP request; direct writes are also logged in inner_requests."""
        reply = self._serve(rec, raw)
        if rec.method in ("POST", "PATCH") and rec.path.lower() != "/v1.0/$batch":
            self._log_inner(rec, reply.status)
        return reply

    def _serve(self, rec: Recorded, raw: bytes) -> Reply:
        auth = _header(rec.headers, "Authorization") or ""
        scheme, _, token = auth.partition(" ")
        if not auth:
            return self._fail(GraphError(401, "InvalidAuthenticationToken", "Access token is empty."))
        if scheme.lower() != "bearer" or token.strip() != self.token:
            return self._fail(GraphError(401, "InvalidAuthenticationToken", "Access token validation failure."))
        try:
            rec.body = _decode_body(rec.headers, raw)
        except GraphError as err:
            return self._fail(err)
        if rec.path.lower() == "/v1.0/$batch":
            if rec.method != "POST":
                return self._fail(GraphError(405, "BadRequest", "$batch only accepts POST."))
            return self._batch(rec)
        return self._execute(rec)

    def _execute(self, rec: Recorded) -> Reply:
        """Faults, then the route; shared by direct and $batch inner requests."""
        write = rec.method in ("POST", "PATCH")
        if self._roll(self.throttle_rate):
            return self._fail(GraphError(429, "TooManyRequests", "Too many requests."), retry=True)
        if self._roll(self.error_rate):
            return self._unavailable(rec.method)
        try:
            with self._lock:
                self._settle()  # group_processing="immediate": nothing is answered from unprocessed state
            reply = self._route(rec)
        except GraphError as err:
            return self._fail(err)
        finally:
            with self._lock:
                self._settle()
        if write and reply.status < 300:
            lost = self._take_lost_write()
            if lost is not None:  # applied, but the reply never reaches the caller
                return self._fail(_lost_reply(lost), retry=lost == 503)
        if write and reply.status < 300 and self._roll(self.lost_rate):
            return self._unavailable("GET")  # applied, but the caller only sees a timeout
        return reply

    def _unavailable(self, method: str) -> Reply:
        if method == "GET":
            return self._fail(GraphError(504, "gatewayTimeout", "The gateway did not receive a timely response."))
        return self._fail(GraphError(503, "serviceNotAvailable", "Service is unavailable."), retry=True)

    def _fail(self, err: GraphError, retry: bool = False) -> Reply:
        headers = {"Retry-After": str(self.retry_after)} if retry and self.retry_after is not None else {}
        if err.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="", error="invalid_token"'
        return Reply(err.status, _error_body(err.code, err.message), headers)

    def _log_inner(self, rec: Recorded, status: int) -> None:
        rec_copy = Recorded(rec.method, rec.path, rec.query, rec.headers, rec.body, status)
        with self._lock:
            self.inner_requests.append(rec_copy)

    def _route(self, rec: Recorded) -> Reply:
        parts = rec.path.split("/")[1:]  # already percent-decoded when recorded
        if not parts or parts[0] != "v1.0":
            raise GraphError(404, "BadRequest", f"Invalid version: {parts[0] if parts else ''}")
        rest, lowered = parts[1:], [p.lower() for p in parts[1:]]
        routes: list[tuple[bool, dict[str, Callable[[], Reply]]]] = [
            *self._delta_routes(rec, rest, lowered),  # /users/delta, /groups/delta: before /users/{id}
            (lowered == ["subscribedskus"], {"GET": lambda: self._get_skus(rec)}),
            (lowered == ["organization"], {"GET": self._get_org}),
            (lowered == ["users"], {"GET": lambda: self._list_users(rec)}),
            (
                len(rest) == 2 and lowered[0] == "users",
                {"GET": lambda: self._get_user(rec, rest[1]), "PATCH": lambda: self._patch_user(rec, rest[1])},
            ),
            (
                len(rest) == 3 and lowered[0] == "users" and lowered[2] == "assignlicense",
                {"POST": lambda: self._assign(rec, rest[1])},
            ),
            *self._group_routes(rec, rest, lowered),  # /groups..., reprocessLicenseAssignment (fakegraph_groups_http)
        ]
        for matched, methods in routes:
            if matched:
                if rec.method not in methods:
                    raise GraphError(405, "Request_BadRequest", f"The HTTP method '{rec.method}' is not allowed.")
                return methods[rec.method]()
        raise GraphError(
            404,
            "Request_ResourceNotFound" if lowered[:1] in (["users"], ["groups"]) else "BadRequest",
            f"Resource not found for the segment '{'/'.join(rest)}'.",
        )

    # ----- handlers ----------------------------------------------------------------------------
    def _context(self, what: str) -> str:
        return f"{self._base or 'https://graph.microsoft.com/v1.0'}/$metadata#{what}"

    def _sku_json(self, s: _Sku) -> dict[str, Any]:
        return {
            "id": f"{self.tenant_id}_{s.sku_id}",
            "skuId": s.sku_id,
            "skuPartNumber": s.part,
            "appliesTo": "User",
            "capabilityStatus": "Enabled",
            "consumedUnits": self._consumed(s.sku_id),
            "prepaidUnits": {"enabled": s.enabled, "suspended": 0, "warning": 0, "lockedOut": 0},
            "servicePlans": [
                {"servicePlanId": p, "servicePlanName": n, "provisioningStatus": "Success", "appliesTo": "User"}
                for p, n in service_plans(s.part).items()
            ],
        }

    def _get_skus(self, rec: Recorded) -> Reply:
        _check_options(rec.query, {"$select"})
        props = _select(rec.query, SKU_PROPS, "subscribedSku") or SKU_PROPS
        with self._lock:
            value = [{p: self._sku_json(s)[p] for p in props} for s in self._skus.values()]
        return Reply(200, {"@odata.context": self._context("subscribedSkus"), "value": value})

    def _get_org(self) -> Reply:
        org = {"id": self.tenant_id, "displayName": self.display_name, "countryLetterCode": self.country_letter_code}
        return Reply(200, {"@odata.context": self._context("organization"), "value": [org]})

    def _user_json(self, u: _User, props: tuple[str, ...]) -> dict[str, Any]:
        full = {
            "id": u.id,
            "userPrincipalName": u.upn,
            "displayName": u.upn.split("@")[0].title(),
            "usageLocation": u.location,
            "assignedLicenses": self._assigned_json(u),  # direct and inherited, one per SKU (fakegraph_groups)
            "licenseAssignmentStates": self._states_json(u),
        }
        return {p: full[p] for p in props}

    def _find(self, key: str) -> _User:
        with self._lock:
            found = self._by_key.get(key.lower())
            if found is not None:
                return found
        raise GraphError(
            404,
            "Request_ResourceNotFound",
            f"Resource '{key}' does not exist or one of its queried reference-property objects are not present.",
        )

    def _page_size(self, query: dict[str, list[str]]) -> int:
        raw = _single(query, "$top")
        if raw is None:
            return self.default_page
        if not raw.strip().isdigit() or not 1 <= int(raw) <= 999:
            raise GraphError(
                400,
                "Request_UnsupportedQuery",
                f"Invalid page size specified: '{raw}'. Must be between 1 and 999 inclusive.",
            )
        return int(raw)

    def _list_users(self, rec: Recorded) -> Reply:
        _check_options(rec.query, {"$select", "$top", "$skiptoken"})
        props = _select(rec.query, USER_PROPS, "user") or DEFAULT_USER_PROPS
        top, offset = self._page_size(rec.query), _decode_token(_single(rec.query, "$skiptoken"))
        with self._lock:  # offsets: stable pages while no user is added or deleted (fakegraph_admin) mid-listing
            page = [self._user_json(u, props) for u in self._users[offset : offset + top]]
            more = offset + top < len(self._users)
        ctx = "users" if props is DEFAULT_USER_PROPS else f"users({','.join(props)})"
        body: dict[str, Any] = {"@odata.context": self._context(ctx), "value": page}
        if more:
            keep = [(k, v) for k in ("$select", "$top") if (v := _single(rec.query, k)) is not None]
            keep.append(("$skiptoken", _encode_token(offset + top)))
            link = f"{self._base}/users?" + "&".join(f"{k}={quote(v, safe=',')}" for k, v in keep)
            base = self.next_link_base
            if base is not None:  # same path and query, another host: a client must not follow it with its token
                own, other = urlsplit(link), urlsplit(base)
                link = urlunsplit((other.scheme, other.netloc, own.path, own.query, ""))
            body["@odata.nextLink"] = link
        return Reply(200, body)

    def _get_user(self, rec: Recorded, key: str) -> Reply:
        _check_options(rec.query, {"$select"})
        props = _select(rec.query, USER_PROPS, "user") or DEFAULT_USER_PROPS
        user = self._find(key)
        with self._lock:
            return Reply(200, {"@odata.context": self._context("users/$entity"), **self._user_json(user, props)})

    def _patch_user(self, rec: Recorded, key: str) -> Reply:
        user, body = self._find(key), _json_object(rec.body)
        for name in body:
            if name != "usageLocation":
                raise _bad(f"Property '{name}' is not supported by fakegraph's user PATCH (only usageLocation).")
        loc = body.get("usageLocation")
        if not isinstance(loc, str) or not re.fullmatch(r"[A-Z]{2}", loc) or loc not in ISO_3166_ALPHA2:
            raise _bad(f"Invalid value specified for property 'usageLocation' of resource 'User': {loc!r}.")
        with self._lock:
            user.location = loc
        return Reply(204)

    def _assign(self, rec: Recorded, key: str) -> Reply:
        user = self._find(key)
        adds, removes = _parse_assign(rec.body)
        with self._lock:  # validate and apply as one step: all-or-nothing against concurrent calls
            final = self._check_assign(user, adds, removes)
            before = user.held()
            user.licenses = final  # a SKU also inherited from a group stays held, on the same unit
            user.stamps = {s: _now() if s in adds else user.stamps.get(s, _now()) for s in final}
            self._recount(user, before)
            data = self._user_json(user, ("id", "userPrincipalName", "assignedLicenses"))
        return Reply(200, {"@odata.context": self._context("users/$entity"), **data})

    def _check_assign(self, user: _User, adds: dict[str, list[str]], removes: list[str]) -> dict[str, list[str]]:
        if adds and not user.location:
            raise _bad("License assignment cannot be done for user with invalid usage location.")
        for sku_id in [*adds, *removes]:
            if sku_id not in self._skus:
                raise _bad(f"License {sku_id} does not correspond to a valid company License.")
        inherited = {i.sku for i in user.inherited if i.holding}
        for sku_id in removes:
            if sku_id not in user.licenses and sku_id in inherited:
                raise _bad(
                    "User license is inherited from a group membership and it cannot be removed directly from the user."
                )
            if sku_id not in user.licenses:
                raise _bad("User does not have a corresponding license.")
        if set(adds) & set(removes):
            raise _bad("The same license cannot be both added and removed in one request.")
        self._check_disabled(adds)
        for sku_id in adds:
            if sku_id not in user.held() and self._consumed(sku_id) + 1 > self._skus[sku_id].enabled:
                raise _bad(f"Subscription with SKU {sku_id} does not have any available licenses.")
        final = {s: d for s, d in user.licenses.items() if s not in removes}
        final.update(adds)  # re-adding a held license only updates its disabledPlans
        held = [(self._skus[s].part, d) for s, d in final.items()]
        held += [(self._skus[i.sku].part, i.disabled) for i in user.inherited if i.holding]
        message = (self.rules(held) if self.rules else None) or self._direct_violation(user, adds, final)
        if message:
            raise _bad(message)
        return final

    # ----- $batch ------------------------------------------------------------------------------
    def _batch(self, rec: Recorded) -> Reply:
        if self._roll(self.batch_throttle_rate):
            return self._fail(GraphError(429, "TooManyRequests", "Too many requests."), retry=True)
        try:
            order = self._batch_order(_parse_batch(rec.body))
        except GraphError as err:
            return self._fail(err)
        done: dict[str, int] = {}
        responses = []
        for item in order:
            reply = self._inner(item, done)
            done[item["id"]] = reply.status
            entry: dict[str, Any] = {"id": item["id"], "status": reply.status, "headers": dict(reply.headers)}
            if reply.body is not None:  # a 204 carries neither body nor Content-Type
                entry["body"] = reply.body
                entry["headers"]["Content-Type"] = "application/json"
            responses.append(entry)
        with self._lock:
            self._rng.shuffle(responses)  # real Graph gives no order guarantee; clients must match by id
        return Reply(200, {"responses": responses})

    def _batch_order(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A random topological order: independent requests run in any order, dependents after."""
        pending, order, seen = list(items), [], set[str]()
        while pending:
            ready = [i for i in pending if set(i.get("dependsOn", [])) <= seen]
            if not ready:  # everything left waits on something else left: a cycle
                raise GraphError(400, "BadRequest", "The dependsOn graph of the batch has a cycle.")
            with self._lock:
                pick = self._rng.choice(ready)
            pending.remove(pick)
            order.append(pick)
            seen.add(pick["id"])
        return order

    def _inner(self, item: dict[str, Any], done: dict[str, int]) -> Reply:
        headers = {str(k): str(v) for k, v in (item.get("headers") or {}).items()}
        split = urlsplit(item["url"])
        rec = Recorded(
            item["method"].upper(),
            "/v1.0" + unquote(split.path),
            parse_qs(split.query, keep_blank_values=True),
            headers,
            item.get("body"),
        )
        if any(done[d] >= 400 for d in item.get("dependsOn", [])):
            reply = self._fail(GraphError(424, "FailedDependency", "A dependent request failed."))
        elif "body" in item and not _header(headers, "Content-Type"):
            reply = self._fail(GraphError(400, "BadRequest", "Content-Type header is required"))
        elif not item["url"].startswith("/"):
            reply = self._fail(GraphError(400, "BadRequest", "Invalid request URL: it must start with '/'."))
        else:
            reply = self._execute(rec)
        self._log_inner(rec, reply.status)
        return reply


def _decode_body(headers: dict[str, str], raw: bytes) -> Any:
    if not raw:
        return None
    if "json" not in (_header(headers, "Content-Type") or "").lower():
        raise GraphError(400, "BadRequest", "Content-Type header is required")
    try:
        return json.loads(raw)
    except ValueError:
        raise _bad(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload "
            "is of valid JSON format.",
            "BadRequest",
        ) from None


def _parse_batch(raw: Any) -> list[dict[str, Any]]:
    """Validate the $batch envelope; envelope faults fail the whole batch with 400."""
    if not isinstance(raw, dict) or not isinstance(raw.get("requests"), list) or not raw["requests"]:
        raise GraphError(400, "BadRequest", "Invalid batch payload format.")
    items: list[dict[str, Any]] = raw["requests"]
    if len(items) > MAX_BATCH:
        raise GraphError(400, "BadRequest", f"Number of requests in batch exceeds the limit of {MAX_BATCH}.")
    for item in items:
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("id", "method", "url")):
            raise GraphError(400, "BadRequest", "Each batch request needs string id, method and url.")
    ids = [i["id"] for i in items]
    if len(set(ids)) != len(ids):
        raise GraphError(400, "BadRequest", "Batch request ids must be unique.")
    for item in items:
        deps = item.get("dependsOn", [])
        if not isinstance(deps, list) or not set(deps) <= set(ids) or item["id"] in deps:
            raise GraphError(400, "BadRequest", f"Request {item['id']} has an invalid dependsOn.")
    return items


class _Handler(BaseHTTPRequestHandler):
    """Turns HTTP into Recorded requests and Replies into HTTP; keep-alive friendly."""

    protocol_version = "HTTP/1.1"
    # Headers and body are written separately; without TCP_NODELAY, Nagle holds the body back until
    # the client's delayed ACK (40 ms) arrives: a stall per response that real Graph does not have.
    disable_nagle_algorithm = True
    fake: FakeGraph

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: test output should not fill with access logs."""

    def _read_body(self) -> bytes:
        # Always drain the body, even for requests we reject, or the kept-alive stream desyncs.
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while (size := int(self.rfile.readline().strip() or b"0", 16)) > 0:
                data += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            return data
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _handle(self) -> None:
        fake = self.fake
        with fake._lock:
            fake._in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake._in_flight)
        try:
            self._answer(fake)
        finally:
            with fake._lock:
                fake._in_flight -= 1

    def _answer(self, fake: FakeGraph) -> None:
        raw = self._read_body()
        split = urlsplit(self.path)
        rec = Recorded(
            self.command,
            unquote(split.path),
            parse_qs(split.query, keep_blank_values=True),
            dict(self.headers.items()),
            None,
        )
        arrived = time.monotonic()
        with fake._lock:
            fake.requests.append(rec)
        if fake.latency:
            time.sleep(fake.latency / 2)
        try:
            reply = fake.serve(rec, raw)
        except Exception as exc:  # a bug in the fake must still answer, not hang the client
            reply = Reply(500, _error_body("InternalServerError", f"fakegraph: {exc!r}"))
        rec.status = reply.status
        if fake.latency:
            # A fixed latency: the answer leaves `latency` after the request arrived, however long the
            # fake itself took (it is slower than Graph; its own time is not the client's to pay).
            time.sleep(max(0.0, arrived + fake.latency - time.monotonic()))
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        ids = {
            "request-id": str(uuid.uuid4()),
            "client-request-id": self.headers.get("client-request-id") or str(uuid.uuid4()),
        }
        if isinstance(reply.body, dict) and "error" in reply.body:  # the body and headers tell one story
            reply.body["error"]["innerError"].update(ids)
        data = b"" if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        if reply.body is not None:
            self.send_header("Content-Type", "application/json;odata.metadata=minimal;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in {**ids, **reply.headers}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle


def from_snapshot(path: str | Path, tenant_id: str | None = None, **kwargs: Any) -> FakeGraph:
    """A FakeGraph holding a project TenantSnapshot's subscriptions, users and groups.

    The project's extensions: state.groups [{name, id?, securityEnabled? (true), members: [UPN or group name],
    licenses: [SKU or {sku, disabledPlans: [service plan names]}]}], state.defaultUsageLocation (the
    organization's countryLetterCode), and user licenses given as SKU or {sku, disabledPlans}. Group
    licenses are processed at once: the snapshot's state counts as processed.
    """
    import yaml  # only this helper needs PyYAML; the server itself is standard library

    # Reading the product's own snapshot format needs the product's names for it (aliases, the credits
    # SKU); the licensing rules the fake enforces never come from here.
    from reconciler.domain import catalog

    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    state, meta = doc["state"], doc.get("metadata", {})
    seats: dict[str, int] = {}
    for sub in state.get("subscriptions") or []:
        part = catalog.canonical(sub["sku"])
        seats[part] = seats.get(part, 0) + int(sub["seats"])
    credits = state.get("communicationsCredits") or {}
    if credits.get("funds") or (credits.get("autoRecharge") or {}).get("enabled"):
        seats.setdefault(catalog.CREDITS_SKU, 10000)  # funding credits makes many MCOPSTNC licenses available
    users, holders = [], dict[str, set[str]]()
    for u in state.get("users") or []:
        entries = [license_entry(e) for e in u.get("licenses") or []]
        licenses = [{"sku": catalog.canonical(p), "disabledPlans": plans} for p, plans in entries]
        for lic in licenses:
            holders.setdefault(lic["sku"], set()).add(u["upn"].lower())
        users.append({"userPrincipalName": u["upn"], "usageLocation": u.get("usageLocation"), "licenses": licenses})
    groups, via_groups = snapshot_groups(state, catalog.canonical)
    for part, upns in via_groups.items():
        holders.setdefault(part, set()).update(upns)
    for part, upns in holders.items():  # a self-contradicting snapshot still loads: one seat per holder
        seats.setdefault(part, len(upns))
    if state.get("defaultUsageLocation"):
        kwargs.setdefault("country_letter_code", state["defaultUsageLocation"])
    tenant = tenant_id or meta.get("tenantId") or str(uuid.uuid5(uuid.NAMESPACE_DNS, meta.get("name", "tenant")))
    skus = [(part, _sku_id(part), n) for part, n in seats.items()]
    kwargs.setdefault("display_name", meta.get("name", "Fake Tenant"))
    return FakeGraph(tenant_id=tenant, skus=skus, users=users, groups=groups, **kwargs)


def _sku_id(part: str) -> str:
    if part in SKUS:  # Microsoft's skuId (tests/fakegraph_plans.py)
        return SKUS[part].sku_id
    from reconciler.domain import catalog

    entry = catalog.lookup(part)
    return entry.sku_id if entry else str(uuid.uuid5(uuid.NAMESPACE_URL, f"sku:{part}"))
