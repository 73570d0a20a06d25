"""One send budget per user for every path that posts a message (#18 item 8)."""

from __future__ import annotations

from typing import Any

from tests.helpers import TestUser


def test_polls_and_renames_share_the_send_budget(make_settings: Any) -> None:
    from messenger.app import create_app, get_services

    app = create_app(make_settings(SOCKET_SEND_MESSAGE_PER_MINUTE=3))
    try:
        kim = TestUser(app, "kim")
        lee = TestUser(app, "lee")
        room = kim.post("/api/rooms", json={"type": "group", "name": "방", "member_ids": [lee.id]}).get_json()["room"]
        path = f"/api/rooms/{room['id']}"
        history_id = kim.post(f"{path}/messages", json={"content": "1"}).get_json()["message"]["id"]
        assert kim.post(f"{path}/polls", json={"question": "점심?", "options": ["김밥", "라면"]}).status_code == 201
        assert kim.patch(path, json={"name": "새 이름"}).status_code == 200
        # The budget of 3 is spent: every message-posting path answers 429 now.
        spent = [
            kim.post(f"{path}/messages", json={"content": "4"}),
            kim.post(f"{path}/polls", json={"question": "또?", "options": ["네", "아니요"]}),
            kim.patch(path, json={"name": "또 새 이름"}),
            kim.post(f"{path}/notices", json={"content": "공지"}),
            kim.post(f"/api/messages/{history_id}/forward", json={"room_ids": [room['id']]}),
        ]
        for r in spent:
            assert r.status_code == 429 and r.get_json()["code"] == "rate_limited", r.get_json()
            assert int(r.headers["Retry-After"]) >= 1
        history = lee.get(f"{path}/messages").get_json()["messages"]
        assert [m["type"] for m in history if m["type"] != "system"] == ["poll", "text"]
        assert lee.get(path).get_json()["room"]["name"] == "새 이름"
        # Another user's budget is their own; a topic change posts no message and is not limited.
        assert lee.post(f"{path}/polls", json={"question": "q", "options": ["a", "b"]}).status_code == 201
        assert kim.patch(path, json={"topic": "주제"}).status_code == 200
    finally:
        get_services(app).db.dispose()
