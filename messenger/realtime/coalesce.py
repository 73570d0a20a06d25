"""Coalesced delivery: changes collected per key and handed over in batches, at most one per interval.

The first change after a quiet interval goes out at once (in a background greenlet, not in the
caller's event handler); changes that come while a batch is due are merged into it (the latest value
of a key wins) and go out when the interval since the previous batch has passed. Used for presence,
and for typing and read markers in big rooms (docs/API.md, "Coalesced events").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("messenger.realtime")


class Coalescer:
    def __init__(self, socketio: Any, interval: float, flush: Callable[[dict[Any, Any]], None]) -> None:
        self.socketio = socketio
        self.interval = interval
        self.flush = flush
        self.pending: dict[Any, Any] = {}
        self._due = False
        self._last = float("-inf")

    def add(self, key: Any, value: Any) -> None:
        self.pending[key] = value
        if not self._due:
            self._due = True
            self.socketio.start_background_task(self._run)

    def drain(self) -> None:
        """Hand over what is waiting now, in the caller (shutting down: no later batch will come)."""
        items, self.pending = self.pending, {}
        if items:
            self._last = time.monotonic()
            self.flush(items)

    def _run(self) -> None:
        wait = self._last + self.interval - time.monotonic()
        if wait > 0:
            self.socketio.sleep(wait)
        self._due = False  # first: a change from now on schedules the next batch
        items, self.pending = self.pending, {}
        if not items:
            return
        self._last = time.monotonic()
        try:
            self.flush(items)
        except Exception:
            log.exception("coalesced delivery failed")
