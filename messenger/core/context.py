"""The service container built by the app factory: everything a feature needs, no globals.

Routes and socket handlers reach it with :func:`services`; service functions take it as their
first argument.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from flask import current_app

if TYPE_CHECKING:
    from flask_limiter import Limiter
    from flask_socketio import SocketIO

    from messenger.core.jobs import Jobs
    from messenger.realtime import Realtime
    from messenger.settings import Settings
    from messenger.state import StateStore
    from messenger.storage import Database


T = TypeVar("T")


class ListeningServer(Protocol):
    """The running server as features see it (``server.ServerRunner``): where it listens."""

    host: str

    @property
    def scheme(self) -> str: ...

    @property
    def public_port(self) -> int | None: ...


@dataclass
class Services:
    settings: "Settings"
    db: "Database"
    state: "StateStore"
    limiter: "Limiter"
    socketio: "SocketIO"
    realtime: "Realtime"
    jobs: "Jobs"
    log: logging.Logger
    # Extra fields of ``GET /api/health``: name → a function returning that field (files adds "av").
    health_checks: dict[str, Callable[[], Any]] = field(default_factory=dict)
    # Set by the server once it listens (None under a test client).
    server: ListeningServer | None = None
    _feature_state: dict[type, Any] = field(default_factory=dict, repr=False)

    def state_of(self, kind: type[T], make: Callable[[], T] | None = None) -> T:
        """This app's one instance of a feature's state class, made on first use (``make()`` or ``kind()``).

        Each feature declares the class of its in-process state (typists, cached session checks, its
        rate limiter) next to the code that uses it; nothing else reaches into it."""
        try:
            value: T = self._feature_state[kind]  # keyed by its own class
        except KeyError:
            value = self._feature_state[kind] = (make or kind)()
        return value


def services() -> Services:
    """The running app's service container (inside a request or socket handler)."""
    return current_app.extensions["messenger"]
