"""Live room plumbing: ``join_room``, ``typing``, ``presence``.

Events reach a room's members through each member's own ``user:<id>`` channel (rooms.access), so a
socket joins no per-room channel.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from messenger.accounts import store as accounts_store
from messenger.core.context import Services
from messenger.core.models import Body, Id, parse_model
from messenger.realtime import SocketUser, user_room
from messenger.realtime.coalesce import Coalescer
from messenger.rooms import store
from messenger.rooms.access import require_member
from messenger.rooms.batches import room_update


class JoinRoom(Body):
    room_id: Id


class Typing(Body):
    room_id: Id
    is_typing: bool


class Typists(dict[tuple[int, int], list[Any]]):
    """This node's typists: (room_id, user_id) → [socket id, monotonic expiry time]."""


def _typing(svc: Services) -> Typists:
    return svc.state_of(Typists)


def on_join_room(svc: Services, user: SocketUser, data: Any) -> dict[str, Any]:
    """A membership check (older clients call it after being added; events need no per-room channel)."""
    body = parse_model(data, JoinRoom)
    with svc.db.read() as conn:
        require_member(conn, body["room_id"], user.user_id)
    return {"room_id": body["room_id"]}


def _emit_typing(svc: Services, user: SocketUser, room_id: int, is_typing: bool) -> None:
    send_typing(svc, room_id, user.user_id, user.display_name, is_typing, skip_sid=user.sid)


def send_typing(svc: Services, room_id: int, user_id: int, display_name: str, is_typing: bool,
                skip_sid: str | None = None, member_ids: Iterable[int] | None = None) -> None:
    """``typing`` to the room (not the typist's socket); coalesced in big rooms (rooms/batches.py)."""
    room_update(svc, "typing", room_id, {"user_id": user_id, "display_name": display_name, "is_typing": is_typing},
                skip_sid=skip_sid, member_ids=member_ids)


def on_typing(svc: Services, user: SocketUser, data: Any) -> dict[str, Any]:
    """Relay to the room except the sender; a ``true`` without refresh expires after TYPING_EXPIRY_SECONDS."""
    body = parse_model(data, Typing)
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
        entry[0], entry[1] = user.sid, time.monotonic() + svc.settings.TYPING_EXPIRY_SECONDS
        return {}
    entry = typists[key] = [user.sid, time.monotonic() + svc.settings.TYPING_EXPIRY_SECONDS]
    _emit_typing(svc, user, room_id, True)
    svc.jobs.spawn(_expire_typing, svc, user, room_id, entry)
    return {}


def _expire_typing(svc: Services, user: SocketUser, room_id: int, entry: list[Any]) -> None:
    """Send ``is_typing:false`` once the typist's entry has not been refreshed for TYPING_EXPIRY_SECONDS."""
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
        send_typing(svc, room_id, user_id, display_name, False, skip_sid=entry[0], member_ids=member_ids)


def stop_typing_of_socket(svc: Services, user: SocketUser) -> None:
    """Disconnect hook: a closed tab stops typing at once."""
    typists = _typing(svc)
    for key, (sid, _expires) in list(typists.items()):
        if sid == user.sid:
            typists.pop(key, None)
            _emit_typing(svc, user, key[0], False)


PRESENCE_BATCH_SECONDS = 1.0  # at most one presence batch per watcher (per node) per second


class PresenceBatches(Coalescer):
    """This node's presence changes waiting for their batch (the feature's state, one per app)."""


def broadcast_presence(svc: Services, user_id: int, presence: str) -> None:
    """Presence hook, the ONE place presence changes are sent from (connect, disconnect, idle, and the
    user's own availability or status message changing): queue the change; :func:`flush_presence`
    sends it with the others of the second.

    Who hears it (docs/API.md, "Presence"): the user's own sockets and every user sharing a room with
    them (not an announcement room).
    """
    batches = svc.state_of(PresenceBatches, lambda: PresenceBatches(svc.socketio, PRESENCE_BATCH_SECONDS,
                                                                   lambda items: flush_presence(svc, items)))
    batches.add(user_id, presence)


PRESENCE_EMIT_CHUNK = 200  # watchers per emit; the hub goes to other greenlets (chat) between chunks


def presence_batch(changes: dict[int, str], people: dict[int, Any], user_ids: Iterable[int]) -> dict[str, Any]:
    """The ``presence_batch`` payload for ``user_ids`` (docs/API.md, "Coalesced events"): ids grouped
    by presence, and ``details`` only for users whose availability is not ``online`` or who have a
    status message (everyone else: ``online`` and ``""``)."""
    out: dict[str, Any] = {"online": [], "away": [], "offline": [], "details": []}
    for uid in sorted(user_ids):
        out[changes[uid]].append(uid)
        row = people.get(uid)
        availability = (row.availability if row else None) or "online"
        status_message = (row.status_message if row else "") or ""
        if availability != "online" or status_message:
            out["details"].append({"user_id": uid, "availability": availability, "status_message": status_message})
    return out


def flush_presence(svc: Services, changes: dict[int, str]) -> None:
    """``presence_batch`` (see :func:`presence_batch`) to every user who shares a room with a changed
    user (and to the changed users themselves), each watcher getting one batch with every change it
    may see. Watchers that see the same changes (all members of one big room) get one payload, encoded
    once per chunk of PRESENCE_EMIT_CHUNK watchers' channels; between chunks other greenlets run."""
    with svc.db.read() as conn:
        rows = store.members_of_rooms_of(conn, sorted(changes))
        people = {row.id: row for row in accounts_store.get_users(conn, sorted(changes))}

    changed_in: dict[int, set[int]] = {}
    members: list[tuple[int, int]] = []
    for room_id, member in rows:
        members.append((room_id, member))
        if member in changes:
            changed_in.setdefault(room_id, set()).add(member)
    rooms_of: dict[int, list[int]] = {}
    for room_id, member in members:
        rooms_of.setdefault(member, []).append(room_id)
    for user_id in changes:  # a user in no room still hears their own change
        rooms_of.setdefault(user_id, [])
    groups: dict[tuple[int, ...], list[int]] = {}
    for member, room_ids in rooms_of.items():
        groups.setdefault(tuple(sorted(set(room_ids))), []).append(member)
    for shared, watchers in groups.items():
        seen: set[int] = set().union(*(changed_in[r] for r in shared)) if shared else set()
        singles = [w for w in watchers if w in changes and w not in seen]
        targets = [user_room(w) for w in watchers if w not in singles]
        if seen and targets:
            batch = presence_batch(changes, people, seen)
            for start in range(0, len(targets), PRESENCE_EMIT_CHUNK):
                if start:
                    svc.socketio.sleep(0)
                svc.socketio.emit("presence_batch", batch, to=targets[start:start + PRESENCE_EMIT_CHUNK])
        for w in singles:
            svc.socketio.emit("presence_batch", presence_batch(changes, people, seen | {w}), to=user_room(w))


def install(svc: Services) -> None:
    rt = svc.realtime
    rt.disconnect_hooks.append(stop_typing_of_socket)
    rt.presence_hooks.append(broadcast_presence)
    rt.event("join_room")(on_join_room)
    rt.event("typing")(on_typing)
