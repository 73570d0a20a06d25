"""Message rules: send (idempotent by ``client_msg_id``), edit, delete (tombstone), system messages,
history paging and read markers. Every write keeps the search index current in the same transaction
and queues its events there; they go out after the commit (``rooms.access.queue_to_members``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from messenger.accounts import store as accounts_store
from messenger.accounts.serialize import directory_dict
from messenger.audit import store as audit_store
from messenger.core import system_events
from messenger.core.context import Services
from messenger.core.errors import ApiError
from messenger.files.service import consume_upload_token, delete_stored_files, file_dicts, still_carried
from messenger.messages import store
from messenger.messages.ratelimit import check_send_rate
from messenger.messages.reads import RoomReads, by_room
from messenger.messages.serialize import message_dicts, rows_to_dicts
from messenger.pins import store as pins_store
from messenger.pins.service import queue_pins_updated
from messenger.polls import store as polls_store
from messenger.rooms import store as rooms_store
from messenger.rooms.access import emit_to_members, queue_to_members, require_member, require_member_of
from messenger.rooms.batches import queue_room_update
from messenger.rooms.live import stop_typing_after_send
from messenger.search.index import index_message, index_new_message, remove_messages
from messenger.storage.db import on_commit, utcnow

__all__ = [
    "send", "send_from_client", "edit", "delete", "post_system_message", "insert_system", "queue_new_messages",
    "message_dicts", "history", "mark_read", "who_read",
]

CLIENT_TYPES = ("text", "file")
MENTION_RE = re.compile(r"(?<![\w@])@([\w.\-]{1,64})", re.UNICODE)
HISTORY_MAX = 100
HISTORY_DEFAULT = 50


# ---- validation -------------------------------------------------------------------------------
def _check_content(svc: Services, content: Any, type_: str) -> str:
    if not isinstance(content, str):
        raise ApiError(400, "invalid_field", "Field 'content' must be a string", {"field": "content", "reason": "type", "type": "string"})
    if "\x00" in content:
        raise ApiError(400, "invalid_field", "Field 'content' must not contain NUL characters", {"field": "content", "reason": "nul"})
    limit = svc.settings.MESSAGE_MAX_LENGTH
    if len(content) > limit:
        raise ApiError(400, "message_too_long", f"A message can be at most {limit} characters ({len(content)} given)", {"max": limit, "length": len(content)})
    if type_ == "text" and not content.strip():
        raise ApiError(400, "empty_message", "The message is empty")
    return content


def _resolve_mentions(conn: Connection, room_id: int, sender_id: int, role: str, content: str,
                      members: dict[int, str] | None = None) -> list[int]:
    """``@username`` of room members → ids; ``@all`` (room admins only) → every other member.

    ``members`` (``{user_id: role}``, when the caller already read them) saves a read for ``@all``."""
    names: set[str] = set()
    everyone = False
    for raw in MENTION_RE.findall(content):
        name = unicodedata.normalize("NFKC", raw).lower()
        if name in ("all", "everyone", "모두"):
            everyone = True
        names.add(name)
        names.add(name.rstrip(".-"))  # "@kim." at the end of a sentence
    if not names:
        return []
    ids = set(store.members_by_username(conn, room_id, sorted(n for n in names if n)))
    if everyone and role == "admin":
        ids |= set(members) if members is not None else set(rooms_store.member_ids(conn, room_id))
    ids.discard(sender_id)
    return sorted(ids)


def _check_reply(conn: Connection, room_id: int, reply_to_id: int | None) -> None:
    if reply_to_id is not None and store.message_in_room(conn, reply_to_id, room_id) is None:
        raise ApiError(400, "invalid_reply", "The replied-to message is not in this room")


# ---- sending ----------------------------------------------------------------------------------
def send_from_client(svc: Services, sender_id: int, room_id: int, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A message from a client (socket or HTTP): rate limited; only ``text`` and ``file`` types.

    Returns the message and whether it is new (False: an earlier send with the same ``client_msg_id``)."""
    type_ = body.get("type") or "text"
    if type_ not in CLIENT_TYPES:
        raise ApiError(400, "invalid_field", "Field 'type' must be 'text' or 'file'", {"field": "type", "reason": "choices", "choices": "text, file"})
    check_send_rate(svc, sender_id)
    return _send(svc, sender_id, room_id, body.get("content") or "", type_, body.get("upload_token"),
                 body.get("reply_to_id"), body.get("client_msg_id"), None,
                 body.get("thread_root_id"), bool(body.get("also_to_channel")))


