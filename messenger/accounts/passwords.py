"""Password hashing with argon2-cffi: Argon2id with OWASP's recommended minimum (19 MiB, 2 passes,
1 lane). argon2-cffi's default profile (64 MiB, 3 passes, 4 lanes) cost ~4x the CPU per login, which
on a 2-core office PC made a morning login wave of a whole office queue for seconds.

Hashing takes tens of milliseconds of CPU; inside the gevent server it runs on the hub's native
thread pool so other greenlets keep being served.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def _offload(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        import gevent

        hub = gevent.get_hub()
        return hub.threadpool.apply(fn, args)
    except ImportError:  # pragma: no cover - gevent is a hard dependency
        return fn(*args)


def hash_password(password: str) -> str:
    return _offload(_hasher.hash, password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        return False

    def _verify() -> bool:
        try:
            return _hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return bool(_offload(_verify))


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
