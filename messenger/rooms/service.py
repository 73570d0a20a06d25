"""Room rules: direct/group rooms, members and roles, room settings.

Every change runs in one transaction (membership, system message, audit entry) that queues its events;
they go out after the commit. Membership checks and member fan-out live in ``rooms.access``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from messenger.accounts import store as accounts_store
from messenger.accounts.serialize import avatar_url, directory_dict
from messenger.audit import store as audit_store
from messenger.core import system_events
from messenger.core.context import Services
from messenger.core.errors import ApiError
from messenger.core.system_events import person
from messenger.messages.ratelimit import check_send_rate
from messenger.messages.service import insert_system
from messenger.rooms import store
from messenger.rooms.access import queue_to_members, require_member, require_room_admin
from messenger.rooms.batches import queue_room_update
from messenger.storage.db import iso

MAX_GROUP_MEMBERS = 1000


def _room_view(svc: Services, room_id: int, viewer_id: int | None) -> Callable[[], dict[str, Any]]:
    """The ``room_updated`` payload, built when called (after the commit: the committed room)."""
    return lambda: {"room": room_dict(svc, room_id, viewer_id)}


def _queue_room_updated(svc: Services, conn: Connection, room_id: int) -> None:
    """``room_updated`` (the room as it is after the commit) to its members then."""
    queue_to_members(svc, conn, "room_updated", _room_view(svc, room_id, None), room_id)


def _queue_room_for(svc: Services, conn: Connection, room_id: int, user_ids: list[int]) -> None:
    """``room_updated`` with each user's own view of the room (after the commit)."""
    for uid in user_ids:
        svc.realtime.queue_to_user(conn, "room_updated", _room_view(svc, room_id, uid), uid)


def _require_group(room: Any) -> None:
    if room.type != "group":
        raise ApiError(400, "direct_room", "This cannot be done in a direct conversation")
    _require_chat(room)


def _require_chat(room: Any) -> None:
    """The announcement room's members follow the accounts: nobody adds, kicks, leaves or renames."""
    if getattr(room, "kind", "chat") == store.ANNOUNCEMENT:
        raise ApiError(400, "announcement_room", "The announcement room's members and name follow the accounts")


# ---- serialisation ----------------------------------------------------------------------------
def room_dict(svc: Services, room_id: int, viewer_id: int | None) -> dict[str, Any]:
    """The room with its members (``room_updated`` payload; viewer fields only when ``viewer_id``)."""
    with svc.db.read() as conn:
        room = store.get_room(conn, room_id)
        if room is None:
            raise ApiError(404, "not_found", "Room not found", {"reason": "room"})
        members = store.members_with_users(conn, room_id)
    return _room_dict(svc, room, members, viewer_id)


def _room_dict(svc: Services, room: Any, members: list[Any], viewer_id: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": room.id,
        "type": room.type,
        "kind": room.kind,
        "members_post_notices": bool(room.members_post_notices),
        "name": room.name,
        "topic": room.topic,
        "created_by": room.created_by,
        "created_at": iso(room.created_at),
        "last_message_id": room.last_message_id,
        "last_activity_at": iso(room.last_activity_at),
        "members_count": len(members),
        "members": [
            {"user": _member_user(svc, m), "role": m.role, "joined_at": iso(m.joined_at),
             "last_read_message_id": int(m.last_read_message_id)}
            for m in members
        ],
    }
    if viewer_id is not None:
        mine = next((m for m in members if m.id == viewer_id), None)
        out["my_role"] = mine.role if mine else None
        if room.type == "direct":
            peer = next((m for m in members if m.id != viewer_id), None)
            out["name"] = peer.display_name if peer else room.name
        out["notify"] = _level(mine) if mine else "all"
        out["muted"] = out["notify"] == "none"
        out["pinned"] = bool(mine.pinned) if mine else False
    return out


def _member_user(svc: Services, row: Any) -> dict[str, Any]:
    user = directory_dict(svc, row)
    user["is_active"] = bool(row.is_active) and row.deleted_at is None
    return user


