"""Live room plumbing: sockets join their rooms on connect, ``join_room``, ``typing``, ``presence``."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from messenger.accounts import store as accounts_store
from messenger.core.context import Services
from messenger.core.validation import Field, parse
from messenger.realtime import SocketUser, chat_room
from messenger.rooms import store
from messenger.rooms.service import emit_to_members, require_member

TYPING_EXPIRES = 5.0  # seconds after the last is_typing:true without a refresh
ROOM_ID = {"room_id": Field(int, required=True, minimum=1)}
TYPING = {"room_id": Field(int, required=True, minimum=1), "is_typing": Field(bool, required=True)}


def _typing(svc: Services) -> dict[tuple[int, int], list[Any]]:
    """This node's typists: (room_id, user_id) → [socket id, monotonic expiry time]."""
    return svc.extras.setdefault("typing", {})


def join_user_rooms(svc: Services, user: SocketUser) -> None:
    """Connect hook: put a new socket in every chat room of its user."""
    with svc.db.read() as conn:
        room_ids = store.room_ids_of_user(conn, user.user_id)
    for room_id in room_ids:
        svc.socketio.server.enter_room(user.sid, chat_room(room_id), namespace="/")


def on_join_room(svc: Services, user: SocketUser, data: Any) -> dict[str, Any]:
    body = parse(data, ROOM_ID)
    with svc.db.read() as conn:
        require_member(conn, body["room_id"], user.user_id)
    svc.socketio.server.enter_room(user.sid, chat_room(body["room_id"]), namespace="/")
    return {"room_id": body["room_id"]}


def _emit_typing(svc: Services, user: SocketUser, room_id: int, is_typing: bool) -> None:
    emit_to_members(svc, "typing", {"room_id": room_id, "user_id": user.user_id,
                                      "display_name": user.display_name, "is_typing": is_typing},
                           room_id, skip_sid=user.sid)


def on_typing(svc: Services, user: SocketUser, data: Any) -> dict[str, Any]:
    """Relay to the room except the sender; a ``true`` without refresh expires after TYPING_EXPIRES."""
    body = parse(data, TYPING)
    room_id = body["room_id"]
    with svc.db.read() as conn:
        require_member(conn, room_id, user.user_id)
    key = (room_id, user.user_id)
    typists = _typing(svc)
    if not body["is_typing"]:
        if typists.pop(key, None) is not None:
            _emit_typing(svc, user, room_id, False)
        return {}
    entry = typists.get(key)
    if entry is not None:  # still typing: just push the expiry back (one watcher per typist)
        entry[0], entry[1] = user.sid, time.monotonic() + TYPING_EXPIRES
        return {}
    entry = typists[key] = [user.sid, time.monotonic() + TYPING_EXPIRES]
    _emit_typing(svc, user, room_id, True)
    svc.jobs.spawn(_expire_typing, svc, user, room_id, entry)
    return {}


def _expire_typing(svc: Services, user: SocketUser, room_id: int, entry: list[Any]) -> None:
    """Send ``is_typing:false`` once the typist's entry has not been refreshed for TYPING_EXPIRES."""
    key = (room_id, user.user_id)
    typists = _typing(svc)
    while typists.get(key) is entry:
        left = entry[1] - time.monotonic()
        if left <= 0:
            typists.pop(key, None)
            _emit_typing(svc, user, room_id, False)
            return
        svc.socketio.sleep(left)


def stop_typing_after_send(svc: Services, room_id: int, user_id: int, display_name: str,
                           member_ids: Iterable[int] | None = None) -> None:
    """A sent message ends its sender's typing indicator in that room at once."""
    entry = _typing(svc).pop((room_id, user_id), None)
    if entry is not None:
        emit_to_members(svc, "typing", {"room_id": room_id, "user_id": user_id, "display_name": display_name,
                                        "is_typing": False}, room_id, skip_sid=entry[0], member_ids=member_ids)


def stop_typing_of_socket(svc: Services, user: SocketUser) -> None:
    """Disconnect hook: a closed tab stops typing at once."""
    typists = _typing(svc)
    for key, (sid, _expires) in list(typists.items()):
        if sid == user.sid:
            typists.pop(key, None)
            _emit_typing(svc, user, key[0], False)


def broadcast_presence(svc: Services, user_id: int, presence: str) -> None:
    """Presence hook, the ONE place presence events are sent from (connect, disconnect, idle, and the
    user's own availability or status message changing).

    Who hears it (docs/API.md, "Presence"): the user's own sockets and every user sharing a room with
    them. ``{user_id, presence, availability, status_message}``.
    """
    with svc.db.read() as conn:
        peers = set(store.users_sharing_a_room(conn, user_id))
        row = accounts_store.get_user(conn, user_id)
    peers.add(user_id)
    payload = {"user_id": user_id, "presence": presence,
               "availability": (row.availability if row else None) or "online",
               "status_message": (row.status_message if row else "") or ""}
    for peer in sorted(peers):
        svc.realtime.emit_user("presence", payload, peer)


def install(svc: Services) -> None:
    rt = svc.realtime
    rt.connect_hooks.append(join_user_rooms)
    rt.disconnect_hooks.append(stop_typing_of_socket)
    rt.presence_hooks.append(broadcast_presence)
    from messenger.rooms.service import on_user_changed

    rt.user_changed_hooks.append(on_user_changed)
    rt.event("join_room")(on_join_room)
    rt.event("typing")(on_typing)
