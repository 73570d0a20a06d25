"""Server settings changed at run time by an administrator (``server_settings`` table)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from messenger.storage.db import utcnow
from messenger.storage.tables import server_settings


def get(conn: Connection, key: str) -> str | None:
    row = conn.execute(select(server_settings.c.value).where(server_settings.c.key == key)).first()
    return None if row is None else str(row.value)


def put(conn: Connection, key: str, value: str) -> None:
    """Set ``key`` to ``value`` in one statement (an upsert): two writers of one key at once both succeed,
    the later commit wins. A delete followed by an insert let the second writer's insert meet the row
    the first had just committed (a unique violation on PostgreSQL)."""
    now = utcnow()
    stmt: Any
    if conn.dialect.name == "postgresql":
        # the PostgreSQL dialect's module only on PostgreSQL (as in preferences/store.py: start-up cost)
        from sqlalchemy.dialects.postgresql import insert

        stmt = insert(server_settings)
    else:
        stmt = sqlite_insert(server_settings)
    stmt = stmt.values(key=key, value=value, updated_at=now)
    conn.execute(stmt.on_conflict_do_update(index_elements=[server_settings.c.key],
                                            set_={"value": value, "updated_at": now}))


def all_values(conn: Connection) -> dict[str, str]:
    return {r.key: r.value for r in conn.execute(select(server_settings)).all()}


def remove(conn: Connection, key: str) -> None:
    conn.execute(delete(server_settings).where(server_settings.c.key == key))
