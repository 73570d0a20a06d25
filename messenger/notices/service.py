"""Notice rules.

- Room admins post a notice (free text, or an existing message of the room promoted), or every
  member when the room's ``members_post_notices`` is on; in the announcement room only server admins.
- Posting adds a system event to the room (``notice_posted``, its text searchable as the author's),
  an audit entry, and ``notice_created`` to the members.
- ``require_ack``: members press 확인 (``ack``); the author and room admins see who confirmed and who
  has not (``acks``) and remind those who have not (``remind``). ``notice_updated`` carries the counts.
- Each member may hide a notice's banner for good (``hide``: "다시 열지 않기").
- The author or a room admin deletes it (``notice_deleted``).
Outsiders and removed members get ``403`` for everything.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from messenger.accounts import store as accounts_store
from messenger.accounts.service import avatar_url, directory_dict
from messenger.audit import store as audit_store
from messenger.core import system_events
from messenger.core.context import Services
from messenger.core.errors import ApiError
from messenger.messages import service as messages_service
from messenger.messages import store as messages_store
from messenger.messages.ratelimit import check_send_rate
from messenger.notices import store
from messenger.realtime import user_room
from messenger.rooms import store as rooms_store
from messenger.rooms.access import queue_to_members, require_member
from messenger.search.index import index_new_message, remove_messages
from messenger.storage.db import iso, on_commit, utcnow

MAX_CONTENT = 2000
REMIND_INTERVAL_SECONDS = 60


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "Notice not found", {"reason": "notice"})


def _forbidden(reason: str) -> ApiError:
    return ApiError(403, "forbidden", "You may not do this with notices in this room", {"reason": reason})


def _is_server_admin(conn: Connection, user_id: int) -> bool:
    user = accounts_store.get_user(conn, user_id)
    return bool(user and user.is_admin and user.is_active)


def _may_manage(conn: Connection, room: Any, role: str, user_id: int) -> bool:
    """Room admins manage notices; in the announcement room that means server admins."""
    if room.kind == rooms_store.ANNOUNCEMENT:
        return _is_server_admin(conn, user_id)
    return role == "admin"


def _load(conn: Connection, notice_id: int, user_id: int) -> tuple[Any, Any, str]:
    notice = store.get(conn, notice_id)
    if notice is None:
        raise _not_found()
    role = require_member(conn, int(notice.room_id), user_id)
    return notice, rooms_store.get_room(conn, int(notice.room_id)), role


def notice_dicts(conn: Connection, rows: list[Any], viewer_id: int | None) -> list[dict[str, Any]]:
    """Notice objects; ``viewer_id=None`` is the broadcast form (no ``acked_by_me``/``hidden_by_me``)."""
    if not rows:
        return []
    receipts = store.receipts(conn, [int(r.id) for r in rows])
    authors = {int(u.id): u for u in accounts_store.get_users(conn, sorted({int(r.author_id) for r in rows if r.author_id}))}
    audience: dict[tuple[int, int | None], int] = {}
    out = []
    for r in rows:
        key = (int(r.room_id), r.author_id)
        if key not in audience:
            audience[key] = store.audience_count(conn, *key)
        acked = store.acked_by(conn, int(r.id), int(r.room_id), r.author_id) if r.require_ack else {}
        author = authors.get(int(r.author_id)) if r.author_id else None
        item: dict[str, Any] = {
            "id": r.id, "room_id": r.room_id, "content": r.content, "message_id": r.message_id,
            "event_message_id": r.event_message_id, "require_ack": bool(r.require_ack),
            "author": None if author is None else {"id": author.id, "display_name": author.display_name,
                                                   "avatar_url": avatar_url(author)},
            "created_at": iso(r.created_at), "reminded_at": iso(r.reminded_at),
            "audience_count": audience[key], "ack_count": len(acked),
            "pending_count": max(0, audience[key] - len(acked)) if r.require_ack else 0,
        }
        if viewer_id is not None:
            mine = next((x for x in receipts if x.notice_id == r.id and x.user_id == viewer_id), None)
            item["acked_by_me"] = bool(mine and mine.acked_at)
            item["hidden_by_me"] = bool(mine and mine.hidden_at)
        out.append(item)
    return out


def _one(svc: Services, notice_id: int, viewer_id: int | None) -> dict[str, Any]:
    with svc.db.read() as conn:
        row = store.get(conn, notice_id)
        if row is None:
            raise _not_found()
        return notice_dicts(conn, [row], viewer_id)[0]


def post(svc: Services, user_id: int, room_id: int, content: str | None, message_id: int | None,
         require_ack: bool, client_ip: str | None = None) -> dict[str, Any]:
    if (content is None) == (message_id is None):
        raise ApiError(400, "missing_field", "Give either content or message_id", {"field": "content"})
    check_send_rate(svc, user_id)  # a notice posts a message: the sender's send budget pays for it (#18)
    with svc.db.begin() as conn:
        role = require_member(conn, room_id, user_id)
        room = rooms_store.get_room(conn, room_id)
        if not (_may_manage(conn, room, role, user_id)
                or (room.kind != rooms_store.ANNOUNCEMENT and room.members_post_notices)):
            raise _forbidden("post_notice")
        if message_id is not None:
            source = messages_store.get_message(conn, message_id)
            if source is None or int(source.room_id) != room_id:
                raise ApiError(404, "not_found", "Message not found", {"reason": "message"})
            if source.deleted_at is not None or source.type == "system":
                raise ApiError(400, "not_promotable", "A deleted or system message cannot become a notice")
            text = source.content or ""
        else:
            text = (content or "").strip()
        if not text:
            raise ApiError(400, "empty_message", "The notice is empty")
        if len(text) > MAX_CONTENT:
            raise ApiError(400, "message_too_long", f"A notice can be at most {MAX_CONTENT} characters",
                           {"max": MAX_CONTENT, "length": len(text)})
        notice_id = store.create(conn, room_id, user_id, text, require_ack, message_id)
        author = accounts_store.get_user(conn, user_id)
        event_id = messages_service.insert_system(svc, conn, room_id, system_events.make(
            "notice_posted", user=system_events.person(user_id, author.display_name), notice_id=notice_id, text=text))
        index_new_message(conn, event_id, room_id, user_id, False, text)  # searchable, as the author's
        store.set_event_message(conn, notice_id, event_id)
        audit_store.add(conn, "room", "notice_posted", actor_id=user_id, room_id=room_id, target_id=str(notice_id),
                        details={"require_ack": require_ack, "message_id": message_id}, client_ip=client_ip)
        broadcast = notice_dicts(conn, [store.get(conn, notice_id)], None)[0]
        mine = notice_dicts(conn, [store.get(conn, notice_id)], user_id)[0]
        queue_to_members(svc, conn, "notice_created", {"notice": broadcast}, room_id)
    return mine


def list_notices(svc: Services, user_id: int, room_id: int) -> list[dict[str, Any]]:
    with svc.db.read() as conn:
        require_member(conn, room_id, user_id)
        return notice_dicts(conn, store.for_room(conn, room_id), user_id)


def ack(svc: Services, user_id: int, notice_id: int) -> dict[str, Any]:
    with svc.db.begin() as conn:
        notice, _room, _role = _load(conn, notice_id, user_id)
        if not notice.require_ack:
            raise ApiError(400, "not_ackable", "This notice asks for no acknowledgement")
        if store.ack(conn, notice_id, user_id):
            queue_to_members(svc, conn, "notice_updated",
                             lambda: {"notice": _one(svc, notice_id, None), "acked_by": user_id}, int(notice.room_id))
    return _one(svc, notice_id, user_id)


def hide(svc: Services, user_id: int, notice_id: int) -> dict[str, Any]:
    with svc.db.begin() as conn:
        _load(conn, notice_id, user_id)
        store.hide(conn, notice_id, user_id)
    return _one(svc, notice_id, user_id)


def _require_overseer(conn: Connection, notice: Any, room: Any, role: str, user_id: int) -> None:
    if notice.author_id != user_id and not _may_manage(conn, room, role, user_id):
        raise _forbidden("notice_acks")


def acks(svc: Services, user_id: int, notice_id: int) -> dict[str, Any]:
    """``{acked:[user + acked_at], pending:[user]}``: the author and room admins only."""
    with svc.db.read() as conn:
        notice, room, role = _load(conn, notice_id, user_id)
        _require_overseer(conn, notice, room, role, user_id)
        audience = store.audience(conn, int(notice.room_id), notice.author_id)
        acked = store.acked_by(conn, notice_id, int(notice.room_id), notice.author_id)
    done = [{**directory_dict(svc, u), "acked_at": iso(acked[int(u.id)])} for u in audience if int(u.id) in acked]
    pending = [directory_dict(svc, u) for u in audience if int(u.id) not in acked]
    return {"notice_id": notice_id, "acked": done, "pending": pending}


def remind(svc: Services, user_id: int, notice_id: int, client_ip: str | None = None) -> dict[str, Any]:
    """``notice_reminder`` to every member who has not acknowledged yet (at most once a minute)."""
    with svc.db.begin() as conn:
        notice, room, role = _load(conn, notice_id, user_id)
        _require_overseer(conn, notice, room, role, user_id)
        if not notice.require_ack:
            raise ApiError(400, "not_ackable", "This notice asks for no acknowledgement")
        if notice.reminded_at is not None:
            wait = REMIND_INTERVAL_SECONDS - (utcnow() - notice.reminded_at).total_seconds()
            if wait > 0:
                raise ApiError(429, "rate_limited", "A reminder was sent a moment ago",
                               {"retry_after": int(wait) + 1}, headers={"Retry-After": str(int(wait) + 1)})
        acked = store.acked_by(conn, notice_id, int(notice.room_id), notice.author_id)
        pending = [int(u.id) for u in store.audience(conn, int(notice.room_id), notice.author_id)
                   if int(u.id) not in acked]
        store.mark_reminded(conn, notice_id)
        audit_store.add(conn, "room", "notice_reminded", actor_id=user_id, room_id=int(notice.room_id),
                        target_id=str(notice_id), details={"pending": len(pending)}, client_ip=client_ip)
        if pending:
            on_commit(conn, lambda: svc.socketio.emit(
                "notice_reminder", {"notice": _one(svc, notice_id, None), "reminded_by": user_id},
                to=[user_room(u) for u in pending]))
    return {"notice_id": notice_id, "reminded": len(pending)}


def delete(svc: Services, user_id: int, notice_id: int, client_ip: str | None = None) -> dict[str, Any]:
    with svc.db.begin() as conn:
        notice, room, role = _load(conn, notice_id, user_id)
        _require_overseer(conn, notice, room, role, user_id)
        store.soft_delete(conn, notice_id)
        event_id = notice.event_message_id
        if event_id is not None:  # its text leaves the room's history and the search index
            author = accounts_store.get_user(conn, notice.author_id) if notice.author_id else None
            remove_messages(conn, [int(event_id)])
            messages_store.update_content(conn, int(event_id), system_events.encode(system_events.make(
                "notice_removed", user=system_events.person(notice.author_id, author.display_name if author else None),
                notice_id=notice_id)))
        audit_store.add(conn, "room", "notice_deleted", actor_id=user_id, room_id=int(notice.room_id),
                        target_id=str(notice_id), details={"author_id": notice.author_id}, client_ip=client_ip)
        room_id = int(notice.room_id)
        queue_to_members(svc, conn, "notice_deleted", {"notice_id": notice_id, "room_id": room_id}, room_id)
        if event_id is not None:
            message = messages_service.message_dicts(svc, conn, [int(event_id)], 0)[int(event_id)]
            queue_to_members(svc, conn, "message_edited", {"message": message}, room_id)
    return {"ok": True}