def send(svc: Services, sender_id: int, room_id: int, content: str, *, type: str = "text",
         upload_token: str | None = None, reply_to_id: int | None = None, client_msg_id: str | None = None,
         poll_id: int | None = None) -> dict[str, Any]:
    """Store a message and broadcast ``new_message``; a repeated ``client_msg_id`` returns the first one."""
    return _send(svc, sender_id, room_id, content, type, upload_token, reply_to_id, client_msg_id, poll_id)[0]


def _send(svc: Services, sender_id: int, room_id: int, content: str, type: str, upload_token: str | None,
          reply_to_id: int | None, client_msg_id: str | None, poll_id: int | None,
          thread_root_id: int | None = None, also_to_channel: bool = False) -> tuple[dict[str, Any], bool]:
    if type not in ("text", "file", "poll"):
        raise ApiError(400, "invalid_field", "Messages of this type cannot be sent", {"field": "type", "reason": "not_sendable"})
    content = _check_content(svc, content, type)
    if type == "file" and not upload_token:
        raise ApiError(400, "missing_field", "A file message needs an upload_token", {"field": "upload_token"})
    if type == "poll" and poll_id is None:
        raise ApiError(400, "missing_field", "A poll message needs a poll_id", {"field": "poll_id"})
    if client_msg_id is not None and (not client_msg_id or len(client_msg_id) > 64):
        raise ApiError(400, "invalid_field", "Field 'client_msg_id' must be 1-64 characters", {"field": "client_msg_id", "reason": "length", "min": 1, "max": 64})
    file_id = None
    if type == "file":
        # Check everything first: the upload token is spent only for a message that will be stored.
        with svc.db.read() as conn:
            require_member(conn, room_id, sender_id)
            if client_msg_id:
                existing = _existing(conn, sender_id, client_msg_id, room_id)
                if existing is not None:
                    return message_dicts(svc, conn, [existing], sender_id)[existing], False
            _check_reply(conn, room_id, reply_to_id)
        file_id = consume_upload_token(svc, upload_token or "", sender_id, room_id)
    def store_message(conn: Connection) -> tuple[dict[str, Any], bool, dict[int, str] | None]:
        # Membership, @all and the delivery list come from one read inside this transaction.
        role, members, inactive = require_member_of(conn, room_id, sender_id)
        if role == rooms_store.READER:  # the announcement room: only server admins post there
            raise ApiError(403, "announcement_read_only", "Only server administrators post in the announcement room")
        if type != "file":
            _check_reply(conn, room_id, reply_to_id)
        mentions = _resolve_mentions(conn, room_id, sender_id, role, content, members) if type != "poll" else []
        root_id = _thread_root(conn, room_id, thread_root_id) if thread_root_id is not None else None
        if root_id is None:
            msg_id, created_at = store.insert_message(conn, room_id, sender_id, type, content, reply_to_id,
                                                      file_id, poll_id, client_msg_id or None)
        else:
            msg_id, created_at = store.insert_thread_reply(conn, room_id, sender_id, type, content, file_id,
                                                           client_msg_id or None, root_id, also_to_channel)
        store.set_mentions(conn, msg_id, mentions, new=True)
        if root_id is None or also_to_channel:  # a reply only in its thread is not the room's latest
            rooms_store.touch_room(conn, room_id, msg_id, created_at)
        rooms_store.advance_read(conn, room_id, sender_id, msg_id)
        index_new_message(conn, msg_id, room_id, sender_id, file_id is not None,
                          _search_text(conn, content, file_id))
        if root_id is not None:
            message = message_dicts(svc, conn, [msg_id], sender_id)[msg_id]
            _queue_thread_events(svc, conn, room_id, root_id, message, sender_id, mentions, members)
        elif reply_to_id is None:  # what the full select would return, without running it
            row = store.new_message_row(conn, msg_id, created_at, room_id, sender_id, type, content, mentions,
                                        file_id, poll_id, client_msg_id or None)
            unread = len(members) - len(inactive | {sender_id})  # every other active member
            message = rows_to_dicts(svc, conn, [row], sender_id, counts={msg_id: (0, unread)})[msg_id]
        else:
            message = message_dicts(svc, conn, [msg_id], sender_id)[msg_id]
        queue_to_members(svc, conn, "new_message", {"message": message}, room_id, member_ids=members)
        return message, True, members

    def resent(conn: Connection, exc: Exception) -> tuple[dict[str, Any], bool, dict[int, str] | None]:
        """A resent client_msg_id hits the unique index: the stored message answers it (read on the
        group's connection, so an earlier send of the same group is found too)."""
        if not isinstance(exc, IntegrityError) or not client_msg_id:
            raise exc
        existing = _existing(conn, sender_id, client_msg_id, room_id)
        if existing is None:
            raise exc
        return message_dicts(svc, conn, [existing], sender_id)[existing], False, None

    # One write transaction on the hot path, shared with the other sends of the moment on SQLite
    # (group commit, storage/group.py); a file message (its upload token already spent) commits alone.
    message, created, members = svc.db.write(store_message, resent, group=file_id is None)
    if members is not None:
        stop_typing_after_send(svc, room_id, sender_id, message["sender"]["display_name"], members)
    return message, created


