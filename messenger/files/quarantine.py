"""Virus scanning with clamd: uploads wait in quarantine until a background worker has scanned them.

Each upload has an ``upload_jobs`` row (so jobs survive a restart and resume at server start). The
worker streams the quarantined file to clamd: clean → moved into the sharded store and an upload
token minted; infected → deleted and audited; clamd down or timing out → ``error`` (never clean).
The uploader's sockets get ``upload_scan_done``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from messenger.audit import store as audit_store
from messenger.core.context import Services
from messenger.core.errors import ApiError, not_found
from messenger.files import scanner, store, uploads
from messenger.files.serialize import file_dict, file_url
from messenger.storage.db import utcnow

SCAN_ATTEMPTS = 2
RETRY_DELAY = 0.5
JOB_TOKEN_PREFIX = "upload:job:"


def scan(svc: Services, path: Path) -> scanner.ScanResult:
    s = svc.settings
    return scanner.scan_file(path, s.AV_CLAMD_HOST, s.AV_CLAMD_PORT, s.AV_SCAN_TIMEOUT_SECONDS)


def health(svc: Services) -> str:
    """``av`` in ``/api/health``: off, ok (clamd answers PING) or down."""
    s = svc.settings
    if not s.FEATURE_AV_SCAN_ENABLED:
        return "off"
    return "ok" if scanner.ping(s.AV_CLAMD_HOST, s.AV_CLAMD_PORT, timeout=min(1.0, s.AV_SCAN_TIMEOUT_SECONDS)) else "down"


def enqueue(svc: Services, job_id: str) -> None:
    """Scan in the background now if the server's jobs run; otherwise the next server start resumes it."""
    if svc.jobs.running:
        svc.jobs.spawn(run_scan, svc, job_id)


def resume_pending(svc: Services) -> None:
    """At server start: scan every upload still pending (one after the other)."""
    with svc.db.read() as conn:
        job_ids = store.pending_job_ids(conn)
    if job_ids:
        svc.log.info("resuming %d pending upload scan(s)", len(job_ids))
    for job_id in job_ids:
        run_scan(svc, job_id)


def _audit_rejected(conn: Any, action: str, uploader_id: int, room_id: int | None, file_id: int | None,
                    details: dict[str, Any]) -> None:
    audit_store.add(conn, "server", action, actor_id=uploader_id, room_id=room_id,
                    target_id=None if file_id is None else str(file_id), details=details)


def run_scan(svc: Services, job_id: str) -> None:
    """Scan one pending upload and record the outcome (the worker's unit of work)."""
    with svc.db.read() as conn:
        job = store.get_job(conn, job_id)
        row = store.get_file(conn, job.file_id) if job is not None and job.file_id else None
    if job is None or job.status != "pending":
        return
    path = uploads.abs_path(svc, row.stored_path) if row is not None else None
    result = scanner.ScanResult("error", "quarantined file is missing")
    if path is not None and path.is_file():
        for attempt in range(SCAN_ATTEMPTS):
            with svc.db.begin() as conn:
                store.count_attempt(conn, job_id)
            result = scan(svc, path)  # no database connection held while clamd works
            if result.status != "error":
                break
            if attempt + 1 < SCAN_ATTEMPTS:
                svc.socketio.sleep(RETRY_DELAY)
    _finish(svc, job, row, path, result)


def _finish(svc: Services, job: Any, row: Any, path: Path | None, result: scanner.ScanResult) -> None:
    """Record the scan outcome; the transaction that records it queues ``upload_scan_done`` for the
    uploader (with a new upload token when the file is clean). When another node finished the job
    first, nothing is recorded or sent here: that node tells the uploader."""
    if result.status == "clean" and row is not None and path is not None:
        rel = uploads.new_rel_path()
        target = uploads.abs_path(svc, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        thumb_rel = uploads.build_thumbnail(svc, target, row.mime, required=False)
        with svc.db.begin() as conn:
            done = store.finish_job(conn, job.id, "clean")
            if done:
                store.update_file(conn, row.id, scan_status="clean", stored_path=rel, thumbnail_path=thumb_rel)
                svc.realtime.queue_to_user(conn, "upload_scan_done", lambda: _clean_payload(svc, job, row.id),
                                           job.uploader_id)
        if not done:  # another node finished it meanwhile
            uploads.remove_quietly(target, uploads.abs_path(svc, thumb_rel) if thumb_rel else None)
        return
    status = result.status if result.status in ("infected", "error") else "error"
    details = {"job_id": job.id, "file_name": row.original_name if row else None,
               "sha256": row.sha256 if row else None, "detail": result.detail}
    with svc.db.begin() as conn:
        if not store.finish_job(conn, job.id, status, result.detail):
            return
        if row is not None:
            store.update_file(conn, row.id, scan_status=status, deleted_at=utcnow())
        _audit_rejected(conn, "upload_infected" if status == "infected" else "upload_scan_failed",
                        job.uploader_id, job.room_id, row.id if row else None, details)
        svc.realtime.queue_to_user(conn, "upload_scan_done", {"job_id": job.id, "status": status}, job.uploader_id)
    if status == "infected":
        svc.log.warning("infected upload deleted: job %s, %s", job.id, result.detail)
    else:
        svc.log.error("upload scan failed: job %s, %s", job.id, result.detail)
    uploads.remove_quietly(path)


def _clean_payload(svc: Services, job: Any, file_id: int) -> dict[str, Any]:
    """After the commit of a clean scan: a new upload token (kept for ``GET /api/upload/jobs/<id>``)
    in the ``upload_scan_done`` payload."""
    token = uploads.mint_upload_token(svc, file_id, job.uploader_id, job.room_id)
    svc.state.set(JOB_TOKEN_PREFIX + job.id, token, ttl=svc.settings.UPLOAD_TOKEN_TTL_SECONDS)
    return {"job_id": job.id, "status": "clean", "upload_token": token}


def scan_now(svc: Services, path: Path, user_id: int, name: str, sha256: str) -> None:
    """Scan synchronously (avatars): 400 ``infected_file`` or 503 ``av_unavailable`` unless clean."""
    result = scan(svc, path)
    if result.status == "clean":
        return
    action = "upload_infected" if result.status == "infected" else "upload_scan_failed"
    with svc.db.begin() as conn:
        _audit_rejected(conn, action, user_id, None, None,
                        {"file_name": name, "sha256": sha256, "detail": result.detail, "purpose": "avatar"})
    if result.status == "infected":
        raise ApiError(400, "infected_file", "The virus scanner found a threat in this file")
    raise ApiError(503, "av_unavailable", "The virus scanner is not available; try again later")


def job_status(svc: Services, user_id: int, job_id: str) -> dict[str, Any]:
    """``GET /api/upload/jobs/<job_id>`` for the uploader: status, and the token and file once clean."""
    with svc.db.read() as conn:
        job = store.get_job(conn, job_id)
        if job is None:
            raise not_found("upload job")
        if job.uploader_id != user_id:
            raise ApiError(403, "forbidden", "Only the uploader can see this upload job", {"reason": "upload_job"})
        row = store.get_file(conn, job.file_id) if job.file_id else None
    out: dict[str, Any] = {"job_id": job.id, "status": job.status}
    if job.status == "clean" and row is not None:
        token = svc.state.get(JOB_TOKEN_PREFIX + job.id)
        if token:
            out["upload_token"] = token
        out.update(file_path=file_url(row.id, row.original_name), file_name=row.original_name,
                   file=file_dict(row))
    elif job.status in ("infected", "error"):
        out["detail"] = "virus found" if job.status == "infected" else "virus scan failed"
    return out
