"""SQL for user preferences (one row per user; a NULL column means "not set, use the default")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from messenger.storage.db import utcnow
from messenger.storage.tables import user_preferences

COLUMNS = ("language", "sound", "quiet_enabled", "quiet_start", "quiet_end", "quiet_weekends", "time_zone")


_GET = select(user_preferences).where(user_preferences.c.user_id == bindparam("user_id"))  # every socket connect


def get(conn: Connection, user_id: int) -> Any:
    return conn.execute(_GET, {"user_id": user_id}).first()


def get_many(conn: Connection, user_ids: list[int]) -> dict[int, Any]:
    """The stored rows of these users by id (users without a row are absent)."""
    if not user_ids:
        return {}
    rows = conn.execute(select(user_preferences).where(user_preferences.c.user_id.in_(user_ids))).all()
    return {int(r.user_id): r for r in rows}


def upsert(conn: Connection, user_id: int, values: dict[str, Any]) -> None:
    """Set ``values`` (column → value, None clears) on the user's row, creating it when missing."""
    unknown = set(values) - set(COLUMNS)
    if unknown:
        raise ValueError(f"unknown preference columns: {sorted(unknown)}")
    now = utcnow()
    stmt: Any
    if conn.dialect.name == "postgresql":
        # the PostgreSQL dialect's module only on PostgreSQL (on SQLite it cost ~0.04 s and 3 MB at start-up)
        from sqlalchemy.dialects.postgresql import insert

        stmt = insert(user_preferences)
    else:
        stmt = sqlite_insert(user_preferences)
    stmt = stmt.values(user_id=user_id, updated_at=now, **values)
    stmt = stmt.on_conflict_do_update(index_elements=[user_preferences.c.user_id],
                                      set_={**values, "updated_at": now})
    conn.execute(stmt)
