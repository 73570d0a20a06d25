"""Background jobs in the server's hub: periodic tasks and one-off work.

Periodic jobs marked ``single_node`` take a lease in the ``job_locks`` table first, so with several
server processes each run happens once. Jobs start when the server starts (not in the app factory),
so tests that only use the Flask test client run none.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from messenger.storage import Database, locks_store, utcnow

log = logging.getLogger("messenger.jobs")


@dataclass
class _Periodic:
    name: str
    interval: float
    fn: Callable[[], Any]
    single_node: bool


class Jobs:
    def __init__(self, db: Database, socketio: Any) -> None:
        self.db = db
        self.socketio = socketio
        self.node_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._periodic: list[_Periodic] = []
        self._started_hooks: list[Callable[[], Any]] = []
        self._running = False

    @property
    def running(self) -> bool:
        """True once the server started the jobs (not with only the Flask test client)."""
        return self._running

    def every(self, name: str, interval: float, fn: Callable[[], Any], single_node: bool = True) -> None:
        """Run ``fn`` every ``interval`` seconds once the server runs."""
        self._periodic.append(_Periodic(name, interval, fn, single_node))

    def on_start(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` once in the server's hub when the server starts (e.g. resume queued work)."""
        self._started_hooks.append(fn)

    def spawn(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn`` in the background of the server's hub."""
        self.socketio.start_background_task(self._guard, fn.__name__, fn, *args)

    def start(self) -> None:
        self._running = True
        for hook in self._started_hooks:
            self.spawn(hook)
        for job in self._periodic:
            self.socketio.start_background_task(self._loop, job)

    def stop(self) -> None:
        self._running = False

    def run_now(self, name: str) -> bool:
        """Run a periodic job immediately in the calling thread (tests, CLI). False if unknown."""
        for job in self._periodic:
            if job.name == name:
                self._run_once(job)
                return True
        return False

    def _guard(self, name: str, fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # a background job must never take the server down
            log.exception("background job %s failed", name)

    def _run_once(self, job: _Periodic) -> None:
        if job.single_node:
            try:
                with self.db.begin() as conn:
                    got = locks_store.try_acquire(
                        conn, job.name, self.node_id, utcnow() + timedelta(seconds=job.interval * 0.9)
                    )
            except IntegrityError:  # another node inserted the lease first
                got = False
            if not got:
                return
        self._guard(job.name, job.fn)

    def _loop(self, job: _Periodic) -> None:
        while self._running:
            self.socketio.sleep(job.interval)
            if not self._running:
                break
            self._run_once(job)
