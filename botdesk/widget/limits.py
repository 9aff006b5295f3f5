"""In-memory abuse limits for the anonymous web chat: token buckets and stream slots.

Per process, which is enough against one abusive browser or script: a visitor's requests reach
the same few processes, and a limit that is N times looser with N processes still caps the load.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

# Messages one IP address may send in a burst, then per minute (offices share one address).
IP_BURST = 30
IP_PER_MINUTE = 30.0
# Messages one chat may send in a burst, then per minute (a person types slower than this).
CHAT_BURST = 8
CHAT_PER_MINUTE = 12.0
# Live streams one IP address may hold open at once (each polls the database).
STREAMS_PER_IP = 20
# Buckets remembered before the least recently used are forgotten (bounds memory).
MAX_KEYS = 100_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """One bucket per key: `capacity` tokens, refilled at `per_minute`; a message costs one."""

    def __init__(self, capacity: float, per_minute: float, max_keys: int = MAX_KEYS) -> None:
        self.capacity = capacity
        self.rate = per_minute / 60.0
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str, now: float | None = None) -> float:
        """Spend one token: 0.0 if allowed, else the seconds until one is available."""
        now = time.monotonic() if now is None else now
        bucket = self._buckets.pop(key, None) or _Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        self._buckets[key] = bucket
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate if self.rate > 0 else float("inf")


@dataclass
class StreamSlots:
    """Open live streams per key, so one address cannot hold thousands of pollers."""

    limit: int = STREAMS_PER_IP
    open: dict[str, int] = field(default_factory=dict)

    def full(self, key: str) -> bool:
        return self.open.get(key, 0) >= self.limit

    def acquire(self, key: str) -> None:
        self.open[key] = self.open.get(key, 0) + 1

    def release(self, key: str) -> None:
        left = self.open.get(key, 0) - 1
        if left > 0:
            self.open[key] = left
        else:
            self.open.pop(key, None)


@dataclass
class WidgetLimits:
    """The limits one app enforces; tests swap in tighter ones through `app.state`."""

    per_ip: TokenBuckets = field(default_factory=lambda: TokenBuckets(IP_BURST, IP_PER_MINUTE))
    per_chat: TokenBuckets = field(
        default_factory=lambda: TokenBuckets(CHAT_BURST, CHAT_PER_MINUTE)
    )
    streams: StreamSlots = field(default_factory=StreamSlots)
    # How often an open stream looks for new messages, and how long it lasts, in seconds.
    poll_seconds: float = 0.5
    stream_seconds: float = 300.0
