"""Small helpers for the pins/polls/retention tests (rooms and messages through the public API)."""

from __future__ import annotations

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


def nothing_arrives(rec: SocketRecorder, event: str) -> None:
    """``rec`` has received no ``event``. The marker is its own round trip: the server answers it after
    everything it queued for this socket before (events go out in the request that caused them)."""
    answer = rec.call("typing", {})  # an invalid payload: an error answer and nothing else
    assert answer["ok"] is False
    assert rec.of(event) == [], rec.of(event)
