"""Socket events for messages: send_message, edit_message, delete_message, mark_read, toggle_reaction."""

from __future__ import annotations

from typing import Any

from messenger.core.context import Services
from messenger.core.models import Body, Id, parse_model
from messenger.messages import reactions, service
from messenger.messages.routes import Edit, React, Read, Send
from messenger.realtime import SocketUser


class SendMessage(Send):
    room_id: Id


class EditMessage(Edit):
    message_id: Id


class DeleteMessage(Body):
    message_id: Id


class MarkRead(Read):
    room_id: Id


class ToggleReaction(React):
    message_id: Id


def send_message(svc: Services, user: SocketUser, data: Any) -> dict[str, Any]:
    body = parse_model(data, SendMessage)
    message, created = service.send_from_client(svc, user.user_id, body["room_id"], body)
    return {"message": message, "duplicate": not created}


def edit_message(svc: Services, user: SocketUser, data: Any) -> dict[str, Any]:
    body = parse_model(data, EditMessage)
    return {"message": service.edit(svc, user.user_id, body["message_id"], body["content"])}


def delete_message(svc: Services, user: SocketUser, data: Any) -> dict[str, Any]:
    body = parse_model(data, DeleteMessage)
    return {"message": service.delete(svc, user.user_id, body["message_id"])}


def mark_read(svc: Services, user: SocketUser, data: Any) -> dict[str, Any]:
    body = parse_model(data, MarkRead)
    return service.mark_read(svc, user.user_id, body["room_id"], body["message_id"])


def toggle_reaction(svc: Services, user: SocketUser, data: Any) -> dict[str, Any]:
    body = parse_model(data, ToggleReaction)
    return reactions.toggle(svc, user.user_id, body["message_id"], body["emoji"])


def install(svc: Services) -> None:
    for name, fn in (("send_message", send_message), ("edit_message", edit_message),
                     ("delete_message", delete_message), ("mark_read", mark_read),
                     ("toggle_reaction", toggle_reaction)):
        svc.realtime.event(name)(fn)
