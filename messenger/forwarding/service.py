"""Forward a text or file message to rooms the caller belongs to.

Authorization at both ends: the caller must be a member of the message's room and of every target
room (all or nothing). Each copy is an ordinary message of the caller in the target room with
``forwarded_from`` pointing at the original (a copy of a copy points at the first original). A file is
not uploaded again: the copy carries the same file, and the members of the target room may read that
file (messenger.files.service.readable_file: any room holding a live message with it), nothing else.
"""

from __future__ import annotations

from typing import Any

from messenger.core.context import Services
from messenger.core.errors import ApiError
from messenger.files import store as files_store
from messenger.forwarding import store
from messenger.messages import service as messages
from messenger.messages import store as messages_store
from messenger.messages.ratelimit import check_send_rate
from messenger.messages.serialize import message_dicts
from messenger.rooms import store as rooms_store
from messenger.rooms.access import require_member
from messenger.search.index import index_new_message

MAX_TARGETS = 20
FORWARDABLE = ("text", "file")


def forward(svc: Services, user_id: int, message_id: int, room_ids: list[int], comment: str | None) -> list[dict[str, Any]]:
    """The copies, one per target room (in the order given); ``comment`` goes first as a text message."""
    targets = list(dict.fromkeys(room_ids))
    if not targets or len(targets) > MAX_TARGETS:
        raise ApiError(400, "invalid_field", f"room_ids must name 1-{MAX_TARGETS} rooms",
                       {"field": "room_ids", "reason": "count", "min": 1, "max": MAX_TARGETS})
    comment = (comment or "").strip("\n")
    if comment and len(comment) > svc.settings.MESSAGE_MAX_LENGTH:
        raise ApiError(400, "message_too_long", "The comment is too long",
                       {"max": svc.settings.MESSAGE_MAX_LENGTH, "length": len(comment)})
    with svc.db.read() as conn:
        source = messages_store.get_message(conn, message_id)
        if source is None:
            raise ApiError(404, "not_found", "Message not found", {"reason": "message"})
        require_member(conn, int(source.room_id), user_id)
        if source.deleted_at is not None:
            raise ApiError(400, "message_deleted", "This message was deleted")
        if source.type not in FORWARDABLE:
            raise ApiError(400, "not_forwardable", "Only text and file messages can be forwarded")
        if source.file_id is not None:
            f = files_store.get_file(conn, int(source.file_id))
            if f is None or f.deleted_at is not None:
                raise ApiError(400, "not_forwardable", "The file of this message was deleted", {"reason": "file_deleted"})
        for room_id in targets:
            if require_member(conn, room_id, user_id) == rooms_store.READER:  # 404 unknown, 403 not a member
                raise ApiError(403, "announcement_read_only", "Only server administrators post in the announcement room")
    for _ in targets:
        check_send_rate(svc, user_id)
    origin_id = int(source.forwarded_from_id or source.id)
    copies: dict[int, list[int]] = {}
    with svc.db.begin() as conn:
        search_text = messages._search_text(conn, source.content, source.file_id)  # file name too
        for room_id in targets:
            require_member(conn, room_id, user_id)
            ids: list[int] = []
            if comment:
                messages._check_content(svc, comment, "text")
                cid, created = messages_store.insert_message(conn, room_id, user_id, "text", comment)
                index_new_message(conn, cid, room_id, user_id, False, comment)
                ids.append(cid)
            mid, created = store.insert_copy(conn, room_id, user_id, source.type, source.content,
                                             source.file_id, origin_id)
            index_new_message(conn, mid, room_id, user_id, source.file_id is not None, search_text)
            ids.append(mid)
            rooms_store.touch_room(conn, room_id, mid, created)
            rooms_store.advance_read(conn, room_id, user_id, mid)
            copies[room_id] = ids
            messages.queue_new_messages(svc, conn, room_id, ids)
    with svc.db.read() as conn:
        dicts = message_dicts(svc, conn, [ids[-1] for ids in copies.values()], user_id)
    return [dicts[ids[-1]] for ids in copies.values()]
