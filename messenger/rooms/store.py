"""SQL for rooms and room membership (the room list is one statement).

Statements on the send path are :class:`~messenger.storage.hot.HotStatement` s (Core statements compiled
once and sent straight to the SQLite driver).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, literal_column, or_, select, update

from messenger.storage.db import inserted_id, utcnow
from messenger.storage.hot import HotStatement
from messenger.storage.tables import message_mentions, messages, room_members, rooms, users

ANNOUNCEMENT = "announcement"  # rooms.kind of the built-in company-wide room
READER = "reader"  # the role of its members who are not server admins: they read, react and acknowledge


def get_room(conn: Connection, room_id: int) -> Any:
    return conn.execute(select(rooms).where(rooms.c.id == room_id)).first()


def room_and_role(conn: Connection, room_id: int, user_id: int) -> Any:
    """``(id, type, role)`` with ``role`` None when ``user_id`` is not a member; None if no room."""
    stmt = (
        select(rooms.c.id, rooms.c.type, room_members.c.role)
        .select_from(rooms)
        .outerjoin(room_members, and_(room_members.c.room_id == rooms.c.id, room_members.c.user_id == user_id))
        .where(rooms.c.id == room_id)
    )
    return conn.execute(stmt).first()


def get_membership(conn: Connection, room_id: int, user_id: int, lock: bool = False) -> Any:
    """The membership row; ``lock``: held until the transaction ends (PostgreSQL ``FOR UPDATE``; SQLite's
    write transactions are serialised anyway), so a marker read before moving it stays true."""
    stmt = select(room_members).where(room_members.c.room_id == room_id, room_members.c.user_id == user_id)
    return conn.execute(stmt.with_for_update() if lock else stmt).first()


def member_ids(conn: Connection, room_id: int) -> list[int]:
    rows = conn.execute(
        select(room_members.c.user_id).where(room_members.c.room_id == room_id).order_by(room_members.c.user_id)
    ).all()
    return [int(r.user_id) for r in rows]


_MEMBER_ROLES = HotStatement(
    select(room_members.c.user_id, room_members.c.role, users.c.is_active)
    .join(users, users.c.id == room_members.c.user_id)
    .where(room_members.c.room_id == bindparam("room")))


def member_roles(conn: Connection, room_id: int) -> dict[int, str]:
    """``{user_id: role}`` of the room's members."""
    return member_states(conn, room_id)[0]


def member_states(conn: Connection, room_id: int) -> tuple[dict[int, str], set[int]]:
    """``{user_id: role}`` of the room's members and the ids among them whose account is inactive (the
    send path: membership, @all, delivery and the new message's unread count in one read)."""
    roles: dict[int, str] = {}
    inactive: set[int] = set()
    for user_id, role, active in _MEMBER_ROLES(conn, {"room": room_id}).fetchall():
        roles[int(user_id)] = str(role)
        if not active:
            inactive.add(int(user_id))
    return roles, inactive


def room_ids_of_user(conn: Connection, user_id: int) -> list[int]:
    rows = conn.execute(select(room_members.c.room_id).where(room_members.c.user_id == user_id)).all()
    return [int(r.room_id) for r in rows]


def members_with_users(conn: Connection, room_id: int) -> list[Any]:
    """Members joined with their user rows, longest-standing first."""
    stmt = (
        select(room_members.c.role, room_members.c.joined_at, room_members.c.last_read_message_id,
               room_members.c.muted, room_members.c.pinned, room_members.c.notify, users)
        .join(users, users.c.id == room_members.c.user_id)
        .where(room_members.c.room_id == room_id)
        .order_by(room_members.c.joined_at, room_members.c.user_id)
    )
    return list(conn.execute(stmt).all())


def find_direct(conn: Connection, direct_key: str) -> Any:
    return conn.execute(select(rooms).where(rooms.c.direct_key == direct_key)).first()


