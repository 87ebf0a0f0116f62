"""Fault injection for the local provider, so tests and demos exercise retries like a real tenant.

`TENANTCTL_FAULTS="transient=0.3,lost=0.05,retry_after=0.01,seed=7"`:
- transient: share of calls that fail before doing anything (half as throttling with a
  Retry-After, half as a 503 without one);
- lost: share of writes that are applied and committed but whose response is lost (a timeout),
  the case that makes idempotent writes and idempotency keys necessary;
- retry_after: the Retry-After in seconds that throttling answers carry (also the backoff base
  the answers without one need, so a demo does not sleep for minutes);
- seed: the random seed, so a failing run can be replayed exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..domain.errors import TransientProviderError, UsageError

_KEYS = ("transient", "lost", "retry_after", "seed")


@dataclass
class FaultInjector:
    """Decides, call by call, whether to fail."""

    transient: float = 0.0
    lost: float = 0.0
    retry_after: float = 0.05
    seed: int = 0
    injected: int = 0

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)

    @classmethod
    def parse(cls, text: str) -> FaultInjector:
        """Read `key=value,...`; unknown keys and bad numbers are usage errors."""
        values: dict[str, float] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            key, _, raw = item.partition("=")
            if key not in _KEYS:
                raise UsageError(f"TENANTCTL_FAULTS: unknown key '{key}' (known: {', '.join(_KEYS)})")
            try:
                values[key] = float(raw)
            except ValueError:
                raise UsageError(f"TENANTCTL_FAULTS: {key}={raw!r} is not a number") from None
        for key in ("transient", "lost"):
            if not 0 <= values.get(key, 0) < 1:
                raise UsageError(f"TENANTCTL_FAULTS: {key} must be at least 0 and below 1")
        return cls(
            transient=values.get("transient", 0.0),
            lost=values.get("lost", 0.0),
            retry_after=values.get("retry_after", 0.05),
            seed=int(values.get("seed", 0)),
        )

    def before(self, what: str) -> None:
        """Maybe fail a call before it does anything."""
        if self.random.random() < self.transient:
            self.injected += 1
            if self.random.random() < 0.5:
                raise TransientProviderError(f"{what}: 429 Too Many Requests (injected fault)", self.retry_after)
            raise TransientProviderError(f"{what}: 503 Service Unavailable (injected fault)", self.retry_after)

    def after(self, what: str) -> None:
        """Maybe lose the response of a write that was committed."""
        if self.random.random() < self.lost:
            self.injected += 1
            raise TransientProviderError(
                f"{what}: timed out after the change was made (injected fault)", self.retry_after
            )
