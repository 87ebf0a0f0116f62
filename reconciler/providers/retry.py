"""Retrying transient provider errors: one policy and one loop for apply and the Graph client.

`Backoff` is the loop's state (how many tries, how long waited); `with_retries` is the loop for a
single call. The Graph client's `$batch` keeps its own round structure (some requests of a round
are answered, others throttled) but waits through the same `Backoff`, so every retry in the
product obeys one rule: Retry-After first, exponential backoff otherwise, within a time budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ..domain.errors import TransientProviderError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff, honouring Retry-After, within a total time budget."""

    attempts: int = 12
    base_delay: float = 0.5
    max_delay: float = 30.0
    budget: float = 300.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Retry-After when the service gave one, else exponential backoff capped at max_delay."""
        return retry_after if retry_after is not None else min(self.max_delay, self.base_delay * 2**attempt)


class Backoff:
    """The state of one run of retries under a policy."""

    def __init__(self, policy: RetryPolicy, sleep: Callable[[float], None] = time.sleep) -> None:
        self.policy = policy
        self.sleep = sleep
        self.attempt = 0  # tries made so far, minus one
        self.waited = 0.0

    def next_delay(self, retry_after: float | None) -> float:
        """How long the policy says to wait before the next try."""
        return self.policy.delay(self.attempt, retry_after)

    def wait(self, delay: float) -> bool:
        """Sleep `delay` before another try; False (and no sleep) when attempts or budget are spent."""
        if self.attempt + 1 >= self.policy.attempts or self.waited + delay > self.policy.budget:
            return False
        self.sleep(delay)
        self.waited += delay
        self.attempt += 1
        return True

    def reset(self) -> None:
        """Start counting again (the caller made progress, so the budget bounds time without any)."""
        self.attempt, self.waited = 0, 0.0


def with_retries(
    call: Callable[[], T],
    policy: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    counter: list[int] | None = None,
) -> T:
    """`call()`, retrying transient provider errors with backoff (Retry-After first) within the budget.

    `counter[0]` is increased by one per retry, so callers can report how many it took.
    """
    backoff = Backoff(policy, sleep)
    while True:
        try:
            return call()
        except TransientProviderError as exc:
            if not backoff.wait(backoff.next_delay(exc.retry_after)):
                raise TransientProviderError(
                    f"{exc.message}; gave up after {backoff.attempt + 1} attempts", exc.retry_after
                ) from None
            if counter is not None:
                counter[0] += 1
