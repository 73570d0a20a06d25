"""File rules: who may upload, download and share what, thumbnails on demand, avatars, clean-up.

Other features call :func:`consume_upload_token` (messages), :func:`file_dicts` (message payloads)
and :func:`delete_stored_files` (retention). SQL lives in ``store``; storing the bytes and the upload
tokens in ``uploads``; the virus-scan worker in ``quarantine``.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from messenger.accounts import store as accounts_store
from messenger.audit import store as audit_store
from messenger.core.context import Services
from messenger.core.errors import ApiError, not_found
from messenger.files import quarantine, store
from messenger.files.serialize import file_dict, file_dicts, file_url
from messenger.files.sweep import remove_stray_files
from messenger.files.uploads import (
    INLINE_MIMES,
    THUMB_MIMES,
    abs_path,
    build_thumbnail,
    consume_upload_token,
    mint_upload_token,
    prepare_upload,
    remove_quietly,
)
from messenger.messages.serialize import message_dicts
from messenger.rooms.access import emit_to_members, require_member
from messenger.storage.db import iso, on_commit, utcnow

ORPHAN_AGE = timedelta(hours=24)

# Kept importable from here: other features and the routes use them through the service.
__all__ = ["INLINE_MIMES", "consume_upload_token", "file_dict", "file_dicts", "file_url"]


# ---- use cases -------------------------------------------------------------------------------------
def upload(svc: Services, user_id: int, room_id: int, file: Any) -> tuple[dict[str, Any], int]:
    """``POST /api/upload``: the response body and status (200 clean, 202 pending a virus scan)."""
    with svc.db.read() as conn:
        require_member(conn, room_id, user_id)
    scan = svc.settings.FEATURE_AV_SCAN_ENABLED
    prep = prepare_upload(svc, file, quarantine=scan)
    thumb_path: Path | None = None
    try:
        thumb_rel = None if scan else build_thumbnail(svc, prep.path, prep.mime, required=False)
        thumb_path = abs_path(svc, thumb_rel) if thumb_rel else None
        job_id = str(uuid.uuid4()) if scan else None
        with svc.db.begin() as conn:
            file_id = store.insert_file(
                conn, room_id=room_id, uploader_id=user_id, purpose="message", original_name=prep.name,
                stored_path=prep.rel_path, size=prep.size, mime=prep.mime, sha256=prep.sha256,
                width=prep.width, height=prep.height, scan_status="pending" if scan else "clean",
                thumbnail_path=thumb_rel)
            if job_id:
                store.create_job(conn, job_id, file_id, user_id, room_id)
            row = store.get_file(conn, file_id)
    except BaseException:
        remove_quietly(prep.path, thumb_path)
        raise
    if job_id:
        quarantine.enqueue(svc, job_id)
        return {"scan_status": "pending", "job_id": job_id}, 202
    token = mint_upload_token(svc, file_id, user_id, room_id)
    return {"scan_status": "clean", "upload_token": token, "file_path": file_url(file_id, prep.name),
            "file_name": prep.name, "file": file_dict(row)}, 200


def readable_file(svc: Services, user_id: int, file_id: int) -> Any:
    """The files row if ``user_id`` may download it: members of a room where a live message carries it
    (forwarded copies included), members of its room before it is sent; avatars for every logged-in user."""
    with svc.db.read() as conn:
        row = store.get_file(conn, file_id)
        if row is None or row.deleted_at is not None or row.scan_status != "clean":
            raise not_found("file")
        if row.purpose == "avatar":
            return row
        if row.room_id is None:
            if row.uploader_id != user_id:
                raise ApiError(403, "forbidden", "You are not allowed to read this file", {"reason": "file"})
            return row
        # A sent file: readable where a live message carries it (its room, and rooms it was forwarded to).
        if store.shared_with(conn, file_id, user_id):
            return row
        require_member(conn, row.room_id, user_id)  # 404 no room, 403 not a member
        if store.messages_with_file(conn, file_id):  # sent, but no longer shown in any room of theirs
            raise ApiError(403, "forbidden", "You are not allowed to read this file", {"reason": "file"})
    return row


def still_carried(conn: Any, file_ids: list[int], leaving_message_ids: list[int]) -> set[int]:
    """Those of ``file_ids`` that a live message other than ``leaving_message_ids`` still carries (a
    forwarded copy): deleting the message must not delete a file another room still shows."""
    return store.files_carried_elsewhere(conn, file_ids, leaving_message_ids)


def download_path(svc: Services, row: Any, thumb: bool) -> Path:
    """The file (or its thumbnail, made once and cached) on disk; 404 when there is none."""
    path = abs_path(svc, row.stored_path)
    if not path.is_file():
        raise not_found("file")
    if not thumb:
        return path
    if row.mime not in THUMB_MIMES:
        raise not_found("thumbnail")
    if row.thumbnail_path:
        cached = abs_path(svc, row.thumbnail_path)
        if cached.is_file():
            return cached
    rel = build_thumbnail(svc, path, row.mime)
    assert rel is not None
    with svc.db.begin() as conn:
        store.update_file(conn, row.id, thumbnail_path=rel)
    return abs_path(svc, rel)


FILE_KINDS = ("image", "file")


def room_files(svc: Services, user_id: int, room_id: int, before_id: int | None, limit: int,
               kind: str | None = None, q: str = "", file_type: str | None = None) -> dict[str, Any]:
    """``GET /api/rooms/<id>/files``: files shared in live messages, newest first; ``kind`` images or
    other files, ``q`` part of the name (case-insensitive), ``file_type`` an extension or mime family."""
    mime_prefix, extension = _file_type(file_type)
    with svc.db.read() as conn:
        require_member(conn, room_id, user_id)
        rows = store.room_files(conn, room_id, before_id, limit + 1, kind=kind, name=q.strip().casefold(),
                                mime_prefix=mime_prefix, extension=extension)
    items = []
    for row in rows[:limit]:
        item = file_dict(row)
        item.update(message_id=row.message_id, uploader={"id": row.sender_id, "display_name": row.sender_name},
                    created_at=iso(row.shared_at))
        items.append(item)
    return {"files": items, "has_more": len(rows) > limit}


MIME_FAMILIES = ("image", "video", "audio", "text", "application")


def _file_type(raw: str | None) -> tuple[str | None, str | None]:
    """``pdf``/``.pdf`` → an extension; ``image``/``image/*``/``application/pdf`` → a mime prefix."""
    value = (raw or "").strip().lower()
    if not value:
        return None, None
    if "/" in value or value in MIME_FAMILIES:
        family = value[:-2] if value.endswith("/*") else value
        if family.split("/")[0] not in MIME_FAMILIES or len(family) > 100:
            raise ApiError(400, "invalid_field", "type must be an extension (pdf) or a mime family (image)")
        return (family + "/" if "/" not in family else family), None
    ext = value.lstrip(".")
    if not ext.isalnum() or len(ext) > 10:
        raise ApiError(400, "invalid_field", "type must be an extension (pdf) or a mime family (image)")
    return None, "." + ext


def delete_file(svc: Services, user_id: int, file_id: int, client_ip: str | None = None) -> list[int]:
    """``DELETE /api/files/<id>``: the uploader or an admin of the file's room deletes a shared file.

    Its messages stay and show the file as deleted (``message_edited`` to each room); download and
    thumbnail answer 404; the bytes leave the disk. Returns the ids of the messages that carried it.
    """
    with svc.db.begin() as conn:
        row = store.get_file(conn, file_id)
        if row is None or row.purpose != "message" or row.deleted_at is not None or row.room_id is None:
            raise not_found("file")
        role = require_member(conn, int(row.room_id), user_id)
        own = row.uploader_id == user_id
        if not own and role != "admin":
            raise ApiError(403, "forbidden", "Only the uploader or a room administrator can delete a file",
                           {"reason": "not_uploader"})
        carriers = store.messages_with_file(conn, file_id)
        if not own:
            audit_store.add(conn, "room", "file_deleted", actor_id=user_id, room_id=int(row.room_id),
                            target_user_id=row.uploader_id, target_id=str(file_id),
                            details={"name": row.original_name}, client_ip=client_ip)
        message_ids = [int(m.id) for m in carriers]
        on_commit(conn, lambda: _after_file_deleted(svc, file_id, message_ids))
    return sorted(message_ids)


def _after_file_deleted(svc: Services, file_id: int, message_ids: list[int]) -> None:
    """After the commit: the bytes leave the disk, then each message that carried the file goes to its
    room again as ``message_edited`` (showing the file deleted)."""
    delete_stored_files(svc, [file_id])
    with svc.db.read() as conn:
        updated = message_dicts(svc, conn, message_ids, 0)
    for message in updated.values():
        emit_to_members(svc, "message_edited", {"message": message}, int(message["room_id"]))


def set_avatar(svc: Services, user_id: int, file: Any) -> Any:
    """``POST /api/me/avatar``: an image through the same checks (and virus scan); returns the user row."""
    prep = prepare_upload(svc, file, quarantine=False, image_only=True)
    thumb_path: Path | None = None
    try:
        if svc.settings.FEATURE_AV_SCAN_ENABLED:
            quarantine.scan_now(svc, prep.path, user_id, prep.name, prep.sha256)
        thumb_rel = build_thumbnail(svc, prep.path, prep.mime)
        thumb_path = abs_path(svc, thumb_rel) if thumb_rel else None
        with svc.db.begin() as conn:
            file_id = store.insert_file(
                conn, room_id=None, uploader_id=user_id, purpose="avatar", original_name=prep.name,
                stored_path=prep.rel_path, size=prep.size, mime=prep.mime, sha256=prep.sha256,
                width=prep.width, height=prep.height, scan_status="clean", thumbnail_path=thumb_rel)
            old = accounts_store.get_user(conn, user_id).avatar_file_id
            accounts_store.update_user(conn, user_id, avatar_file_id=file_id)
            user = accounts_store.get_user(conn, user_id)
            if old:
                on_commit(conn, lambda: delete_stored_files(svc, [old]))
            svc.realtime.queue_user_changed(conn, user_id)
    except BaseException:
        remove_quietly(prep.path, thumb_path)
        raise
    return user


def remove_avatar(svc: Services, user_id: int) -> Any:
    """``DELETE /api/me/avatar``: no avatar any more (initials again); the image leaves the disk.
    Returns the user row."""
    with svc.db.begin() as conn:
        old = accounts_store.get_user(conn, user_id).avatar_file_id
        if old:
            accounts_store.update_user(conn, user_id, avatar_file_id=None)
            on_commit(conn, lambda: delete_stored_files(svc, [old]))
            svc.realtime.queue_user_changed(conn, user_id)
        user = accounts_store.get_user(conn, user_id)
    return user


def purge_orphans(svc: Services) -> int:
    """Delete uploads never sent in a message once their token can no longer be spent, and stored files
    that no upload refers to (left by a crash; files.sweep) once as old (hourly job)."""
    age = max(ORPHAN_AGE, timedelta(seconds=2 * svc.settings.UPLOAD_TOKEN_TTL_SECONDS))
    with svc.db.read() as conn:
        file_ids = store.orphan_file_ids(conn, utcnow() - age)
    delete_stored_files(svc, file_ids)
    if file_ids:
        svc.log.info("removed %d upload(s) that were never sent", len(file_ids))
    return len(file_ids) + remove_stray_files(svc, age)


def delete_stored_files(svc: Services, file_ids: list[int]) -> None:
    """Mark these files deleted and remove them (and their thumbnails) from disk.

    Call it after the transaction that removed the messages has committed.
    """
    if not file_ids:
        return
    with svc.db.begin() as conn:
        rows = store.mark_deleted(conn, file_ids)
    for row in rows:
        for rel in (row.stored_path, row.thumbnail_path):
            if rel:
                with contextlib.suppress(ApiError):
                    remove_quietly(abs_path(svc, rel))
