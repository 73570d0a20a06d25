"""SQL for files and upload scan jobs (the only place in the files feature that talks to the database)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, exists, func, insert, select, update

from messenger.storage.db import inserted_id, utcnow
from messenger.storage.tables import files, messages, room_members, upload_jobs, users


def insert_file(conn: Connection, *, room_id: int | None, uploader_id: int, purpose: str, original_name: str,
                stored_path: str, size: int, mime: str, sha256: str, width: int | None, height: int | None,
                scan_status: str, thumbnail_path: str | None = None) -> int:
    result = conn.execute(insert(files).values(
        room_id=room_id, uploader_id=uploader_id, purpose=purpose, original_name=original_name,
        stored_path=stored_path, size=size, mime=mime, sha256=sha256, width=width, height=height,
        scan_status=scan_status, thumbnail_path=thumbnail_path, created_at=utcnow(),
    ))
    return inserted_id(result)


def get_file(conn: Connection, file_id: int) -> Any:
    return conn.execute(select(files).where(files.c.id == file_id)).first()


def get_files(conn: Connection, file_ids: list[int]) -> list[Any]:
    if not file_ids:
        return []
    return list(conn.execute(select(files).where(files.c.id.in_(sorted(set(file_ids))))).all())


def update_file(conn: Connection, file_id: int, **values: Any) -> None:
    conn.execute(update(files).where(files.c.id == file_id).values(**values))


def mark_deleted(conn: Connection, file_ids: list[int]) -> list[Any]:
    """Set ``deleted_at`` on these files; return their rows (with the stored paths to remove)."""
    rows = get_files(conn, file_ids)
    if rows:
        conn.execute(update(files).where(files.c.id.in_([r.id for r in rows]), files.c.deleted_at.is_(None))
                     .values(deleted_at=utcnow()))
    return rows


def file_ids_for_messages(conn: Connection, message_ids: list[int]) -> list[int]:
    """The files attached to these messages."""
    if not message_ids:
        return []
    rows = conn.execute(select(messages.c.file_id).where(
        messages.c.id.in_(sorted(set(message_ids))), messages.c.file_id.is_not(None))).all()
    return sorted({int(r.file_id) for r in rows})


def orphan_file_ids(conn: Connection, cutoff: dt.datetime, limit: int = 500) -> list[int]:
    """Message uploads older than ``cutoff`` that no message refers to (never sent)."""
    sent = exists().where(messages.c.file_id == files.c.id)
    rows = conn.execute(select(files.c.id).where(
        files.c.purpose == "message", files.c.deleted_at.is_(None), files.c.scan_status != "pending",
        files.c.created_at < cutoff, ~sent).order_by(files.c.id).limit(limit)).all()
    return [int(r.id) for r in rows]


def live_stored_paths(conn: Connection, after_id: int, limit: int) -> tuple[int | None, set[str]]:
    """Stored and thumbnail paths of files not deleted, ``limit`` rows after file id ``after_id`` (the
    stray-file sweep reads them in slices); the last id read, None when there are no more."""
    rows = conn.execute(select(files.c.id, files.c.stored_path, files.c.thumbnail_path)
                        .where(files.c.id > after_id, files.c.deleted_at.is_(None))
                        .order_by(files.c.id).limit(limit)).all()
    paths = {p for row in rows for p in (row.stored_path, row.thumbnail_path) if p}
    return (int(rows[-1].id) if len(rows) == limit else None), paths


def room_files(conn: Connection, room_id: int, before_id: int | None, limit: int, *, kind: str | None = None,
               name: str = "", mime_prefix: str | None = None, extension: str | None = None) -> list[Any]:
    """Files shared in a room's live messages, newest message first (uses ix_messages_room_id_id).

    ``kind`` ``image`` (image/*) or ``file`` (the rest); ``name`` a case-folded part of the file name;
    ``mime_prefix`` (``image/`` or a full type) and ``extension`` (``.pdf``) narrow further."""
    cond = [messages.c.room_id == room_id, messages.c.file_id.is_not(None), messages.c.deleted_at.is_(None),
            files.c.deleted_at.is_(None), files.c.scan_status == "clean"]
    if before_id is not None:
        cond.append(messages.c.id < before_id)
    if kind == "image":
        cond.append(files.c.mime.like("image/%"))
    elif kind == "file":
        cond.append(~files.c.mime.like("image/%"))
    if name:
        cond.append(func.lower(files.c.original_name).contains(name, autoescape=True))
    if mime_prefix:
        cond.append(files.c.mime.startswith(mime_prefix, autoescape=True) if mime_prefix.endswith("/")
                    else files.c.mime == mime_prefix)
    if extension:
        cond.append(func.lower(files.c.original_name).endswith(extension, autoescape=True))
    query = (
        select(files, messages.c.id.label("message_id"), messages.c.created_at.label("shared_at"),
               users.c.display_name.label("sender_name"), messages.c.sender_id)
        .select_from(messages.join(files, files.c.id == messages.c.file_id)
                     .outerjoin(users, users.c.id == messages.c.sender_id))
        .where(*cond)
        .order_by(messages.c.id.desc())
        .limit(limit)
    )
    return list(conn.execute(query).all())


def shared_with(conn: Connection, file_id: int, user_id: int) -> bool:
    """True when a live message carrying the file is in a room of ``user_id`` (ix_messages_file_id)."""
    mine = select(room_members.c.room_id).where(room_members.c.user_id == user_id)
    return conn.execute(select(messages.c.id).where(
        messages.c.file_id == file_id, messages.c.deleted_at.is_(None), messages.c.room_id.in_(mine)).limit(1)
    ).first() is not None


def files_carried_elsewhere(conn: Connection, file_ids: list[int], message_ids: list[int]) -> set[int]:
    """Those of ``file_ids`` carried by a live message not in ``message_ids``."""
    if not file_ids:
        return set()
    rows = conn.execute(select(messages.c.file_id).where(
        messages.c.file_id.in_(sorted(set(file_ids))), messages.c.deleted_at.is_(None),
        messages.c.id.not_in(sorted(set(message_ids)) or [0])).distinct()).all()
    return {int(r.file_id) for r in rows}


def messages_with_file(conn: Connection, file_id: int) -> list[Any]:
    """The messages (any room, deleted or not) that carry this file: ``(id, room_id)``."""
    return list(conn.execute(select(messages.c.id, messages.c.room_id).where(messages.c.file_id == file_id)
                             .order_by(messages.c.id)).all())


# ---- scan jobs --------------------------------------------------------------------------------------
def create_job(conn: Connection, job_id: str, file_id: int, uploader_id: int, room_id: int) -> None:
    now = utcnow()
    conn.execute(insert(upload_jobs).values(
        id=job_id, file_id=file_id, uploader_id=uploader_id, room_id=room_id, status="pending",
        detail="", attempts=0, created_at=now, updated_at=now,
    ))


def get_job(conn: Connection, job_id: str) -> Any:
    return conn.execute(select(upload_jobs).where(upload_jobs.c.id == job_id)).first()


def pending_job_ids(conn: Connection, limit: int = 1000) -> list[str]:
    rows = conn.execute(select(upload_jobs.c.id).where(upload_jobs.c.status == "pending")
                        .order_by(upload_jobs.c.created_at).limit(limit)).all()
    return [r.id for r in rows]


def count_attempt(conn: Connection, job_id: str) -> None:
    conn.execute(update(upload_jobs).where(upload_jobs.c.id == job_id)
                 .values(attempts=upload_jobs.c.attempts + 1, updated_at=utcnow()))


def finish_job(conn: Connection, job_id: str, status: str, detail: str = "") -> bool:
    """Move a pending job to its final status; False when another worker finished it first."""
    result = conn.execute(update(upload_jobs)
                          .where(upload_jobs.c.id == job_id, upload_jobs.c.status == "pending")
                          .values(status=status, detail=detail[:255], updated_at=utcnow()))
    return result.rowcount == 1

