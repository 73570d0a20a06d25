"""Shared short-lived state (upload tokens, presence counts, typing, rate-limit counters).

Memory by default; Redis when ``STATE_STORE_REDIS_URL`` is set (see ``redis_store``), falling back to
memory while Redis is down. Every implementation offers the same small interface.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from messenger.state.memory import MemoryStateStore, StateStore

if TYPE_CHECKING:
    from messenger.settings import Settings

__all__ = ["MemoryStateStore", "StateStore", "build_state_store"]


def build_state_store(settings: Settings) -> StateStore:
    """The state store the settings ask for."""
    if settings.STATE_STORE_REDIS_URL:
        from messenger.state.redis_store import FallbackStateStore

        return FallbackStateStore(settings.STATE_STORE_REDIS_URL)
    return MemoryStateStore()