def list_rooms(svc: Services, user_id: int) -> list[dict[str, Any]]:
    """The caller's rooms, newest activity first (one SQL statement)."""
    with svc.db.read() as conn:
        rows = store.list_rooms(conn, user_id)
    out = []
    for r in rows:
        last = None
        if r.last_id is not None:
            deleted = r.last_deleted_at is not None
            system = r.last_type == "system"
            last = {
                "id": r.last_id,
                "type": r.last_type,
                "content": "" if deleted or system else (r.last_content or "")[:200],
                "deleted": deleted,
                "created_at": iso(r.last_created_at),
                "sender": None if r.last_sender_id is None else {"id": r.last_sender_id,
                                                                 "display_name": r.last_sender_name},
            }
            if system:
                last["event"] = system_events.decode(r.last_content)
        item: dict[str, Any] = {
            "id": r.id, "type": r.type, "kind": r.kind, "name": r.name, "topic": r.topic,
            "members_count": int(r.members_count), "unread_count": int(r.unread_count),
            "mention_count": int(r.mention_count),
            "last_message": last, "last_activity_at": iso(r.last_activity_at),
            "pinned": bool(r.pinned), "notify": _level(r), "muted": _level(r) == "none", "my_role": r.role,
            "last_read_message_id": int(r.last_read_message_id),
        }
        if r.type == "direct":
            item["peer"] = None
            if r.peer_id is not None:
                item["name"] = r.peer_display_name
                item["peer"] = {"id": r.peer_id, "username": r.peer_username, "display_name": r.peer_display_name,
                                "avatar_url": avatar_url(SimpleNamespace(avatar_file_id=r.peer_avatar_file_id)),
                                "presence": svc.realtime.presence(r.peer_id),
                                "availability": r.peer_availability or "online",
                                "status_message": r.peer_status_message or ""}
        out.append(item)
    return out


def get_room(svc: Services, user_id: int, room_id: int) -> dict[str, Any]:
    with svc.db.read() as conn:
        require_member(conn, room_id, user_id)
    return room_dict(svc, room_id, user_id)


# ---- creating rooms ---------------------------------------------------------------------------
def _checked_users(conn: Connection, user_ids: list[int]) -> list[Any]:
    wanted = sorted(set(user_ids))
    rows = store.active_users(conn, wanted)
    if len(rows) != len(wanted):
        missing = sorted(set(wanted) - {r.id for r in rows})
        raise ApiError(400, "invalid_user", f"Unknown or inactive user id(s): {missing[:20]}")
    return rows


def open_direct(svc: Services, user_id: int, other_id: int) -> tuple[dict[str, Any], bool]:
    """The direct room of the pair (created when missing). Returns (room, created)."""
    if other_id == user_id:
        raise ApiError(400, "invalid_field", "A direct conversation needs another person", {"field": "user_id", "reason": "self"})
    key = f"{min(user_id, other_id)}:{max(user_id, other_id)}"
    created = False
    for _attempt in range(2):
        try:
            with svc.db.begin() as conn:
                room = store.find_direct(conn, key)
                rejoined: list[int] = []
                if room is None:
                    _checked_users(conn, [other_id])
                    room_id = store.create_room(conn, "direct", "", "", key, user_id)
                    store.add_members(conn, room_id, [user_id, other_id], "member")
                    created = True
                else:
                    room_id = room.id
                    present = set(store.member_ids(conn, room_id))
                    rejoined = [u for u in (user_id, other_id) if u not in present]
                    if rejoined:
                        _checked_users(conn, rejoined)
                        store.add_members(conn, room_id, rejoined, "member")
                if created or rejoined:
                    _queue_room_for(svc, conn, room_id, sorted({user_id, other_id}))
            break
        except IntegrityError:  # the other person opened it at the same moment
            continue
    else:
        raise ApiError(409, "conflict", "Please try again")
    return room_dict(svc, room_id, user_id), created


