"""Room events that are coalesced in big rooms: ``typing`` and ``read_updated``.

In a room of up to BIG_ROOM members each change goes out at once as its own event. In a bigger room
every member's typing and reading would reach every other member, which grows with the square of the
room: there the changes of one second are collected per (room, user) and sent as one
``typing_batch`` / ``read_updated_batch`` ``{room_id, updates:[...]}`` per room, at most once a
second, to the members of that moment (docs/API.md, "Coalesced events").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection

from messenger.core.context import Services
from messenger.realtime.coalesce import Coalescer
from messenger.rooms import store
from messenger.rooms.access import emit_to_members
from messenger.storage.db import on_commit

BIG_ROOM = 50  # members; above this, typing and read markers are coalesced
BATCH_SECONDS = 1.0

Merge = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


class RoomBatches(dict[str, Coalescer]):
    """This node's pending batches of big rooms, one coalescer per event (the feature's state)."""


def _coalescer(svc: Services, event: str) -> Coalescer:
    batches = svc.state_of(RoomBatches)
    coalescer = batches.get(event)
    if coalescer is None:
        coalescer = batches[event] = Coalescer(svc.socketio, BATCH_SECONDS, lambda items: _flush(svc, event, items))
    return coalescer


def room_update(svc: Services, event: str, room_id: int, update: dict[str, Any], skip_sid: str | None = None,
                member_ids: Iterable[int] | None = None, merge: Merge | None = None) -> None:
    """``event`` ``{room_id, **update}`` to the room's current members at once, or, in a room of more
    than BIG_ROOM members, queued for the room's next ``<event>_batch`` (``merge(earlier, later)``
    combines two changes of one user within the second; by default the later wins). ``update`` carries
    ``user_id``: one entry per user and batch."""
    if member_ids is None:
        with svc.db.read() as conn:
            member_ids = store.member_ids(conn, room_id)
    ids = list(member_ids)
    if len(ids) <= BIG_ROOM:
        emit_to_members(svc, event, {"room_id": room_id, **update}, room_id, skip_sid=skip_sid, member_ids=ids)
        return
    coalescer = _coalescer(svc, event)
    key = (room_id, update["user_id"])
    earlier = coalescer.pending.get(key)
    coalescer.add(key, merge(earlier, update) if merge and earlier is not None else update)


def queue_room_update(svc: Services, conn: Connection, event: str, room_id: int, update: dict[str, Any],
                      merge: Merge | None = None, member_ids: Iterable[int] | None = None) -> None:
    """:func:`room_update` once the transaction of ``conn`` has committed (a change of stored data);
    ``member_ids`` when the transaction read them, else they are read after the commit."""
    on_commit(conn, lambda: room_update(svc, event, room_id, update, member_ids=member_ids, merge=merge))


def _flush(svc: Services, event: str, items: dict[tuple[int, int], dict[str, Any]]) -> None:
    by_room: dict[int, list[dict[str, Any]]] = {}
    for (room_id, _user_id), update in sorted(items.items()):
        by_room.setdefault(room_id, []).append(update)
    for room_id, updates in by_room.items():
        emit_to_members(svc, f"{event}_batch", {"room_id": room_id, "updates": updates}, room_id)
