"""SQL for the audit log."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Connection, func, insert, select

from messenger.storage.db import inserted_id, utcnow
from messenger.storage.tables import audit_logs


def add(
    conn: Connection,
    scope: str,
    action: str,
    actor_id: int | None = None,
    room_id: int | None = None,
    target_user_id: int | None = None,
    target_id: str | None = None,
    details: dict[str, Any] | None = None,
    client_ip: str | None = None,
) -> int:
    result = conn.execute(
        insert(audit_logs).values(
            scope=scope,
            action=action,
            actor_id=actor_id,
            room_id=room_id,
            target_user_id=target_user_id,
            target_id=None if target_id is None else str(target_id),
            details=json.dumps(details or {}, ensure_ascii=False, default=str),
            client_ip=client_ip,
            created_at=utcnow(),
        )
    )
    return inserted_id(result)


def query(
    conn: Connection,
    scope: str,
    room_id: int | None = None,
    action: str | None = None,
    actor_id: int | None = None,
    date_from: dt.datetime | None = None,
    date_to: dt.datetime | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> tuple[list[Any], int]:
    """Entries newest first, and the total matching the filters."""
    cond = [audit_logs.c.scope == scope]
    if room_id is not None:
        cond.append(audit_logs.c.room_id == room_id)
    if action:
        cond.append(audit_logs.c.action == action)
    if actor_id is not None:
        cond.append(audit_logs.c.actor_id == actor_id)
    if date_from is not None:
        cond.append(audit_logs.c.created_at >= date_from)
    if date_to is not None:
        cond.append(audit_logs.c.created_at <= date_to)
    total = conn.execute(select(func.count()).select_from(audit_logs).where(*cond)).scalar_one()
    if before_id is not None:
        cond.append(audit_logs.c.id < before_id)
    rows = conn.execute(
        select(audit_logs).where(*cond).order_by(audit_logs.c.id.desc()).limit(limit)
    ).all()
    return list(rows), int(total)


def latest_time(conn: Connection) -> dt.datetime | None:
    """When the newest entry was written (None for an empty log)."""
    value: dt.datetime | None = conn.execute(select(func.max(audit_logs.c.created_at))).scalar_one()
    return value


def written_after(conn: Connection, after: dt.datetime) -> list[dict[str, Any]]:
    """Every entry written after ``after``, oldest first, as column values without the id."""
    rows = conn.execute(
        select(audit_logs).where(audit_logs.c.created_at > after).order_by(audit_logs.c.id)
    ).mappings().all()
    return [{k: v for k, v in row.items() if k != "id"} for row in rows]


def add_rows(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Append entries as they were (times and actors kept; new ids, after the existing ones)."""
    if rows:
        conn.execute(insert(audit_logs), rows)
