"""HTTP to Microsoft Graph: paged reads, $batch writes in groups of 20, several batches in flight.

Throttling is honoured per request: a 429 inside a batch is re-sent in a later batch after its
Retry-After (or an exponential backoff when there is none); a 429 for the whole batch re-sends
it. Graph does not execute a throttled request, so that is always safe. A 5xx or timeout on a
write is different: the write may have happened, so it is handed back as "ambiguous" (status 0)
for the provider to read the user again before deciding what is left (provider.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from ...domain.errors import PermanentProviderError, TransientProviderError
from ..http import Service, retry_after, send
from ..retry import Backoff, RetryPolicy, with_retries
from .auth import TokenSource

BATCH_LIMIT = 20  # Graph's maximum number of requests in one $batch
AMBIGUOUS = 0  # status of a write whose outcome is unknown (5xx, timeout, lost connection)


class ReadAbandoned(Exception):
    """A background read given up because the read beside it failed (GraphClient.abandon_when)."""


@dataclass
class SubRequest:
    """One request inside a $batch."""

    id: str
    method: str
    url: str  # relative to the version root, e.g. /users/{id}/assignLicense
    body: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The $batch JSON form; a body needs its Content-Type."""
        out: dict[str, Any] = {"id": self.id, "method": self.method, "url": self.url}
        if self.body is not None:
            out["headers"] = {"Content-Type": "application/json"}
            out["body"] = self.body
        return out


@dataclass
class SubResponse:
    """One answer: `status` AMBIGUOUS when the request may or may not have been carried out."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)
    retries: int = 0

    @property
    def error(self) -> tuple[str, str]:
        """(code, message) from Graph's error body."""
        err = self.body.get("error") if isinstance(self.body, dict) else None
        if isinstance(err, dict):
            return str(err.get("code", "")), str(err.get("message", ""))
        return "", ""


