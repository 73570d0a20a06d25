"""SQL for notices and each member's receipt of one (acknowledged, hidden)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from messenger.storage.db import inserted_id, utcnow
from messenger.storage.tables import notice_receipts, notices, room_members, users


def create(conn: Connection, room_id: int, author_id: int, content: str, require_ack: bool,
           message_id: int | None) -> int:
    result = conn.execute(insert(notices).values(
        room_id=room_id, author_id=author_id, content=content, require_ack=require_ack, message_id=message_id,
        created_at=utcnow()))
    return inserted_id(result)


def set_event_message(conn: Connection, notice_id: int, message_id: int) -> None:
    conn.execute(update(notices).where(notices.c.id == notice_id).values(event_message_id=message_id))


def get(conn: Connection, notice_id: int) -> Any:
    return conn.execute(select(notices).where(notices.c.id == notice_id, notices.c.deleted_at.is_(None))).first()


def for_room(conn: Connection, room_id: int, limit: int = 50) -> list[Any]:
    """The room's notices, newest first (deleted ones left out), along (room_id, id)."""
    return list(conn.execute(
        select(notices).where(notices.c.room_id == room_id, notices.c.deleted_at.is_(None))
        .order_by(notices.c.id.desc()).limit(limit)).all())


def receipts(conn: Connection, notice_ids: list[int]) -> list[Any]:
    if not notice_ids:
        return []
    return list(conn.execute(select(notice_receipts).where(notice_receipts.c.notice_id.in_(notice_ids))).all())


def _upsert(conn: Connection, notice_id: int, user_id: int, **values: dt.datetime) -> bool:
    """Set a receipt's time(s) once; False when they were already set."""
    row = conn.execute(select(notice_receipts).where(notice_receipts.c.notice_id == notice_id,
                                                     notice_receipts.c.user_id == user_id)).first()
    if row is None:
        conn.execute(insert(notice_receipts).values(notice_id=notice_id, user_id=user_id, **values))
        return True
    fresh = {k: v for k, v in values.items() if getattr(row, k) is None}
    if fresh:
        conn.execute(update(notice_receipts).where(notice_receipts.c.notice_id == notice_id,
                                                   notice_receipts.c.user_id == user_id).values(**fresh))
    return bool(fresh)


def ack(conn: Connection, notice_id: int, user_id: int) -> bool:
    return _upsert(conn, notice_id, user_id, acked_at=utcnow())


def hide(conn: Connection, notice_id: int, user_id: int) -> bool:
    return _upsert(conn, notice_id, user_id, hidden_at=utcnow())


def audience(conn: Connection, room_id: int, author_id: int | None) -> list[Any]:
    """The members a notice waits for: active accounts in the room other than its author (user rows)."""
    stmt = (
        select(users)
        .join(room_members, and_(room_members.c.user_id == users.c.id, room_members.c.room_id == room_id))
        .where(users.c.is_active.is_(True), users.c.deleted_at.is_(None))
        .order_by(users.c.display_name, users.c.id)
    )
    if author_id is not None:
        stmt = stmt.where(users.c.id != author_id)
    return list(conn.execute(stmt).all())


def audience_count(conn: Connection, room_id: int, author_id: int | None) -> int:
    stmt = (
        select(func.count()).select_from(room_members)
        .join(users, users.c.id == room_members.c.user_id)
        .where(room_members.c.room_id == room_id, users.c.is_active.is_(True), users.c.deleted_at.is_(None))
    )
    if author_id is not None:
        stmt = stmt.where(users.c.id != author_id)
    return int(conn.execute(stmt).scalar_one())


def acked_by(conn: Connection, notice_id: int, room_id: int, author_id: int | None) -> dict[int, dt.datetime]:
    """``{user_id: acked_at}`` of the acknowledgements by the notice's audience."""
    stmt = (
        select(notice_receipts.c.user_id, notice_receipts.c.acked_at)
        .join(room_members, and_(room_members.c.user_id == notice_receipts.c.user_id, room_members.c.room_id == room_id))
        .join(users, users.c.id == notice_receipts.c.user_id)
        .where(notice_receipts.c.notice_id == notice_id, notice_receipts.c.acked_at.is_not(None),
               users.c.is_active.is_(True), users.c.deleted_at.is_(None))
    )
    if author_id is not None:
        stmt = stmt.where(notice_receipts.c.user_id != author_id)
    return {int(r.user_id): r.acked_at for r in conn.execute(stmt).all()}


def mark_reminded(conn: Connection, notice_id: int) -> None:
    conn.execute(update(notices).where(notices.c.id == notice_id).values(reminded_at=utcnow()))


def soft_delete(conn: Connection, notice_id: int) -> None:
    conn.execute(update(notices).where(notices.c.id == notice_id).values(deleted_at=utcnow()))
