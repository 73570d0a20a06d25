"""Notices (공지): who posts, the room's system event, acknowledgements, reminders, hiding, deleting,
search and audit; and the company-wide announcement room."""

from __future__ import annotations

import io
from typing import Any

from tests.helpers import LiveUser, TestUser, presence_updates
from tests.messaging.common import group, send


def _json(r: Any) -> Any:
    return r.get_json() if hasattr(r, "get_json") else r.json()


def test_who_may_post_and_read_notices(app: Any) -> None:
    kim, lee, park = TestUser(app, "kim"), TestUser(app, "lee"), TestUser(app, "park")
    room = group(kim, "팀", lee, park)  # kim: room admin
    url = f"/api/rooms/{room['id']}/notices"
    r = kim.post(url, json={"content": "  금요일 3시 전체 회의  ", "require_ack": True})
    assert r.status_code == 201, r.get_data(as_text=True)
    notice = _json(r)["notice"]
    assert notice["content"] == "금요일 3시 전체 회의" and notice["require_ack"] is True
    assert (notice["audience_count"], notice["ack_count"], notice["pending_count"]) == (2, 0, 2)
    assert notice["author"]["id"] == kim.id and notice["acked_by_me"] is False
    # The room gets a language-free system event carrying the notice's text.
    event = kim.get(f"/api/rooms/{room['id']}/messages").get_json()["messages"][0]
    assert event["type"] == "system" and event["content"] == ""
    assert event["event"] == {"event": "notice_posted", "user": {"id": kim.id, "name": "kim"},
                              "notice_id": notice["id"], "text": "금요일 3시 전체 회의"}
    assert event["id"] == notice["event_message_id"]
    # Members read; only admins post, unless the room lets every member.
    assert [n["id"] for n in _json(lee.get(url))["notices"]] == [notice["id"]]
    denied = lee.post(url, json={"content": "제가 공지해도 되나요"})
    assert denied.status_code == 403 and _json(denied)["code"] == "forbidden"
    assert lee.patch(f"/api/rooms/{room['id']}", json={"members_post_notices": True}).status_code == 403
    assert kim.patch(f"/api/rooms/{room['id']}", json={"members_post_notices": True}).get_json()["room"][
        "members_post_notices"] is True
    mine = send(lee, room["id"], "점심은 12시 반입니다")
    promoted = lee.post(url, json={"message_id": mine["id"]})
    assert promoted.status_code == 201 and _json(promoted)["notice"]["content"] == "점심은 12시 반입니다"
    assert _json(promoted)["notice"]["message_id"] == mine["id"]
    # Bad input.
    assert kim.post(url, json={}).status_code == 400
    assert kim.post(url, json={"content": "x", "message_id": mine["id"]}).status_code == 400
    assert kim.post(url, json={"content": "   "}).status_code == 400
    other = group(kim, "다른 방", lee)
    assert kim.post(url, json={"message_id": send(kim, other["id"], "딴 방")["id"]}).status_code == 404
    # Outsiders and kicked members get nothing.
    outsider = TestUser(app, "choi")
    assert outsider.get(url).status_code == 403 and outsider.post(url, json={"content": "x"}).status_code == 403
    for path in (f"/api/notices/{notice['id']}/ack", f"/api/notices/{notice['id']}/hide",
                 f"/api/notices/{notice['id']}/remind"):
        assert outsider.post(path).status_code == 403
    assert outsider.get(f"/api/notices/{notice['id']}/acks").status_code == 403
    assert outsider.delete(f"/api/notices/{notice['id']}").status_code == 403
    assert kim.delete(f"/api/rooms/{room['id']}/members/{park.id}").status_code == 200
    assert park.get(url).status_code == 403 and park.post(f"/api/notices/{notice['id']}/ack").status_code == 403
    assert kim.get("/api/notices/999999/acks").status_code == 404


