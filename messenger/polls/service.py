"""Poll rules: creation (posted as a ``poll`` message), voting, closing, expiry and the poll objects.

A poll is closed when it was closed explicitly or its ``ends_at`` has passed; the latter is checked
at vote time, so a late vote is refused even before the expiry job has run. Anonymous polls never
reveal who voted for what (``voters`` is left out), only counts and the caller's own ``my_votes``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection

from messenger.core.context import Services
from messenger.core.errors import ApiError, bad_request, forbidden, not_found
from messenger.messages import service as messages
from messenger.messages.ratelimit import check_send_rate
from messenger.polls import store
from messenger.polls.serialize import is_closed as _is_closed
from messenger.polls.serialize import poll_dicts
from messenger.rooms.access import queue_to_members, require_member
from messenger.storage.db import utcnow

MAX_OPTIONS = 20
MAX_OPTION_LEN = 200
MAX_DURATION = dt.timedelta(days=366)
EXPIRY_BATCH = 500

__all__ = ["poll_dicts"]  # the serialiser, kept importable from here


def _clean_options(raw: list[str]) -> list[str]:
    options: list[str] = []
    seen: set[str] = set()
    for text in raw:
        text = text.strip()
        if not text:
            raise bad_request("invalid_field", "Poll options must not be empty", {"field": "options", "reason": "empty"})
        if len(text) > MAX_OPTION_LEN or "\x00" in text:
            raise bad_request("invalid_field", f"A poll option is at most {MAX_OPTION_LEN} characters", {"field": "options", "reason": "max_len", "max": MAX_OPTION_LEN})
        key = text.casefold()
        if key in seen:
            raise bad_request("invalid_field", f"Duplicate poll option: {text[:50]}", {"field": "options", "reason": "duplicate", "value": text[:50]})
        seen.add(key)
        options.append(text)
    if not 2 <= len(options) <= MAX_OPTIONS:
        raise bad_request("invalid_field", f"A poll needs 2 to {MAX_OPTIONS} options", {"field": "options", "reason": "poll_option_count", "min": 2, "max": MAX_OPTIONS})
    return options


def create_poll(svc: Services, user_id: int, room_id: int, question: str, options: list[str], *,
                multiple_choice: bool = False, anonymous: bool = False,
                ends_at: dt.datetime | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Create a poll and post it to the room as a ``poll`` message; (poll for the creator, message).

    Posting a poll spends the same per-user send budget as a text or file message (429 ``rate_limited``)."""
    check_send_rate(svc, user_id)

    question = question.strip()
    if not question:
        raise bad_request("invalid_field", "The poll question must not be empty", {"field": "question", "reason": "empty"})
    cleaned = _clean_options(options)
    now = utcnow()
    if ends_at is not None and ends_at <= now:
        raise bad_request("invalid_field", "ends_at must be in the future", {"field": "ends_at", "reason": "past"})
    if ends_at is not None and ends_at > now + MAX_DURATION:
        raise bad_request("invalid_field", "ends_at must be within a year", {"field": "ends_at", "reason": "too_far"})
    with svc.db.begin() as conn:
        require_member(conn, room_id, user_id)
        poll_id = store.create(conn, room_id, user_id, question, cleaned, multiple_choice, anonymous, ends_at, now)
    try:
        message = messages.send(svc, user_id, room_id, question, type="poll", poll_id=poll_id)
    except Exception:
        with svc.db.begin() as conn:  # no poll without its message
            store.delete_poll(conn, poll_id)
        raise
    with svc.db.read() as conn:
        poll = poll_dicts(svc, conn, [poll_id], user_id)[poll_id]
    return poll, message


def _load_for_member(conn: Connection, poll_id: int, user_id: int, for_update: bool = False) -> tuple[Any, str]:
    row = store.get(conn, poll_id, for_update=for_update)
    if row is None:
        raise not_found("poll")
    role = require_member(conn, int(row.room_id), user_id)
    return row, role


def get_poll(svc: Services, user_id: int, poll_id: int) -> dict[str, Any]:
    with svc.db.read() as conn:
        _load_for_member(conn, poll_id, user_id)
        return poll_dicts(svc, conn, [poll_id], user_id)[poll_id]


def _poll_closed() -> ApiError:
    return bad_request("poll_closed", "This poll is closed")


def vote(svc: Services, user_id: int, poll_id: int, option_id: int) -> dict[str, Any]:
    """Vote: a single-choice poll replaces the caller's vote, a multiple-choice poll toggles the option."""
    with svc.db.begin() as conn:
        row, _role = _load_for_member(conn, poll_id, user_id, for_update=True)
        if store.option_poll_id(conn, option_id) != poll_id:
            raise bad_request("invalid_option", "That option does not belong to this poll")
        now = utcnow()
        if _is_closed(row, now):
            raise _poll_closed()
        current = store.user_option_ids(conn, poll_id, user_id)
        if row.multiple_choice:
            if option_id in current:
                store.remove_votes(conn, poll_id, user_id, option_id)
            else:
                store.add_vote(conn, poll_id, option_id, user_id, now)
        elif current != {option_id}:
            store.remove_votes(conn, poll_id, user_id)
            store.add_vote(conn, poll_id, option_id, user_id, now)
        return _queue_poll_updated(svc, conn, poll_id, int(row.room_id), user_id)


def close_poll(svc: Services, user_id: int, poll_id: int) -> dict[str, Any]:
    """Close a poll: its creator or a room admin. Closing a closed poll changes nothing."""
    with svc.db.begin() as conn:
        row, role = _load_for_member(conn, poll_id, user_id, for_update=True)
        if row.creator_id != user_id and role != "admin":
            raise forbidden("Only the poll's creator or a room admin can close it")
        if row.closed_at is not None:
            return poll_dicts(svc, conn, [poll_id], user_id)[poll_id]
        store.close(conn, poll_id, utcnow())
        return _queue_poll_updated(svc, conn, poll_id, int(row.room_id), user_id)


def _queue_poll_updated(svc: Services, conn: Connection, poll_id: int, room_id: int,
                        actor_id: int) -> dict[str, Any]:
    """Queue ``poll_updated`` to the room (``my_votes`` null) and to the actor's own sockets (their votes);
    the actor's poll object."""
    public = poll_dicts(svc, conn, [poll_id], None)[poll_id]
    own = poll_dicts(svc, conn, [poll_id], actor_id)[poll_id]
    queue_to_members(svc, conn, "poll_updated", {"poll": public}, room_id)
    svc.realtime.queue_to_user(conn, "poll_updated", {"poll": own}, actor_id)
    return own


def close_expired_polls(svc: Services, now: dt.datetime | None = None) -> int:
    """Close every open poll past its ``ends_at`` and broadcast each; the number closed (the periodic job)."""
    total = 0
    while True:
        with svc.db.begin() as conn:
            closed = store.close_expired(conn, now or utcnow(), EXPIRY_BATCH)
            dicts = poll_dicts(svc, conn, [poll_id for poll_id, _ in closed], None)
            for poll_id, room_id in closed:
                queue_to_members(svc, conn, "poll_updated", {"poll": dicts[poll_id]}, room_id)
        total += len(closed)
        if len(closed) < EXPIRY_BATCH:
            return total
