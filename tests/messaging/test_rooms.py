"""Rooms through the real app: direct and group rooms, members, roles, settings, room list."""

from __future__ import annotations

from typing import Any

from tests.helpers import TestUser
from tests.messaging.common import group, send


def test_direct_room_is_reused_for_the_pair(app: Any) -> None:
    kim, lee = TestUser(app, "kim", "김철수"), TestUser(app, "lee", "이영희")
    r = kim.post("/api/rooms", json={"type": "direct", "user_id": lee.id})
    assert r.status_code == 201
    room = r.get_json()["room"]
    assert room["type"] == "direct" and room["name"] == "이영희"
    assert {m["user"]["id"] for m in room["members"]} == {kim.id, lee.id}
    again = lee.post("/api/rooms", json={"type": "direct", "user_id": kim.id})
    assert again.status_code == 200 and again.get_json()["room"]["id"] == room["id"]
    assert again.get_json()["room"]["name"] == "김철수"
    assert kim.post("/api/rooms", json={"type": "direct", "user_id": kim.id}).status_code == 400
    assert kim.post("/api/rooms", json={"type": "direct", "user_id": 999}).get_json()["code"] == "invalid_user"
    assert kim.post("/api/rooms", json={"type": "direct"}).get_json()["code"] == "missing_field"


def test_group_room_members_and_roles(app: Any) -> None:
    kim, lee, park = TestUser(app, "kim"), TestUser(app, "lee"), TestUser(app, "park")
    room = group(kim, "개발팀", lee)
    roles = {m["user"]["id"]: m["role"] for m in room["members"]}
    assert roles == {kim.id: "admin", lee.id: "member"}
    rid = room["id"]
    # A non-member sees nothing.
    assert park.get(f"/api/rooms/{rid}").status_code == 403
    assert park.get(f"/api/rooms/{rid}/messages").status_code == 403
    assert park.get("/api/rooms/9999").status_code == 404
    # Any member adds people; only admins rename, kick and change roles.
    r = lee.post(f"/api/rooms/{rid}/members", json={"user_ids": [park.id]})
    assert r.status_code == 200 and r.get_json()["room"]["members_count"] == 3
    assert lee.patch(f"/api/rooms/{rid}", json={"name": "x"}).status_code == 403
    assert lee.delete(f"/api/rooms/{rid}/members/{park.id}").status_code == 403
    assert lee.patch(f"/api/rooms/{rid}/members/{park.id}", json={"role": "admin"}).status_code == 403
    r = kim.patch(f"/api/rooms/{rid}", json={"name": "플랫폼팀", "topic": "주간 회의"})
    assert r.status_code == 200 and r.get_json()["room"]["name"] == "플랫폼팀"
    assert kim.patch(f"/api/rooms/{rid}/members/{lee.id}", json={"role": "admin"}).status_code == 200
    assert kim.delete(f"/api/rooms/{rid}/members/{park.id}").status_code == 200
    assert park.get(f"/api/rooms/{rid}").status_code == 403
    # Demoting the last admin is refused.
    assert kim.patch(f"/api/rooms/{rid}/members/{lee.id}", json={"role": "member"}).status_code == 200
    r = kim.patch(f"/api/rooms/{rid}/members/{kim.id}", json={"role": "member"})
    assert r.status_code == 400 and r.get_json()["code"] == "last_admin"
    events = [m["event"] for m in kim.get(f"/api/rooms/{rid}/messages").get_json()["messages"]
              if m["type"] == "system"]
    assert {"event": "room_renamed", "user": {"id": kim.id, "name": "kim"}, "name": "플랫폼팀"} in events
    assert {"event": "member_removed", "user": {"id": kim.id, "name": "kim"},
            "target": {"id": park.id, "name": "park"}} in events