def test_acknowledgements_reminders_hiding_and_deleting(live_server: Any) -> None:
    kim, lee, park = (LiveUser(live_server.url, n) for n in ("kim", "lee", "park"))
    room = group(kim, "팀", lee, park)
    sk, sl, sp = kim.socket(), lee.socket(), park.socket()
    try:
        r = kim.post(f"/api/rooms/{room['id']}/notices", json={"content": "보안 교육 이수 후 확인", "require_ack": True})
        notice = r.json()["notice"]
        nid = notice["id"]
        created = sl.wait_for("notice_created", lambda d: d["notice"]["id"] == nid)["notice"]
        assert "acked_by_me" not in created and created["pending_count"] == 2
        sl.wait_for("new_message", lambda d: (d["message"].get("event") or {}).get("notice_id") == nid)
        # Only the author and room admins see who confirmed.
        assert lee.get(f"/api/notices/{nid}/acks").status_code == 403
        acks = kim.get(f"/api/notices/{nid}/acks").json()
        assert (acks["acked"], sorted(u["username"] for u in acks["pending"])) == ([], ["lee", "park"])
        acked = lee.post(f"/api/notices/{nid}/ack").json()["notice"]
        assert acked["acked_by_me"] is True and (acked["ack_count"], acked["pending_count"]) == (1, 1)
        upd = sk.wait_for("notice_updated", lambda d: d["notice"]["id"] == nid)
        assert upd["acked_by"] == lee.id and upd["notice"]["pending_count"] == 1
        assert lee.post(f"/api/notices/{nid}/ack").json()["notice"]["ack_count"] == 1  # once
        acks = kim.get(f"/api/notices/{nid}/acks").json()
        assert [u["username"] for u in acks["acked"]] == ["lee"] and acks["acked"][0]["acked_at"].endswith("Z")
        assert [u["username"] for u in acks["pending"]] == ["park"]
        # A reminder goes to those who have not confirmed, at most once a minute.
        assert lee.post(f"/api/notices/{nid}/remind").status_code == 403
        assert kim.post(f"/api/notices/{nid}/remind").json() == {"notice_id": nid, "reminded": 1}
        sp.wait_for("notice_reminder", lambda d: d["notice"]["id"] == nid)
        again = kim.post(f"/api/notices/{nid}/remind")
        assert again.status_code == 429 and again.headers["Retry-After"]
        assert not sl.of("notice_reminder")
        # "다시 열지 않기" is per user.
        assert park.post(f"/api/notices/{nid}/hide").json()["notice"]["hidden_by_me"] is True
        assert [n["hidden_by_me"] for n in park.get(f"/api/rooms/{room['id']}/notices").json()["notices"]] == [True]
        assert [n["hidden_by_me"] for n in lee.get(f"/api/rooms/{room['id']}/notices").json()["notices"]] == [False]
        # A notice without acknowledgement cannot be confirmed.
        plain = kim.post(f"/api/rooms/{room['id']}/notices", json={"content": "주차장 공사 안내"}).json()["notice"]
        assert lee.post(f"/api/notices/{plain['id']}/ack").json()["code"] == "not_ackable"
        # Searchable while it stands; gone from search, list and history text once deleted.
        found = lee.get("/api/search", params={"q": "보안 교육"}).json()["results"]
        assert [x["message"]["id"] for x in found] == [notice["event_message_id"]]
        assert lee.delete(f"/api/notices/{nid}").status_code == 403
        assert kim.delete(f"/api/notices/{nid}").json() == {"ok": True}
        sp.wait_for("notice_deleted", lambda d: d["notice_id"] == nid)
        assert [n["id"] for n in lee.get(f"/api/rooms/{room['id']}/notices").json()["notices"]] == [plain["id"]]
        assert lee.get("/api/search", params={"q": "보안 교육"}).json()["results"] == []
        gone = sl.wait_for("message_edited", lambda d: d["message"]["id"] == notice["event_message_id"])["message"]
        assert gone["event"] == {"event": "notice_removed", "user": {"id": kim.id, "name": "kim"}, "notice_id": nid}
        assert lee.post(f"/api/notices/{nid}/ack").status_code == 404
        actions = [e["action"] for e in kim.get(f"/api/rooms/{room['id']}/admin-audit-logs").json()["logs"]]
        assert {"notice_posted", "notice_reminded", "notice_deleted"} <= set(actions)
    finally:
        for s in (sk, sl, sp):
            s.disconnect()


