"""SQL for messages, mentions, reactions and read markers (history is keyset-paged on (room_id, id))."""

from __future__ import annotations

import datetime as dt
import functools
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, String, and_, bindparam, cast, delete, func, insert, or_, select, update

from messenger.storage.db import inserted_id, utcnow
from messenger.storage.hot import HotStatement
from messenger.storage.tables import message_mentions, messages, reactions, room_members, thread_reads, users

_INSERT_MESSAGE = HotStatement(
    insert(messages)
    .values({name: bindparam(name) for name in ("room_id", "sender_id", "type", "content", "reply_to_id", "file_id",
                                                 "poll_id", "client_msg_id", "created_at")})
    .returning(messages.c.id))


def insert_message(conn: Connection, room_id: int, sender_id: int | None, type_: str, content: str,
                   reply_to_id: int | None = None, file_id: int | None = None, poll_id: int | None = None,
                   client_msg_id: str | None = None) -> tuple[int, dt.datetime]:
    now = utcnow()
    row = _INSERT_MESSAGE(conn, {  # the send path runs this for every message
        "room_id": room_id, "sender_id": sender_id, "type": type_, "content": content, "reply_to_id": reply_to_id,
        "file_id": file_id, "poll_id": poll_id, "client_msg_id": client_msg_id, "created_at": now,
    }).fetchone()
    return int(row[0]), now


_SENDER = HotStatement(
    select(users.c.username, users.c.display_name, users.c.avatar_file_id).where(users.c.id == bindparam("id")))


def new_message_row(conn: Connection, msg_id: int, created_at: dt.datetime, room_id: int, sender_id: int,
                    type_: str, content: str, mention_ids: list[int], file_id: int | None = None,
                    poll_id: int | None = None, client_msg_id: str | None = None) -> Any:
    """The row ``load_messages`` returns for a message this transaction just inserted (not a reply),
    from what the caller knows plus the sender's name: no reactions, not read by anyone else yet.
    The send path builds its message object from it instead of the full select (~0.2 ms per message)
    and gives its read counts itself (``unread_count``: the other active members)."""
    username, display_name, avatar_file_id = _SENDER(conn, {"id": sender_id}).fetchone()
    return SimpleNamespace(
        id=msg_id, room_id=room_id, sender_id=sender_id, type=type_, content=content, reply_to_id=None,
        file_id=file_id, poll_id=poll_id, client_msg_id=client_msg_id, created_at=created_at, edited_at=None,
        deleted_at=None, sender_username=username, sender_name=display_name, sender_avatar_file_id=avatar_file_id,
        reply_content=None, reply_type=None, reply_deleted_at=None, reply_sender_id=None, reply_room_id=None,
        reply_sender_name=None, mention_ids=",".join(str(u) for u in mention_ids) or None, reaction_list=None,
        forwarded_from_id=None, thread_root_id=None, thread_channel=False, thread_reply_count=0,
        thread_last_reply_id=None, thread_repliers=None,
    )


def get_message(conn: Connection, message_id: int) -> Any:
    return conn.execute(select(messages).where(messages.c.id == message_id)).first()


def find_by_client_id(conn: Connection, sender_id: int, client_msg_id: str) -> Any:
    return conn.execute(
        select(messages).where(messages.c.sender_id == sender_id, messages.c.client_msg_id == client_msg_id)
    ).first()


_IN_ROOM = HotStatement(
    select(messages.c.id, messages.c.deleted_at)
    .where(messages.c.id == bindparam("id"), messages.c.room_id == bindparam("room")))


def message_in_room(conn: Connection, message_id: int, room_id: int) -> Any:
    """``(id, deleted_at)`` of the message when it is in the room, else None (a hot statement: replies and
    every read marker check it)."""
    return _IN_ROOM(conn, {"id": message_id, "room": room_id}).fetchone()


def update_content(conn: Connection, message_id: int, content: str) -> None:
    conn.execute(update(messages).where(messages.c.id == message_id).values(content=content, edited_at=utcnow()))


def tombstone(conn: Connection, message_id: int) -> None:
    conn.execute(update(messages).where(messages.c.id == message_id).values(content="", deleted_at=utcnow()))
    conn.execute(delete(message_mentions).where(message_mentions.c.message_id == message_id))
    conn.execute(delete(reactions).where(reactions.c.message_id == message_id))


