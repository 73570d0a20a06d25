"""SQL for the people directory and its CSV import."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from messenger.storage.db import utcnow
from messenger.storage.tables import users

DIRECTORY_COLUMNS = ("username", "display_name", "department", "title", "extension", "email")


def users_by_username(conn: Connection, usernames: list[str]) -> dict[str, Any]:
    """``{username: row}`` of the accounts (deleted ones included) with these usernames."""
    out: dict[str, Any] = {}
    for start in range(0, len(usernames), 500):
        chunk = usernames[start:start + 500]
        for row in conn.execute(select(users).where(users.c.username.in_(chunk))).all():
            out[row.username] = row
    return out


def insert_users(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Create accounts from ``{username, display_name, password_hash, department, title, extension, email}``."""
    if not rows:
        return
    now = utcnow()
    conn.execute(insert(users), [
        {"is_admin": False, "is_active": True, "must_change_password": True, "status_message": "",
         "availability": "online", "created_at": now, **r} for r in rows
    ])


def update_users(conn: Connection, changes: list[tuple[int, dict[str, Any]]]) -> None:
    for user_id, values in changes:
        conn.execute(update(users).where(users.c.id == user_id).values(**values))


def directory_rows(conn: Connection) -> list[Any]:
    """Every account that is not deleted (deactivated ones too), for the export."""
    return list(conn.execute(
        select(*(users.c[c] for c in DIRECTORY_COLUMNS), users.c.id)
        .where(users.c.deleted_at.is_(None)).order_by(users.c.department, users.c.display_name, users.c.id)
    ).all())


def active_users(conn: Connection) -> list[Any]:
    return list(conn.execute(
        select(users).where(users.c.deleted_at.is_(None), users.c.is_active.is_(True))
        .order_by(users.c.display_name, users.c.id)
    ).all())


def user(conn: Connection, user_id: int) -> Any:
    return conn.execute(select(users).where(users.c.id == user_id)).first()


def users_by_id(conn: Connection, user_ids: list[int]) -> list[Any]:
    out: list[Any] = []
    for start in range(0, len(user_ids), 500):
        out += conn.execute(select(users).where(users.c.id.in_(user_ids[start:start + 500]))).all()
    return out