def create_group(svc: Services, user_id: int, name: str, member_ids: list[int], topic: str = "") -> dict[str, Any]:
    name = name.strip()
    if not name:
        raise ApiError(400, "missing_field", "A group room needs a name", {"field": "name"})
    others = sorted(set(member_ids) - {user_id})
    if len(others) + 1 > MAX_GROUP_MEMBERS:
        raise ApiError(400, "invalid_field", f"At most {MAX_GROUP_MEMBERS} members", {"field": "user_ids", "reason": "max_items", "max": MAX_GROUP_MEMBERS})
    with svc.db.begin() as conn:
        rows = _checked_users(conn, [user_id, *others])
        names = {r.id: r.display_name for r in rows}
        room_id = store.create_room(conn, "group", name, topic, None, user_id)
        store.add_members(conn, room_id, [user_id], "admin")
        store.add_members(conn, room_id, others, "member")
        _queue_room_for(svc, conn, room_id, others)
        insert_system(svc, conn, room_id, system_events.make(
            "room_created", user=person(user_id, names[user_id]), members=[person(u, names[u]) for u in others]))
    return room_dict(svc, room_id, user_id)


# ---- changing rooms ---------------------------------------------------------------------------
def update_room(svc: Services, user_id: int, room_id: int, changes: dict[str, Any],
                client_ip: str | None = None) -> dict[str, Any]:
    if changes.get("name") is not None:
        check_send_rate(svc, user_id)  # a rename posts the new name as a message: the send budget pays
    with svc.db.begin() as conn:
        require_room_admin(conn, room_id, user_id)
        room = store.get_room(conn, room_id)
        _require_group(room)
        values = {k: v for k, v in changes.items()
                  if k in ("name", "topic", "members_post_notices") and v is not None}
        if "name" in values and not values["name"]:
            raise ApiError(400, "invalid_field", "The room name must not be empty", {"field": "name", "reason": "empty"})
        values = {k: v for k, v in values.items() if getattr(room, k) != v}
        if values:
            store.update_room(conn, room_id, **values)
            actor = store.active_users(conn, [user_id])[0].display_name
            _queue_room_updated(svc, conn, room_id)
        if "name" in values:
            audit_store.add(conn, "room", "room_renamed", actor_id=user_id, room_id=room_id,
                            details={"old": room.name, "new": values["name"]}, client_ip=client_ip)
            insert_system(svc, conn, room_id, system_events.make(
                "room_renamed", user=person(user_id, actor), name=values["name"]))
        if "topic" in values:
            audit_store.add(conn, "room", "topic_changed", actor_id=user_id, room_id=room_id,
                            details={"old": room.topic, "new": values["topic"]}, client_ip=client_ip)
        if "members_post_notices" in values:
            audit_store.add(conn, "room", "notice_policy_changed", actor_id=user_id, room_id=room_id,
                            details={"members_post_notices": values["members_post_notices"]}, client_ip=client_ip)
    return room_dict(svc, room_id, user_id)


def add_members(svc: Services, user_id: int, room_id: int, user_ids: list[int]) -> dict[str, Any]:
    with svc.db.begin() as conn:
        require_member(conn, room_id, user_id)
        room = store.get_room(conn, room_id)
        _require_group(room)
        present = set(store.member_ids(conn, room_id))
        new_ids = sorted(set(user_ids) - present)
        if new_ids and len(present) + len(new_ids) > MAX_GROUP_MEMBERS:
            raise ApiError(400, "invalid_field", f"At most {MAX_GROUP_MEMBERS} members", {"field": "user_ids", "reason": "max_items", "max": MAX_GROUP_MEMBERS})
        if new_ids:
            rows = _checked_users(conn, [user_id, *new_ids])
            names = {r.id: r.display_name for r in rows}
            # New members start "read up to now": their unread count begins at zero.
            store.add_members(conn, room_id, new_ids, "member", last_read_message_id=room.last_message_id or 0)
            _queue_room_for(svc, conn, room_id, new_ids)
            _queue_room_updated(svc, conn, room_id)
            insert_system(svc, conn, room_id, system_events.make(
                "members_invited", user=person(user_id, names[user_id]),
                members=[person(u, names[u]) for u in new_ids]))
    return room_dict(svc, room_id, user_id)


def _ensure_admin(conn: Connection, room_id: int, actor_id: int | None) -> int | None:
    """Promote the longest-standing active member when no active admin is left; the promoted id."""
    room = store.get_room(conn, room_id)
    if room is None or room.type != "group" or store.active_admin_count(conn, room_id) > 0:
        return None
    heir = store.longest_standing_active_member(conn, room_id)
    if heir is None:
        return None
    store.set_role(conn, room_id, heir, "admin")
    audit_store.add(conn, "room", "role_changed", actor_id=actor_id, room_id=room_id, target_user_id=heir,
                    details={"from": "member", "to": "admin", "automatic": True})
    return heir