def test_the_announcement_room(live_server: Any) -> None:
    boss = LiveUser(live_server.url, "boss")  # the first account: server admin
    lee = LiveUser(live_server.url, "lee")
    rooms = [r for r in boss.get("/api/rooms").json()["rooms"] if r["kind"] == "announcement"]
    assert len(rooms) == 1
    hall = rooms[0]["id"]
    # Every account is in it, new ones too; only server admins post.
    late = LiveUser(live_server.url, "late")
    members = {m["user"]["username"]: m["role"] for m in late.get(f"/api/rooms/{hall}").json()["room"]["members"]}
    assert members == {"boss": "admin", "lee": "reader", "late": "reader"}
    r = lee.post(f"/api/rooms/{hall}/messages", json={"content": "저도 한마디"})
    assert r.status_code == 403 and r.json()["code"] == "announcement_read_only"
    sock = lee.socket()
    try:
        assert sock.call("send_message", {"room_id": hall, "content": "소켓으로"})["code"] == "announcement_read_only"
    finally:
        sock.disconnect()
    assert lee.post(f"/api/rooms/{hall}/notices", json={"content": "x"}).status_code == 403
    assert boss.post(f"/api/rooms/{hall}/messages", json={"content": "12월 전사 공지입니다"}).status_code == 201
    notice = boss.post(f"/api/rooms/{hall}/notices", json={"content": "연말 휴무 안내", "require_ack": True})
    assert notice.status_code == 201 and notice.json()["notice"]["audience_count"] == 2
    assert lee.post(f"/api/notices/{notice.json()['notice']['id']}/ack").status_code == 200
    # Nobody leaves, kicks or renames; membership follows the accounts.
    assert lee.delete(f"/api/rooms/{hall}/members/{lee.id}").json()["code"] == "announcement_room"
    assert boss.delete(f"/api/rooms/{hall}/members/{lee.id}").json()["code"] == "announcement_room"
    assert boss.patch(f"/api/rooms/{hall}", json={"name": "x"}).json()["code"] == "announcement_room"
    assert boss.patch(f"/api/admin/users/{lee.id}", json={"is_admin": True}).status_code == 200
    roles = {m["user"]["username"]: m["role"] for m in boss.get(f"/api/rooms/{hall}").json()["room"]["members"]}
    assert roles["lee"] == "admin"
    assert lee.post(f"/api/rooms/{hall}/messages", json={"content": "이제 됩니다"}).status_code == 201


def test_presence_does_not_fan_out_through_the_announcement_room(live_server: Any) -> None:
    kim, lee, park = (LiveUser(live_server.url, name) for name in ("kim", "lee", "park"))
    group(park, "짝", lee)  # park shares a chat room with lee; kim shares only the announcement room
    watcher = lee.socket()
    a = kim.socket()  # kim comes online
    b = park.socket()  # then park: a barrier, since presence changes go out in order, batched
    try:
        watcher.wait_for("presence_batch", lambda d: (park.id, "online")
                         in [(u["user_id"], u["presence"]) for u in presence_updates(d)], timeout=10)
        def about_kim() -> list[str]:
            return [u["presence"] for d in watcher.of("presence_batch") for u in presence_updates(d) if u["user_id"] == kim.id]
        # kim's coming online (before park's) went nowhere: the announcement room carries no presence
        assert about_kim() == []
        room = group(kim, "팀", lee)  # now they share a chat room
        watcher.wait_for("room_updated", lambda d: d["room"]["id"] == room["id"])
        a.disconnect()
        watcher.wait_for("presence_batch", lambda d: (kim.id, "offline")
                         in [(u["user_id"], u["presence"]) for u in presence_updates(d)], timeout=10)
        assert about_kim()[-1] == "offline"  # through the chat room they share now
    finally:
        watcher.disconnect()
        a.disconnect()
        b.disconnect()


def test_accounts_from_a_directory_import_join_the_announcement_room(app: Any) -> None:
    boss = TestUser(app, "boss")
    data = ("\ufeffusername,display_name,department,title,extension,email\r\n"
            "newbie,신입,개발팀,사원,,\r\n").encode("utf-8")
    r = boss.post("/api/admin/directory/import", data={"file": (io.BytesIO(data), "directory.csv")},
                  content_type="multipart/form-data")
    assert r.status_code == 200, r.get_data(as_text=True)
    hall = next(x for x in boss.get("/api/rooms").get_json()["rooms"] if x["kind"] == "announcement")
    members = {m["user"]["username"]: m["role"] for m in boss.get(f"/api/rooms/{hall['id']}").get_json()["room"]["members"]}
    assert members == {"boss": "admin", "newbie": "reader"}