def set_mentions(conn: Connection, message_id: int, user_ids: list[int], new: bool = False) -> None:
    """Replace the message's mentions (``new``: a message just inserted has none to remove)."""
    if not new:
        conn.execute(delete(message_mentions).where(message_mentions.c.message_id == message_id))
    if user_ids:
        conn.execute(insert(message_mentions), [{"message_id": message_id, "user_id": u} for u in user_ids])


def members_by_username(conn: Connection, room_id: int, usernames: list[str]) -> list[int]:
    if not usernames:
        return []
    stmt = (
        select(users.c.id)
        .join(room_members, and_(room_members.c.user_id == users.c.id, room_members.c.room_id == room_id))
        .where(users.c.username.in_(usernames))
    )
    return [int(r.id) for r in conn.execute(stmt).all()]


@functools.lru_cache(maxsize=1)
def _message_select() -> Any:
    """Built once (statements are immutable): composing these aliases cost ~10 ms per call.

    Messages with sender, replied-to message (+ its sender), mentions, reactions and read count.

    Mentions and reactions come aggregated as strings (``group_concat``/``string_agg``), so any number
    of messages is ONE statement. Read and unread counts come from the room's read markers
    (:func:`read_markers`, one more statement for any number of messages; ``messages/reads.py``).
    """
    sender = users.alias("sender")
    reply = messages.alias("reply")
    reply_sender = users.alias("reply_sender")
    mm = message_mentions.alias("mm")
    rx = reactions.alias("rx")
    mention_ids = (
        select(func.aggregate_strings(cast(mm.c.user_id, String), ","))
        .where(mm.c.message_id == messages.c.id)
        .scalar_subquery()
    )
    reaction_list = (
        select(func.aggregate_strings(
            rx.c.emoji + "\t" + cast(rx.c.user_id, String) + "\t" + cast(rx.c.created_at, String), "\n"))
        .where(rx.c.message_id == messages.c.id)
        .scalar_subquery()
    )
    return (
        select(
            messages,
            sender.c.username.label("sender_username"), sender.c.display_name.label("sender_name"),
            sender.c.avatar_file_id.label("sender_avatar_file_id"),
            reply.c.content.label("reply_content"), reply.c.type.label("reply_type"),
            reply.c.deleted_at.label("reply_deleted_at"), reply.c.sender_id.label("reply_sender_id"),
            reply.c.room_id.label("reply_room_id"),
            reply_sender.c.display_name.label("reply_sender_name"),
            mention_ids.label("mention_ids"), reaction_list.label("reaction_list"),
        )
        .select_from(messages)
        .outerjoin(sender, sender.c.id == messages.c.sender_id)
        .outerjoin(reply, reply.c.id == messages.c.reply_to_id)
        .outerjoin(reply_sender, reply_sender.c.id == reply.c.sender_id)
    )


def page(conn: Connection, room_id: int, before_id: int | None, after_id: int | None,
         limit: int) -> tuple[list[Any], bool]:
    """Up to ``limit`` full message rows, newest first, and whether more exist in the paging direction.

    With ``after_id`` the window is the oldest ``limit`` messages after it (catch-up pages forward);
    otherwise the newest ``limit`` before ``before_id`` (or the room's newest). Keyset on (room_id, id).
    """
    stmt = _message_select().where(messages.c.room_id == room_id)
    if before_id is not None:
        stmt = stmt.where(messages.c.id < before_id)
    if after_id is not None:
        stmt = stmt.where(messages.c.id > after_id).order_by(messages.c.id.asc())
    else:
        stmt = stmt.order_by(messages.c.id.desc())
    rows = list(conn.execute(stmt.limit(limit + 1)).all())
    has_more = len(rows) > limit
    rows = rows[:limit]
    return sorted(rows, key=lambda r: r.id, reverse=True), has_more


@functools.lru_cache(maxsize=1)
def _load_statement() -> Any:
    return _message_select().where(messages.c.id.in_(bindparam("ids", expanding=True)))


@functools.lru_cache(maxsize=1)
def _load_one_statement() -> Any:
    return _message_select().where(messages.c.id == bindparam("id"))


def load_messages(conn: Connection, message_ids: list[int]) -> list[Any]:
    """Full message rows for ``message_ids`` in one statement."""
    if len(message_ids) == 1:  # the send path: no IN list to expand on every call
        return list(conn.execute(_load_one_statement(), {"id": message_ids[0]}).all())
    return list(conn.execute(_load_statement(), {"ids": list(message_ids)}).all())


