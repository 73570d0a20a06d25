"""HTTP routes for pinned messages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue

from messenger.accounts.auth import current_auth, login_required
from messenger.accounts.serialize import PersonRef
from messenger.core.context import Services
from messenger.core.http import accepts, returns
from messenger.core.models import Body, Id, Reply
from messenger.messages.serialize import Message
from messenger.pins import service
from messenger.polls.routes import check_ids


class PinReply(Reply):
    """A pinned message of a room (``pin_dicts``)."""

    message: Message
    pinned_by: PersonRef | None
    pinned_at: str


class Pin(Body):
    message_id: Id


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("pins", __name__)
    bp.url_value_preprocessor(check_ids)

    @bp.get("/api/rooms/<int:room_id>/pins")
    @login_required
    @returns(pins=list[PinReply])
    def list_pins(room_id: int) -> ResponseReturnValue:
        return jsonify({"pins": service.list_pins(svc, current_auth().user_id, room_id)})

    @bp.post("/api/rooms/<int:room_id>/pins")
    @login_required
    @accepts(Pin)
    @returns(200, 201, pins=list[PinReply])
    def pin(room_id: int, body: dict[str, Any]) -> ResponseReturnValue:
        pins, created = service.pin(svc, current_auth().user_id, room_id, body["message_id"])
        return jsonify({"pins": pins}), 201 if created else 200

    @bp.delete("/api/rooms/<int:room_id>/pins/<int:message_id>")
    @login_required
    @returns(pins=list[PinReply])
    def unpin(room_id: int, message_id: int) -> ResponseReturnValue:
        return jsonify({"pins": service.unpin(svc, current_auth().user_id, room_id, message_id)})

    app.register_blueprint(bp)
