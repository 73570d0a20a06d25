"""Shared helpers for the messaging tests."""

from __future__ import annotations

from typing import Any


def group(owner: Any, name: str, *members: Any) -> dict[str, Any]:
    r = owner.post("/api/rooms", json={"type": "group", "name": name, "member_ids": [m.id for m in members]})
    assert r.status_code == 201, _body(r)
    return _json(r)["room"]


def send(user: Any, room_id: int, content: str, **extra: Any) -> dict[str, Any]:
    r = user.post(f"/api/rooms/{room_id}/messages", json={"content": content, **extra})
    assert r.status_code == 201, _body(r)
    return _json(r)["message"]


def _json(r: Any) -> Any:
    return r.get_json() if hasattr(r, "get_json") else r.json()


def _body(r: Any) -> Any:
    return r.get_data(as_text=True) if hasattr(r, "get_data") else r.text
