"""Redis-backed shared state with a graceful fallback to memory.

:class:`FallbackStateStore` keeps upload tokens, presence counts, typing flags and other short-lived
keys in Redis so several server processes share them. When Redis stops answering (short socket
timeouts, no client-side retries) the store switches to an in-process :class:`MemoryStateStore`
within a second, logs that once and reports ``status() == "degraded"``; a background health check
pings Redis every half second and switches back (``"ok"``) as soon as it answers again.

:class:`Failover` holds that switching logic, one per Redis URL and process: the rate-limit storage
in ``messenger.state.ratelimit`` shares it, so state and limits switch together.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from messenger.state.memory import MemoryStateStore

log = logging.getLogger("messenger.state")

T = TypeVar("T")

SOCKET_TIMEOUT = 0.3  # seconds; a hung Redis is noticed well within a second
CHECK_INTERVAL = 0.5
REDIS_ERRORS = (redis.RedisError, OSError)


def redis_options() -> dict[str, Any]:
    """Client options for a Redis that may go away: short timeouts, no retry loops."""
    return {
        "socket_timeout": SOCKET_TIMEOUT,
        "socket_connect_timeout": SOCKET_TIMEOUT,
        "retry": Retry(NoBackoff(), 0),
        "health_check_interval": 0,
    }


def _checker(ref: "weakref.ReferenceType[Failover]", stop: threading.Event, url: str, interval: float) -> None:
    """Ping Redis with a client of this thread's own; tell the Failover when the answer changes."""
    client = redis.Redis.from_url(url, **redis_options())
    try:
        while not stop.wait(interval):
            try:
                up = bool(client.ping())
            except REDIS_ERRORS:
                up = False
            failover = ref()
            if failover is None:
                return
            failover.mark(up)
            del failover
    finally:
        client.close()


class Failover:
    """Tracks whether Redis answers; runs an operation on Redis or, while it is down, on a fallback."""

    _shared: "weakref.WeakValueDictionary[str, Failover]" = weakref.WeakValueDictionary()
    _shared_lock = threading.Lock()

    @classmethod
    def for_url(cls, url: str, check_interval: float = CHECK_INTERVAL) -> "Failover":
        """The one Failover of this process for ``url``: the state store and the rate limits switch
        together, with one health check and one log line per change."""
        with cls._shared_lock:
            failover = cls._shared.get(url)
            if failover is None:
                failover = cls._shared[url] = cls(url, check_interval)
            return failover

    def __init__(self, url: str, check_interval: float = CHECK_INTERVAL) -> None:
        self.url = url
        self._up = True
        self._lock = threading.Lock()
        self._stop = threading.Event()
        try:
            redis.Redis.from_url(url, **redis_options()).ping()
        except REDIS_ERRORS as exc:
            self._up = False
            log.warning("Redis at %s is not answering (%s); using memory until it is back", _safe(url), exc)
        self._thread = threading.Thread(
            target=_checker, args=(weakref.ref(self), self._stop, url, check_interval),
            name="redis-health", daemon=True,
        )
        self._thread.start()
        weakref.finalize(self, self._stop.set)

    @property
    def up(self) -> bool:
        return self._up

    def mark(self, up: bool) -> None:
        """Record the state Redis is in; log only when it changes."""
        with self._lock:
            if up == self._up:
                return
            self._up = up
        if up:
            log.warning("Redis at %s answers again; switched back from memory", _safe(self.url))
        else:
            log.warning("Redis at %s stopped answering; switched to memory (degraded)", _safe(self.url))

    def run(self, primary: Callable[[], T], fallback: Callable[[], T]) -> T:
        """``primary()`` against Redis while it is up; ``fallback()`` when it is down or just failed."""
        if self._up:
            try:
                return primary()
            except REDIS_ERRORS:
                self.mark(False)
        return fallback()

    def status(self) -> str:
        return "ok" if self._up else "degraded"


def _safe(url: str) -> str:
    """The URL without a password, for logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url



def _text(value: bytes | str | None) -> str | None:
    """A value read from the client (made with decode_responses=True, so str; bytes only in theory)."""
    return value.decode("utf-8") if isinstance(value, bytes) else value

class FallbackStateStore:
    """The :class:`~messenger.state.memory.MemoryStateStore` interface on Redis, with memory fallback."""

    def __init__(self, url: str, prefix: str = "im:", check_interval: float = CHECK_INTERVAL) -> None:
        self.prefix = prefix
        self.redis = redis.Redis.from_url(url, decode_responses=True, **redis_options())
        self.memory = MemoryStateStore()
        self.failover = Failover.for_url(url, check_interval)

    def _k(self, key: str) -> str:
        return self.prefix + key

    @staticmethod
    def _ms(ttl: float | None) -> int | None:
        return max(1, int(ttl * 1000)) if ttl else None

    def get(self, key: str) -> str | None:
        return self.failover.run(lambda: _text(self.redis.get(self._k(key))), lambda: self.memory.get(key))

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self.failover.run(lambda: self.redis.set(self._k(key), value, px=self._ms(ttl)),
                          lambda: self.memory.set(key, value, ttl))

    def set_if_absent(self, key: str, value: str, ttl: float | None = None) -> bool:
        return self.failover.run(
            lambda: bool(self.redis.set(self._k(key), value, px=self._ms(ttl), nx=True)),
            lambda: self.memory.set_if_absent(key, value, ttl),
        )

    def pop(self, key: str) -> str | None:
        """Get and delete in one atomic step (GETDEL): a single-use token is spent exactly once."""
        return self.failover.run(lambda: _text(self.redis.getdel(self._k(key))), lambda: self.memory.pop(key))

    def delete(self, key: str) -> None:
        self.failover.run(lambda: self.redis.delete(self._k(key)), lambda: self.memory.delete(key))

    def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        """Add ``amount``; a new key gets ``ttl`` (an existing key keeps its expiry)."""

        def on_redis() -> int:
            pipe = self.redis.pipeline(transaction=True)
            pipe.incrby(self._k(key), amount)
            ms = self._ms(ttl)
            if ms:
                pipe.pexpire(self._k(key), ms, nx=True)
            return int(pipe.execute()[0])

        return self.failover.run(on_redis, lambda: self.memory.incr(key, amount, ttl))

    def status(self) -> str:
        return self.failover.status()

    def close(self) -> None:
        self.redis.close()
