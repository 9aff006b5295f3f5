"""Retry policy: when the next attempt is due, and when an integration is given up on.

A schedule of delays (settings.webhook_retry_schedule) with ±20% jitter so a fleet of
deliveries that failed together does not retry together; the receiver's own Retry-After and
the overload minimum win when longer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from botdesk.core.config import Settings

# Spread of each retry delay: ±20% so synchronized failures do not retry in lockstep.
JITTER_RATIO = 0.2


@dataclass(frozen=True)
class RetryPolicy:
    # Delay before attempt 1, 2, …, in seconds (the first is normally 0: send at once);
    # once every entry has been used, the delivery is failed.
    schedule: tuple[float, ...]
    disable_after_ms: int  # all attempts failing this long disables the integration
    jitter_ratio: float = JITTER_RATIO

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            schedule=tuple(settings.webhook_retry_schedule),
            disable_after_ms=int(settings.webhook_disable_after_seconds * 1000),
        )

    def next_attempt(
        self, attempts_done: int, now_ms: int, min_delay_s: float | None = None
    ) -> int | None:
        """When to try again after `attempts_done` failed attempts; None when out of retries."""
        if attempts_done >= len(self.schedule):
            return None
        delay = self.schedule[attempts_done]
        delay *= 1 + random.uniform(-self.jitter_ratio, self.jitter_ratio)
        if min_delay_s is not None:
            delay = max(delay, min_delay_s)
        return now_ms + int(delay * 1000)

    def should_disable(self, failing_since_ms: int | None, now_ms: int) -> bool:
        """An integration is disabled only when every attempt failed for the whole period."""
        return failing_since_ms is not None and now_ms - failing_since_ms >= self.disable_after_ms