def reactions_for(conn: Connection, message_ids: list[int]) -> list[Any]:
    return list(conn.execute(
        select(reactions.c.message_id, reactions.c.emoji, reactions.c.user_id)
        .where(reactions.c.message_id.in_(message_ids))
        .order_by(reactions.c.message_id, reactions.c.created_at, reactions.c.user_id)
    ).all())


def has_reaction(conn: Connection, message_id: int, user_id: int, emoji: str) -> bool:
    return conn.execute(
        select(reactions.c.message_id).where(reactions.c.message_id == message_id, reactions.c.user_id == user_id,
                                             reactions.c.emoji == emoji)
    ).first() is not None


def add_reaction(conn: Connection, message_id: int, user_id: int, emoji: str) -> None:
    conn.execute(insert(reactions).values(message_id=message_id, user_id=user_id, emoji=emoji, created_at=utcnow()))


def remove_reaction(conn: Connection, message_id: int, user_id: int, emoji: str) -> None:
    conn.execute(delete(reactions).where(reactions.c.message_id == message_id, reactions.c.user_id == user_id,
                                         reactions.c.emoji == emoji))


def count_user_reactions(conn: Connection, message_id: int, user_id: int) -> int:
    return int(conn.execute(
        select(func.count()).select_from(reactions)
        .where(reactions.c.message_id == message_id, reactions.c.user_id == user_id)
    ).scalar_one())


@functools.lru_cache(maxsize=1)
def _markers_statement() -> Any:
    return (
        select(room_members.c.room_id, room_members.c.user_id, room_members.c.last_read_message_id,
               room_members.c.joined_at, users.c.is_active)
        .join(users, users.c.id == room_members.c.user_id)
        .where(room_members.c.room_id.in_(bindparam("rooms", expanding=True)))
    )


_ROOM_MARKERS = HotStatement(
    select(room_members.c.room_id, room_members.c.user_id, room_members.c.last_read_message_id,
           room_members.c.joined_at, users.c.is_active)
    .join(users, users.c.id == room_members.c.user_id)
    .where(room_members.c.room_id == bindparam("room")))


def read_markers(conn: Connection, room_ids: list[int]) -> list[tuple[Any, ...]]:
    """``(room_id, user_id, last_read_message_id, joined_at, is_active)`` of every member of the rooms:
    ONE statement, from which a whole page's read and unread counts are computed (and membership).

    One room (history: every page) is a hot statement, so on SQLite ``joined_at`` comes as the stored
    text (``SQLITE_DATETIME``, which orders like the time); several rooms give datetimes."""
    wanted = sorted(set(room_ids))
    if len(wanted) == 1:
        return [tuple(r) for r in _ROOM_MARKERS(conn, {"room": wanted[0]}).fetchall()]
    return [tuple(r) for r in conn.execute(_markers_statement(), {"rooms": wanted}).all()]


def origins(conn: Connection, message_ids: list[int]) -> dict[int, Any]:
    """The original messages of forwarded copies: ``{id: row(id, room_id, sender_id, created_at, sender_name)}``."""
    if not message_ids:
        return {}
    rows = conn.execute(
        select(messages.c.id, messages.c.room_id, messages.c.sender_id, messages.c.created_at,
               users.c.display_name.label("sender_name"))
        .select_from(messages.outerjoin(users, users.c.id == messages.c.sender_id))
        .where(messages.c.id.in_(sorted(set(message_ids))))
    ).all()
    return {int(r.id): r for r in rows}


# ---- threads ----------------------------------------------------------------------------------------
def insert_thread_reply(conn: Connection, room_id: int, sender_id: int, type_: str, content: str,
                        file_id: int | None, client_msg_id: str | None, root_id: int,
                        channel: bool) -> tuple[int, dt.datetime]:
    """A reply in the thread of ``root_id`` (also shown in the room when ``channel``)."""
    now = utcnow()
    result = conn.execute(insert(messages).values(
        room_id=room_id, sender_id=sender_id, type=type_, content=content, file_id=file_id,
        client_msg_id=client_msg_id, created_at=now, thread_root_id=root_id, thread_channel=channel))
    return inserted_id(result), now


