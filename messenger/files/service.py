"""File rules: storing uploads, upload tokens, who may download what, thumbnails, avatars.

Other features call :func:`consume_upload_token` (messages), :func:`file_dicts` (message payloads)
and :func:`delete_stored_files` (retention). SQL lives in ``store``; the virus-scan worker in
``quarantine``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from messenger.core.context import Services
from messenger.core.errors import ApiError, is_storage_full, not_found, storage_full
from messenger.files import detect, images, store
from messenger.storage.db import iso, utcnow

CHUNK = 256 * 1024
INLINE_MIMES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})
THUMB_MIMES = frozenset(images.IMAGE_FORMATS.values())
TOKEN_PREFIX = "upload:token:"
EXECUTABLE_EXTENSIONS = frozenset({"exe", "dll", "com", "scr", "msi"})
ORPHAN_AGE = timedelta(hours=24)


@dataclass
class Prepared:
    """An upload written to disk and checked, not yet in the database."""

    name: str
    rel_path: str
    path: Path
    size: int
    sha256: str
    mime: str
    width: int | None
    height: int | None


def invalid_token() -> ApiError:
    return ApiError(400, "invalid_upload_token", "The upload token is invalid, expired or already used")


def file_url(file_id: int, name: str) -> str:
    return f"/files/{file_id}/{quote(name, safe='')}"


def file_dict(row: Any) -> dict[str, Any]:
    """The contract's ``file`` object for one files row."""
    url = file_url(row.id, row.original_name)
    out: dict[str, Any] = {"id": row.id, "name": row.original_name, "size": row.size, "mime": row.mime, "url": url}
    if row.thumbnail_path:
        out["thumbnail_url"] = f"{url}?thumb=1"
    if row.width and row.height:
        out["width"], out["height"] = row.width, row.height
    return out


def file_dicts(conn: Any, file_ids: list[int]) -> dict[int, dict[str, Any]]:
    """``{id: file}`` for message payloads, one query for all ids. A file deleted on its own (the
    uploader or a room admin; its message stays) is ``{id, deleted: true}``: the message shows
    "삭제된 파일"."""
    return {row.id: file_dict(row) if row.deleted_at is None else {"id": row.id, "deleted": True}
            for row in store.get_files(conn, file_ids)}


# ---- storage ---------------------------------------------------------------------------------------
def new_rel_path(quarantine: bool = False) -> str:
    """A random stored name: ``ab/cd/<32 hex>`` (sharded) or ``quarantine/<32 hex>``."""
    name = secrets.token_hex(16)
    return f"quarantine/{name}" if quarantine else f"{name[:2]}/{name[2:4]}/{name}"


def abs_path(svc: Services, rel: str) -> Path:
    base = svc.settings.upload_dir.resolve()
    path = (base / rel).resolve()
    if base not in path.parents:
        raise not_found("file")
    return path


def thumb_stem(path: Path) -> Path:
    return path.with_name(path.name + "_thumb")


def remove_quietly(*paths: Path | None) -> None:
    for path in paths:
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "file_too_large", f"File too large (limit {limit} bytes)", {"limit": limit})