def test_last_admin_leaving_promotes_longest_standing_member(app: Any) -> None:
    kim, lee, park = TestUser(app, "kim"), TestUser(app, "lee"), TestUser(app, "park")
    room = group(kim, "팀", lee)
    kim.post(f"/api/rooms/{room['id']}/members", json={"user_ids": [park.id]})
    assert kim.delete(f"/api/rooms/{room['id']}/members/{kim.id}").status_code == 200
    members = {m["user"]["id"]: m["role"] for m in lee.get(f"/api/rooms/{room['id']}").get_json()["room"]["members"]}
    assert members == {lee.id: "admin", park.id: "member"}
    assert kim.get(f"/api/rooms/{room['id']}").status_code == 403


def test_room_list_counts_and_order(app: Any, svc: Any) -> None:
    kim, lee = TestUser(app, "kim"), TestUser(app, "lee")
    first = group(kim, "첫째", lee)
    second = group(kim, "둘째", lee)
    m = send(lee, first["id"], "안녕하세요 <b>굵게</b>")
    send(lee, first["id"], "두 번째")
    rooms = [r for r in kim.get("/api/rooms").get_json()["rooms"] if r["kind"] != "announcement"]
    assert [r["id"] for r in rooms] == [first["id"], second["id"]]  # newest activity first
    top = rooms[0]
    assert top["unread_count"] == 2 and top["members_count"] == 2
    assert top["last_message"]["content"] == "두 번째" and top["pinned"] is False and top["muted"] is False
    assert kim.post(f"/api/rooms/{first['id']}/read", json={"message_id": m["id"]}).status_code == 200
    assert kim.get("/api/rooms").get_json()["rooms"][0]["unread_count"] == 1
    r = kim.patch(f"/api/rooms/{second['id']}/settings", json={"pinned": True, "muted": True})
    assert r.get_json()["settings"] == {"room_id": second["id"], "pinned": True, "muted": True, "notify": "none"}
    by_id = {r["id"]: r for r in kim.get("/api/rooms").get_json()["rooms"]}
    assert by_id[second["id"]]["pinned"] is True and by_id[first["id"]]["pinned"] is False
    # Sender's own messages are never unread for them.
    assert {r["id"]: r["unread_count"] for r in lee.get("/api/rooms").get_json()["rooms"]}[first["id"]] == 0


def test_leaving_a_direct_room_and_opening_it_again(app: Any) -> None:
    kim, lee = TestUser(app, "kim"), TestUser(app, "lee")
    room = kim.post("/api/rooms", json={"type": "direct", "user_id": lee.id}).get_json()["room"]
    send(kim, room["id"], "안녕")
    assert lee.patch(f"/api/rooms/{room['id']}", json={"name": "x"}).status_code == 403
    r = kim.post(f"/api/rooms/{room['id']}/members", json={"user_ids": [kim.id]})
    assert r.status_code == 400 and r.get_json()["code"] == "direct_room"
    assert lee.delete(f"/api/rooms/{room['id']}/members/{lee.id}").status_code == 200
    assert [r["id"] for r in lee.get("/api/rooms").get_json()["rooms"] if r["kind"] != "announcement"] == []
    again = lee.post("/api/rooms", json={"type": "direct", "user_id": kim.id})
    assert again.status_code == 200 and again.get_json()["room"]["id"] == room["id"]
    history = lee.get(f"/api/rooms/{room['id']}/messages").get_json()["messages"]
    assert [m["content"] for m in history if m["type"] == "text"] == ["안녕"]


def test_system_messages_come_from_the_server_only(app: Any, svc: Any) -> None:
    from messenger.messages.service import post_system_message

    kim = TestUser(app, "kim")
    room = group(kim, "팀")
    event = {"event": "admin_assigned", "user": {"id": kim.id, "name": "kim"}}
    msg = post_system_message(svc, room["id"], event, {"kind": "maintenance"})
    assert msg["type"] == "system" and msg["sender"] is None and msg["details"] == {"kind": "maintenance"}
    latest = kim.get(f"/api/rooms/{room['id']}/messages?limit=1").get_json()["messages"][0]
    assert latest["id"] == msg["id"] and latest["content"] == "" and latest["event"] == event
    assert kim.delete(f"/api/messages/{msg['id']}").get_json()["code"] == "not_deletable"
    assert kim.patch(f"/api/messages/{msg['id']}", json={"content": "x"}).status_code == 403