def _thread_root(conn: Connection, room_id: int, thread_root_id: int) -> int:
    """The root a reply goes under: a message of this room (a reply to a reply joins its root's thread)."""
    root = store.get_message(conn, thread_root_id)
    if root is not None and root.thread_root_id:
        root = store.get_message(conn, int(root.thread_root_id))
    if root is None or int(root.room_id) != room_id:
        raise ApiError(400, "invalid_thread", "The thread's first message is not in this room", {"reason": "not_in_room"})
    if root.deleted_at is not None or root.type == "system":
        raise ApiError(400, "invalid_thread", "This message cannot start a thread", {"reason": "not_a_root"})
    return int(root.id)


def _summary(row: Any) -> dict[str, Any]:
    return {"room_id": int(row.room_id), "root_id": int(row.id), "thread_reply_count": int(row.thread_reply_count),
            "thread_last_reply_id": row.thread_last_reply_id,
            "thread_last_repliers": [int(x) for x in (row.thread_repliers or "").split(",") if x]}


def _queue_thread_events(svc: Services, conn: Connection, room_id: int, root_id: int, message: dict[str, Any],
                         sender_id: int, mentions: list[int], members: dict[int, str]) -> None:
    """``thread_updated`` (the root's new summary) to the room; ``thread_reply`` (with the reply, so the
    client can alert as for a room message) to the thread's participants (its author, its repliers and
    whoever the root or a reply mentioned; not the sender) whose notification level for the room lets it
    through: ``all``, or ``mentions`` when this reply mentions them; never ``none``."""
    msg_id = int(message["id"])
    summary = _summary(store.thread_summary_after_reply(conn, root_id, msg_id, sender_id))
    queue_to_members(svc, conn, "thread_updated", summary, room_id, member_ids=members)
    participants = (store.thread_participants(conn, root_id) | set(mentions)) - {sender_id}
    levels = rooms_store.notify_levels(conn, room_id, sorted(participants & set(members)))
    targets = [u for u, level in levels.items() if level == "all" or (level == "mentions" and u in mentions)]
    if targets:
        queue_to_members(svc, conn, "thread_reply", {"room_id": room_id, "root_id": root_id, "message_id": msg_id,
                                                     "message": message}, room_id, member_ids=targets)


def _existing(conn: Connection, sender_id: int, client_msg_id: str, room_id: int) -> int | None:
    row = store.find_by_client_id(conn, sender_id, client_msg_id)
    if row is None:
        return None
    if row.room_id != room_id:
        raise ApiError(409, "client_msg_id_conflict", "This client_msg_id was already used in another room")
    return int(row.id)


