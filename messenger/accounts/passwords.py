"""Password hashing with argon2-cffi: Argon2id with OWASP's recommended minimum (19 MiB, 2 passes,
1 lane). argon2-cffi's default profile (64 MiB, 3 passes, 4 lanes) cost ~4x the CPU per login, which
on a 2-core office PC made a morning login wave of a whole office queue for seconds.

Hashing takes tens of milliseconds of CPU; inside the gevent server it runs on the hub's native
thread pool so other greenlets keep being served.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Generated temporary passwords (directory import) carry >= 72 random bits: memory-hard stretching
# protects guessable human passwords, not random ones, so they are hashed with Argon2id at its
# smallest cost (~0.5 ms instead of ~20 ms; 1,000 imported accounts in well under a second). The
# account must change the password at its first login, which stores a full-cost hash.
_temporary_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _offload(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        import gevent

        hub = gevent.get_hub()
        return hub.threadpool.apply(fn, args)
    except ImportError:  # pragma: no cover - gevent is a hard dependency
        return fn(*args)


def hash_password(password: str) -> str:
    return _offload(_hasher.hash, password)


_dummy: list[str] = []  # one Argon2 hash of a random password, made on first use


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(hash_password(secrets.token_urlsafe(16)))
    return _dummy[0]


def hash_temporary_passwords(passwords: list[str]) -> list[str]:
    """Hashes of generated temporary passwords (see ``_temporary_hasher``), in one thread-pool trip."""
    return _offload(lambda: [_temporary_hasher.hash(p) for p in passwords])


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``.

    Without a hash (unknown user, SSO-only or deleted account) the password is still checked against a
    dummy Argon2 hash of the same parameters, so the answer takes as long as for a real account and the
    time does not tell which usernames exist."""
    target = stored_hash or _dummy_hash()

    def _verify() -> bool:
        try:
            return _hasher.verify(target, password)
        except (VerificationError, InvalidHashError):
            return False

    return bool(_offload(_verify)) and bool(stored_hash)


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with other Argon2 parameters (or another variant) than today's."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return True