def remove_member(svc: Services, user_id: int, room_id: int, target_id: int,
                  client_ip: str | None = None) -> None:
    """Leave (``target_id == user_id``) or kick (room admin)."""
    with svc.db.begin() as conn:
        role = require_member(conn, room_id, user_id)
        room = store.get_room(conn, room_id)
        leaving = target_id == user_id
        _require_chat(room)
        if not leaving:
            _require_group(room)
            if role != "admin":
                raise ApiError(403, "forbidden", "Only room administrators can remove members", {"reason": "remove_member"})
        target = store.get_membership(conn, room_id, target_id)
        if target is None:
            raise ApiError(404, "not_found", "That user is not a member of this room", {"reason": "member"})
        names = {r.id: r.display_name for r in store.members_with_users(conn, room_id)}
        store.remove_member(conn, room_id, target_id)
        svc.realtime.queue_to_user(conn, "room_removed", {"room_id": room_id}, target_id)
        _queue_room_updated(svc, conn, room_id)
        if leaving:
            insert_system(svc, conn, room_id, system_events.make(
                "member_left", user=person(target_id, names.get(target_id))))
        else:
            audit_store.add(conn, "room", "member_kicked", actor_id=user_id, room_id=room_id,
                            target_user_id=target_id, details={"role": target.role}, client_ip=client_ip)
            insert_system(svc, conn, room_id, system_events.make(
                "member_removed", user=person(user_id, names.get(user_id)),
                target=person(target_id, names.get(target_id))))
        heir = _ensure_admin(conn, room_id, None)
        if heir is not None:
            insert_system(svc, conn, room_id, system_events.make(
                "admin_assigned", user=person(heir, names.get(heir))))


def set_role(svc: Services, user_id: int, room_id: int, target_id: int, role: str,
             client_ip: str | None = None) -> dict[str, Any]:
    with svc.db.begin() as conn:
        require_room_admin(conn, room_id, user_id)
        _require_group(store.get_room(conn, room_id))
        target = store.get_membership(conn, room_id, target_id)
        if target is None:
            raise ApiError(404, "not_found", "That user is not a member of this room", {"reason": "member"})
        if target.role != role:
            store.set_role(conn, room_id, target_id, role)
            if store.active_admin_count(conn, room_id) == 0:
                raise ApiError(400, "last_admin", "A room must keep at least one administrator", {"reason": "room"})
            audit_store.add(conn, "room", "role_changed", actor_id=user_id, room_id=room_id,
                            target_user_id=target_id, details={"from": target.role, "to": role}, client_ip=client_ip)
            _queue_room_updated(svc, conn, room_id)
    return room_dict(svc, room_id, user_id)


NOTIFY_LEVELS = ("all", "mentions", "none")


def _level(row: Any) -> str:
    """A membership's notification level (a row from before 0006 may only say ``muted``)."""
    level = getattr(row, "notify", None)
    if level in NOTIFY_LEVELS:
        return str(level)
    return "none" if row.muted else "all"


