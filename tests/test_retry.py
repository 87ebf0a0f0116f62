"""The one retry loop (providers/retry.py) that apply and the Graph client share."""

from __future__ import annotations

import pytest

from reconciler.domain.errors import PermanentProviderError, TransientProviderError
from reconciler.providers.retry import Backoff, RetryPolicy, with_retries


def failing(times: int, retry_after: float | None = None):
    """A call that fails transiently `times` times, then answers "ok"."""
    calls = []

    def call() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise TransientProviderError("throttled", retry_after)
        return "ok"

    return call, calls


def test_backoff_doubles_up_to_the_cap_and_counts_each_retry() -> None:
    call, calls = failing(4)
    slept: list[float] = []
    counter = [0]
    policy = RetryPolicy(attempts=10, base_delay=1, max_delay=5, budget=100)
    assert with_retries(call, policy, slept.append, counter) == "ok"
    assert slept == [1, 2, 4, 5]
    assert counter == [4] and len(calls) == 5


def test_retry_after_wins_over_backoff() -> None:
    call, _ = failing(2, retry_after=7.5)
    slept: list[float] = []
    with_retries(call, RetryPolicy(attempts=10, base_delay=1, budget=100), slept.append)
    assert slept == [7.5, 7.5]


def test_attempts_bound_the_tries_and_the_message_says_how_many() -> None:
    call, calls = failing(10)
    slept: list[float] = []
    with pytest.raises(TransientProviderError, match="throttled; gave up after 3 attempts") as err:
        with_retries(call, RetryPolicy(attempts=3, base_delay=1, budget=100), slept.append)
    assert len(calls) == 3 and slept == [1, 2]
    assert err.value.retry_after is None


def test_the_budget_is_inclusive_and_never_overrun() -> None:
    call, calls = failing(10, retry_after=0.5)
    slept: list[float] = []
    with pytest.raises(TransientProviderError, match="gave up after 3 attempts") as err:
        with_retries(call, RetryPolicy(attempts=10, budget=1.0), slept.append)
    assert slept == [0.5, 0.5] and len(calls) == 3  # 1.0 reached exactly: allowed; a third wait is not
    assert err.value.retry_after == 0.5


def test_permanent_errors_are_not_retried() -> None:
    calls = []

    def call() -> None:
        calls.append(1)
        raise PermanentProviderError("forbidden")

    with pytest.raises(PermanentProviderError):
        with_retries(call, RetryPolicy(), lambda _: pytest.fail("slept"))
    assert len(calls) == 1


def test_backoff_reset_starts_the_count_again() -> None:
    slept: list[float] = []
    backoff = Backoff(RetryPolicy(attempts=2, base_delay=1, budget=100), slept.append)
    assert backoff.wait(backoff.next_delay(None))
    assert not backoff.wait(backoff.next_delay(None))  # attempts spent: no sleep
    backoff.reset()
    assert backoff.next_delay(None) == 1 and backoff.wait(1)
    assert slept == [1, 1]


def test_after_a_reset_the_whole_budget_is_there_again() -> None:
    slept: list[float] = []
    backoff = Backoff(RetryPolicy(attempts=10, budget=1.0), slept.append)
    assert backoff.wait(1.0) and not backoff.wait(0.5)  # the budget is spent
    backoff.reset()
    assert backoff.wait(1.0) and slept == [1.0, 1.0]