def _search_text(conn: Connection, content: str, file_id: int | None) -> str:
    if file_id is None:
        return content
    name = file_dicts(conn, [file_id]).get(file_id, {}).get("name", "")
    return f"{content}\n{name}" if content else name


def _insert_system_row(conn: Connection, room_id: int, event: dict[str, Any]) -> int:
    msg_id, created_at = store.insert_message(conn, room_id, None, "system", system_events.encode(event))
    rooms_store.touch_room(conn, room_id, msg_id, created_at)
    return msg_id


def insert_system(svc: Services, conn: Connection, room_id: int, event: dict[str, Any]) -> int:
    """A system message inside the caller's transaction (room events); its ``new_message`` goes to the
    room's members after the commit (built from the stored row, to who is a member then).

    ``event`` comes from :func:`messenger.core.system_events.make`: stored as the event, never a sentence."""
    msg_id = _insert_system_row(conn, room_id, event)
    queue_new_messages(svc, conn, room_id, [msg_id])
    return msg_id


def queue_new_messages(svc: Services, conn: Connection, room_id: int, message_ids: list[int]) -> None:
    """``new_message`` for messages stored in the transaction of ``conn``, oldest first, to the room's
    members once it has committed (the objects built then, from the stored rows)."""

    def emit() -> None:
        with svc.db.read() as read:
            dicts = message_dicts(svc, read, message_ids, 0)
        for mid in sorted(dicts):
            emit_to_members(svc, "new_message", {"message": dicts[mid]}, room_id)

    on_commit(conn, emit)


def post_system_message(svc: Services, room_id: int, event: dict[str, Any],
                        details: dict[str, Any] | None = None) -> dict[str, Any]:
    """Store and broadcast a ``system`` message (an event). ``details`` travels with the live event only."""
    with svc.db.begin() as conn:
        if rooms_store.get_room(conn, room_id) is None:
            raise ApiError(404, "not_found", "Room not found", {"reason": "room"})
        msg_id = _insert_system_row(conn, room_id, event)
        message = message_dicts(svc, conn, [msg_id], 0)[msg_id]
        if details:
            message = {**message, "details": details}
        queue_to_members(svc, conn, "new_message", {"message": message}, room_id)
    return message


# ---- editing and deleting ---------------------------------------------------------------------
def _load_for_change(conn: Connection, message_id: int, user_id: int) -> tuple[Any, str]:
    row = store.get_message(conn, message_id)
    if row is None:
        raise ApiError(404, "not_found", "Message not found", {"reason": "message"})
    role = require_member(conn, int(row.room_id), user_id)
    return row, role


def edit(svc: Services, user_id: int, message_id: int, content: str) -> dict[str, Any]:
    """The sender changes a text or file message; ``message_edited`` to the room."""
    with svc.db.begin() as conn:
        row, role = _load_for_change(conn, message_id, user_id)
        if row.sender_id != user_id:
            raise ApiError(403, "forbidden", "Only the sender can edit a message", {"reason": "edit_not_sender"})
        if row.deleted_at is not None:
            raise ApiError(400, "message_deleted", "This message was deleted")
        if row.type not in CLIENT_TYPES:
            raise ApiError(400, "not_editable", "This message cannot be edited")
        content = _check_content(svc, content, row.type)
        if content != row.content:
            store.update_content(conn, message_id, content)
            store.set_mentions(conn, message_id, _resolve_mentions(conn, int(row.room_id), user_id, role, content))
            index_message(conn, message_id, int(row.room_id), _search_text(conn, content, row.file_id))
        message = message_dicts(svc, conn, [message_id], user_id)[message_id]
        if content != row.content:
            queue_to_members(svc, conn, "message_edited", {"message": message}, int(row.room_id))
    return message


