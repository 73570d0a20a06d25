"""HTTP routes for rooms, members, per-member settings and the room admin audit log."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request
from flask.typing import ResponseReturnValue

from messenger.accounts.auth import client_ip, current_auth, login_required
from messenger.core.context import Services
from messenger.core.errors import ApiError
from messenger.core.http import json_body
from messenger.core.validation import Field, int_arg
from messenger.rooms import audit, service

ID = Field(int, minimum=1)
CREATE = {
    "type": Field(str, required=True, choices=("direct", "group")),
    "user_id": ID,
    "name": Field(str, max_len=100),
    "topic": Field(str, max_len=500),
    "member_ids": Field(list, item_kind=int, minimum=1, max_len=service.MAX_GROUP_MEMBERS),
}
UPDATE = {"name": Field(str, max_len=100, min_len=1), "topic": Field(str, max_len=500)}
MEMBERS = {"user_ids": Field(list, required=True, item_kind=int, minimum=1, min_len=1,
                                max_len=service.MAX_GROUP_MEMBERS)}
ROLE = {"role": Field(str, required=True, choices=("admin", "member"))}
SETTINGS = {"muted": Field(bool), "pinned": Field(bool), "notify": Field(str, choices=service.NOTIFY_LEVELS)}


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("rooms", __name__)

    @bp.get("/api/rooms")
    @login_required
    def list_rooms() -> ResponseReturnValue:
        return jsonify({"rooms": service.list_rooms(svc, current_auth().user_id)})

    @bp.post("/api/rooms")
    @login_required
    def create_room() -> ResponseReturnValue:
        body = json_body(CREATE)
        me = current_auth().user_id
        if body["type"] == "direct":
            if "user_id" not in body:
                raise ApiError(400, "missing_field", "Missing field: user_id", {"field": "user_id"})
            room, created = service.open_direct(svc, me, body["user_id"])
            return jsonify({"room": room}), 201 if created else 200
        if not body.get("name"):
            raise ApiError(400, "missing_field", "Missing field: name", {"field": "name"})
        room = service.create_group(svc, me, body["name"], body.get("member_ids") or [], body.get("topic") or "")
        return jsonify({"room": room}), 201

    @bp.post("/api/rooms/read-all")
    @login_required
    def read_all() -> ResponseReturnValue:
        return jsonify({"rooms": service.read_all(svc, current_auth().user_id)})

    @bp.get("/api/rooms/<int:room_id>")
    @login_required
    def get_room(room_id: int) -> ResponseReturnValue:
        return jsonify({"room": service.get_room(svc, current_auth().user_id, room_id)})

    @bp.patch("/api/rooms/<int:room_id>")
    @login_required
    def update_room(room_id: int) -> ResponseReturnValue:
        body = json_body(UPDATE)
        return jsonify({"room": service.update_room(svc, current_auth().user_id, room_id, body, client_ip())})

    @bp.patch("/api/rooms/<int:room_id>/settings")
    @login_required
    def update_settings(room_id: int) -> ResponseReturnValue:
        body = json_body(SETTINGS)
        return jsonify({"settings": service.update_settings(svc, current_auth().user_id, room_id, body)})

    @bp.post("/api/rooms/<int:room_id>/members")
    @login_required
    def add_members(room_id: int) -> ResponseReturnValue:
        body = json_body(MEMBERS)
        return jsonify({"room": service.add_members(svc, current_auth().user_id, room_id, body["user_ids"])})

    @bp.delete("/api/rooms/<int:room_id>/members/<int:user_id>")
    @login_required
    def remove_member(room_id: int, user_id: int) -> ResponseReturnValue:
        service.remove_member(svc, current_auth().user_id, room_id, user_id, client_ip())
        return jsonify({"ok": True})

    @bp.patch("/api/rooms/<int:room_id>/members/<int:user_id>")
    @login_required
    def set_role(room_id: int, user_id: int) -> ResponseReturnValue:
        body = json_body(ROLE)
        room = service.set_role(svc, current_auth().user_id, room_id, user_id, body["role"], client_ip())
        return jsonify({"room": room})

    @bp.get("/api/rooms/<int:room_id>/admin-audit-logs")
    @login_required
    def admin_audit_logs(room_id: int) -> ResponseReturnValue:
        fmt = request.args.get("format", "json")
        if fmt not in ("json", "csv"):
            raise ApiError(400, "invalid_field", "format must be json or csv", {"field": "format", "reason": "choices", "choices": "json, csv"})
        before_id = int_arg(request.args, "before_id", minimum=1)
        limit = int_arg(request.args, "limit", default=100 if fmt == "json" else 10000, minimum=1, maximum=10000)
        entries, total = audit.room_entries(svc, current_auth().user_id, room_id, before_id, limit or 100)
        if fmt == "csv":
            return audit.csv_response(room_id, entries)
        return jsonify({"logs": entries, "total": total})

    app.register_blueprint(bp)
