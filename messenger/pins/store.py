"""SQL for pinned messages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from messenger.storage.tables import messages, pins


def message_in_room(conn: Connection, message_id: int) -> Any:
    """The message's (id, room_id, sender_id, deleted_at), or None."""
    return conn.execute(
        select(messages.c.id, messages.c.room_id, messages.c.sender_id, messages.c.deleted_at)
        .where(messages.c.id == message_id)
    ).first()


def get(conn: Connection, room_id: int, message_id: int) -> Any:
    return conn.execute(select(pins).where(pins.c.room_id == room_id, pins.c.message_id == message_id)).first()


def count(conn: Connection, room_id: int) -> int:
    return int(conn.execute(select(func.count()).select_from(pins).where(pins.c.room_id == room_id)).scalar_one())


def add(conn: Connection, room_id: int, message_id: int, user_id: int, now: dt.datetime) -> bool:
    """Insert the pin; False when a concurrent request pinned it first."""
    try:
        with conn.begin_nested():
            conn.execute(insert(pins).values(room_id=room_id, message_id=message_id, pinned_by=user_id,
                                             pinned_at=now))
    except IntegrityError:
        return False
    return True


def remove(conn: Connection, room_id: int, message_id: int) -> bool:
    result = conn.execute(delete(pins).where(pins.c.room_id == room_id, pins.c.message_id == message_id))
    return bool(result.rowcount)


def remove_message(conn: Connection, message_id: int) -> bool:
    """Unpin a message everywhere (it was deleted); True when it was pinned."""
    return bool(conn.execute(delete(pins).where(pins.c.message_id == message_id)).rowcount)


def list_for_room(conn: Connection, room_id: int) -> list[Any]:
    """Pins of live (not deleted) messages, newest pin first."""
    return list(conn.execute(
        select(pins.c.message_id, pins.c.pinned_by, pins.c.pinned_at)
        .join(messages, messages.c.id == pins.c.message_id)
        .where(pins.c.room_id == room_id, messages.c.room_id == room_id, messages.c.deleted_at.is_(None))
        .order_by(pins.c.pinned_at.desc(), pins.c.message_id.desc())
    ).all())