def delete(svc: Services, user_id: int, message_id: int, client_ip: str | None = None) -> dict[str, Any]:
    """Sender or room admin; a tombstone (``deleted: true``, empty content) stays, an attached file is
    deleted (row and disk). ``message_deleted``."""
    with svc.db.begin() as conn:
        row, role = _load_for_change(conn, message_id, user_id)
        own = row.sender_id == user_id
        if not own and role != "admin":
            raise ApiError(403, "forbidden", "Only the sender or a room administrator can delete a message", {"reason": "delete_not_allowed"})
        if row.type == "system":
            raise ApiError(400, "not_deletable", "System messages cannot be deleted")
        fresh = row.deleted_at is None
        file_ids = [int(row.file_id)] if fresh and row.file_id is not None else []
        if file_ids:  # a forwarded copy elsewhere keeps the file
            file_ids = [f for f in file_ids if f not in still_carried(conn, file_ids, [message_id])]
        if file_ids:  # committed: the attached file goes too (its row marked deleted, then off the disk)
            on_commit(conn, lambda: delete_stored_files(svc, file_ids))
        if fresh:
            store.tombstone(conn, message_id)
            if row.thread_root_id:  # one reply fewer on its root
                summary = _summary(store.thread_reply_removed(conn, int(row.thread_root_id)))
                queue_to_members(svc, conn, "thread_updated", summary, int(row.room_id))
            remove_messages(conn, [message_id])
            unpinned = _end_pin_and_poll(conn, message_id, row.poll_id)
            if not own:
                audit_store.add(conn, "room", "message_deleted", actor_id=user_id, room_id=int(row.room_id),
                                target_user_id=row.sender_id, target_id=str(message_id),
                                details={"type": row.type, "created_at": row.created_at.isoformat() + "Z"},
                                client_ip=client_ip)
        message = message_dicts(svc, conn, [message_id], user_id)[message_id]
        if fresh:
            queue_to_members(svc, conn, "message_deleted", {"message": message}, int(row.room_id))
            if unpinned:
                queue_pins_updated(svc, conn, int(row.room_id))
    return message


def _end_pin_and_poll(conn: Connection, message_id: int, poll_id: int | None) -> bool:
    """A deleted message leaves the pins (True when it was pinned) and its poll closes: no more votes."""
    if poll_id is not None:
        polls_store.close(conn, poll_id, utcnow())  # an already closed poll keeps its time
    return pins_store.remove_message(conn, message_id)


# ---- history and read state -------------------------------------------------------------------
def history(svc: Services, user_id: int, room_id: int, before_id: int | None = None, after_id: int | None = None,
            limit: int = HISTORY_DEFAULT) -> tuple[list[dict[str, Any]], bool]:
    """Messages newest first and ``has_more``; ``after_id`` pages forward from it (catch-up)."""
    limit = max(1, min(int(limit), HISTORY_MAX))
    with svc.db.read() as conn:
        # The room's read markers give membership and every read/unread count of the page: one read.
        reads = by_room(store.read_markers(conn, [room_id]))
        if user_id not in (room_reads := reads.get(room_id) or RoomReads()).members:
            require_member(conn, room_id, user_id)  # raises: no room (404) or not a member (403)
        rows, has_more = store.page(conn, room_id, before_id, after_id, limit)
        dicts = rows_to_dicts(svc, conn, rows, user_id, {room_id: room_reads})
    return [dicts[r.id] for r in rows], has_more


