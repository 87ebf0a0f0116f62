"""How long to wait between attempts: one policy for apply's retries and the Graph client's."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff, honouring Retry-After, within a total time budget."""

    attempts: int = 12
    base_delay: float = 0.5
    max_delay: float = 30.0
    budget: float = 300.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Retry-After when the service gave one, else exponential backoff capped at max_delay."""
        return retry_after if retry_after is not None else min(self.max_delay, self.base_delay * 2 ** attempt)
