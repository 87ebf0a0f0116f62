"""A real tenant through Microsoft Graph v1.0: licenses and usage locations, honest about the rest.

Reads: GET /subscribedSkus (seats = prepaidUnits.enabled) and every user with $select and
$top=999, following @odata.nextLink. Writes: PATCH /users/{id} for the usage location and
POST /users/{id}/assignLicense with both arrays, through $batch (client.py).

Graph has no call to buy, resize or re-term a subscription, toggle pay-as-you-go overage, or
read or change Communications Credits. The state says so: those action types are `manual`
(the plan carries admin-center steps) and those fields are `unknown` (never drift).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ...domain.actions import ACTION_CLASSES
from ...domain.catalog import CREDITS_SKU
from ...domain.errors import PermanentProviderError, TransientProviderError
from ...domain.groups import GroupSpec, GroupState, LicenseError
from ...domain.model import (
    AGREEMENT,
    AUTO_RECHARGE,
    AUTO_RENEW,
    BALANCE,
    CURRENCY,
    PAY_AS_YOU_GO,
    SCHEDULED,
    TERMS,
    AutoRecharge,
    CreditsState,
    SubscriptionState,
    TenantState,
    UserState,
)
from ...support.background import Background
from ...support.gc_pause import long_lived
from ..base import GroupWrite, UserWrite, WritePart, WriteResult
from ..commerce import CommerceChannel
from .auth import TokenSource, check_tenant
from .client import AMBIGUOUS, GraphClient, SubRequest, SubResponse
from .delta import USER_FIELDS, Policy, UserCache, read_users, with_fresh_states
from .group_writes import group_write
from .licensing import TenantSkus, group_id, license_body, read_groups, user_of, users_of
from .refusals import no_api, user_error

DEFAULT_URL = "https://graph.microsoft.com/v1.0"
NO_API = frozenset(c.kind for c in ACTION_CLASSES if not c.graph_api)  # the commerce and credits actions


class GraphProvider:
    """One tenant through Microsoft Graph; its lock and journal live in a local SQLite file."""

    def __init__(
        self,
        ledger: Path,
        tenant: str | None,
        expected_tenant_id: str | None,
        today: date,
        client_factory: Callable[[], tuple[GraphClient, TokenSource]],
        commerce: Callable[[], CommerceChannel] | None = None,
        groups: tuple[GroupSpec, ...] = (),
        policy: Policy | None = None,
    ) -> None:
        self._ledger = ledger
        # The commerce channel (Partner Center), opened on first use; None: money actions stay manual.
        self._commerce_factory = commerce
        self._commerce: CommerceChannel | None = None
        self.tenant = tenant
        self.expected_tenant_id = expected_tenant_id
        self.today = today
        self._factory = client_factory
        self._client: GraphClient | None = None
        self._tenant_id: str | None = None
        self._wanted_groups = groups  # the spec's groups, looked up even before they hold a license
        # How users are read: in full, or what changed since the read kept in the ledger (delta.py).
        self._policy = policy
        self.read_note = ""
        self._skus = TenantSkus()  # the tenant's own SKUs and service plans, from subscribedSkus
        self._groups: dict[str, GroupState] = {}  # as last read, by id
        self._user_ids: dict[str, str] = {}  # upn.lower() -> object id

    @property
    def address(self) -> str:
        """`graph:LEDGER`: reopening this URL finds the same lock and history."""
        return f"graph:{self._ledger}"

    @property
    def ledger_path(self) -> Path:
        """A local SQLite file: Graph has nowhere to keep tenantctl's lock and journal."""
        return self._ledger

    @property
    def client(self) -> GraphClient:
        """Signed in and checked to be the spec's tenant on first use (history needs no sign-in)."""
        if self._client is None:
            client, tokens = self._factory()
            if tokens.tenant_id is None and self.expected_tenant_id:
                tokens.tenant_id = _organization_id(client)
                if tokens.tenant_id is None:  # fail closed: never touch a tenant we cannot name
                    client.close()
                    raise PermanentProviderError(
                        f"cannot tell which tenant the token from {tokens.method} is for "
                        "(it names none, and GET /organization failed)",
                        "use a Microsoft Graph access token (a JWT with a tid claim), or grant Organization.Read.All",
                        code="tenant_unknown",
                    )
            check_tenant(tokens, self.expected_tenant_id)
            self._client, self._tenant_id = client, tokens.tenant_id
        return self._client

    @property
    def commerce(self) -> CommerceChannel | None:
        """The commerce channel, if the spec names one."""
        if self._commerce is None and self._commerce_factory is not None:
            self._commerce = self._commerce_factory()
        return self._commerce

    def close(self) -> None:
        """Release connections."""
        if self._client is not None:
            self._client.close()
        if self._commerce is not None:
            self._commerce.close()

    def read_state(self) -> TenantState:
        """Users from Graph; subscriptions from the commerce channel where there is one, else from Graph
        (billing fields unknown)."""
        state = self._read_graph()
        return state if self.commerce is None else self.commerce.merge(state)

    @long_lived
    def _read_graph(self) -> TenantState:
        client = self.client
        cache = UserCache(self._ledger) if self._policy is not None else None
        policy = self._policy or Policy()
        # The users are read while the SKUs and groups are: their waits on Graph overlap (a delta read's own
        # work, loading the kept users, too).

        def read(stop: threading.Event) -> tuple[list[dict[str, Any]], str]:
            client.abandon_when(stop)  # if the SKUs' or groups' read fails, this one stops at its next request
            return read_users(client, cache, policy)

        users_read = Background(read, "graph-users")
        try:
            return self._read_rest(users_read, cache)
        except BaseException:
            users_read.abandon()
            raise

    def _read_rest(
        self, users_read: Background[tuple[list[dict[str, Any]], str]], cache: UserCache | None
    ) -> TenantState:
        """The SKUs and groups, then the users read in the background (and kept in `cache`): the whole state."""
        client = self.client
        skus = list(client.paged("/subscribedSkus"))
        self._skus = TenantSkus.of(skus)
        subscriptions: dict[str, SubscriptionState] = {}
        credits: CreditsState | None = None
        for s in skus:
            part, enabled = self._skus.part(s["skuId"]), int((s.get("prepaidUnits") or {}).get("enabled", 0))
            if part == CREDITS_SKU:
                # Funding credits or enabling auto-recharge adds many MCOPSTNC licenses: that much is visible.
                credits = CreditsState(AutoRecharge(enabled=False), (), licensed=enabled > 0)
            else:
                subscriptions[part] = SubscriptionState(part, enabled, consumed=int(s.get("consumedUnits", 0)))
        users: dict[str, UserState] = {}
        errors: list[LicenseError] = []
        self._groups = read_groups(client, self._wanted_groups, self._skus)
        raw_users, self.read_note = users_read.result()
        if cache is not None and self.read_note.startswith("delta read"):
            raw_users, again = with_fresh_states(client, cache, raw_users, self._groups)
            self.read_note += again
        for u, (user, failed) in zip(raw_users, users_of(raw_users, self._skus)):
            key = user.upn.lower()
            self._user_ids[key] = u["id"]
            users[key] = user
            if failed:
                errors += failed
        unknown = {AGREEMENT, CURRENCY, TERMS, PAY_AS_YOU_GO, SCHEDULED, AUTO_RENEW}
        unknown |= {AUTO_RECHARGE, BALANCE} if credits else set()
        return TenantState(
            name=self.tenant or "",
            agreement="",
            today=self.today,
            tenant_id=self._tenant_id,
            currency="",
            subscriptions=subscriptions,
            credits=credits,
            users=users,
            unknown=frozenset(unknown),
            manual=NO_API,
            groups=self._groups,
            license_errors=tuple(errors),
            read_note=self.read_note,
        )

    def write_users(self, writes: list[UserWrite]) -> list[WriteResult]:
        """Usage locations, then one assignLicense per user, batched.

        A write whose outcome is unknown (5xx, timeout) is read back before anything more is sent
        for that user, and only what is still missing goes again: a removal that happened is never
        repeated (Graph would refuse it as a license the user does not hold).
        """
        if not self._skus.ids:
            self.read_state()  # skuIds come from the tenant itself
        current = dict(enumerate(writes))  # what is still to do, per write
        send, verify = set(current), set()
        results: dict[int, WriteResult] = {}
        retries: dict[int, int] = {}
        for round_ in range(self.client.retry.attempts):
            if send:
                verify |= self._round({i: current[i] for i in sorted(send)}, results, retries)
            send, verify = self._read_back(verify, current, results, retries) if verify else (set(), set())
            if not send and not verify:
                break
            self.client.sleep(self.client.retry.delay(round_, None))
        for i in send | verify:
            results[i] = WriteResult(
                error=TransientProviderError(
                    f"{current[i].upn}: Microsoft Graph did not confirm the change; run apply again"
                ),
                retries=retries.get(i, 0),
                part="location" if current[i].location else "licenses",
            )
        return [results[i] for i in range(len(writes))]

    def _round(
        self, pending: dict[int, UserWrite], results: dict[int, WriteResult], retries: dict[int, int]
    ) -> set[int]:
        """Send every pending write once; returns the writes whose outcome is unknown."""
        unsure: set[int] = set()
        answers = self.client.batch(
            [
                SubRequest(f"l{i}", "PATCH", f"/users/{self._id(w.upn)}", {"usageLocation": w.location})
                for i, w in pending.items()
                if w.location is not None
            ]
        )
        located = [
            i
            for i, w in pending.items()
            if w.location is None or self._settle(i, w, answers[f"l{i}"], "location", unsure, results, retries)
        ]
        bodies: dict[int, dict[str, Any]] = {}
        for i in located:
            try:
                w = pending[i]
                bodies[i] = license_body([*((s, w.plan(s)) for s in w.add), *w.replans], w.remove, self._skus)
            except PermanentProviderError as exc:
                results[i] = WriteResult(error=exc, retries=retries.get(i, 0), part="licenses")
        answers = self.client.batch(
            [
                SubRequest(f"a{i}", "POST", f"/users/{self._id(pending[i].upn)}/assignLicense", body)
                for i, body in bodies.items()
                if pending[i].licensing
            ]
        )
        for i in bodies:
            w = pending[i]
            if not w.licensing or self._settle(i, w, answers[f"a{i}"], "licenses", unsure, results, retries):
                results[i] = WriteResult(changed=True, retries=retries.get(i, 0))
        return unsure

    def _settle(
        self,
        i: int,
        w: UserWrite,
        answer: SubResponse,
        part: WritePart,
        unsure: set[int],
        results: dict[int, WriteResult],
        retries: dict[int, int],
    ) -> bool:
        """True when the request succeeded; else note the write as unsure or failed."""
        retries[i] = retries.get(i, 0) + answer.retries
        if answer.status == AMBIGUOUS:
            unsure.add(i)
        elif answer.status >= 300:
            results[i] = WriteResult(error=user_error(w, answer), retries=retries[i], part=part)
        return answer.status != AMBIGUOUS and answer.status < 300

    def _read_back(
        self, verify: set[int], current: dict[int, UserWrite], results: dict[int, WriteResult], retries: dict[int, int]
    ) -> tuple[set[int], set[int]]:
        """Read the users whose writes may or may not have happened: (still to send, still to read)."""
        answers = self.client.batch(
            [
                SubRequest(f"r{i}", "GET", f"/users/{self._id(current[i].upn)}?$select={USER_FIELDS}")
                for i in sorted(verify)
            ]
        )
        send: set[int] = set()
        unread: set[int] = set()
        for i in sorted(verify):
            w, answer = current[i], answers[f"r{i}"]
            retries[i] = retries.get(i, 0) + 1
            if answer.status >= 300 or answer.status == AMBIGUOUS:
                unread.add(i)  # read again next round; never re-send on a guess
                continue
            unowned = [s for s in (*w.add, *w.remove) if s not in self._skus.ids]
            if unowned:  # nothing can be sent for it: say so now, not after another round
                error = PermanentProviderError(
                    f"the tenant has no {unowned[0]} subscription",
                    "buy it first (the plan lists the admin-center steps), then run apply again",
                    code="no_subscription",
                )
                results[i] = WriteResult(error=error, retries=retries[i], part="licenses")
                continue
            user, _ = user_of(answer.body, self._skus, w.upn)
            left = UserWrite(
                w.upn,
                w.location if w.location and answer.body.get("usageLocation") != w.location else None,
                tuple(s for s in w.add if s not in user.direct),
                tuple(s for s in w.remove if s in user.direct),
                tuple(
                    (s, p) for s, p in w.plans if s not in user.direct or user.disabled.get(s, frozenset()) != set(p)
                ),
            )
            if left.location is None and not left.licensing:
                results[i] = WriteResult(changed=True, retries=retries[i])
            else:
                current[i] = left
                send.add(i)
        return send, unread

    def _id(self, upn: str) -> str:
        return self._user_ids.get(upn.lower()) or quote(upn, safe="@")

    # The Provider protocol, one action at a time (apply uses write_users; these serve other callers).

    def set_usage_location(self, upn: str, location: str) -> bool:
        """Set one user's usage location."""
        return _one(self.write_users([UserWrite(upn, location=location)])[0])

    def assign_license(self, upn: str, sku: str, disabled: tuple[str, ...] = ()) -> bool:
        """Give one user one license."""
        return _one(self.write_users([UserWrite(upn, add=(sku,), plans=((sku, disabled),) if disabled else ())])[0])

    def set_user_disabled_plans(self, upn: str, sku: str, disabled: tuple[str, ...]) -> bool:
        """Set the disabled plans of one user's direct license."""
        return _one(self.write_users([UserWrite(upn, plans=((sku, disabled),))])[0])

    def write_group(self, write: GroupWrite) -> WriteResult:
        """One group's licenses in one assignLicense call (a swap's add and remove together)."""
        if not self._skus.ids:
            self.read_state()
        return group_write(self.client, group_id(self._groups, write.group), write, self._skus)

    def assign_group_license(self, group: str, sku: str, disabled: tuple[str, ...]) -> bool:
        """Give one group one license."""
        return _one(self.write_group(GroupWrite(group, ((sku, disabled),))))

    def remove_group_license(self, group: str, sku: str) -> bool:
        """Take one license from one group."""
        return _one(self.write_group(GroupWrite(group, remove=(sku,))))

    def set_group_disabled_plans(self, group: str, sku: str, disabled: tuple[str, ...]) -> bool:
        """Set the disabled plans of one group's license."""
        return _one(self.write_group(GroupWrite(group, ((sku, disabled),))))

    def remove_license(self, upn: str, sku: str) -> bool:
        """Take one license from one user."""
        return _one(self.write_users([UserWrite(upn, remove=(sku,))])[0])

    def purchase_subscription(
        self, sku: str, seats: int, term: str, billing_frequency: str, idempotency_key: str
    ) -> bool:
        """Through the commerce channel; without one there is no API, and the plan marks this manual."""
        if self.commerce is None:
            raise no_api("buy subscriptions")
        return self.commerce.purchase_subscription(sku, seats, term, billing_frequency, idempotency_key)

    def set_seats(self, sku: str, seats: int) -> bool:
        """Through the commerce channel; without one there is no API, and the plan marks this manual."""
        if self.commerce is None:
            raise no_api("change seat counts")
        return self.commerce.set_seats(sku, seats)

    def schedule_seats(self, sku: str, seats: int) -> bool:
        """Through the commerce channel; without one there is no API, and the plan marks this manual."""
        if self.commerce is None:
            raise no_api("schedule seat changes for the renewal")
        return self.commerce.schedule_seats(sku, seats)

    def set_term(self, sku: str, term: str, billing_frequency: str) -> bool:
        """Through the commerce channel; without one there is no API, and the plan marks this manual."""
        if self.commerce is None:
            raise no_api("change terms")
        return self.commerce.set_term(sku, term, billing_frequency)

    def set_pay_as_you_go(self, sku: str, enabled: bool) -> bool:
        """Through the commerce channel; without one there is no API, and the plan marks this manual."""
        if self.commerce is None:
            raise no_api("toggle pay-as-you-go overage")
        return self.commerce.set_pay_as_you_go(sku, enabled)

    def set_auto_renew(self, sku: str, enabled: bool) -> bool:
        """Through the commerce channel; without one there is no API, and the plan marks this manual."""
        if self.commerce is None:
            raise no_api("turn auto-renew (recurring billing) on or off")
        return self.commerce.set_auto_renew(sku, enabled)

    def set_auto_recharge(self, recharge: AutoRecharge) -> bool:
        """No API: the plan marks this manual."""
        raise no_api("change Communications Credits auto-recharge")

    def add_funds(self, amount: Any, idempotency_key: str) -> bool:
        """No API: the plan marks this manual."""
        raise no_api("add Communications Credits funds")


def _organization_id(client: GraphClient) -> str | None:
    """The tenant id from GET /organization, for a token that does not say (an opaque token)."""
    try:
        orgs = client.get("/organization?$select=id").get("value") or []
    except TransientProviderError:
        return None
    except PermanentProviderError as exc:
        if exc.code == "forbidden":  # no Organization.Read.All: the caller refuses, naming the way out
            return None
        raise  # a rejected token says so itself
    return str(orgs[0]["id"]) if orgs else None


def _one(result: WriteResult) -> bool:
    if result.error is not None:
        raise result.error
    return result.changed
