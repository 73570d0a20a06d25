"""HTTP routes for messages: history, send (for scripts), edit, delete, read marker and who read, reactions."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request
from flask.typing import ResponseReturnValue

from messenger.accounts.auth import client_ip, current_auth, login_required
from messenger.core.context import Services
from messenger.core.http import json_body
from messenger.core.validation import Field, int_arg
from messenger.messages import reactions, service

SEND = {
    "content": Field(str, strip=False),
    "type": Field(str, choices=service.CLIENT_TYPES),
    "upload_token": Field(str, max_len=200),
    "reply_to_id": Field(int, minimum=1, nullable=True),
    "client_msg_id": Field(str, min_len=1, max_len=64, nullable=True),
}
EDIT = {"content": Field(str, required=True, strip=False)}
READ = {"message_id": Field(int, required=True, minimum=1)}
REACT = {"emoji": Field(str, required=True, max_len=64)}


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("messages", __name__)

    @bp.get("/api/rooms/<int:room_id>/messages")
    @login_required
    def history(room_id: int) -> ResponseReturnValue:
        args = request.args
        msgs, has_more = service.history(
            svc, current_auth().user_id, room_id,
            before_id=int_arg(args, "before_id", minimum=1), after_id=int_arg(args, "after_id", minimum=0),
            limit=int_arg(args, "limit", default=service.HISTORY_DEFAULT, minimum=1, maximum=service.HISTORY_MAX)
            or service.HISTORY_DEFAULT,
        )
        return jsonify({"messages": msgs, "has_more": has_more})

    @bp.post("/api/rooms/<int:room_id>/messages")
    @login_required
    def send(room_id: int) -> ResponseReturnValue:
        body = json_body(SEND)
        message, created = service.send_from_client(svc, current_auth().user_id, room_id, body)
        return jsonify({"message": message}), 201 if created else 200

    @bp.post("/api/rooms/<int:room_id>/read")
    @login_required
    def mark_read(room_id: int) -> ResponseReturnValue:
        body = json_body(READ)
        return jsonify(service.mark_read(svc, current_auth().user_id, room_id, body["message_id"]))

    @bp.patch("/api/messages/<int:message_id>")
    @login_required
    def edit(message_id: int) -> ResponseReturnValue:
        body = json_body(EDIT)
        return jsonify({"message": service.edit(svc, current_auth().user_id, message_id, body["content"])})

    @bp.delete("/api/messages/<int:message_id>")
    @login_required
    def delete(message_id: int) -> ResponseReturnValue:
        return jsonify({"message": service.delete(svc, current_auth().user_id, message_id, client_ip())})

    @bp.get("/api/messages/<int:message_id>/reads")
    @login_required
    def reads(message_id: int) -> ResponseReturnValue:
        return jsonify(service.who_read(svc, current_auth().user_id, message_id))

    @bp.post("/api/messages/<int:message_id>/reactions")
    @login_required
    def react(message_id: int) -> ResponseReturnValue:
        body = json_body(REACT)
        return jsonify(reactions.toggle(svc, current_auth().user_id, message_id, body["emoji"]))

    app.register_blueprint(bp)
