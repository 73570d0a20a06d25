"""The memory rate-limit storage: same answers as limits' own, without a thread start per hit."""

from __future__ import annotations

import time

from limits import parse
from limits.strategies import MovingWindowRateLimiter

from messenger.state.ratelimit import limits_storage


def test_memory_storage_limits_and_sweeps_without_a_thread_per_hit() -> None:
    storage = limits_storage("memory://")
    limiter = MovingWindowRateLimiter(storage)
    item = parse("5/second")
    timers = set()
    results = []
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:  # far more hits than the stock 10 ms sweep would allow threads for
        results.append(limiter.hit(item, "send", "7"))
        timers.add(id(storage.timer))  # type: ignore[attr-defined]
        time.sleep(0.005)
    assert results[:5] == [True] * 5 and results[5] is False and sum(results) <= 5 + 1
    assert len(timers) <= 2, "a sweep thread was started for (almost) every hit"
    time.sleep(1.2)  # the window has passed: allowed again, and the sweep has dropped the old entries
    assert limiter.hit(item, "send", "7")
    time.sleep(1.2)
    assert len(storage.events.get("LIMITER/send/7/5/1/second", [])) <= 1  # type: ignore[attr-defined]
