"""The room list's unread count stops at 100 ("99+" in the client), keeping the list fast."""

from __future__ import annotations

from typing import Any

from tests.helpers import TestUser


def test_unread_count_is_capped_at_100(make_settings: Any) -> None:
    from messenger.app import create_app

    app = create_app(make_settings(SOCKET_SEND_MESSAGE_PER_MINUTE=1000))
    kim, lee = TestUser(app, "kim"), TestUser(app, "lee")
    room = kim.post("/api/rooms", json={"type": "group", "name": "알림", "member_ids": [lee.id]}).get_json()["room"]
    for i in range(105):
        assert kim.post(f"/api/rooms/{room['id']}/messages", json={"content": f"공지 {i}"}).status_code == 201
    rooms = {r["id"]: r for r in lee.get("/api/rooms").get_json()["rooms"]}
    assert rooms[room["id"]]["unread_count"] == 100
    last = rooms[room["id"]]["last_message"]["id"]
    assert lee.post(f"/api/rooms/{room['id']}/read", json={"message_id": last - 3}).status_code == 200
    rooms = {r["id"]: r for r in lee.get("/api/rooms").get_json()["rooms"]}
    assert rooms[room["id"]]["unread_count"] == 3
    assert {r["id"]: r for r in kim.get("/api/rooms").get_json()["rooms"]}[room["id"]]["unread_count"] == 0
