"""Per-user send limit (``SOCKET_SEND_MESSAGE_PER_MINUTE``) with the ``limits`` library, moving window.

The storage comes from ``RATE_LIMIT_STORAGE_URI`` (``memory://`` by default, Redis when configured),
so the socket event and ``POST /api/rooms/<id>/messages`` share one budget per user across processes.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItemPerMinute
from limits.strategies import MovingWindowRateLimiter

from messenger.core.context import Services
from messenger.core.errors import ApiError
from messenger.state.ratelimit import limits_storage

log = logging.getLogger("messenger.messages")
NAMESPACE = "send_message"


class SendLimiter:
    def __init__(self, storage_uri: str) -> None:
        self.storage = limits_storage(storage_uri)  # Redis falls back to memory while it is down
        self.limiter = MovingWindowRateLimiter(self.storage)

    def hit(self, user_id: int, per_minute: int) -> float | None:
        """Count one send; None when allowed, else the seconds until the next send is allowed."""
        item = RateLimitItemPerMinute(max(int(per_minute), 1))
        try:
            if self.limiter.hit(item, NAMESPACE, str(user_id)):
                return None
            reset_at, _remaining = self.limiter.get_window_stats(item, NAMESPACE, str(user_id))
            return max(reset_at - time.time(), 1.0)
        except Exception:  # a broken limiter storage must not stop the chat
            log.exception("send rate limiter storage failed; allowing the message")
            return None


def limiter_of(svc: Services) -> SendLimiter:
    """This app's send limiter (one per process, made at start-up by ``messages.register``)."""
    return svc.state_of(SendLimiter, lambda: SendLimiter(svc.settings.RATE_LIMIT_STORAGE_URI))


def check_send_rate(svc: Services, user_id: int) -> None:
    """Raise 429 ``rate_limited`` (with ``Retry-After``) when the user sent too much this minute."""
    wait = limiter_of(svc).hit(user_id, svc.settings.SOCKET_SEND_MESSAGE_PER_MINUTE)
    if wait is not None:
        raise ApiError(429, "rate_limited", "You are sending messages too fast; wait a moment", {"reason": "send_message"},
                       headers={"Retry-After": str(math.ceil(wait))})
