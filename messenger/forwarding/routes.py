"""HTTP route for forwarding: ``POST /api/messages/<id>/forward``."""

from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue

from messenger.accounts.auth import current_auth, login_required
from messenger.core.context import Services
from messenger.core.http import accepts, returns
from messenger.core.models import Body, Items, Text
from messenger.forwarding import service
from messenger.messages.serialize import Message


class Forward(Body):
    NULLABLE = frozenset({"comment"})
    room_ids: Annotated[list[int], Items(low=1)]
    comment: Annotated[str, Text(strip=False)] | None = None


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("forwarding", __name__)

    @bp.post("/api/messages/<int:message_id>/forward")
    @login_required
    @accepts(Forward)
    @returns(201, messages=list[Message])
    def forward(message_id: int, body: dict[str, Any]) -> ResponseReturnValue:
        copies = service.forward(svc, current_auth().user_id, message_id, body["room_ids"], body.get("comment"))
        return jsonify({"messages": copies}), 201

    app.register_blueprint(bp)