def create_room(conn: Connection, type_: str, name: str, topic: str, direct_key: str | None,
                created_by: int) -> int:
    now = utcnow()
    result = conn.execute(
        insert(rooms).values(type=type_, name=name, topic=topic, direct_key=direct_key, created_by=created_by,
                             created_at=now, last_message_id=None, last_activity_at=now)
    )
    return inserted_id(result)


def add_members(conn: Connection, room_id: int, user_ids: list[int], role: str = "member",
                last_read_message_id: int = 0) -> None:
    if not user_ids:
        return
    now = utcnow()
    conn.execute(
        insert(room_members),
        [
            {"room_id": room_id, "user_id": uid, "role": role, "joined_at": now,
             "last_read_message_id": last_read_message_id, "muted": False, "pinned": False}
            for uid in user_ids
        ],
    )


def remove_member(conn: Connection, room_id: int, user_id: int) -> bool:
    result = conn.execute(
        delete(room_members).where(room_members.c.room_id == room_id, room_members.c.user_id == user_id)
    )
    return result.rowcount > 0


def set_role(conn: Connection, room_id: int, user_id: int, role: str) -> None:
    conn.execute(
        update(room_members)
        .where(room_members.c.room_id == room_id, room_members.c.user_id == user_id)
        .values(role=role)
    )


def set_member_flags(conn: Connection, room_id: int, user_id: int, **values: Any) -> None:
    if values:
        conn.execute(
            update(room_members)
            .where(room_members.c.room_id == room_id, room_members.c.user_id == user_id)
            .values(**values)
        )


def update_room(conn: Connection, room_id: int, **values: Any) -> None:
    if values:
        conn.execute(update(rooms).where(rooms.c.id == room_id).values(**values))


_TOUCH_ROOM = HotStatement(
    update(rooms)
    .values(last_message_id=bindparam("msg"), last_activity_at=bindparam("at"))
    .where(rooms.c.id == bindparam("room"),
           or_(rooms.c.last_message_id.is_(None), rooms.c.last_message_id < bindparam("msg"))))


def touch_room(conn: Connection, room_id: int, message_id: int, at: dt.datetime) -> None:
    """Record a new last message (only ever moves forward)."""
    _TOUCH_ROOM(conn, {"room": room_id, "msg": message_id, "at": at})


def _active_user() -> Any:
    return and_(users.c.is_active.is_(True), users.c.deleted_at.is_(None))


def active_admin_count(conn: Connection, room_id: int) -> int:
    stmt = (
        select(func.count())
        .select_from(room_members)
        .join(users, users.c.id == room_members.c.user_id)
        .where(room_members.c.room_id == room_id, room_members.c.role == "admin", _active_user())
    )
    return int(conn.execute(stmt).scalar_one())


def longest_standing_active_member(conn: Connection, room_id: int) -> int | None:
    stmt = (
        select(room_members.c.user_id)
        .join(users, users.c.id == room_members.c.user_id)
        .where(room_members.c.room_id == room_id, room_members.c.role != "admin", _active_user())
        .order_by(room_members.c.joined_at, room_members.c.user_id)
        .limit(1)
    )
    row = conn.execute(stmt).first()
    return int(row.user_id) if row else None


def group_rooms_where_admin(conn: Connection, user_id: int) -> list[int]:
    stmt = (
        select(room_members.c.room_id)
        .join(rooms, rooms.c.id == room_members.c.room_id)
        .where(room_members.c.user_id == user_id, room_members.c.role == "admin", rooms.c.type == "group",
               rooms.c.kind != ANNOUNCEMENT)
    )
    return [int(r.room_id) for r in conn.execute(stmt).all()]


def active_users(conn: Connection, user_ids: list[int]) -> list[Any]:
    if not user_ids:
        return []
    return list(conn.execute(select(users).where(users.c.id.in_(user_ids), _active_user())).all())


def _without_announcement_rooms(query: Any) -> Any:
    """Announcement rooms (every user is in one; issue #15: a room of kind "announcement") carry no
    presence: the same audience rule for presence events and the online-now list."""
    if "kind" in rooms.c:
        query = query.where(room_members.c.room_id.not_in(select(rooms.c.id).where(rooms.c.kind == "announcement")))
    return query


