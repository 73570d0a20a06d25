"""SQL for users and sessions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, func, insert, or_, select, update

from messenger.storage.db import inserted_id, utcnow
from messenger.storage.tables import sessions, users


def count_users(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(users)).scalar_one())


def count_admins(conn: Connection) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(users).where(
                users.c.is_admin.is_(True), users.c.is_active.is_(True), users.c.deleted_at.is_(None)
            )
        ).scalar_one()
    )


def create_user(conn: Connection, username: str, display_name: str, password_hash: str | None,
                is_admin: bool = False, oidc_issuer: str | None = None,
                oidc_subject: str | None = None) -> int:
    result = conn.execute(
        insert(users).values(
            username=username,
            display_name=display_name,
            password_hash=password_hash,
            is_admin=is_admin,
            is_active=True,
            must_change_password=False,
            status_message="",
            oidc_issuer=oidc_issuer,
            oidc_subject=oidc_subject,
            created_at=utcnow(),
        )
    )
    return inserted_id(result)


def get_user(conn: Connection, user_id: int) -> Any:
    return conn.execute(select(users).where(users.c.id == user_id)).first()


def get_users(conn: Connection, user_ids: list[int]) -> list[Any]:
    if not user_ids:
        return []
    return list(conn.execute(select(users).where(users.c.id.in_(user_ids))).all())


def get_user_by_username(conn: Connection, username: str) -> Any:
    return conn.execute(select(users).where(users.c.username == username)).first()


def get_user_by_oidc(conn: Connection, issuer: str, subject: str) -> Any:
    return conn.execute(
        select(users).where(users.c.oidc_issuer == issuer, users.c.oidc_subject == subject)
    ).first()


def update_user(conn: Connection, user_id: int, **values: Any) -> None:
    if values:
        conn.execute(update(users).where(users.c.id == user_id).values(**values))


def live_usernames(conn: Connection) -> list[str]:
    """Every username not deleted (the look-alike check on a new account; registration is rare)."""
    return [r.username for r in conn.execute(select(users.c.username).where(users.c.deleted_at.is_(None))).all()]


def replace_password_hash(conn: Connection, user_id: int, old_hash: str, new_hash: str) -> None:
    """Store a re-made hash of the same password, unless the password was changed meanwhile."""
    conn.execute(update(users).where(users.c.id == user_id, users.c.password_hash == old_hash)
                 .values(password_hash=new_hash))


def search_users(conn: Connection, q: str, limit: int = 50) -> list[Any]:
    cond: list[ColumnElement[bool]] = [users.c.deleted_at.is_(None), users.c.is_active.is_(True)]
    if q:
        like = f"%{q.lower()}%"
        cond.append(or_(func.lower(users.c.username).like(like), func.lower(users.c.display_name).like(like)))
    return list(conn.execute(select(users).where(*cond).order_by(users.c.display_name).limit(limit)).all())


def create_session(conn: Connection, token_hash: str, user_id: int, csrf_token: str,
                   expires_at: dt.datetime, client_ip: str | None, user_agent: str | None) -> int:
    result = conn.execute(
        insert(sessions).values(
            token_hash=token_hash,
            user_id=user_id,
            csrf_token=csrf_token,
            created_at=utcnow(),
            expires_at=expires_at,
            client_ip=client_ip,
            user_agent=(user_agent or "")[:255],
        )
    )
    return inserted_id(result)


# Built once: every HTTP request and every socket connect runs it (building the select per call, and
# SQLAlchemy's cache lookup for a new statement object, cost about half of the lookup's CPU).
_SESSION_WITH_USER = (
    select(
        sessions.c.id.label("session_id"),
        sessions.c.csrf_token,
        sessions.c.expires_at,
        sessions.c.revoked_at,
        sessions.c.revoke_reason,
        users,
    )
    .join(users, users.c.id == sessions.c.user_id)
    .where(sessions.c.token_hash == bindparam("token_hash"))
)


def get_session_with_user(conn: Connection, token_hash: str) -> Any:
    """The session row joined with its user (one indexed lookup)."""
    return conn.execute(_SESSION_WITH_USER, {"token_hash": token_hash}).first()


def get_session_state(conn: Connection, session_id: int) -> Any:
    stmt = (
        select(sessions.c.expires_at, sessions.c.revoked_at, users.c.is_active, users.c.deleted_at)
        .join(users, users.c.id == sessions.c.user_id)
        .where(sessions.c.id == session_id)
    )
    return conn.execute(stmt).first()


def revoke_sessions(conn: Connection, user_id: int, reason: str, keep_session_id: int | None = None) -> list[int]:
    """Revoke every live session of ``user_id`` but ``keep_session_id``; return the revoked ids."""
    cond = [sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None)]
    if keep_session_id is not None:
        cond.append(sessions.c.id != keep_session_id)
    ids = [r.id for r in conn.execute(select(sessions.c.id).where(*cond)).all()]
    if ids:
        conn.execute(
            update(sessions).where(sessions.c.id.in_(ids)).values(revoked_at=utcnow(), revoke_reason=reason)
        )
    return ids


def revoke_session(conn: Connection, session_id: int, reason: str) -> None:
    conn.execute(
        update(sessions)
        .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoke_reason=reason)
    )


def touch_last_seen(conn: Connection, user_id: int) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(last_seen_at=utcnow()))


def touch_last_seen_many(conn: Connection, user_ids: list[int]) -> None:
    """One statement for many users (the disconnects of a second, or of a server shutting down)."""
    for start in range(0, len(user_ids), 500):
        conn.execute(update(users).where(users.c.id.in_(user_ids[start:start + 500])).values(last_seen_at=utcnow()))
