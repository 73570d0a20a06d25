"""The contract's ``user`` objects (no service imports: other features' serialisers use these)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from messenger.core.context import Services
from messenger.core.models import Reply
from messenger.storage.db import iso


class PersonRef(Reply):
    """Who did something (a notice's author, who pinned a message): ``null`` for a deleted account."""

    id: int
    display_name: str
    avatar_url: str | None


class Person(Reply):
    """A colleague as others see them (the directory, room members): ``directory_dict``."""

    id: int
    username: str
    display_name: str
    avatar_url: str | None
    status_message: str
    presence: str
    department: str
    title: str
    extension: str
    email: str
    availability: str
    last_seen_at: str | None


class User(Person):
    """The contract's ``user`` object (``user_dict``): a person plus the account's own flags."""

    is_admin: bool
    must_change_password: bool


def avatar_url(row: Any) -> str | None:
    return f"/files/{row.avatar_file_id}/avatar" if row.avatar_file_id else None


AVAILABILITY = ("online", "away", "busy", "dnd")


def people_fields(row: Any) -> dict[str, Any]:
    """The directory fields every ``user`` object carries (docs/API.md, "Me and users")."""
    return {
        "department": row.department or "",
        "title": row.title or "",
        "extension": row.extension or "",
        "email": row.email or "",
        "availability": row.availability or "online",
        "last_seen_at": _iso(row.last_seen_at),
    }


def _iso(value: datetime | str | None) -> str | None:
    """ISO time of a column read through plain SQL too (SQLite hands such reads back as text)."""
    return iso(datetime.fromisoformat(value) if isinstance(value, str) else value)


def user_dict(svc: Services, row: Any) -> dict[str, Any]:
    """The contract's ``user`` object."""
    return {
        "id": row.id,
        "username": row.username,
        "display_name": row.display_name,
        "avatar_url": avatar_url(row),
        "status_message": row.status_message or "",
        "is_admin": bool(row.is_admin),
        "presence": svc.realtime.presence(row.id),
        "must_change_password": bool(row.must_change_password),
        **people_fields(row),
    }


def directory_dict(svc: Services, row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "username": row.username,
        "display_name": row.display_name,
        "avatar_url": avatar_url(row),
        "status_message": row.status_message or "",
        "presence": svc.realtime.presence(row.id),
        **people_fields(row),
    }
