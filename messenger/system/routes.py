"""``GET /api/config`` and ``GET /api/health`` exactly as the contract says."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue

from messenger.accounts.service import registration_state
from messenger.accounts.setup import setup_pending
from messenger.core.context import Services
from messenger.version import __version__


def client_config(svc: Services) -> dict[str, Any]:
    """The settings declared with ``client=`` (messenger/settings.py), plus what is known only at run time."""
    s = svc.settings
    body = s.client_config()
    body["features"]["redis"] = bool(s.STATE_STORE_REDIS_URL or s.RATE_LIMIT_STORAGE_URI.startswith("redis"))
    body["registration"] = registration_state(svc)
    body["setup_required"] = setup_pending(svc)
    body["version"] = __version__
    return body


def health(svc: Services) -> tuple[dict[str, Any], int]:
    db = "ok" if svc.db.ping() else "error"
    checks = svc.extras.get("health_checks", {})
    body: dict[str, Any] = {
        "status": "ok" if db == "ok" else "error",
        "db": db,
        "redis": svc.state.status(),
        "av": "off",
        "version": __version__,
    }
    for name, check in checks.items():
        body[name] = check()
    return body, 200 if db == "ok" else 503


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("system", __name__)

    @bp.get("/api/config")
    def config() -> ResponseReturnValue:
        return jsonify(client_config(svc))

    @bp.get("/api/health")
    def health_route() -> ResponseReturnValue:
        body, status = health(svc)
        return jsonify(body), status

    app.register_blueprint(bp)
