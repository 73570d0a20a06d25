"""HTTP routes for notices: post and list per room; acknowledge, hide, who acknowledged, remind, delete."""

from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue

from messenger.accounts.auth import client_ip, current_auth, login_required
from messenger.accounts.serialize import Person, PersonRef
from messenger.core.context import Services
from messenger.core.http import accepts, returns
from messenger.core.models import Body, Id, Reply, Text
from messenger.notices import service


class Notice(Reply):
    """The contract's ``notice`` object (``notice_dicts``); ``acked_by_me``/``hidden_by_me`` for a caller."""

    id: int
    room_id: int
    content: str
    message_id: int | None
    event_message_id: int | None
    require_ack: bool
    author: PersonRef | None
    created_at: str
    reminded_at: str | None
    audience_count: int
    ack_count: int
    pending_count: int
    acked_by_me: bool | None = None
    hidden_by_me: bool | None = None


class AckedPerson(Person):
    acked_at: str


class Acks(Reply):
    """``GET /api/notices/<id>/acks``: who acknowledged and who has not yet."""

    notice_id: int
    acked: list[AckedPerson]
    pending: list[Person]


class PostNotice(Body):
    content: Annotated[str, Text(max_len=service.MAX_CONTENT)] | None = None
    message_id: Id | None = None
    require_ack: bool | None = None


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("notices", __name__)

    @bp.post("/api/rooms/<int:room_id>/notices")
    @login_required
    @accepts(PostNotice)
    @returns(201, notice=Notice)
    def post(room_id: int, body: dict[str, Any]) -> ResponseReturnValue:
        notice = service.post(svc, current_auth().user_id, room_id, body.get("content"), body.get("message_id"),
                              bool(body.get("require_ack")), client_ip())
        return jsonify({"notice": notice}), 201

    @bp.get("/api/rooms/<int:room_id>/notices")
    @login_required
    @returns(notices=list[Notice])
    def list_notices(room_id: int) -> ResponseReturnValue:
        return jsonify({"notices": service.list_notices(svc, current_auth().user_id, room_id)})

    @bp.post("/api/notices/<int:notice_id>/ack")
    @login_required
    @returns(notice=Notice)
    def ack(notice_id: int) -> ResponseReturnValue:
        return jsonify({"notice": service.ack(svc, current_auth().user_id, notice_id)})

    @bp.post("/api/notices/<int:notice_id>/hide")
    @login_required
    @returns(notice=Notice)
    def hide(notice_id: int) -> ResponseReturnValue:
        return jsonify({"notice": service.hide(svc, current_auth().user_id, notice_id)})

    @bp.get("/api/notices/<int:notice_id>/acks")
    @login_required
    @returns(reply=Acks)
    def acks(notice_id: int) -> ResponseReturnValue:
        return jsonify(service.acks(svc, current_auth().user_id, notice_id))

    @bp.post("/api/notices/<int:notice_id>/remind")
    @login_required
    @returns(notice_id=int, reminded=int)
    def remind(notice_id: int) -> ResponseReturnValue:
        return jsonify(service.remind(svc, current_auth().user_id, notice_id, client_ip()))

    @bp.delete("/api/notices/<int:notice_id>")
    @login_required
    @returns(ok=bool)
    def delete(notice_id: int) -> ResponseReturnValue:
        return jsonify(service.delete(svc, current_auth().user_id, notice_id, client_ip()))

    app.register_blueprint(bp)
