"""SQL for polls: polls, their options and votes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select, update

from messenger.storage.db import inserted_id
from messenger.storage.tables import poll_options, poll_votes, polls


def create(conn: Connection, room_id: int, creator_id: int, question: str, options: list[str],
           multiple_choice: bool, anonymous: bool, ends_at: dt.datetime | None, now: dt.datetime) -> int:
    poll_id = inserted_id(conn.execute(insert(polls).values(
        room_id=room_id, creator_id=creator_id, question=question, multiple_choice=multiple_choice,
        anonymous=anonymous, ends_at=ends_at, closed_at=None, created_at=now,
    )))
    conn.execute(insert(poll_options), [
        {"poll_id": poll_id, "position": i, "text": text} for i, text in enumerate(options)
    ])
    return poll_id


def delete_poll(conn: Connection, poll_id: int) -> None:
    delete_polls(conn, [poll_id])


def delete_polls(conn: Connection, poll_ids: list[int]) -> int:
    """Remove polls with their options and votes; the number of polls removed."""
    if not poll_ids:
        return 0
    conn.execute(delete(poll_votes).where(poll_votes.c.poll_id.in_(poll_ids)))
    conn.execute(delete(poll_options).where(poll_options.c.poll_id.in_(poll_ids)))
    return conn.execute(delete(polls).where(polls.c.id.in_(poll_ids))).rowcount or 0


def get(conn: Connection, poll_id: int, for_update: bool = False) -> Any:
    stmt = select(polls).where(polls.c.id == poll_id)
    if for_update:
        stmt = stmt.with_for_update()
    return conn.execute(stmt).first()


def get_many(conn: Connection, poll_ids: list[int]) -> list[Any]:
    return list(conn.execute(select(polls).where(polls.c.id.in_(poll_ids))).all())


def options_of(conn: Connection, poll_ids: list[int]) -> list[Any]:
    return list(conn.execute(
        select(poll_options).where(poll_options.c.poll_id.in_(poll_ids))
        .order_by(poll_options.c.poll_id, poll_options.c.position)
    ).all())


def option_poll_id(conn: Connection, option_id: int) -> int | None:
    return conn.execute(select(poll_options.c.poll_id).where(poll_options.c.id == option_id)).scalar()


def votes_of(conn: Connection, poll_ids: list[int]) -> list[Any]:
    """(poll_id, option_id, user_id) of every vote, oldest first."""
    return list(conn.execute(
        select(poll_votes.c.poll_id, poll_votes.c.option_id, poll_votes.c.user_id)
        .where(poll_votes.c.poll_id.in_(poll_ids))
        .order_by(poll_votes.c.created_at, poll_votes.c.user_id)
    ).all())


def user_option_ids(conn: Connection, poll_id: int, user_id: int) -> set[int]:
    return set(conn.execute(
        select(poll_votes.c.option_id).where(poll_votes.c.poll_id == poll_id, poll_votes.c.user_id == user_id)
    ).scalars())


def add_vote(conn: Connection, poll_id: int, option_id: int, user_id: int, now: dt.datetime) -> None:
    conn.execute(insert(poll_votes).values(poll_id=poll_id, option_id=option_id, user_id=user_id, created_at=now))


def remove_votes(conn: Connection, poll_id: int, user_id: int, option_id: int | None = None) -> None:
    cond = [poll_votes.c.poll_id == poll_id, poll_votes.c.user_id == user_id]
    if option_id is not None:
        cond.append(poll_votes.c.option_id == option_id)
    conn.execute(delete(poll_votes).where(*cond))


def close(conn: Connection, poll_id: int, now: dt.datetime) -> None:
    conn.execute(update(polls).where(polls.c.id == poll_id, polls.c.closed_at.is_(None)).values(closed_at=now))


def close_expired(conn: Connection, now: dt.datetime, limit: int) -> list[tuple[int, int]]:
    """Close open polls whose ``ends_at`` has passed; their (poll_id, room_id). Uses ix_polls_open_ends."""
    rows = conn.execute(
        select(polls.c.id, polls.c.room_id)
        .where(polls.c.closed_at.is_(None), polls.c.ends_at.is_not(None), polls.c.ends_at <= now)
        .order_by(polls.c.ends_at).limit(limit)
    ).all()
    ids = [int(r.id) for r in rows]
    if ids:
        conn.execute(update(polls).where(and_(polls.c.id.in_(ids), polls.c.closed_at.is_(None)))
                     .values(closed_at=polls.c.ends_at))
    return [(int(r.id), int(r.room_id)) for r in rows]