def thread_summary_after_reply(conn: Connection, root_id: int, reply_id: int, sender_id: int) -> Any:
    """Count the reply on its root and put its sender first among the last repliers; the new summary."""
    root = conn.execute(select(messages.c.thread_repliers).where(messages.c.id == root_id)).one()
    ids = [sender_id] + [int(x) for x in (root.thread_repliers or "").split(",") if x and int(x) != sender_id]
    conn.execute(update(messages).where(messages.c.id == root_id).values(
        thread_reply_count=messages.c.thread_reply_count + 1, thread_last_reply_id=reply_id,
        thread_repliers=",".join(str(i) for i in ids[:3])))
    return thread_summary(conn, root_id)


def thread_reply_removed(conn: Connection, root_id: int) -> Any:
    conn.execute(update(messages).where(messages.c.id == root_id, messages.c.thread_reply_count > 0)
                 .values(thread_reply_count=messages.c.thread_reply_count - 1))
    return thread_summary(conn, root_id)


def thread_summary(conn: Connection, root_id: int) -> Any:
    return conn.execute(select(messages.c.id, messages.c.room_id, messages.c.thread_reply_count,
                               messages.c.thread_last_reply_id, messages.c.thread_repliers)
                        .where(messages.c.id == root_id)).first()


def thread_page(conn: Connection, root_id: int, after_id: int, limit: int) -> list[Any]:
    """The root's replies, oldest first, after ``after_id`` (ix_messages_thread_root_id_id)."""
    stmt = _message_select().where(messages.c.thread_root_id == root_id, messages.c.id > after_id)
    return list(conn.execute(stmt.order_by(messages.c.id).limit(limit)).all())


def thread_participants(conn: Connection, root_id: int) -> set[int]:
    """The root's author, everyone who replied, and everyone the root or a reply mentioned (the index on
    ``thread_root_id`` and the mentions' primary key (message_id, user_id) serve both reads)."""
    rows = conn.execute(select(messages.c.sender_id).where(messages.c.thread_root_id == root_id).distinct()).all()
    root = conn.execute(select(messages.c.sender_id).where(messages.c.id == root_id)).first()
    out = {int(r.sender_id) for r in rows if r.sender_id is not None}
    if root is not None and root.sender_id is not None:
        out.add(int(root.sender_id))
    in_thread = select(messages.c.id).where(messages.c.thread_root_id == root_id)
    mentioned = conn.execute(select(message_mentions.c.user_id).where(
        (message_mentions.c.message_id == root_id) | message_mentions.c.message_id.in_(in_thread)).distinct()).all()
    out.update(int(r.user_id) for r in mentioned)
    return out


def mark_thread_read(conn: Connection, user_id: int, root_id: int, last_id: int) -> None:
    row = conn.execute(select(thread_reads.c.last_read_id).where(
        thread_reads.c.user_id == user_id, thread_reads.c.root_id == root_id)).first()
    if row is None:
        conn.execute(insert(thread_reads).values(user_id=user_id, root_id=root_id, last_read_id=last_id))
    elif row.last_read_id < last_id:
        conn.execute(update(thread_reads).where(thread_reads.c.user_id == user_id, thread_reads.c.root_id == root_id)
                     .values(last_read_id=last_id))


def my_threads(conn: Connection, user_id: int, limit: int = 50) -> list[Any]:
    """Threads (roots with replies) in the caller's rooms that the caller takes part in (started, replied
    to, or was mentioned in the root or a reply: as :func:`thread_participants`), latest reply first, with
    the caller's read marker."""
    mine = select(room_members.c.room_id).where(room_members.c.user_id == user_id)
    replied = select(messages.c.thread_root_id).where(messages.c.sender_id == user_id,
                                                      messages.c.thread_root_id.is_not(None))
    mentioned = (select(func.coalesce(messages.c.thread_root_id, messages.c.id))
                 .select_from(message_mentions.join(messages, messages.c.id == message_mentions.c.message_id))
                 .where(message_mentions.c.user_id == user_id))  # ix_message_mentions_user
    tr = thread_reads.alias("tr")
    stmt = (
        select(messages.c.id, messages.c.room_id, messages.c.thread_last_reply_id,
               func.coalesce(tr.c.last_read_id, 0).label("last_read_id"))
        .select_from(messages.outerjoin(tr, and_(tr.c.root_id == messages.c.id, tr.c.user_id == user_id)))
        .where(messages.c.room_id.in_(mine), messages.c.thread_reply_count > 0, messages.c.deleted_at.is_(None),
               or_(messages.c.sender_id == user_id, messages.c.id.in_(replied), messages.c.id.in_(mentioned)))
        .order_by(messages.c.thread_last_reply_id.desc())
        .limit(limit)
    )
    return list(conn.execute(stmt).all())
