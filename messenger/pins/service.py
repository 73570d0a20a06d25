"""Pin rules: any room member pins a message of that room; the pinner or a room admin unpins.

Every change is written to the room's admin audit log and, after the commit, broadcast as
``pin_updated`` to the room.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from messenger.accounts import store as accounts_store
from messenger.accounts.serialize import avatar_url
from messenger.audit import store as audit_store
from messenger.core.context import Services
from messenger.core.errors import ApiError, bad_request, forbidden
from messenger.messages.serialize import message_dicts
from messenger.pins import store
from messenger.rooms.access import queue_to_members, require_member
from messenger.storage.db import iso, utcnow

MAX_PINS_PER_ROOM = 50


def pin_dicts(svc: Services, conn: Connection, room_id: int, viewer_id: int | None) -> list[dict[str, Any]]:
    """The room's pins, newest first: ``[{message, pinned_by, pinned_at}]`` (a fixed number of queries).

    ``viewer_id=None`` is the broadcast form (a pinned poll's ``my_votes`` is null, as in ``poll_updated``).
    """
    rows = store.list_for_room(conn, room_id)
    if not rows:
        return []
    msgs = message_dicts(svc, conn, [int(r.message_id) for r in rows], viewer_id)
    users = {int(u.id): u for u in accounts_store.get_users(conn, sorted({int(r.pinned_by) for r in rows if r.pinned_by}))}
    out = []
    for row in rows:
        message = msgs.get(int(row.message_id))
        if message is None:
            continue
        user = users.get(int(row.pinned_by)) if row.pinned_by else None
        out.append({
            "message": message,
            "pinned_by": None if user is None else {
                "id": user.id, "display_name": user.display_name, "avatar_url": avatar_url(user)},
            "pinned_at": iso(row.pinned_at),
        })
    return out


def list_pins(svc: Services, user_id: int, room_id: int) -> list[dict[str, Any]]:
    with svc.db.read() as conn:
        require_member(conn, room_id, user_id)
        return pin_dicts(svc, conn, room_id, user_id)


def _message_of_room(conn: Connection, room_id: int, message_id: int) -> Any:
    msg = store.message_in_room(conn, message_id)
    if msg is None or int(msg.room_id) != room_id:  # never reveal another room's message
        raise ApiError(404, "not_found", "No such message in this room", {"reason": "message_in_room"})
    return msg


def pin(svc: Services, user_id: int, room_id: int, message_id: int) -> tuple[list[dict[str, Any]], bool]:
    """Pin a message of the room; (the room's pins for the caller, whether it was newly pinned)."""
    with svc.db.begin() as conn:
        require_member(conn, room_id, user_id)
        msg = _message_of_room(conn, room_id, message_id)
        if msg.deleted_at is not None:
            raise bad_request("message_deleted", "A deleted message cannot be pinned", {"reason": "pin"})
        created = store.get(conn, room_id, message_id) is None
        if created:
            if store.count(conn, room_id) >= MAX_PINS_PER_ROOM:
                raise bad_request("too_many_pins", f"A room can have at most {MAX_PINS_PER_ROOM} pinned messages", {"max": MAX_PINS_PER_ROOM})
            created = store.add(conn, room_id, message_id, user_id, utcnow())
        if created:
            audit_store.add(conn, "room", "pin", user_id, room_id=room_id, target_user_id=msg.sender_id,
                            target_id=str(message_id), details={"message_id": message_id})
            queue_pins_updated(svc, conn, room_id)
    return list_pins(svc, user_id, room_id), created


def unpin(svc: Services, user_id: int, room_id: int, message_id: int) -> list[dict[str, Any]]:
    """Unpin: the member who pinned it or a room admin."""
    with svc.db.begin() as conn:
        role = require_member(conn, room_id, user_id)
        msg = _message_of_room(conn, room_id, message_id)
        row = store.get(conn, room_id, message_id)
        if row is None:
            raise ApiError(404, "not_found", "This message is not pinned", {"reason": "not_pinned"})
        if role != "admin" and row.pinned_by != user_id:
            raise forbidden("Only the member who pinned it or a room admin can unpin it")
        store.remove(conn, room_id, message_id)
        audit_store.add(conn, "room", "unpin", user_id, room_id=room_id, target_user_id=msg.sender_id,
                        target_id=str(message_id),
                        details={"message_id": message_id, "pinned_by": row.pinned_by})
        queue_pins_updated(svc, conn, room_id)
    return list_pins(svc, user_id, room_id)


def queue_pins_updated(svc: Services, conn: Connection, room_id: int) -> None:
    """``pin_updated`` with the room's pins after the transaction of ``conn`` commits (also when a
    pinned message was deleted)."""

    def payload() -> dict[str, Any]:
        with svc.db.read() as read:
            return {"room_id": room_id, "pins": pin_dicts(svc, read, room_id, None)}

    queue_to_members(svc, conn, "pin_updated", payload, room_id)
