"""HTTP routes for rooms, members, per-member settings and the room admin audit log."""

from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue

from messenger.accounts.auth import client_ip, current_auth, login_required
from messenger.accounts.serialize import Person
from messenger.audit.serialize import AuditEntry
from messenger.core.context import Services
from messenger.core.errors import ApiError
from messenger.core.http import accepts, returns, serves
from messenger.core.models import Body, Id, Items, OneOf, Query, Range, Reply, Text
from messenger.rooms import audit, service

Name = Annotated[str, Text(max_len=100)]
Topic = Annotated[str, Text(max_len=500)]


class CreateRoom(Body):
    type: Annotated[str, OneOf("direct", "group")]
    user_id: Id | None = None
    name: Name | None = None
    topic: Topic | None = None
    member_ids: Annotated[list[int], Items(max_len=service.MAX_GROUP_MEMBERS, low=1)] | None = None


class UpdateRoom(Body):
    name: Annotated[str, Text(max_len=100, min_len=1)] | None = None
    topic: Topic | None = None
    members_post_notices: bool | None = None


class AddMembers(Body):
    user_ids: Annotated[list[int], Items(1, service.MAX_GROUP_MEMBERS, low=1)]


class SetRole(Body):
    role: Annotated[str, OneOf("admin", "member")]


class RoomAuditQuery(Query):
    format: Annotated[str, OneOf("json", "csv")] | None = None
    before_id: Id | None = None
    limit: Annotated[int, Range(1, 10000)] | None = None


class Member(Person):
    """A member of a room: the person (``is_active`` false for a departed account) and the membership."""

    is_active: bool


class Membership(Reply):
    user: Member
    role: str
    joined_at: str
    last_read_message_id: int


class Room(Reply):
    """The contract's ``room`` object (``room_dict``); the caller's fields when there is a caller."""

    id: int
    type: str
    kind: str
    members_post_notices: bool
    name: str
    topic: str
    created_by: int | None
    created_at: str
    last_message_id: int | None
    last_activity_at: str
    members_count: int
    members: list[Membership]
    my_role: str | None = None
    notify: str | None = None
    muted: bool | None = None
    pinned: bool | None = None


class RoomListItem(Reply):
    """One room of ``GET /api/rooms`` (``list_rooms``)."""

    id: int
    type: str
    kind: str
    name: str
    topic: str
    members_count: int
    unread_count: int
    mention_count: int
    last_message: dict[str, Any] | None
    last_activity_at: str
    pinned: bool
    notify: str
    muted: bool
    my_role: str
    last_read_message_id: int
    peer: dict[str, Any] | None = None


class ReadMoved(Reply):
    """A room whose read marker ``POST /api/rooms/read-all`` moved."""

    room_id: int
    message_id: int


class RoomSettings(Body):
    muted: bool | None = None
    pinned: bool | None = None
    notify: Annotated[str, OneOf(*service.NOTIFY_LEVELS)] | None = None


class MySettings(Reply):
    """The caller's own settings for a room (``service.update_settings``)."""

    room_id: int
    muted: bool
    pinned: bool
    notify: str


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("rooms", __name__)

    @bp.get("/api/rooms")
    @login_required
    @returns(rooms=list[RoomListItem])
    def list_rooms() -> ResponseReturnValue:
        return jsonify({"rooms": service.list_rooms(svc, current_auth().user_id)})

    @bp.post("/api/rooms")
    @login_required
    @accepts(CreateRoom)
    @returns(200, 201, room=Room)
    def create_room(body: dict[str, Any]) -> ResponseReturnValue:
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
    @returns(rooms=list[ReadMoved])
    def read_all() -> ResponseReturnValue:
        return jsonify({"rooms": service.read_all(svc, current_auth().user_id)})

    @bp.get("/api/rooms/<int:room_id>")
    @login_required
    @returns(room=Room)
    def get_room(room_id: int) -> ResponseReturnValue:
        return jsonify({"room": service.get_room(svc, current_auth().user_id, room_id)})

    @bp.patch("/api/rooms/<int:room_id>")
    @login_required
    @accepts(UpdateRoom)
    @returns(room=Room)
    def update_room(room_id: int, body: dict[str, Any]) -> ResponseReturnValue:
        return jsonify({"room": service.update_room(svc, current_auth().user_id, room_id, body, client_ip())})

    @bp.patch("/api/rooms/<int:room_id>/settings")
    @login_required
    @accepts(RoomSettings)
    @returns(settings=MySettings)
    def update_settings(room_id: int, body: dict[str, Any]) -> ResponseReturnValue:
        return jsonify({"settings": service.update_settings(svc, current_auth().user_id, room_id, body)})

    @bp.post("/api/rooms/<int:room_id>/members")
    @login_required
    @accepts(AddMembers)
    @returns(room=Room)
    def add_members(room_id: int, body: dict[str, Any]) -> ResponseReturnValue:
        return jsonify({"room": service.add_members(svc, current_auth().user_id, room_id, body["user_ids"])})

    @bp.delete("/api/rooms/<int:room_id>/members/<int:user_id>")
    @login_required
    @returns(ok=bool)
    def remove_member(room_id: int, user_id: int) -> ResponseReturnValue:
        service.remove_member(svc, current_auth().user_id, room_id, user_id, client_ip())
        return jsonify({"ok": True})

    @bp.patch("/api/rooms/<int:room_id>/members/<int:user_id>")
    @login_required
    @accepts(SetRole)
    @returns(room=Room)
    def set_role(room_id: int, user_id: int, body: dict[str, Any]) -> ResponseReturnValue:
        room = service.set_role(svc, current_auth().user_id, room_id, user_id, body["role"], client_ip())
        return jsonify({"room": room})

    @bp.get("/api/rooms/<int:room_id>/admin-audit-logs")
    @login_required
    @accepts(query=RoomAuditQuery)
    @returns(logs=list[AuditEntry], total=int)
    @serves("text/csv")  # format=csv: the same entries as a spreadsheet
    def admin_audit_logs(room_id: int, query: dict[str, Any]) -> ResponseReturnValue:
        fmt = query.get("format", "json")
        limit = query.get("limit", 100 if fmt == "json" else 10000)
        entries, total = audit.room_entries(svc, current_auth().user_id, room_id, query.get("before_id"), limit)
        if fmt == "csv":
            return audit.csv_response(room_id, entries)
        return jsonify({"logs": entries, "total": total})

    app.register_blueprint(bp)
