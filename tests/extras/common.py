"""Small helpers for the pins/polls/retention tests (rooms and messages through the public API)."""

from __future__ import annotations

import time
from typing import Any

from tests.helpers import LiveUser, SocketRecorder


def group(owner: LiveUser, *members: LiveUser, name: str = "팀") -> int:
    r = owner.post("/api/rooms", json={"type": "group", "name": name, "member_ids": [m.id for m in members]})
    assert r.status_code == 201, r.text
    return int(r.json()["room"]["id"])


def say(user: LiveUser, room_id: int, content: str) -> dict[str, Any]:
    r = user.post(f"/api/rooms/{room_id}/messages", json={"content": content})
    assert r.status_code in (200, 201), r.text
    return r.json()["message"]


def nothing_arrives(rec: SocketRecorder, event: str, wait: float = 0.6) -> None:
    """After giving the server time to deliver, ``rec`` has received no ``event``."""
    time.sleep(wait)
    assert rec.of(event) == [], rec.of(event)
