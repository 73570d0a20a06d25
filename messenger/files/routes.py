"""HTTP routes for files: upload, scan-job status, download (with thumbnails), room file list, avatar."""

from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, Flask, jsonify, request, send_file
from flask.typing import ResponseReturnValue

from messenger.accounts.auth import client_ip, current_auth, login_required, user_key
from messenger.accounts.serialize import User
from messenger.accounts.service import user_dict
from messenger.core.context import Services
from messenger.core.errors import not_found
from messenger.core.http import accepts, form, returns, serves
from messenger.core.models import Body, Id, OneOf, Query, Range, Reply, Text
from messenger.files import quarantine, service
from messenger.files.serialize import File

CACHE_CONTROL = "private, max-age=3600"
MAX_ID = 2**31 - 1
# Downloads are never HTML (the type comes from the bytes); this lets a browser's PDF viewer and the
# web client's preview frame work while anything scriptable stays blocked.
DOWNLOAD_CSP = ("default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; "
                "object-src 'self'; frame-ancestors 'self'")


class UploadForm(Body):
    """``multipart/form-data`` of ``POST /api/upload``: the file and the room it is for."""

    file: bytes
    room_id: Id


class DownloadQuery(Query):
    thumb: bool | None = None


class RoomFilesQuery(Query):
    limit: Annotated[int, Range(1, 100)] | None = None
    before_id: Id | None = None
    kind: Annotated[str, OneOf(*service.FILE_KINDS)] | None = None
    q: Annotated[str, Text(max_len=200, strip=False)] | None = None
    type: Annotated[str, Text(max_len=100)] | None = None


class UploadReply(Reply):
    """``POST /api/upload``: 200 with the token and the file when clean, 202 with the scan job otherwise."""

    scan_status: str
    job_id: str | None = None
    upload_token: str | None = None
    file_path: str | None = None
    file_name: str | None = None
    file: File | None = None


class AvatarForm(Body):
    """``multipart/form-data`` of ``POST /api/me/avatar``."""

    file: bytes


class Uploader(Reply):
    id: int | None  # null once the account is gone
    display_name: str | None


class RoomFile(File):
    """A file shared in a room (``service.room_files``): the file object with its message, sender and when."""

    message_id: int
    uploader: Uploader
    created_at: str


class UploadJob(Reply):
    """``quarantine.job_status``: ``pending`` while the virus scanner looks; ``clean`` with the token to send
    it and the file; ``infected`` or ``error`` with an English ``detail``."""

    job_id: str
    status: str
    upload_token: str | None = None
    file_path: str | None = None
    file_name: str | None = None
    file: File | None = None
    detail: str | None = None


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("files", __name__)
    limiter = svc.limiter

    @bp.post("/api/upload")
    @limiter.limit(lambda: svc.settings.RATE_LIMIT_UPLOAD, key_func=user_key)
    @login_required
    @form(UploadForm)
    @returns(200, 202, reply=UploadReply)
    def upload(form: dict[str, Any]) -> ResponseReturnValue:
        body, status = service.upload(svc, current_auth().user_id, form["room_id"], request.files.get("file"))
        return jsonify(body), status

    @bp.get("/api/upload/jobs/<job_id>")
    @login_required
    @returns(reply=UploadJob)
    def upload_job(job_id: str) -> ResponseReturnValue:
        if len(job_id) > 64:
            raise not_found("upload job")
        return jsonify(quarantine.job_status(svc, current_auth().user_id, job_id))

    @bp.get("/files/<int:file_id>/<path:name>")
    @login_required
    @accepts(query=DownloadQuery)
    @serves("*/*", 200, 206, 304)  # the stored file's own type (a thumbnail: PNG or JPEG); ranges, revalidation
    def download(file_id: int, name: str, query: dict[str, Any]) -> ResponseReturnValue:
        if file_id > MAX_ID:
            raise not_found("file")
        row = service.readable_file(svc, current_auth().user_id, file_id)
        # Avatars are seen by everyone: always the stripped thumbnail (no EXIF location), never the original.
        thumb = bool(query.get("thumb")) or row.purpose == "avatar"
        path = service.download_path(svc, row, thumb)
        if thumb:
            mime = "image/png" if path.suffix == ".png" else "image/jpeg"
            download_name = row.original_name.rsplit(".", 1)[0] + "_thumb" + path.suffix
        else:
            mime, download_name = row.mime, row.original_name
        resp = send_file(
            path,
            mimetype=mime,
            as_attachment=not (thumb or mime in service.INLINE_MIMES),
            download_name=download_name,
            conditional=True,
            etag=row.sha256[:40] + ("-thumb" if thumb else ""),
            last_modified=row.created_at,
            max_age=None,
        )
        resp.headers["Cache-Control"] = CACHE_CONTROL
        resp.headers["Content-Security-Policy"] = DOWNLOAD_CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Vary"] = "Cookie"
        return resp

    @bp.get("/api/rooms/<int:room_id>/files")
    @login_required
    @accepts(query=RoomFilesQuery)
    @returns(files=list[RoomFile], has_more=bool)
    def room_files(room_id: int, query: dict[str, Any]) -> ResponseReturnValue:
        if room_id > MAX_ID:
            raise not_found("room")
        return jsonify(service.room_files(svc, current_auth().user_id, room_id, query.get("before_id"),
                                          query.get("limit", 50), kind=query.get("kind"), q=query.get("q") or "",
                                          file_type=query.get("type")))

    @bp.delete("/api/files/<int:file_id>")
    @login_required
    @returns(ok=bool, message_ids=list[int])
    def delete_file(file_id: int) -> ResponseReturnValue:
        message_ids = service.delete_file(svc, current_auth().user_id, file_id, client_ip())
        return jsonify({"ok": True, "message_ids": message_ids})

    @bp.post("/api/me/avatar")
    @limiter.limit(lambda: svc.settings.RATE_LIMIT_UPLOAD, key_func=user_key)
    @login_required
    @form(AvatarForm)
    @returns(user=User)
    def avatar(form: dict[str, Any]) -> ResponseReturnValue:
        file = request.files.get("file")
        row = service.set_avatar(svc, current_auth().user_id, file)
        return jsonify({"user": user_dict(svc, row)})

    @bp.delete("/api/me/avatar")
    @login_required
    @returns(user=User)
    def remove_avatar() -> ResponseReturnValue:
        return jsonify({"user": user_dict(svc, service.remove_avatar(svc, current_auth().user_id))})

    app.register_blueprint(bp)
