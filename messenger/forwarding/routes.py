"""HTTP route for forwarding: ``POST /api/messages/<id>/forward``."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue

from messenger.accounts.auth import current_auth, login_required
from messenger.core.context import Services
from messenger.core.http import json_body
from messenger.core.validation import Field
from messenger.forwarding import service

FORWARD = {
    "room_ids": Field(list, required=True, item_kind=int, minimum=1),
    "comment": Field(str, strip=False, nullable=True),
}


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("forwarding", __name__)

    @bp.post("/api/messages/<int:message_id>/forward")
    @login_required
    def forward(message_id: int) -> ResponseReturnValue:
        body = json_body(FORWARD)
        copies = service.forward(svc, current_auth().user_id, message_id, body["room_ids"], body.get("comment"))
        return jsonify({"messages": copies}), 201

    app.register_blueprint(bp)
