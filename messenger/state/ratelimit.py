"""Rate-limit storage for the ``limits`` library (socket events): Redis shared by every node, with
a memory fallback while Redis is down.

``build_limits_storage(settings)`` reads ``RATE_LIMIT_STORAGE_URI``: ``memory://`` gives the plain
memory storage; ``redis://…`` gives :class:`FallbackLimitsStorage`, which answers from Redis while it
is up and from memory (per node) while it is not, switching back when Redis answers again.
Use it with any ``limits`` strategy, e.g. ``MovingWindowRateLimiter(build_limits_storage(settings))``.
"""

from __future__ import annotations

import threading
from typing import Any

from limits.storage import MemoryStorage, MovingWindowSupport, SlidingWindowCounterSupport, Storage
from limits.storage import storage_from_string as _storage_from_string

SWEEP_SECONDS = 1.0


class QuietMemoryStorage(MemoryStorage):
    """``limits``' memory storage, sweeping expired entries once a second instead of 10 ms after a hit.

    The stock storage starts a new OS thread 10 ms after any hit when its last one has ended, and that
    thread walks every key: under chat load (hundreds of sends a second) that is a thread start every
    10 ms and ~18% of the server's CPU, contending for the GIL with the gevent hub. The answers do not
    depend on the sweep (a moving window looks at entry times); it only bounds memory.
    """

    # Not registered (built by limits_storage() for memory:// URIs). The base class declares
    # list[str] | None, but MemoryStorage's list narrows it, so mypy takes None for an override error.
    STORAGE_SCHEME = None  # type: ignore[assignment]

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the stock 10 ms schedule
        if not self.timer.is_alive():
            # The stock sweep is name-mangled (private); getattr reaches it without repeating its body.
            self.timer = threading.Timer(SWEEP_SECONDS, getattr(self, "_MemoryStorage__expire_events"))  # noqa: B009
            self.timer.daemon = True
            self.timer.start()


class FallbackLimitsStorage(Storage, MovingWindowSupport, SlidingWindowCounterSupport):
    """A ``limits`` storage: Redis first, memory while Redis does not answer."""

    STORAGE_SCHEME = None

    def __init__(self, uri: str, check_interval: float | None = None) -> None:
        # redis-py loads only with a Redis storage (a single node never needs it: ~6 MB, ~0.08 s at start-up)
        from messenger.state.redis_store import CHECK_INTERVAL, REDIS_ERRORS, Failover, redis_options

        super().__init__(uri)
        self.primary: Any = _storage_from_string(uri, **redis_options())
        self.memory = QuietMemoryStorage()
        self.failover = Failover.for_url(uri, CHECK_INTERVAL if check_interval is None else check_interval)
        self._errors = REDIS_ERRORS

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return self._errors

    def _run(self, name: str, *args: Any) -> Any:
        return self.failover.run(lambda: getattr(self.primary, name)(*args),
                                 lambda: getattr(self.memory, name)(*args))

    # ---- Storage ------------------------------------------------------------------------------
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return int(self._run("incr", key, expiry, amount))

    def get(self, key: str) -> int:
        return int(self._run("get", key))

    def get_expiry(self, key: str) -> float:
        return float(self._run("get_expiry", key))

    def check(self) -> bool:
        return self.failover.up

    def reset(self) -> int | None:
        return self._run("reset")

    def clear(self, key: str) -> None:
        self._run("clear", key)

    # ---- moving window ----------------------------------------------------------------------------
    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        return bool(self._run("acquire_entry", key, limit, expiry, amount))

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        return self._run("get_moving_window", key, limit, expiry)

    # ---- sliding window counter ----------------------------------------------------------------
    def acquire_sliding_window_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        return bool(self._run("acquire_sliding_window_entry", key, limit, expiry, amount))

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        return self._run("get_sliding_window", key, expiry)

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        self._run("clear_sliding_window", key, expiry)

    def status(self) -> str:
        return self.failover.status()

    def close(self) -> None:
        self.primary.storage.close()


def limits_storage(uri: str) -> Storage:
    """The ``limits`` storage for a storage URI: memory, or Redis with the memory fallback."""
    uri = uri or "memory://"
    if uri.startswith(("redis://", "rediss://")):
        return FallbackLimitsStorage(uri)
    if uri == "memory://":
        return QuietMemoryStorage()
    storage = _storage_from_string(uri)
    if not isinstance(storage, Storage):  # an async storage (async+redis://...) cannot serve this server
        raise ValueError(f"not a synchronous rate-limit storage: {uri}")
    return storage


def build_limits_storage(settings: Any) -> Storage:
    """The ``limits`` storage for ``settings.RATE_LIMIT_STORAGE_URI`` (memory, or Redis with fallback)."""
    return limits_storage(settings.RATE_LIMIT_STORAGE_URI)
