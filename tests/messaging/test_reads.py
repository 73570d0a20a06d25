"""Read receipts: ``unread_count`` on every message object, who read it, and the live ``read_updated``."""

from __future__ import annotations

from typing import Any

from tests.helpers import LiveUser, TestUser
from tests.messaging.common import group, send


def _history(user: Any, room_id: int) -> dict[int, dict[str, Any]]:
    r = user.get(f"/api/rooms/{room_id}/messages")
    body = r.get_json() if hasattr(r, "get_json") else r.json()
    return {m["id"]: m for m in body["messages"]}


def _names(sheet: dict[str, Any], key: str) -> list[str]:
    return [u["username"] for u in sheet[key]]


def test_unread_count_follows_the_read_markers(app: Any) -> None:
    kim, lee, park = TestUser(app, "kim", "김철수"), TestUser(app, "lee", "이영희"), TestUser(app, "park", "박민수")
    room = group(kim, "팀", lee, park)
    rid = room["id"]
    first = send(kim, rid, "보고서 올렸습니다")
    second = send(kim, rid, "확인 부탁드려요")
    assert first["unread_count"] == 2 and first["read_count"] == 0  # the sender is not waiting for herself
    assert _history(lee, rid)[first["id"]]["unread_count"] == 2
    lee.post(f"/api/rooms/{rid}/read", json={"message_id": first["id"]})
    seen = _history(kim, rid)
    assert (seen[first["id"]]["unread_count"], seen[first["id"]]["read_count"]) == (1, 1)
    assert (seen[second["id"]]["unread_count"], seen[second["id"]]["read_count"]) == (2, 0)
    reply = send(lee, rid, "넵")  # sending moves lee's own marker: lee has read everything before
    assert reply["unread_count"] == 2  # kim and park
    seen = _history(park, rid)
    assert seen[second["id"]]["unread_count"] == 1 and seen[reply["id"]]["unread_count"] == 2
    park.post(f"/api/rooms/{rid}/read", json={"message_id": reply["id"]})
    seen = _history(park, rid)
    assert [seen[i]["unread_count"] for i in (first["id"], second["id"], reply["id"])] == [0, 0, 1]
    sheet = kim.get(f"/api/messages/{second['id']}/reads").get_json()
    assert _names(sheet, "read") == ["park", "lee"]  # by display name: 박민수, 이영희
    assert sheet["unread"] == [] and sheet["room_id"] == rid
    assert set(sheet["read"][0]) >= {"id", "username", "display_name", "avatar_url", "presence"}


def test_only_members_when_it_was_sent_and_active_accounts_count(app: Any) -> None:
    admin, kim, lee, park = (TestUser(app, n) for n in ("admin", "kim", "lee", "park"))
    room = group(kim, "팀", lee, park)
    rid = room["id"]
    before = send(kim, rid, "choi 오기 전")
    # An account deactivated by a server admin is no longer waited for.
    assert admin.patch(f"/api/admin/users/{park.id}", json={"is_active": False}).status_code == 200
    assert _history(kim, rid)[before["id"]]["unread_count"] == 1
    assert send(kim, rid, "park 비활성")["unread_count"] == 1
    assert admin.patch(f"/api/admin/users/{park.id}", json={"is_active": True}).status_code == 200
    # Someone added later was not there when the message was sent: not in its counts or its sheet.
    assert kim.post(f"/api/rooms/{rid}/members", json={"user_ids": [admin.id]}).status_code == 200
    after = send(kim, rid, "admin 온 후")
    seen = _history(kim, rid)
    assert seen[before["id"]]["unread_count"] == 2 and after["unread_count"] == 3
    assert seen[after["id"]]["unread_count"] == 3
    sheet = kim.get(f"/api/messages/{before['id']}/reads").get_json()
    assert sorted(_names(sheet, "unread")) == ["lee", "park"] and sheet["read"] == []
    sheet = kim.get(f"/api/messages/{after['id']}/reads").get_json()
    assert sorted(_names(sheet, "unread")) == ["admin", "lee", "park"]


def test_who_read_is_for_room_members_only(app: Any) -> None:
    kim, lee, park = TestUser(app, "kim"), TestUser(app, "lee"), TestUser(app, "park")
    room = group(kim, "팀", lee, park)
    msg = send(kim, room["id"], "비밀")
    outsider = TestUser(app, "choi")
    assert outsider.get(f"/api/messages/{msg['id']}/reads").status_code == 403
    assert lee.get(f"/api/messages/{msg['id']}/reads").status_code == 200
    assert kim.delete(f"/api/rooms/{room['id']}/members/{lee.id}").status_code == 200  # kicked
    r = lee.get(f"/api/messages/{msg['id']}/reads")
    assert r.status_code == 403 and r.get_json()["code"] == "forbidden"
    assert kim.get("/api/messages/999999/reads").status_code == 404
    # The kicked member is not waited for any more either.
    assert kim.get(f"/api/messages/{msg['id']}/reads").get_json()["unread"][0]["username"] == "park"
    assert _history(kim, room["id"])[msg["id"]]["unread_count"] == 1


def test_new_message_and_read_updated_carry_what_the_client_needs(live_server: Any) -> None:
    kim, lee, park = (LiveUser(live_server.url, n) for n in ("kim", "lee", "park"))
    room = group(kim, "팀", lee, park)
    rid = room["id"]
    a, b = kim.socket(), lee.socket()
    try:
        ack = a.call("send_message", {"room_id": rid, "content": "하나", "client_msg_id": "r-1"})
        m1 = ack["message"]
        m2 = a.call("send_message", {"room_id": rid, "content": "둘", "client_msg_id": "r-2"})["message"]
        got = b.wait_for("new_message", lambda d: d["message"]["id"] == m2["id"])
        assert m1["unread_count"] == 2 and got["message"]["unread_count"] == 2
        assert b.call("mark_read", {"room_id": rid, "message_id": m2["id"]})["message_id"] == m2["id"]
        upd = a.wait_for("read_updated", lambda d: d["user_id"] == lee.id)
        # Everything in (previous_message_id, message_id] not sent by lee has one reader more.
        assert upd["previous_message_id"] < m1["id"] and upd["message_id"] == m2["id"]
        assert [_history(kim, rid)[i]["unread_count"] for i in (m1["id"], m2["id"])] == [1, 1]
    finally:
        a.disconnect()
        b.disconnect()
