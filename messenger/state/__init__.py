"""Shared short-lived state (upload tokens, presence counts, typing, rate-limit counters).

Memory by default; Redis when ``STATE_STORE_REDIS_URL`` is set (see ``redis_store``), falling back to
memory while Redis is down. Every implementation offers the same small interface.
"""

from messenger.state.memory import MemoryStateStore, StateStore

__all__ = ["MemoryStateStore", "StateStore", "build_state_store"]


def build_state_store(settings):  # type: ignore[no-untyped-def]
    """The state store the settings ask for."""
    if settings.STATE_STORE_REDIS_URL:
        from messenger.state.redis_store import FallbackStateStore

        return FallbackStateStore(settings.STATE_STORE_REDIS_URL)
    return MemoryStateStore()
