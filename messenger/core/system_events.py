"""System messages are stored as events with parameters, never as sentences.

A ``system`` message's ``content`` column holds its event as JSON, e.g.
``{"event": "member_left", "user": {"id": 5, "name": "김대호"}}``; the message object sent to clients
carries it as ``event`` (and an empty ``content``), and each client words it from its own catalog.
A person is ``{"id": <user id or null>, "name": <display name when the event happened>}``: clients
show the user's current name when they know the id and the stored name otherwise, so an event stays
readable after the user left or was deleted. The events and their fields are listed in docs/API.md.
"""

from __future__ import annotations

import json
from typing import Any

EVENTS = (
    "room_created",     # user, members: [person]
    "room_renamed",     # user, name
    "members_invited",  # user, members: [person]
    "member_left",      # user
    "member_removed",   # user (who removed), target
    "admin_assigned",   # user (made room administrator when the last one left)
    "notice_posted",    # user, notice_id, text (the notice: user text, searchable as the author's)
    "notice_removed",   # user (the notice's author), notice_id: what a deleted notice's event becomes
    "legacy",           # text: a sentence stored by an older version that could not be read as an event
)


def person(user_id: int | None, name: str | None) -> dict[str, Any]:
    return {"id": user_id, "name": name or ""}


def make(event: str, **params: Any) -> dict[str, Any]:
    if event not in EVENTS:
        raise ValueError(f"unknown system event {event!r}")
    return {"event": event, **params}


def encode(event: dict[str, Any]) -> str:
    """The stored form (the message's ``content`` column)."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def decode(content: str | None) -> dict[str, Any]:
    """The event of a stored system message; anything that is not an event object reads as ``legacy``."""
    try:
        value = json.loads(content or "")
    except ValueError:
        value = None
    if isinstance(value, dict) and isinstance(value.get("event"), str):
        return value
    return {"event": "legacy", "text": content or ""}
