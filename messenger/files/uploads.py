"""Storing an upload: checked name, bytes under a random name outside static, what they really are,
thumbnails; and the one-time upload tokens that turn a stored file into a message attachment.

No service imports: ``files.service`` (the use cases) and ``files.quarantine`` (the scan worker)
both build on this module.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from messenger.core.context import Services
from messenger.core.errors import ApiError, is_storage_full, not_found, storage_full
from messenger.files import detect, images

CHUNK = 256 * 1024
INLINE_MIMES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})
THUMB_MIMES = frozenset(images.IMAGE_FORMATS.values())
TOKEN_PREFIX = "upload:token:"
EXECUTABLE_EXTENSIONS = frozenset({"exe", "dll", "com", "scr", "msi"})


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