def _merge_reads(earlier: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """Two moves of one marker within a batch: from the first one's start to the last one's end."""
    return {**later, "previous_message_id": min(earlier["previous_message_id"], later["previous_message_id"])}


def mark_read(svc: Services, user_id: int, room_id: int, message_id: int) -> dict[str, Any]:
    """Move the caller's read marker forward (never back); ``read_updated`` to the room when it moved.

    Every member's client marks each message it shows, so this is the most frequent write: on SQLite it
    joins the sends' write group (storage/group.py) like a send does."""

    def store_marker(conn: Connection) -> dict[str, Any]:
        # Locked (PostgreSQL): two mark_read of one user at once must not both report the same previous marker.
        previous = rooms_store.read_marker(conn, room_id, user_id)
        if previous is None:
            require_member(conn, room_id, user_id)  # raises: no room (404) or not a member (403)
            raise RuntimeError("a room member without a read marker row")
        if store.message_in_room(conn, message_id, room_id) is None:
            raise ApiError(400, "invalid_message", "That message is not in this room")
        moved = rooms_store.advance_read(conn, room_id, user_id, message_id)
        current = message_id
        if not moved:  # the marker was already there or further
            current = rooms_store.read_marker(conn, room_id, user_id) or previous
        if moved:
            # ``previous_message_id``: clients lower the unread counts of (previous, message_id] without a refetch.
            queue_room_update(svc, conn, "read_updated", room_id, {"user_id": user_id, "message_id": current,
                                                                   "previous_message_id": previous},
                              merge=_merge_reads, member_ids=rooms_store.member_id_list(conn, room_id))
        return {"room_id": room_id, "message_id": current}

    return svc.db.write(store_marker)


def who_read(svc: Services, user_id: int, message_id: int) -> dict[str, Any]:
    """``{read:[user], unread:[user]}`` of a message: the members its ``unread_count`` waits for (not the
    sender, active accounts, members when it was sent), by whether their marker reached it. Room members
    only; each list ordered by display name."""
    with svc.db.read() as conn:
        row = store.get_message(conn, message_id)
        if row is None:
            raise ApiError(404, "not_found", "Message not found", {"reason": "message"})
        room_id = int(row.room_id)
        room_reads = by_room(store.read_markers(conn, [room_id])).get(room_id) or RoomReads()
        if user_id not in room_reads.members:
            require_member(conn, room_id, user_id)  # raises 403 (or 404)
        eligible = room_reads.eligible(row.sender_id, row.created_at)
        users = {u.id: u for u in accounts_store.get_users(conn, [m.user_id for m in eligible])}
    read: list[dict[str, Any]] = []
    unread: list[dict[str, Any]] = []
    for m in eligible:
        if m.user_id in users:
            (read if m.last_read >= message_id else unread).append(directory_dict(svc, users[m.user_id]))
    return {"message_id": message_id, "room_id": room_id, "read": sorted(read, key=_by_name),
            "unread": sorted(unread, key=_by_name)}


def _by_name(user: dict[str, Any]) -> tuple[str, int]:
    return user["display_name"], user["id"]


# ---- threads ------------------------------------------------------------------------------------
THREAD_PAGE = 100


def thread(svc: Services, user_id: int, root_id: int, after_id: int = 0, limit: int = THREAD_PAGE) -> dict[str, Any]:
    """``GET /api/messages/<id>/thread``: the root (any message of the thread names it) and its replies,
    oldest first, after ``after_id``; room members only."""
    with svc.db.read() as conn:
        row = store.get_message(conn, root_id)
        if row is None:
            raise ApiError(404, "not_found", "Message not found", {"reason": "message"})
        require_member(conn, int(row.room_id), user_id)
        if row.thread_root_id:
            root_id = int(row.thread_root_id)
        rows = store.thread_page(conn, root_id, after_id, limit + 1)
        root = message_dicts(svc, conn, [root_id], user_id)[root_id]
        replies = rows_to_dicts(svc, conn, rows[:limit], user_id)
    return {"root": root, "replies": [replies[int(r.id)] for r in rows[:limit]], "has_more": len(rows) > limit}


def mark_thread_read(svc: Services, user_id: int, root_id: int) -> dict[str, Any]:
    """The caller has read the thread up to its last reply."""
    with svc.db.begin() as conn:
        row = store.get_message(conn, root_id)
        if row is None:
            raise ApiError(404, "not_found", "Message not found", {"reason": "message"})
        require_member(conn, int(row.room_id), user_id)
        last = int(row.thread_last_reply_id or 0)
        store.mark_thread_read(conn, user_id, root_id, last)
    return {"root_id": root_id, "last_read_id": last}


def my_threads(svc: Services, user_id: int) -> list[dict[str, Any]]:
    """``GET /api/threads``: threads I started or replied to, latest reply first, ``unread`` when a reply
    came after my thread read marker."""
    with svc.db.read() as conn:
        rows = store.my_threads(conn, user_id)
        roots = message_dicts(svc, conn, [int(r.id) for r in rows], user_id)
    return [{"root": roots[int(r.id)], "room_id": int(r.room_id), "last_reply_id": r.thread_last_reply_id,
             "unread": int(r.thread_last_reply_id or 0) > int(r.last_read_id)} for r in rows if int(r.id) in roots]
