"""Who may act in a room, and how an event reaches its members.

Every room-scoped feature (messages, files, pins, polls, the live room plumbing) checks membership
and fans events out through this module. It depends on the rooms store, core and realtime only, never
on a feature's service, so none of those features imports ``rooms.service``.

Events of a data change are queued in its transaction (:func:`queue_to_members`) and go out after
the commit; :func:`emit_to_members` is for events that change no data (typing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection

from messenger.core.context import Services
from messenger.core.errors import ApiError
from messenger.realtime import user_room
from messenger.rooms import store
from messenger.storage.db import on_commit


def require_member(conn: Connection, room_id: int, user_id: int) -> str:
    """The caller's role in the room; 404 ``not_found`` (no room) or 403 ``forbidden`` (not a member)."""
    row = store.room_and_role(conn, room_id, user_id)
    if row is None:
        raise ApiError(404, "not_found", "Room not found", {"reason": "room"})
    if row.role is None:
        raise ApiError(403, "forbidden", "You are not a member of this room", {"reason": "not_member"})
    return str(row.role)


def require_member_of(conn: Connection, room_id: int, user_id: int) -> tuple[str, dict[int, str], set[int]]:
    """Like :func:`require_member`, and every member's role (``{user_id: role}``) and the inactive
    accounts among them, from the same read."""
    members, inactive = store.member_states(conn, room_id)
    if user_id in members:
        return members[user_id], members, inactive
    return require_member(conn, room_id, user_id), members, inactive  # raises: no room (404) or not a member (403)


def require_room_admin(conn: Connection, room_id: int, user_id: int) -> None:
    if require_member(conn, room_id, user_id) != "admin":
        raise ApiError(403, "forbidden", "Room administrators only", {"reason": "room_admin"})


def emit_to_members(svc: Services, event: str, data: Any, room_id: int, skip_sid: str | None = None,
                    member_ids: Iterable[int] | None = None) -> None:
    """Emit now to the sockets of the room's CURRENT members, on every node.

    Membership is read from the database at emit time (or given by a caller that read it in the
    transaction it just committed) and the event goes to each member's own channel, so a member
    removed on this node never hears the room from a socket on another node, and a member added
    elsewhere hears it at once.
    """
    if member_ids is not None:
        ids = sorted(member_ids)
    else:
        with svc.db.read() as conn:
            ids = store.member_ids(conn, room_id)
    if ids:
        svc.socketio.emit(event, data, to=[user_room(u) for u in ids], skip_sid=skip_sid)


def queue_to_members(svc: Services, conn: Connection, event: str, data: Any | Callable[[], Any], room_id: int,
                     *, skip_sid: str | None = None, member_ids: Iterable[int] | None = None) -> None:
    """Send ``event`` to the room's members once the transaction of ``conn`` has committed.

    ``data`` is the payload, or a function that builds it after the commit (to read committed
    state). Without ``member_ids`` the members are read after the commit, so the event reaches who
    is a member then.
    """
    ids = None if member_ids is None else list(member_ids)

    def emit() -> None:
        emit_to_members(svc, event, data() if callable(data) else data, room_id, skip_sid, ids)

    on_commit(conn, emit)
