"""What every HTTP client of a Microsoft service here shares: the bearer token as the request's own auth,
Retry-After, and the rule that a token goes over https only (plain http on this machine for a fake)."""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.auth
import urllib3

from ..domain.errors import PermanentProviderError, TransientProviderError, UsageError
from .graph.auth import TokenSource

TIMEOUT = (10, 60)  # connect, read (seconds)


def _in_flight_bound() -> int:
    raw = os.environ.get("TENANTCTL_MAX_IN_FLIGHT", "16")
    if not raw.isdigit() or not 1 <= int(raw) <= 256:
        raise UsageError(f"TENANTCTL_MAX_IN_FLIGHT={raw!r} is not a whole number from 1 to 256")
    return int(raw)


# Requests in flight across the whole process: a folder of tenants reads several at once (cli/fleet.py),
# each client within its own bound (TENANTCTL_GRAPH_CONCURRENCY) and its own throttling; this caps them all.
IN_FLIGHT = threading.BoundedSemaphore(_in_flight_bound())


class Bearer(requests.auth.AuthBase):
    """The bearer token, as the request's own auth: requests then never consults ~/.netrc, whose
    entry for the host would replace the token with a password (and was read on every request)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def retry_after(headers: Any) -> float | None:
    """Retry-After in seconds, from a requests header map or a plain dict (a $batch item's)."""
    for key in ("Retry-After", "retry-after"):
        value = headers.get(key) if hasattr(headers, "get") else None
        if value is not None:
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


def checked_url(variable: str, url: str) -> str:
    """`url` without a trailing slash, refused unless https (or http to localhost, for a local fake)."""
    where = urlsplit(url)
    if where.scheme != "https" and not (where.scheme == "http" and where.hostname in ("127.0.0.1", "localhost", "::1")):
        # The bearer token must not cross a network in clear text.
        raise UsageError(f"{variable}={url!r} must be an https:// URL (http:// only for localhost)")
    return url.rstrip("/")


def same_host(url: str, base: str) -> bool:
    """True when `url` is on `base`'s scheme, host and port: a token never goes anywhere else."""
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc.lower()) == (b.scheme, b.netloc.lower())


class EnvToken:
    """A token handed in through an environment variable: used as is; it cannot be renewed."""

    tenant_id: str | None = None

    def __init__(self, variable: str, value: str, service: str, how: str) -> None:
        self.method, self._value, self._service, self._how = variable, value.strip(), service, how

    def token(self, refresh: bool = False) -> str:
        """The token; a refresh means the service rejected it, which only a new one fixes."""
        if refresh:
            raise PermanentProviderError(
                f"{self._service} rejected the token in {self.method} (expired or for another resource)",
                self._how,
                code="unauthorized",
            )
        return self._value


class Pacer:
    """At most `limit` requests in any `window` seconds, waiting before one that would exceed it: a
    service's documented rate limit is kept to, not discovered by its 429s."""

    def __init__(
        self,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit, self.window, self.clock, self.sleep = limit, window, clock, sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def take(self) -> None:
        """Wait until one more request fits in the window, and count it."""
        with self._lock:
            now = self.clock()
            while self._sent and self._sent[0] <= now - self.window:
                self._sent.popleft()
            if len(self._sent) >= self.limit:
                self.sleep(self._sent[0] + self.window - now)
                now = self.clock()
                self._sent.popleft()
            self._sent.append(now)


CONNECT_TRIES = 3  # a host that refuses the connection (or has no address) is tried this often, 1 s apart


def reaching(
    send: Callable[[], requests.Response], sleep: Callable[[float], None], service: str, url: str, variable: str
) -> requests.Response:
    """`send()`, where a connection that cannot be made is tried again briefly and then reported as
    permanent: nothing was sent, and minutes of backoff against a wrong URL help nobody. Errors after
    the request went out (a reset, a timeout) are raised as they are: the caller's retry loop owns them."""
    for attempt in range(1, CONNECT_TRIES + 1):
        try:
            return send()
        except requests.ConnectionError as exc:
            reason = getattr(exc.args[0], "reason", None) if exc.args else None
            if not isinstance(reason, urllib3.exceptions.NewConnectionError):
                raise
            if attempt == CONNECT_TRIES:
                raise PermanentProviderError(
                    f"cannot connect to {service} at {url} (connection refused, or no such host)",
                    f"check {variable} and the network",
                    "unreachable",
                ) from None
            sleep(1.0)
    raise AssertionError("unreachable")  # the loop returns or raises


@dataclass(frozen=True)
class Service:
    """A Microsoft service as its client names it: for messages, and the variable that sets its address."""

    name: str  # "Partner Center"
    base: str  # its address, as configured
    variable: str  # TENANTCTL_PARTNER_CENTER_URL


def send(
    session: requests.Session,
    service: Service,
    tokens: TokenSource,
    method: str,
    url: str,
    body: dict[str, Any] | None,
    headers: Callable[[], dict[str, str]],
    sleep: Callable[[float], None],
    before: Callable[[], None] = lambda: None,
) -> requests.Response:
    """One request with the bearer token; a 401 gets one fresh token and one more try. `headers()` are
    made for each try, `before()` runs before each (counting, pacing). No answer at all is transient."""
    for refresh in (False, True):
        sent = headers() | ({"Content-Type": "application/json"} if body is not None else {})
        before()
        request = functools.partial(
            session.request,
            method,
            url,
            headers={"Accept": "application/json", **sent},
            auth=Bearer(tokens.token(refresh)),
            data=None if body is None else json.dumps(body),
            timeout=TIMEOUT,
        )
        try:
            with IN_FLIGHT:
                response = reaching(request, sleep, service.name, service.base, service.variable)
        except requests.RequestException as exc:
            raise TransientProviderError(f"{service.name} did not answer ({type(exc).__name__})") from None
        if response.status_code != 401:
            return response
    return response
