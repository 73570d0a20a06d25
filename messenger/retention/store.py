"""SQL for message retention: find old messages and forget them with everything hanging off them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from messenger.storage.tables import message_mentions, messages, pins, reactions, rooms


def old_messages(conn: Connection, cutoff: dt.datetime, limit: int) -> list[Any]:
    """Up to ``limit`` messages created before ``cutoff`` (ix_messages_created_at): id, room_id, poll_id."""
    return list(conn.execute(
        select(messages.c.id, messages.c.room_id, messages.c.poll_id)
        .where(messages.c.created_at < cutoff)
        .order_by(messages.c.created_at, messages.c.id)
        .limit(limit)
    ).all())


def delete_messages(conn: Connection, room_ids: list[int], message_ids: list[int]) -> dict[str, int]:
    """Delete the messages (of ``room_ids``) and their reactions, mentions and pins; the row counts per kind."""
    counts = {
        "reactions": conn.execute(delete(reactions).where(reactions.c.message_id.in_(message_ids))).rowcount,
        "mentions": conn.execute(delete(message_mentions).where(message_mentions.c.message_id.in_(message_ids))).rowcount,
        "pins": conn.execute(delete(pins).where(pins.c.room_id.in_(room_ids), pins.c.message_id.in_(message_ids))).rowcount,
        "messages": conn.execute(delete(messages).where(messages.c.id.in_(message_ids))).rowcount,
    }
    return {k: int(v or 0) for k, v in counts.items()}


def repair_last_message(conn: Connection, room_ids: list[int], deleted_ids: list[int]) -> None:
    """Point ``rooms.last_message_id`` of rooms whose last message was deleted at their newest remaining one."""
    newest = (
        select(func.max(messages.c.id)).where(messages.c.room_id == rooms.c.id).scalar_subquery()
    )
    conn.execute(
        update(rooms)
        .where(rooms.c.id.in_(room_ids), rooms.c.last_message_id.in_(deleted_ids))
        .values(last_message_id=newest)
    )
