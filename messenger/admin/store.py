"""SQL for server administration (user list, account deletion, audit-log reads with names)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from messenger.storage.db import utcnow
from messenger.storage.tables import users


def list_users(conn: Connection, include_deleted: bool = False) -> list[Any]:
    stmt = select(users).order_by(users.c.id)
    if not include_deleted:
        stmt = stmt.where(users.c.deleted_at.is_(None))
    return list(conn.execute(stmt).all())


def lock_user(conn: Connection, user_id: int) -> Any:
    """The user row, locked for the rest of the transaction where the database supports it."""
    stmt = select(users).where(users.c.id == user_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return conn.execute(stmt).first()


def lock_admins(conn: Connection) -> list[int]:
    """Ids of the active server admins, locked so two admins cannot demote each other at once."""
    stmt = select(users.c.id).where(
        users.c.is_admin.is_(True), users.c.is_active.is_(True), users.c.deleted_at.is_(None)
    )
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return [r.id for r in conn.execute(stmt).all()]


def tombstone_username(user_id: int) -> str:
    """The username of a deleted account: ``deleted:<id>``. ':' is outside every username a person can
    register or SSO can provision, so the name can never be taken before the account is deleted."""
    return f"deleted:{user_id}"


def anonymise_user(conn: Connection, user_id: int, display_name: str) -> None:
    """Mark the account deleted: no login, no SSO mapping, no personal data; the row stays for history."""
    conn.execute(
        update(users).where(users.c.id == user_id).values(
            username=tombstone_username(user_id),
            display_name=display_name,
            password_hash=None,
            is_admin=False,
            is_active=False,
            must_change_password=False,
            status_message="",
            department="",
            title="",
            extension="",
            email="",
            availability="online",
            avatar_file_id=None,
            oidc_issuer=None,
            oidc_subject=None,
            deleted_at=utcnow(),
        )
    )


def user_names(conn: Connection, user_ids: set[int]) -> dict[int, Any]:
    """``{id: row(id, username, display_name)}`` for the given ids (one query)."""
    if not user_ids:
        return {}
    rows = conn.execute(
        select(users.c.id, users.c.username, users.c.display_name).where(users.c.id.in_(sorted(user_ids)))
    ).all()
    return {r.id: r for r in rows}
