"""Socket events for messages: send_message, edit_message, delete_message, mark_read, toggle_reaction."""

from __future__ import annotations

from typing import Any

from messenger.core.context import Services
from messenger.core.validation import Field, parse
from messenger.messages import reactions, service
from messenger.messages.routes import EDIT, REACT, READ, SEND
from messenger.realtime import SocketUser

ROOM = {"room_id": Field(int, required=True, minimum=1)}
MESSAGE = {"message_id": Field(int, required=True, minimum=1)}


def send_message(svc: Services, user: SocketUser, data: Any) -> dict[str, Any]:
    body = parse(data, {**ROOM, **SEND})
    message, created = service.send_from_client(svc, user.user_id, body["room_id"], body)
    return {"message": message, "duplicate": not created}


def edit_message(svc: Services, user: SocketUser, data: Any) -> dict[str, Any]:
    body = parse(data, {**MESSAGE, **EDIT})
    return {"message": service.edit(svc, user.user_id, body["message_id"], body["content"])}


def delete_message(svc: Services, user: SocketUser, data: Any) -> dict[str, Any]:
    body = parse(data, MESSAGE)
    return {"message": service.delete(svc, user.user_id, body["message_id"])}


def mark_read(svc: Services, user: SocketUser, data: Any) -> dict[str, Any]:
    body = parse(data, {**ROOM, **READ})
    return service.mark_read(svc, user.user_id, body["room_id"], body["message_id"])


def toggle_reaction(svc: Services, user: SocketUser, data: Any) -> dict[str, Any]:
    body = parse(data, {**MESSAGE, **REACT})
    return reactions.toggle(svc, user.user_id, body["message_id"], body["emoji"])


def install(svc: Services) -> None:
    for name, fn in (("send_message", send_message), ("edit_message", edit_message),
                     ("delete_message", delete_message), ("mark_read", mark_read),
                     ("toggle_reaction", toggle_reaction)):
        svc.realtime.event(name)(fn)
