"""Server settings changed at run time by an administrator (``server_settings`` table)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select

from messenger.storage.db import utcnow
from messenger.storage.tables import server_settings


def get(conn: Connection, key: str) -> str | None:
    row = conn.execute(select(server_settings.c.value).where(server_settings.c.key == key)).first()
    return None if row is None else str(row.value)


def put(conn: Connection, key: str, value: str) -> None:
    conn.execute(delete(server_settings).where(server_settings.c.key == key))
    conn.execute(insert(server_settings).values(key=key, value=value, updated_at=utcnow()))


def all_values(conn: Connection) -> dict[str, str]:
    return {r.key: r.value for r in conn.execute(select(server_settings)).all()}


def remove(conn: Connection, key: str) -> None:
    conn.execute(delete(server_settings).where(server_settings.c.key == key))
