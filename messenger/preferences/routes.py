"""HTTP routes for the caller's own preferences: GET and PATCH /api/me/preferences."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue

from messenger.accounts.auth import current_auth, login_required
from messenger.core.context import Services
from messenger.core.http import accepts, returns
from messenger.core.models import Reply
from messenger.preferences import service


class QuietHoursReply(Reply):
    enabled: bool
    start: str
    end: str
    weekends: bool


class PreferencesReply(Reply):
    """The caller's effective preferences (``Preferences.as_dict``)."""

    language: str | None
    sound: bool
    quiet_hours: QuietHoursReply
    time_zone: str


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("preferences", __name__)

    @bp.get("/api/me/preferences")
    @login_required
    @returns(preferences=PreferencesReply)
    def get_preferences() -> ResponseReturnValue:
        prefs = service.load(svc, current_auth().user_id)
        return jsonify({"preferences": prefs.as_dict()})

    @bp.patch("/api/me/preferences")
    @login_required
    @accepts(service.Patch)
    @returns(preferences=PreferencesReply)
    def patch_preferences(body: dict[str, Any]) -> ResponseReturnValue:
        prefs = service.update(svc, current_auth().user_id, body)
        return jsonify({"preferences": prefs.as_dict()})

    app.register_blueprint(bp)