def users_sharing_a_room(conn: Connection, user_id: int) -> list[int]:
    mine = select(room_members.c.room_id).where(room_members.c.user_id == user_id)
    rows = conn.execute(
        _without_announcement_rooms(select(room_members.c.user_id).where(room_members.c.room_id.in_(mine)).distinct())
    ).all()
    return [int(r.user_id) for r in rows]


def members_of_rooms_of(conn: Connection, user_ids: list[int]) -> list[Any]:
    """``(room_id, user_id)`` of every member of every room one of ``user_ids`` is in: who watches
    whose presence."""
    theirs = select(room_members.c.room_id).where(room_members.c.user_id.in_(user_ids))
    query = select(room_members.c.room_id, room_members.c.user_id).where(room_members.c.room_id.in_(theirs))
    return list(conn.execute(_without_announcement_rooms(query)).all())


_ADVANCE_READ = HotStatement(
    update(room_members)
    .values(last_read_message_id=bindparam("msg"))
    .where(room_members.c.room_id == bindparam("room"), room_members.c.user_id == bindparam("user"),
           room_members.c.last_read_message_id < bindparam("msg")))


_READ_MARKER = HotStatement(
    select(room_members.c.last_read_message_id)
    .where(room_members.c.room_id == bindparam("room"), room_members.c.user_id == bindparam("user"))
    .with_for_update())  # PostgreSQL: held to the transaction's end; SQLite serialises its writers anyway

_MEMBER_IDS = HotStatement(select(room_members.c.user_id).where(room_members.c.room_id == bindparam("room")))


def read_marker(conn: Connection, room_id: int, user_id: int) -> int | None:
    """The member's read marker, locked until the transaction ends (as ``get_membership(lock=True)``);
    None when not a member. A hot statement: every shown message moves a marker."""
    row = _READ_MARKER(conn, {"room": room_id, "user": user_id}).fetchone()
    return None if row is None else int(row[0])


def member_id_list(conn: Connection, room_id: int) -> list[int]:
    """The room's member ids, unordered (a hot statement: who gets a read marker's event)."""
    return [int(r[0]) for r in _MEMBER_IDS(conn, {"room": room_id}).fetchall()]


def advance_read(conn: Connection, room_id: int, user_id: int, message_id: int) -> bool:
    """Move the member's read marker forward to ``message_id``; False when it was already there."""
    return _ADVANCE_READ(conn, {"room": room_id, "user": user_id, "msg": message_id}).rowcount > 0


UNREAD_CAP = 100