class GraphClient:
    """A pooled, thread-safe client for one Graph endpoint."""

    def __init__(
        self,
        base_url: str,
        tokens: TokenSource,
        concurrency: int = 4,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._service = Service("Microsoft Graph", self.base_url, "TENANTCTL_GRAPH_URL")
        self.tokens = tokens
        self.concurrency = concurrency
        self.retry = retry
        self.sleep = sleep
        self.requests_made = 0
        self._count_lock = threading.Lock()
        self.session = requests.Session()
        self.session.mount(self.base_url, HTTPAdapter(pool_connections=1, pool_maxsize=max(concurrency, 1)))
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="graph")
        self._thread = threading.local()  # per thread: the event that abandons its reads (abandon_when)

    def close(self) -> None:
        """Release connections and threads."""
        self._pool.shutdown(wait=True)
        self.session.close()

    def abandon_when(self, stop: threading.Event) -> None:
        """Make every later GET of the calling thread raise ReadAbandoned once `stop` is set: a read in the
        background stops at its next request when the read it runs beside fails."""
        self._thread.stop = stop

    def get(self, path_or_url: str, eventual: bool = False) -> dict[str, Any]:
        """GET with retries on 429, 5xx and timeouts (reads are always safe to repeat). `eventual` sends
        `ConsistencyLevel: eventual`, which Graph's advanced queries ($count, casts, filters on counts) need."""
        stop = getattr(self._thread, "stop", None)
        if stop is not None and stop.is_set():
            raise ReadAbandoned(path_or_url)
        url = path_or_url if path_or_url.startswith("http") else self.base_url + path_or_url
        if eventual:
            headers = {"ConsistencyLevel": "eventual"}
            return with_retries(lambda: self._checked(self._send("GET", url, headers=headers)), self.retry, self.sleep)
        return with_retries(lambda: self._checked(self._send("GET", url)), self.retry, self.sleep)

    def paged(self, path: str, eventual: bool = False) -> Iterator[dict[str, Any]]:
        """Every item of a collection, following @odata.nextLink until there is none."""
        for page in self.pages(path, eventual):
            yield from page.get("value", [])

    def pages(self, path: str, eventual: bool = False) -> Iterator[dict[str, Any]]:
        """Every page of a collection, following @odata.nextLink; the last page carries a delta query's
        @odata.deltaLink."""
        page = self.get(path, eventual)
        while True:
            yield page
            link = page.get("@odata.nextLink")
            if not link:
                return
            page = self.get(self.same_host(link), eventual)

    def same_host(self, link: str) -> str:
        """`link`, if it points at this Graph endpoint: the bearer token goes wherever a link points."""
        origin = urlsplit(self.base_url)
        if (urlsplit(link).scheme, urlsplit(link).netloc) != (origin.scheme, origin.netloc):
            raise PermanentProviderError(
                f"Microsoft Graph sent a next-page link to another host "
                f"({urlsplit(link).netloc}); refusing to send the token there"
            )
        return link

    def batch(self, requests_: list[SubRequest]) -> dict[str, SubResponse]:
        """Send every request through $batch, 20 at a time with bounded concurrency; answers by id.

        Throttled requests are re-sent until they get an answer or the retry budget runs out (then
        their answer is the last 429). GETs that fail with 5xx are re-sent too; writes are not.
        """
        answers: dict[str, SubResponse] = {}
        tries: dict[str, int] = {}
        pending = list(requests_)
        backoff = Backoff(self.retry, self.sleep)
        while pending:
            chunks = [pending[i : i + BATCH_LIMIT] for i in range(0, len(pending), BATCH_LIMIT)]
            got: dict[str, tuple[SubResponse, float | None]] = {}
            for part in self._pool.map(self._send_batch, chunks):  # _send_batch never raises
                got.update(part)
            retry, delay = [], 0.0
            for req in pending:
                answer, retry_after = got[req.id]
                answer.retries = tries.get(req.id, 0)
                if answer.status == 429 or (req.method == "GET" and answer.status == AMBIGUOUS):
                    retry.append(req)
                    tries[req.id] = tries.get(req.id, 0) + 1
                    delay = max(delay, backoff.next_delay(retry_after))
                answers[req.id] = answer
            if len(retry) < len(pending):
                # Progress: the budget bounds time without any answer, not a long tenant's whole apply
                # (identity writes are limited to about 3,000 per 150 s; 20,000 of them take minutes).
                backoff.reset()
            pending = retry
            if pending and not backoff.wait(delay):
                break  # the last answers (429s) stand; the provider reports them as still throttled
        return answers

    def _send_batch(self, chunk: list[SubRequest]) -> dict[str, tuple[SubResponse, float | None]]:
        """One $batch call, answered per request; it never raises, so other chunks' results are kept.

        A whole-batch 429 answers every request 429 (nothing ran; batch() re-sends them within its
        budget); a transport failure or a 5xx leaves every write ambiguous; a refusal (401, 403,
        400) is every request's permanent answer.
        """

        def every(answer: SubResponse, retry_after: float | None = None) -> dict[str, tuple[SubResponse, float | None]]:
            return {r.id: (SubResponse(answer.status, answer.body), retry_after) for r in chunk}

        try:
            response = self._send("POST", self.base_url + "/$batch", {"requests": [r.to_dict() for r in chunk]})
        except TransientProviderError as exc:
            return every(SubResponse(AMBIGUOUS, _error_body("transport", exc.message)), exc.retry_after)
        except PermanentProviderError as exc:  # no token (expired, sign-in failed)
            return every(SubResponse(401, _error_body(exc.code, str(exc))))
        status = response.status_code
        if status == 429:
            return every(SubResponse(429, _json(response)), retry_after(response.headers))
        if status >= 500:
            return every(SubResponse(AMBIGUOUS, _json(response)), retry_after(response.headers))
        if status >= 300:
            return every(SubResponse(status, _json(response)))
        answers = {}
        for item in _json(response).get("responses", []):
            try:
                inner = int(item.get("status", AMBIGUOUS))
            except (TypeError, ValueError):
                inner = AMBIGUOUS
            if inner >= 500 or inner == 408:
                inner = AMBIGUOUS  # a write may have happened before the failure
            body = item.get("body")
            answers[str(item.get("id"))] = (
                SubResponse(inner, body if isinstance(body, dict) else {}),
                retry_after(item.get("headers") or {}),
            )
        missing = SubResponse(AMBIGUOUS, _error_body("missing", "no answer in the batch"))
        return {r.id: answers.get(r.id, (missing, None)) for r in chunk}

    def _send(
        self, method: str, url: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> requests.Response:
        """One HTTP request with the bearer token; a 401 gets one fresh token and one more try."""
        extra = headers or {}
        return send(
            self.session, self._service, self.tokens, method, url, body, lambda: dict(extra), self.sleep, self._count
        )

    def _count(self) -> None:
        with self._count_lock:
            self.requests_made += 1

    def _checked(self, response: requests.Response) -> dict[str, Any]:
        """The JSON body of a 2xx answer; a typed error otherwise."""
        status = response.status_code
        if status < 300:
            return _json(response)
        code, message = SubResponse(status, _json(response)).error
        if status == 429 or status >= 500:
            raise TransientProviderError(
                f"Microsoft Graph answered {status} {code}".rstrip(), retry_after(response.headers)
            )
        if status in (401, 403):
            raise PermanentProviderError(
                f"Microsoft Graph refused access ({status} {code}: {message})",
                "grant the app the permissions in the README ('Connect a real tenant'): "
                "LicenseAssignment.Read.All and User.Read.All to plan; "
                "LicenseAssignment.ReadWrite.All and User.ReadWrite.All to apply",
                code="forbidden",
            )
        raise PermanentProviderError(f"Microsoft Graph answered {status} {code}: {message}", code=code or "rejected")


def _error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
