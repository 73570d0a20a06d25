"""``GET /api/config`` and ``GET /api/health`` exactly as the contract says."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify

from messenger.accounts.service import registration_state
from messenger.core.context import Services
from messenger.version import __version__


def client_config(svc: Services) -> dict[str, Any]:
    s = svc.settings
    return {
        "upload": {
            "max_size_bytes": s.MAX_CONTENT_LENGTH,
            "allowed_extensions": list(s.UPLOAD_ALLOWED_EXTENSIONS),
            "blocked_extensions": list(s.UPLOAD_BLOCKED_EXTENSIONS),
        },
        "rate_limits": {
            "login": s.RATE_LIMIT_LOGIN,
            "register": s.RATE_LIMIT_REGISTER,
            "upload": s.RATE_LIMIT_UPLOAD,
            "search_advanced": s.RATE_LIMIT_SEARCH_ADVANCED,
            "socket_send_message": f"{s.SOCKET_SEND_MESSAGE_PER_MINUTE}/minute",
        },
        "features": {
            "oidc": s.FEATURE_OIDC_ENABLED,
            "av": s.FEATURE_AV_SCAN_ENABLED,
            "redis": bool(s.STATE_STORE_REDIS_URL or s.RATE_LIMIT_STORAGE_URI.startswith("redis")),
        },
        "registration": registration_state(svc),
        "message_max_length": s.MESSAGE_MAX_LENGTH,
        "session_timeout_hours": s.SESSION_TIMEOUT_HOURS,
        "version": __version__,
    }


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
    def config():  # type: ignore[no-untyped-def]
        return jsonify(client_config(svc))

    @bp.get("/api/health")
    def health_route():  # type: ignore[no-untyped-def]
        body, status = health(svc)
        return jsonify(body), status

    app.register_blueprint(bp)
