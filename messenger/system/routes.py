"""``GET /api/config`` and ``GET /api/health`` exactly as the contract says."""

from __future__ import annotations

import logging
import shutil
import time
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue

from messenger.accounts.service import registration_state
from messenger.accounts.setup import setup_pending
from messenger.core.assets import client_build
from messenger.core.context import Services
from messenger.core.http import returns
from messenger.core.models import Reply
from messenger.storage import settings_store
from messenger.storage.db import utcnow
from messenger.version import __version__

log = logging.getLogger("messenger.health")


class UploadLimits(Reply):
    allowed_extensions: list[str]
    blocked_extensions: list[str]
    max_size_bytes: int


class ClientConfig(Reply):
    """``GET /api/config``: the settings declared with ``client=`` and what is known only at run time."""

    client_build: str
    features: dict[str, bool]
    message_max_length: int
    presence: dict[str, Any]
    rate_limits: dict[str, str]
    registration: str
    session_timeout_hours: int
    setup_required: bool
    upload: UploadLimits
    version: str


class DiskSpace(Reply):
    free_bytes: int
    min_free_bytes: int


class Health(Reply):
    """``GET /api/health`` (:func:`health`): 200 while the server answers (``ok`` or ``degraded`` with
    ``reasons``), 503 with ``status: "error"`` when the database does not."""

    status: str
    db: str
    redis: str
    av: str
    version: str
    disk: DiskSpace | None = None
    reasons: list[str] | None = None


def client_config(svc: Services) -> dict[str, Any]:
    """The settings declared with ``client=`` (messenger/settings.py), plus what is known only at run time."""
    s = svc.settings
    body = s.client_config()
    body["features"]["redis"] = bool(s.STATE_STORE_REDIS_URL or s.RATE_LIMIT_STORAGE_URI.startswith("redis"))
    body["registration"] = registration_state(svc)
    body["setup_required"] = setup_pending(svc)
    body["version"] = __version__
    body["client_build"] = client_build(str(current_app.static_folder))
    return body


WRITE_PROBE_SECONDS = 30.0  # how often /api/health really writes to the database


def free_disk(svc: Services) -> int:
    """Free bytes on the fuller of the data folder's and the upload folder's file systems."""
    folders = {svc.settings.data_dir, svc.settings.upload_dir}
    return min(shutil.disk_usage(folder).free for folder in folders if folder.exists())


class HealthState:
    """This node's last health answer and database write probe (the system feature's state)."""

    def __init__(self) -> None:
        self.write_probe: dict[str, Any] = {}
        self.last: dict[str, Any] = {}


def database_writable(svc: Services) -> bool:
    """A real write (a row in server_settings), at most every WRITE_PROBE_SECONDS; the answer is kept."""
    cache = svc.state_of(HealthState).write_probe
    now = time.monotonic()
    if cache and now - cache["at"] < WRITE_PROBE_SECONDS:
        return bool(cache["ok"])
    try:
        with svc.db.begin() as conn:
            settings_store.put(conn, "health_probe", utcnow().isoformat())
        ok = True
    except Exception as exc:  # a failure to write is the answer (two probes at once do not collide:
        # settings_store.put is an upsert)
        log.warning("the database is not writable: %s", exc)
        ok = False
    cache.update(at=now, ok=ok)
    return ok


def health(svc: Services) -> tuple[dict[str, Any], int]:
    """``ok``; ``degraded`` with ``reasons`` (``disk_low``, ``db_not_writable``) while the server still
    answers but will soon fail to store things; ``error`` (503) when the database does not answer."""
    db = "ok" if svc.db.ping() else "error"
    checks = svc.health_checks
    body: dict[str, Any] = {
        "status": "ok" if db == "ok" else "error",
        "db": db,
        "redis": svc.state.status(),
        "av": "off",
        "version": __version__,
    }
    for name, check in checks.items():
        body[name] = check()
    if db != "ok":
        return body, 503
    reasons: list[str] = []
    minimum = svc.settings.HEALTH_MIN_FREE_MB * 1024 * 1024
    try:
        free = free_disk(svc)
    except OSError:
        free = 0
    body["disk"] = {"free_bytes": free, "min_free_bytes": minimum}
    if minimum and free < minimum:
        reasons.append("disk_low")
    if not database_writable(svc):
        reasons.append("db_not_writable")
    if reasons:
        body["status"] = "degraded"
        body["reasons"] = reasons
    return body, 200


HEALTH_WATCH_SECONDS = 60.0


def watch_health(svc: Services) -> None:
    """Log when the health changes (the terminal shows warnings; the tray and the console ask
    ``health`` themselves). The last answer is kept in the feature's :class:`HealthState`."""
    body, _ = health(svc)
    state = svc.state_of(HealthState)
    before = state.last.get("reasons", [])
    state.last = body
    reasons = body.get("reasons", [])
    if reasons and reasons != before:
        log.warning("server health degraded: %s (free disk %d MB)", ", ".join(reasons),
                    body.get("disk", {}).get("free_bytes", 0) // (1024 * 1024))
    elif before and not reasons:
        log.warning("server health ok again")


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("system", __name__)
    svc.jobs.every("health_watch", HEALTH_WATCH_SECONDS, lambda: watch_health(svc), single_node=False)
    svc.jobs.on_start(lambda: watch_health(svc))

    @bp.get("/api/config")
    @returns(reply=ClientConfig)
    def config() -> ResponseReturnValue:
        return jsonify(client_config(svc))

    @bp.get("/api/health")
    @returns(200, 503, reply=Health)
    def health_route() -> ResponseReturnValue:
        body, status = health(svc)
        return jsonify(body), status

    app.register_blueprint(bp)
