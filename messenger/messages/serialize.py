"""The contract's ``message`` objects, batch-loaded: ONE statement for any number of messages
(plus one for their files and one for their polls when there are any)."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection

from messenger.accounts.serialize import avatar_url
from messenger.core import system_events
from messenger.core.context import Services
from messenger.core.models import Reply
from messenger.files.serialize import File, file_dicts
from messenger.messages import store
from messenger.messages.reads import RoomReads, by_room
from messenger.polls.serialize import Poll, poll_dicts
from messenger.storage.db import iso

EXCERPT_LENGTH = 100


class Sender(Reply):
    """Who sent a message (``null`` for a system message or a deleted account's)."""

    id: int
    display_name: str
    username: str | None = None
    avatar_url: str | None = None


class Reaction(Reply):
    emoji: str
    count: int
    user_ids: list[int]


class QuotedMessage(Reply):
    """``reply_to``: the message a reply quotes."""

    id: int
    sender: Sender | None
    type: str
    excerpt: str
    deleted: bool


class Message(Reply):
    """The contract's ``message`` object (``rows_to_dicts``)."""

    id: int
    room_id: int
    sender: Sender | None
    type: str
    content: str
    mentions: list[int]
    reactions: list[Reaction]
    edited_at: str | None
    deleted: bool
    created_at: str
    client_msg_id: str | None
    read_count: int
    unread_count: int
    event: dict[str, Any] | None = None
    reply_to: QuotedMessage | None = None
    file: File | None = None
    forwarded_from: dict[str, Any] | None = None
    poll_id: int | None = None
    poll: Poll | None = None
    thread_root_id: int | None = None
    also_to_channel: bool | None = None
    thread_reply_count: int | None = None
    thread_last_reply_id: int | None = None
    thread_last_repliers: list[int] | None = None


def _excerpt(row: Any) -> str:
    if row.reply_deleted_at is not None or row.reply_type == "system":
        return ""
    text = (row.reply_content or "").strip().replace("\n", " ")
    return text[:EXCERPT_LENGTH] + ("…" if len(text) > EXCERPT_LENGTH else "")


def group_reactions(rows: list[Any]) -> dict[int, list[dict[str, Any]]]:
    """``message_id -> [{emoji, count, user_ids}]`` from reaction rows given in first-reacted order."""
    grouped: dict[int, dict[str, list[int]]] = defaultdict(dict)
    for r in rows:
        grouped[int(r.message_id)].setdefault(r.emoji, []).append(int(r.user_id))
    return {
        mid: [{"emoji": e, "count": len(uids), "user_ids": uids} for e, uids in by_emoji.items()]
        for mid, by_emoji in grouped.items()
    }


def _reactions(packed: str | None) -> list[dict[str, Any]]:
    """Reactions from the aggregated ``emoji\\tuser_id\\tcreated_at`` lines of one message."""
    if not packed:
        return []
    items = []
    for line in packed.split("\n"):
        emoji, user_id, created = line.split("\t", 2)
        items.append((created, int(user_id), emoji))
    items.sort()
    rows = [SimpleNamespace(message_id=0, emoji=e, user_id=u) for _c, u, e in items]
    return group_reactions(rows).get(0, [])


def _mentions(packed: str | None) -> list[int]:
    return sorted(int(x) for x in packed.split(",")) if packed else []


def message_dicts(svc: Services, conn: Connection, message_ids: list[int], viewer_id: int | None,
                  reads: dict[int, RoomReads] | None = None) -> dict[int, dict[str, Any]]:
    """Message objects for ``message_ids`` (missing ids are left out). No query per message."""
    ids = sorted({int(i) for i in message_ids})
    if not ids:
        return {}
    return rows_to_dicts(svc, conn, store.load_messages(conn, ids), viewer_id, reads)


def thread_fields(r: Any) -> dict[str, Any]:
    """A reply: ``thread_root_id`` and ``also_to_channel``. A root with replies: ``thread_reply_count``,
    ``thread_last_reply_id`` and ``thread_last_repliers`` (up to 3 user ids, most recent first)."""
    out: dict[str, Any] = {}
    root_id = getattr(r, "thread_root_id", None)
    if root_id:
        out["thread_root_id"] = int(root_id)
        out["also_to_channel"] = bool(r.thread_channel)
    count = getattr(r, "thread_reply_count", 0) or 0
    if count:
        out["thread_reply_count"] = int(count)
        out["thread_last_reply_id"] = r.thread_last_reply_id
        out["thread_last_repliers"] = [int(x) for x in (r.thread_repliers or "").split(",") if x]
    return out


def forwarded_from(conn: Connection, rows: list[Any]) -> dict[int, dict[str, Any]]:
    """``{message id: forwarded_from}`` for the forwarded rows (one query for all, none without any).

    ``{message_id, room_id, sender:{id, display_name}|null, created_at}`` of the original. The room is
    named by id only: a reader who is a member knows its name from their own room list, anyone else
    learns nothing about it. ``room_id``/``created_at`` are null once the original is gone (retention)."""
    wanted = {int(r.id): int(r.forwarded_from_id) for r in rows if getattr(r, "forwarded_from_id", None)}
    if not wanted:
        return {}
    found = store.origins(conn, list(wanted.values()))
    out = {}
    for mid, oid in wanted.items():
        o = found.get(oid)
        out[mid] = {
            "message_id": oid,
            "room_id": int(o.room_id) if o else None,
            "sender": {"id": o.sender_id, "display_name": o.sender_name} if o and o.sender_id else None,
            "created_at": iso(o.created_at) if o else None,
        }
    return out


def rows_to_dicts(svc: Services, conn: Connection, rows: list[Any], viewer_id: int | None,
                  reads: dict[int, RoomReads] | None = None,
                  counts: dict[int, tuple[int, int]] | None = None) -> dict[int, dict[str, Any]]:
    """Message objects from rows of ``store.load_messages``/``store.page``/``store.new_message_row``.

    Read counts: ``counts`` (``{id: (read_count, unread_count)}``, the send path knows them), else from
    ``reads`` (the rooms' read markers when the caller has them), else read here in one statement for
    all the rows' rooms."""
    counts = counts or {}
    need = {int(r.room_id) for r in rows if r.id not in counts} - set(reads or {})
    if need:
        reads = {**(reads or {}), **by_room(store.read_markers(conn, sorted(need)))}
    file_ids = [r.file_id for r in rows if r.file_id is not None and r.deleted_at is None]
    files: dict[int, dict[str, Any]] = {}
    if file_ids:
        files = file_dicts(conn, file_ids)
    forwarded = forwarded_from(conn, [r for r in rows if r.deleted_at is None])
    poll_ids = [r.poll_id for r in rows if r.poll_id is not None and r.deleted_at is None]
    polls: dict[int, dict[str, Any]] = {}
    if poll_ids:
        polls = poll_dicts(svc, conn, poll_ids, viewer_id)
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        deleted = r.deleted_at is not None
        msg: dict[str, Any] = {
            "id": r.id,
            "room_id": r.room_id,
            "sender": None if r.sender_id is None else {
                "id": r.sender_id, "username": r.sender_username, "display_name": r.sender_name,
                "avatar_url": avatar_url(SimpleNamespace(avatar_file_id=r.sender_avatar_file_id)),
            },
            "type": r.type,
            "content": "" if deleted or r.type == "system" else r.content,
            "mentions": [] if deleted else _mentions(r.mention_ids),
            "reactions": [] if deleted else _reactions(r.reaction_list),
            "edited_at": iso(r.edited_at),
            "deleted": deleted,
            "created_at": iso(r.created_at),
            "client_msg_id": r.client_msg_id,
            **thread_fields(r),
        }
        if r.type == "system":
            msg["event"] = system_events.decode(r.content)
        if r.id in counts:
            msg["read_count"], msg["unread_count"] = counts[r.id]
        else:
            room_reads = (reads or {}).get(int(r.room_id))
            msg["read_count"], msg["unread_count"] = (
                room_reads.counts(int(r.id), r.sender_id, r.created_at) if room_reads else (0, 0))
        if r.reply_to_id is not None and r.reply_room_id == r.room_id:
            msg["reply_to"] = {
                "id": r.reply_to_id,
                "sender": None if r.reply_sender_id is None else {"id": r.reply_sender_id,
                                                                  "display_name": r.reply_sender_name},
                "type": r.reply_type,
                "excerpt": _excerpt(r),
                "deleted": r.reply_deleted_at is not None,
            }
        if r.file_id is not None and not deleted and r.file_id in files:
            msg["file"] = files[r.file_id]
        if r.id in forwarded:
            msg["forwarded_from"] = forwarded[r.id]
        if r.poll_id is not None and not deleted:
            msg["poll_id"] = r.poll_id
            if r.poll_id in polls:
                msg["poll"] = polls[r.poll_id]
        out[int(r.id)] = msg
    return out