def list_rooms(conn: Connection, user_id: int) -> list[Any]:
    """Every room of ``user_id`` with counts, last message and direct peer, in ONE statement."""
    me = room_members.alias("me")
    others = room_members.alias("others")
    peer_m = room_members.alias("peer_m")
    peer = users.alias("peer")
    last = messages.alias("last")
    sender = users.alias("last_sender")
    unread = messages.alias("unread")
    mentioned = message_mentions.alias("mentioned")
    mention_msg = messages.alias("mention_msg")
    members_count = (
        select(func.count()).select_from(others).where(others.c.room_id == rooms.c.id).scalar_subquery()
    )
    # Counting stops at UNREAD_CAP ("99+" in the client), so the list costs the same for someone
    # back from a month off as for someone who reads everything.
    unread_rows = (
        select(literal_column("1").label("one"))
        .select_from(unread)
        .where(
            unread.c.room_id == rooms.c.id,
            unread.c.id > me.c.last_read_message_id,
            unread.c.deleted_at.is_(None),
            unread.c.type != "system",
            unread.c.sender_id != user_id,
            # a reply only in its thread is not unread in the room (the threads view shows it)
            or_(unread.c.thread_root_id.is_(None), unread.c.thread_channel.is_(True)),
        )
        .limit(UNREAD_CAP)
        .correlate(rooms, me)
        .subquery()
    )
    unread_count = select(func.count()).select_from(unread_rows).scalar_subquery()
    # Unread messages that mention the caller (@name or @all), along the (user_id, message_id) index
    # of the caller's mentions after this room's read marker; also capped.
    mention_rows = (
        select(literal_column("1").label("one"))
        .select_from(mentioned.join(mention_msg, mention_msg.c.id == mentioned.c.message_id))
        .where(
            mentioned.c.user_id == user_id,
            mentioned.c.message_id > me.c.last_read_message_id,
            mention_msg.c.room_id == rooms.c.id,
            mention_msg.c.deleted_at.is_(None),
        )
        .limit(UNREAD_CAP)
        .correlate(rooms, me)
        .subquery()
    )
    mention_count = select(func.count()).select_from(mention_rows).scalar_subquery()
    peer_id = (
        select(func.min(peer_m.c.user_id))
        .where(peer_m.c.room_id == rooms.c.id, peer_m.c.user_id != user_id)
        .scalar_subquery()
    )
    stmt = (
        select(
            rooms.c.id, rooms.c.type, rooms.c.kind, rooms.c.name, rooms.c.topic, rooms.c.last_activity_at,
            me.c.role, me.c.muted, me.c.pinned, me.c.notify, me.c.last_read_message_id,
            members_count.label("members_count"),
            unread_count.label("unread_count"), mention_count.label("mention_count"),
            peer.c.id.label("peer_id"), peer.c.username.label("peer_username"),
            peer.c.display_name.label("peer_display_name"), peer.c.avatar_file_id.label("peer_avatar_file_id"),
            peer.c.availability.label("peer_availability"), peer.c.status_message.label("peer_status_message"),
            last.c.id.label("last_id"), last.c.type.label("last_type"), last.c.content.label("last_content"),
            last.c.created_at.label("last_created_at"), last.c.deleted_at.label("last_deleted_at"),
            last.c.sender_id.label("last_sender_id"), sender.c.display_name.label("last_sender_name"),
        )
        .select_from(rooms)
        .join(me, and_(me.c.room_id == rooms.c.id, me.c.user_id == user_id))
        .outerjoin(peer, and_(rooms.c.type == "direct", peer.c.id == peer_id))
        .outerjoin(last, last.c.id == rooms.c.last_message_id)
        .outerjoin(sender, sender.c.id == last.c.sender_id)
        .order_by(rooms.c.last_activity_at.desc(), rooms.c.id.desc())
    )
    return list(conn.execute(stmt).all())


def unread_rooms(conn: Connection, user_id: int) -> list[Any]:
    """``(room_id, last_read_message_id, last_message_id)`` of the user's rooms with something after
    the read marker (``POST /api/rooms/read-all``)."""
    stmt = (
        select(room_members.c.room_id, room_members.c.last_read_message_id, rooms.c.last_message_id)
        .join(rooms, rooms.c.id == room_members.c.room_id)
        .where(room_members.c.user_id == user_id, rooms.c.last_message_id.is_not(None),
               room_members.c.last_read_message_id < rooms.c.last_message_id)
        .order_by(room_members.c.room_id)
    )
    return list(conn.execute(stmt).all())


def announcement_room(conn: Connection) -> Any:
    """The built-in announcement room (created by migration 0007), or None."""
    return conn.execute(select(rooms).where(rooms.c.kind == ANNOUNCEMENT).order_by(rooms.c.id).limit(1)).first()


def notify_levels(conn: Connection, room_id: int, user_ids: list[int]) -> dict[int, str]:
    """``{user_id: all|mentions|none}`` of these members of the room."""
    if not user_ids:
        return {}
    rows = conn.execute(select(room_members.c.user_id, room_members.c.notify).where(
        room_members.c.room_id == room_id, room_members.c.user_id.in_(user_ids))).all()
    return {int(r.user_id): str(r.notify) for r in rows}
