"""In-process state store with expiry. Safe across threads: the lock is never held across I/O."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class StateStore(Protocol):
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str, ttl: float | None = None) -> None: ...
    def set_if_absent(self, key: str, value: str, ttl: float | None = None) -> bool: ...
    def pop(self, key: str) -> str | None: ...
    def delete(self, key: str) -> None: ...
    def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int: ...
    def status(self) -> str: ...


class MemoryStateStore:
    """A dict with per-key expiry."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str, float | None]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= now:
            del self._data[key]
            return None
        return value

    def _sweep(self, now: float) -> None:
        if len(self._data) > 10000:
            for k in [k for k, (_, e) in self._data.items() if e is not None and e <= now]:
                del self._data[k]

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key, time.monotonic())

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        now = time.monotonic()
        with self._lock:
            self._sweep(now)
            self._data[key] = (value, now + ttl if ttl else None)

    def set_if_absent(self, key: str, value: str, ttl: float | None = None) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._live(key, now) is not None:
                return False
            self._data[key] = (value, now + ttl if ttl else None)
            return True

    def pop(self, key: str) -> str | None:
        with self._lock:
            value = self._live(key, time.monotonic())
            self._data.pop(key, None)
            return value

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        now = time.monotonic()
        with self._lock:
            current = self._live(key, now)
            value = int(current or 0) + amount
            expires = self._data[key][1] if current is not None else (now + ttl if ttl else None)
            self._data[key] = (str(value), expires)
            return value

    def status(self) -> str:
        return "off"
