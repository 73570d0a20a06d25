"""Notifications: the per-room level (notify, replacing muted), mention_count, and read-all."""

from __future__ import annotations

from typing import Any

from messenger.ops.backup import upgrade_to
from messenger.storage import Database
from messenger.storage.migrate import upgrade
from tests.helpers import LiveUser, TestUser
from tests.messaging.common import group, send


def _rooms(user: Any) -> dict[int, dict[str, Any]]:
    r = user.get("/api/rooms")
    body = r.get_json() if hasattr(r, "get_json") else r.json()
    return {room["id"]: room for room in body["rooms"]}


def test_notify_level_replaces_muted_and_keeps_it_working(app: Any) -> None:
    kim, lee = TestUser(app, "kim"), TestUser(app, "lee")
    room = group(kim, "팀", lee)
    url = f"/api/rooms/{room['id']}/settings"
    assert _rooms(kim)[room["id"]]["notify"] == "all" and _rooms(kim)[room["id"]]["muted"] is False
    assert kim.get(f"/api/rooms/{room['id']}").get_json()["room"]["notify"] == "all"
    r = kim.patch(url, json={"notify": "mentions"})
    assert r.status_code == 200
    assert r.get_json()["settings"] == {"room_id": room["id"], "notify": "mentions", "muted": False, "pinned": False}
    assert _rooms(kim)[room["id"]]["notify"] == "mentions" and _rooms(lee)[room["id"]]["notify"] == "all"
    # The older flag: muted true is "none", muted false lifts "none" back to "all".
    assert kim.patch(url, json={"muted": True}).get_json()["settings"]["notify"] == "none"
    assert _rooms(kim)[room["id"]]["muted"] is True
    assert kim.get(f"/api/rooms/{room['id']}").get_json()["room"]["muted"] is True
    assert kim.patch(url, json={"muted": False}).get_json()["settings"]["notify"] == "all"
    kim.patch(url, json={"notify": "mentions"})
    assert kim.patch(url, json={"muted": False}).get_json()["settings"]["notify"] == "mentions"  # not muted: kept
    bad = kim.patch(url, json={"notify": "loud"})
    assert bad.status_code == 400 and bad.get_json()["code"] == "invalid_field"
    outsider = TestUser(app, "park")
    assert outsider.patch(url, json={"notify": "none"}).status_code == 403


def test_a_muted_membership_becomes_none_when_the_database_is_upgraded(tmp_path: Any) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        upgrade_to(db, "0005_people")
        with db.begin() as conn:
            conn.exec_driver_sql("INSERT INTO users (id, username, display_name, is_admin, is_active, "
                                 "must_change_password, status_message, created_at) VALUES "
                                 "(1, 'kim', 'kim', 0, 1, 0, '', '2026-01-01 00:00:00.000000'), "
                                 "(2, 'lee', 'lee', 0, 1, 0, '', '2026-01-01 00:00:00.000000')")
            conn.exec_driver_sql("INSERT INTO rooms (id, type, name, topic, created_at, last_activity_at) VALUES "
                                 "(1, 'group', 'r', '', '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')")
            conn.exec_driver_sql("INSERT INTO room_members (room_id, user_id, role, joined_at, last_read_message_id, "
                                 "muted, pinned) VALUES (1, 1, 'admin', '2026-01-01 00:00:00.000000', 0, 1, 0), "
                                 "(1, 2, 'member', '2026-01-01 00:00:00.000000', 0, 0, 0)")
        upgrade(db)
        with db.read() as conn:
            rows = conn.exec_driver_sql("SELECT room_id, user_id, role, notify FROM room_members "
                                        "ORDER BY room_id, user_id").all()
        # The memberships survive the later migrations too (0007 adds the announcement room of everyone).
        assert [tuple(r) for r in rows] == [(1, 1, "admin", "none"), (1, 2, "member", "all"),
                                            (2, 1, "reader", "all"), (2, 2, "reader", "all")]
    finally:
        db.dispose()


def test_mention_count_counts_unread_mentions_of_me(app: Any) -> None:
    kim, lee, park = TestUser(app, "kim"), TestUser(app, "lee"), TestUser(app, "park")
    room = group(kim, "팀", lee, park)
    rid = room["id"]
    send(lee, rid, "@park 확인 부탁해요")
    send(lee, rid, "그냥 메시지")
    gone = send(lee, rid, "@park 이건 지울게요")
    send(kim, rid, "@all 공지: 3시 회의")  # kim is the room admin: @all mentions everyone
    lee.delete(f"/api/messages/{gone['id']}")
    mine = _rooms(park)[rid]
    assert (mine["unread_count"], mine["mention_count"]) == (3, 2)
    assert _rooms(lee)[rid]["mention_count"] == 1  # kim's @all came after lee's last message
    other = group(lee, "다른 방", park)
    send(lee, other["id"], "@park 여기도")
    assert _rooms(park)[other["id"]]["mention_count"] == 1 and _rooms(park)[rid]["mention_count"] == 2
    last = lee.get(f"/api/rooms/{rid}/messages").get_json()["messages"][0]["id"]
    park.post(f"/api/rooms/{rid}/read", json={"message_id": last})
    assert _rooms(park)[rid]["mention_count"] == 0 and _rooms(park)[other["id"]]["mention_count"] == 1


def test_read_all_marks_every_room_read_and_tells_the_rooms(live_server: Any) -> None:
    kim, lee, park = (LiveUser(live_server.url, n) for n in ("kim", "lee", "park"))
    one, two, quiet = group(lee, "하나", kim), group(lee, "둘", kim, park), group(park, "셋", kim)
    send(lee, one["id"], "첫째 방")
    m2 = send(lee, two["id"], "@kim 둘째 방")
    send(park, quiet["id"], "셋째")
    kim.post(f"/api/rooms/{quiet['id']}/read", json={"message_id": _rooms(kim)[quiet["id"]]["last_message"]["id"]})
    watcher = lee.socket()
    try:
        r = kim.post("/api/rooms/read-all")
        assert r.status_code == 200
        moved = {x["room_id"]: x["message_id"] for x in r.json()["rooms"]}
        assert set(moved) == {one["id"], two["id"]} and moved[two["id"]] == m2["id"]  # "셋" was already read
        after = _rooms(kim)
        assert all(after[i]["unread_count"] == 0 and after[i]["mention_count"] == 0 for i in after)
        upd = watcher.wait_for("read_updated", lambda d: d["user_id"] == kim.id and d["room_id"] == two["id"])
        assert upd["message_id"] == m2["id"] and upd["previous_message_id"] < m2["id"]
        assert lee.get(f"/api/rooms/{two['id']}/messages").json()["messages"][0]["unread_count"] == 1  # park
        assert kim.post("/api/rooms/read-all").json()["rooms"] == []  # nothing left to read
        assert LiveUser(live_server.url, "choi").post("/api/rooms/read-all").json()["rooms"] == []
    finally:
        watcher.disconnect()