def update_settings(svc: Services, user_id: int, room_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """The caller's own settings for a room: ``notify`` (all | mentions | none), ``pinned``, and the
    older ``muted`` (true = ``notify: none``; false lifts ``none`` back to ``all``). ``muted`` is kept
    equal to ``notify == 'none'``."""
    values: dict[str, Any] = {}
    if changes.get("pinned") is not None:
        values["pinned"] = bool(changes["pinned"])
    with svc.db.begin() as conn:
        require_member(conn, room_id, user_id)
        current = _level(store.get_membership(conn, room_id, user_id))
        level = changes.get("notify")
        if level is None and changes.get("muted") is not None:
            level = "none" if changes["muted"] else ("all" if current == "none" else current)
        if level is not None:
            values.update(notify=level, muted=level == "none")
        store.set_member_flags(conn, room_id, user_id, **values)
        m = store.get_membership(conn, room_id, user_id)
        flags = {"room_id": room_id, "notify": _level(m), "muted": _level(m) == "none", "pinned": bool(m.pinned)}
        svc.realtime.queue_to_user(conn, "room_settings_updated", flags, user_id)
    return flags


def read_all(svc: Services, user_id: int) -> list[dict[str, Any]]:
    """Move the caller's read marker to the last message of every room of theirs (``POST
    /api/rooms/read-all``); ``read_updated`` to each room whose marker moved. Returns those rooms."""
    with svc.db.begin() as conn:
        moved = []
        for r in store.unread_rooms(conn, user_id):
            if store.advance_read(conn, int(r.room_id), user_id, int(r.last_message_id)):
                item = {"room_id": int(r.room_id), "message_id": int(r.last_message_id),
                        "previous_message_id": int(r.last_read_message_id)}
                moved.append(item)
                queue_room_update(svc, conn, "read_updated", item["room_id"],
                                  {"user_id": user_id, "message_id": item["message_id"],
                                   "previous_message_id": item["previous_message_id"]})
    return [{"room_id": m["room_id"], "message_id": m["message_id"]} for m in moved]


def ensure_admins_for_user(svc: Services, user_id: int) -> list[int]:
    """After ``user_id`` was deactivated or deleted: no group room of theirs stays without an active admin.

    Returns the rooms that got a new admin.
    """
    changed: list[int] = []
    with svc.db.begin() as conn:
        for room_id in store.group_rooms_where_admin(conn, user_id):
            heir = _ensure_admin(conn, room_id, None)
            if heir is not None:
                name = store.active_users(conn, [heir])[0].display_name
                _queue_room_updated(svc, conn, room_id)
                insert_system(svc, conn, room_id, system_events.make("admin_assigned", user=person(heir, name)))
                changed.append(room_id)
    return changed


def on_user_changed(svc: Services, user_id: int) -> None:
    """Realtime user-changed hook: a deactivated account hands its rooms on (keeping its memberships);
    a deleted account leaves every room, with admin succession."""
    with svc.db.read() as conn:
        row = accounts_store.get_user(conn, user_id)
    if row is None or row.deleted_at is not None:
        on_user_removed(svc, user_id)
    elif not row.is_active:
        ensure_admins_for_user(svc, user_id)
    else:
        sync_announcement_member(svc, user_id)


def sync_announcement_member(svc: Services, user_id: int) -> None:
    """Every active account is in the announcement room: a new account joins it (with nothing unread),
    and its role follows the account (``admin`` for server admins, who post there; ``reader`` otherwise)."""
    with svc.db.begin() as conn:
        room = store.announcement_room(conn)
        user = accounts_store.get_user(conn, user_id)
        if room is None or user is None or not user.is_active or user.deleted_at is not None:
            return
        role = "admin" if user.is_admin else store.READER
        membership = store.get_membership(conn, room.id, user_id)
        if membership is None:
            store.add_members(conn, room.id, [user_id], role, last_read_message_id=room.last_message_id or 0)
        elif membership.role != role:
            store.set_role(conn, room.id, user_id, role)
        else:
            return
        room_id = int(room.id)
        svc.realtime.queue_to_user(conn, "room_updated", lambda: {"room": room_dict(svc, room_id, user_id)}, user_id)


def on_user_removed(svc: Services, user_id: int) -> None:
    """A deleted account leaves all its rooms (its messages stay); no group room is left without an admin."""
    with svc.db.begin() as conn:
        for room_id in store.room_ids_of_user(conn, user_id):
            names = {r.id: r.display_name for r in store.members_with_users(conn, room_id)}
            store.remove_member(conn, room_id, user_id)
            if store.get_room(conn, room_id).kind == store.ANNOUNCEMENT:
                continue  # everyone's room: no "left" message for every deleted account
            _queue_room_updated(svc, conn, room_id)
            insert_system(svc, conn, room_id, system_events.make(
                "member_left", user=person(user_id, names.get(user_id))))
            heir = _ensure_admin(conn, room_id, None)
            if heir is not None:
                insert_system(svc, conn, room_id, system_events.make(
                    "admin_assigned", user=person(heir, names.get(heir))))