def _save_stream(svc: Services, stream: IO[bytes], rel: str) -> tuple[Path, int, str]:
    """Copy the upload to its stored name, hashing as it goes; 413 past MAX_CONTENT_LENGTH."""
    limit = svc.settings.MAX_CONTENT_LENGTH
    path = abs_path(svc, rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "xb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                digest.update(chunk)
                out.write(chunk)
    except BaseException as exc:
        remove_quietly(path)  # nothing half-written stays behind
        if is_storage_full(exc):
            raise storage_full() from exc
        raise
    return path, size, digest.hexdigest()


def check_extension(svc: Services, name: str) -> str:
    """The name's extension, or 400 when settings block it (or allow only others)."""
    ext = detect.extension(name)
    blocked = svc.settings.UPLOAD_BLOCKED_EXTENSIONS
    allowed = svc.settings.UPLOAD_ALLOWED_EXTENSIONS
    if ext and ext in blocked:
        raise ApiError(400, "file_type_blocked", f"Files of type .{ext} are not allowed", {"ext": ext})
    if allowed and ext not in allowed:
        raise ApiError(400, "file_type_not_allowed",
                       f"Only these file types are allowed: {', '.join(allowed)}", {"allowed": ", ".join(allowed)})
    return ext


def prepare_upload(svc: Services, upload: Any, *, quarantine: bool, image_only: bool = False) -> Prepared:
    """Check the name, store the bytes under a random name and work out what they are."""
    if upload is None or not getattr(upload, "filename", None):
        raise ApiError(400, "missing_field", "Missing field: file", {"field": "file"})
    name = detect.sanitise_name(upload.filename)
    ext = check_extension(svc, name)
    rel = new_rel_path(quarantine)
    path, size, sha = _save_stream(svc, upload.stream, rel)
    try:
        if size == 0:
            raise ApiError(400, "empty_file", "The file is empty")
        mime, executable = detect.sniff(path, ext)
        if executable and EXECUTABLE_EXTENSIONS & set(svc.settings.UPLOAD_BLOCKED_EXTENSIONS):
            raise ApiError(400, "file_type_blocked", "Executable programs are not allowed", {"reason": "executable"})
        info = images.inspect(path)
        if image_only and info is None:
            raise ApiError(400, "not_an_image", "Please choose a JPEG, PNG, GIF or WebP image")
    except BaseException:
        remove_quietly(path)
        raise
    return Prepared(name, rel, path, size, sha, info.mime if info else mime,
                    info.width if info else None, info.height if info else None)


def build_thumbnail(svc: Services, path: Path, mime: str, required: bool = True) -> str | None:
    """Make the cached thumbnail for an image; returns its path relative to the upload dir.

    An image whose pixels cannot be decoded (e.g. truncated) raises 400 ``invalid_image``, or with
    ``required=False`` is simply shared without a preview.
    """
    if mime not in THUMB_MIMES:
        return None
    try:
        thumb = images.make_thumbnail(path, thumb_stem(path))
    except ApiError as err:
        if required or err.code == "storage_full":
            raise
        return None
    return thumb.relative_to(svc.settings.upload_dir.resolve()).as_posix()


# ---- upload tokens ---------------------------------------------------------------------------------
def mint_upload_token(svc: Services, file_id: int, user_id: int, room_id: int) -> str:
    token = secrets.token_urlsafe(24)
    payload = json.dumps({"file_id": file_id, "user_id": user_id, "room_id": room_id})
    svc.state.set(TOKEN_PREFIX + token, payload, ttl=svc.settings.UPLOAD_TOKEN_TTL_SECONDS)
    return token


def consume_upload_token(svc: Services, token: str, user_id: int, room_id: int) -> int:
    """Spend an upload token for a file message; returns the file id.

    400 ``invalid_upload_token`` when it is spent, expired, another user's or for another room.
    A token presented by the wrong user or for the wrong room stays valid for its owner.
    """
    if not isinstance(token, str) or not token or len(token) > 200:
        raise invalid_token()
    key = TOKEN_PREFIX + token
    raw = svc.state.get(key)
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("user_id") != user_id or data.get("room_id") != room_id:
        raise invalid_token()
    if svc.state.pop(key) is None:  # the atomic spend: only one caller gets the value
        raise invalid_token()
    return int(data["file_id"])


# ---- use cases -------------------------------------------------------------------------------------
def _require_member(conn: Any, room_id: int, user_id: int) -> None:
    from messenger.rooms.service import require_member

    require_member(conn, room_id, user_id)


def upload(svc: Services, user_id: int, room_id: int, file: Any) -> tuple[dict[str, Any], int]:
    """``POST /api/upload``: the response body and status (200 clean, 202 pending a virus scan)."""
    from messenger.files import quarantine

    with svc.db.read() as conn:
        _require_member(conn, room_id, user_id)
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
        _require_member(conn, row.room_id, user_id)  # 404 no room, 403 not a member
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
        _require_member(conn, room_id, user_id)
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
    from messenger.audit import store as audit_store
    from messenger.messages.serialize import message_dicts
    from messenger.rooms.service import emit_to_members, require_member

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
    delete_stored_files(svc, [file_id])
    with svc.db.read() as conn:
        updated = message_dicts(svc, conn, [int(m.id) for m in carriers], 0)
    for message in updated.values():
        emit_to_members(svc, "message_edited", {"message": message}, int(message["room_id"]))
    return sorted(updated)


def set_avatar(svc: Services, user_id: int, file: Any) -> Any:
    """``POST /api/me/avatar``: an image through the same checks (and virus scan); returns the user row."""
    from messenger.accounts import store as accounts_store
    from messenger.files import quarantine

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
    except BaseException:
        remove_quietly(prep.path, thumb_path)
        raise
    if old:
        delete_stored_files(svc, [old])
    svc.realtime.notify_user_changed(user_id)
    return user


def purge_orphans(svc: Services) -> int:
    """Delete uploads never sent in a message once their token can no longer be spent, and stored files
    that no upload refers to (left by a crash; files.sweep) once as old (hourly job)."""
    from messenger.files.sweep import remove_stray_files

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
