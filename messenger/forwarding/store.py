"""SQL for forwarding: the copies and what a reader learns about their origin."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert

from messenger.storage.db import inserted_id, utcnow
from messenger.storage.tables import messages


def insert_copy(conn: Connection, room_id: int, sender_id: int, type_: str, content: str, file_id: int | None,
                origin_id: int) -> tuple[int, Any]:
    now = utcnow()
    result = conn.execute(insert(messages).values(
        room_id=room_id, sender_id=sender_id, type=type_, content=content, file_id=file_id,
        forwarded_from_id=origin_id, created_at=now))
    return inserted_id(result), now
