"""The service container built by the app factory: everything a feature needs, no globals.

Routes and socket handlers reach it with :func:`services`; service functions take it as their
first argument.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import current_app

if TYPE_CHECKING:
    from flask_limiter import Limiter
    from flask_socketio import SocketIO

    from messenger.core.jobs import Jobs
    from messenger.realtime import Realtime
    from messenger.settings import Settings
    from messenger.state import StateStore
    from messenger.storage import Database


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
    extras: dict[str, Any] = field(default_factory=dict)


def services() -> Services:
    """The running app's service container (inside a request or socket handler)."""
    return current_app.extensions["messenger"]
