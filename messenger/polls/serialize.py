"""The contract's ``poll`` objects (no service imports: the message serialiser uses these)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection

from messenger.core.context import Services
from messenger.core.models import Reply
from messenger.polls import store
from messenger.storage.db import iso, utcnow


def is_closed(row: Any, now: dt.datetime) -> bool:
    return row.closed_at is not None or (row.ends_at is not None and row.ends_at <= now)


class PollOption(Reply):
    id: int
    text: str
    votes: int
    voters: list[int] | None = None  # not in an anonymous poll


class Poll(Reply):
    """The contract's ``poll`` object (``poll_dicts``)."""

    id: int
    room_id: int
    creator_id: int | None
    question: str
    options: list[PollOption]
    multiple_choice: bool
    anonymous: bool
    closed: bool
    closed_at: str | None
    ends_at: str | None
    created_at: str
    total_voters: int
    my_votes: list[int] | None


def poll_dicts(svc: Services, conn: Connection, poll_ids: list[int], viewer_id: int | None) -> dict[int, dict[str, Any]]:
    """The contract's poll objects for ``poll_ids`` in three queries, seen by ``viewer_id``.

    ``viewer_id=None`` builds the room-wide broadcast form: ``my_votes`` is ``None`` there.
    """
    ids = sorted({int(i) for i in poll_ids if i})
    if not ids:
        return {}
    rows = store.get_many(conn, ids)
    options: dict[int, list[Any]] = defaultdict(list)
    for opt in store.options_of(conn, ids):
        options[int(opt.poll_id)].append(opt)
    voters: dict[int, list[int]] = defaultdict(list)
    mine: dict[int, list[int]] = defaultdict(list)
    poll_voters: dict[int, set[int]] = defaultdict(set)
    for vote in store.votes_of(conn, ids):
        voters[int(vote.option_id)].append(int(vote.user_id))
        poll_voters[int(vote.poll_id)].add(int(vote.user_id))
        if viewer_id is not None and int(vote.user_id) == viewer_id:
            mine[int(vote.poll_id)].append(int(vote.option_id))
    now = utcnow()
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        opts = []
        for opt in options[int(row.id)]:
            item: dict[str, Any] = {"id": opt.id, "text": opt.text, "votes": len(voters[int(opt.id)])}
            if not row.anonymous:
                item["voters"] = voters[int(opt.id)]
            opts.append(item)
        out[int(row.id)] = {
            "id": row.id,
            "room_id": row.room_id,
            "creator_id": row.creator_id,
            "question": row.question,
            "options": opts,
            "multiple_choice": bool(row.multiple_choice),
            "anonymous": bool(row.anonymous),
            "closed": is_closed(row, now),
            "closed_at": iso(row.closed_at) if row.closed_at else (iso(row.ends_at) if is_closed(row, now) else None),
            "ends_at": iso(row.ends_at),
            "created_at": iso(row.created_at),
            "total_voters": len(poll_voters[int(row.id)]),
            "my_votes": None if viewer_id is None else sorted(mine[int(row.id)]),
        }
    return out
