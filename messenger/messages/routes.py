"""HTTP routes for messages: history, send (for scripts), edit, delete, read marker and who read, reactions."""

from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue

from messenger.accounts.auth import client_ip, current_auth, login_required
from messenger.accounts.serialize import Person
from messenger.core.context import Services
from messenger.core.http import accepts, returns
from messenger.core.models import Body, Id, OneOf, Query, Range, Reply, Text
from messenger.messages import reactions, service
from messenger.messages.serialize import Message, Reaction

Content = Annotated[str, Text(strip=False)]


class ThreadPage(Query):
    after_id: Annotated[int, Range(0)] | None = None


class History(Query):
    before_id: Id | None = None
    after_id: Annotated[int, Range(0)] | None = None
    limit: Annotated[int, Range(1, service.HISTORY_MAX)] | None = None


class Send(Body):
    NULLABLE = frozenset({"reply_to_id", "client_msg_id", "thread_root_id"})
    content: Content | None = None
    type: Annotated[str, OneOf(*service.CLIENT_TYPES)] | None = None
    upload_token: Annotated[str, Text(max_len=200)] | None = None
    reply_to_id: Id | None = None
    client_msg_id: Annotated[str, Text(min_len=1, max_len=64)] | None = None
    thread_root_id: Id | None = None
    also_to_channel: bool | None = None


class Edit(Body):
    content: Content


class Read(Body):
    message_id: Id


class React(Body):
    emoji: Annotated[str, Text(max_len=64)]


class ReactionsReply(Reply):
    """``reactions.toggle``: the message's reactions after the change (the ``reaction_updated`` event too)."""

    message_id: int
    room_id: int
    reactions: list[Reaction]


class ReadsReply(Reply):
    """``service.who_read``: the members who have read the message and those who have not, by name."""

    message_id: int
    room_id: int
    read: list[Person]
    unread: list[Person]


class ThreadReply(Reply):
    """``service.thread``: the root and a page of its replies, oldest first."""

    root: Message
    replies: list[Message]
    has_more: bool


class ThreadItem(Reply):
    """One of my threads (``service.my_threads``): ``unread`` when a reply came after my read marker."""

    root: Message
    room_id: int
    last_reply_id: int | None
    unread: bool


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("messages", __name__)

    @bp.get("/api/rooms/<int:room_id>/messages")
    @login_required
    @accepts(query=History)
    @returns(messages=list[Message], has_more=bool)
    def history(room_id: int, query: dict[str, Any]) -> ResponseReturnValue:
        msgs, has_more = service.history(
            svc, current_auth().user_id, room_id, before_id=query.get("before_id"), after_id=query.get("after_id"),
            limit=query.get("limit", service.HISTORY_DEFAULT),
        )
        return jsonify({"messages": msgs, "has_more": has_more})

    @bp.post("/api/rooms/<int:room_id>/messages")
    @login_required
    @accepts(Send)
    @returns(200, 201, message=Message)
    def send(room_id: int, body: dict[str, Any]) -> ResponseReturnValue:
        message, created = service.send_from_client(svc, current_auth().user_id, room_id, body)
        return jsonify({"message": message}), 201 if created else 200

    @bp.get("/api/messages/<int:message_id>/thread")
    @login_required
    @accepts(query=ThreadPage)
    @returns(reply=ThreadReply)
    def thread(message_id: int, query: dict[str, Any]) -> ResponseReturnValue:
        return jsonify(service.thread(svc, current_auth().user_id, message_id, query.get("after_id") or 0))

    @bp.post("/api/messages/<int:message_id>/thread/read")
    @login_required
    @returns(root_id=int, last_read_id=int)
    def thread_read(message_id: int) -> ResponseReturnValue:
        return jsonify(service.mark_thread_read(svc, current_auth().user_id, message_id))

    @bp.get("/api/threads")
    @login_required
    @returns(threads=list[ThreadItem])
    def threads() -> ResponseReturnValue:
        return jsonify({"threads": service.my_threads(svc, current_auth().user_id)})

    @bp.post("/api/rooms/<int:room_id>/read")
    @login_required
    @accepts(Read)
    @returns(room_id=int, message_id=int)
    def mark_read(room_id: int, body: dict[str, Any]) -> ResponseReturnValue:
        return jsonify(service.mark_read(svc, current_auth().user_id, room_id, body["message_id"]))

    @bp.patch("/api/messages/<int:message_id>")
    @login_required
    @accepts(Edit)
    @returns(message=Message)
    def edit(message_id: int, body: dict[str, Any]) -> ResponseReturnValue:
        return jsonify({"message": service.edit(svc, current_auth().user_id, message_id, body["content"])})

    @bp.delete("/api/messages/<int:message_id>")
    @login_required
    @returns(message=Message)
    def delete(message_id: int) -> ResponseReturnValue:
        return jsonify({"message": service.delete(svc, current_auth().user_id, message_id, client_ip())})

    @bp.get("/api/messages/<int:message_id>/reads")
    @login_required
    @returns(reply=ReadsReply)
    def reads(message_id: int) -> ResponseReturnValue:
        return jsonify(service.who_read(svc, current_auth().user_id, message_id))

    @bp.post("/api/messages/<int:message_id>/reactions")
    @login_required
    @accepts(React)
    @returns(reply=ReactionsReply)
    def react(message_id: int, body: dict[str, Any]) -> ResponseReturnValue:
        return jsonify(reactions.toggle(svc, current_auth().user_id, message_id, body["emoji"]))

    app.register_blueprint(bp)
