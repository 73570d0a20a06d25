"""Test data for the ops tests, written through the storage layer (rooms/messages rows, an upload)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from messenger.storage import Database, utcnow
from messenger.storage.tables import files, messages, room_members, rooms


def make_room(db: Database, user_ids: list[int], name: str = "개발팀") -> int:
    now = utcnow()
    with db.begin() as conn:
        room_id = int(conn.execute(insert(rooms).values(type="group", name=name, topic="", created_by=user_ids[0],
                                                        created_at=now, last_activity_at=now)).inserted_primary_key[0])
        conn.execute(insert(room_members), [{"room_id": room_id, "user_id": u, "role": "admin" if i == 0 else "member",
                                             "joined_at": now} for i, u in enumerate(user_ids)])
    return room_id


def add_message(db: Database, room_id: int, sender_id: int, content: str, file_id: int | None = None) -> int:
    with db.begin() as conn:
        return int(conn.execute(insert(messages).values(
            room_id=room_id, sender_id=sender_id, type="file" if file_id else "text", content=content,
            file_id=file_id, created_at=utcnow())).inserted_primary_key[0])


def add_upload(db: Database, upload_dir: Path, room_id: int, uploader_id: int, name: str, data: bytes) -> int:
    rel = f"2026/11/{hashlib.sha256(data).hexdigest()[:16]}.bin"
    (upload_dir / rel).parent.mkdir(parents=True, exist_ok=True)
    (upload_dir / rel).write_bytes(data)
    with db.begin() as conn:
        return int(conn.execute(insert(files).values(
            room_id=room_id, uploader_id=uploader_id, purpose="message", original_name=name, stored_path=rel,
            size=len(data), mime="application/octet-stream", sha256=hashlib.sha256(data).hexdigest(),
            scan_status="clean", created_at=utcnow())).inserted_primary_key[0])


def message_texts(db: Database) -> dict[int, str]:
    with db.read() as conn:
        return {r.id: r.content for r in conn.execute(select(messages.c.id, messages.c.content))}


def count(db: Database, table: Any) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
