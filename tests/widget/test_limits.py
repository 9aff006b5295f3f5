"""Token buckets and stream slots of the web chat."""

from __future__ import annotations

from botdesk.widget.limits import StreamSlots, TokenBuckets


def test_bucket_allows_a_burst_then_refills_at_its_rate() -> None:
    buckets = TokenBuckets(capacity=2, per_minute=60)  # one token a second
    assert [buckets.take("a", now=0.0) for _ in range(2)] == [0.0, 0.0]
    assert buckets.take("a", now=0.0) == 1.0
    assert buckets.take("a", now=0.5) == 0.5
    assert buckets.take("a", now=1.5) == 0.0
    assert buckets.take("b", now=1.5) == 0.0  # keys are independent


def test_bucket_forgets_the_least_recently_used_keys() -> None:
    buckets = TokenBuckets(capacity=1, per_minute=1, max_keys=2)
    for key in ("a", "b", "c"):
        buckets.take(key, now=0.0)
    assert buckets.take("a", now=0.0) == 0.0  # forgotten, so full again
    assert buckets.take("c", now=0.0) > 0


def test_stream_slots_count_per_key() -> None:
    slots = StreamSlots(limit=2)
    slots.acquire("ip")
    slots.acquire("ip")
    assert slots.full("ip") and not slots.full("other")
    slots.release("ip")
    assert not slots.full("ip")
    slots.release("ip")
    assert slots.open == {}
