"""Messages through the real app: limits, replies, mentions, edit/delete, reactions, audit log, query counts."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.helpers import TestUser
from tests.messaging.common import group, send


def test_content_rules_replies_and_mentions(app: Any, svc: Any) -> None:
    kim, lee, park = TestUser(app, "kim"), TestUser(app, "lee"), TestUser(app, "park")
    room = group(kim, "팀", lee, park)
    other = group(lee, "다른 방", park)
    rid = room["id"]
    limit = svc.settings.MESSAGE_MAX_LENGTH
    r = kim.post(f"/api/rooms/{rid}/messages", json={"content": "가" * (limit + 1)})
    assert r.status_code == 400 and r.get_json()["code"] == "message_too_long"
    assert r.get_json()["params"] == {"max": limit, "length": limit + 1}
    assert send(kim, rid, "가" * limit)["content"] == "가" * limit
    assert kim.post(f"/api/rooms/{rid}/messages", json={"content": "   "}).get_json()["code"] == "empty_message"
    # Clients can never create system or poll messages.
    for bad_type in ("system", "poll"):
        r = kim.post(f"/api/rooms/{rid}/messages", json={"content": "x", "type": bad_type})
        assert r.status_code == 400
    # A reply must point into the same room.
    foreign = send(lee, other["id"], "다른 방 메시지")
    r = kim.post(f"/api/rooms/{rid}/messages", json={"content": "re", "reply_to_id": foreign["id"]})
    assert r.status_code == 400 and r.get_json()["code"] == "invalid_reply"
    # Text stays exactly as typed, whitespace and markup included.
    typed = "  <img src=x onerror=alert(1)>\n\t둘째 줄  "
    assert send(kim, rid, typed)["content"] == typed
    # Mentions: members by username; @all only for room admins; non-members are ignored.
    m = send(lee, rid, "@park 확인 부탁, @kim. 그리고 @nobody @all")
    assert m["mentions"] == sorted([park.id, kim.id])
    m = send(kim, rid, "@all 공지입니다")
    assert m["mentions"] == sorted([lee.id, park.id])


def test_edit_delete_tombstone_and_room_audit_log(app: Any) -> None:
    kim, lee = TestUser(app, "kim", "김관리"), TestUser(app, "lee", "이멤버")
    room = group(kim, "팀", lee)
    rid = room["id"]
    mine = send(lee, rid, "오타가 있는 메세지")
    assert kim.patch(f"/api/messages/{mine['id']}", json={"content": "남의 것"}).status_code == 403
    r = lee.patch(f"/api/messages/{mine['id']}", json={"content": "오타를 고친 메시지"})
    assert r.status_code == 200
    edited = r.get_json()["message"]
    assert edited["content"] == "오타를 고친 메시지" and edited["edited_at"].endswith("Z")
    # Another member may not delete it; the room admin may, and that is audited.
    third = TestUser(app, "park")
    kim.post(f"/api/rooms/{rid}/members", json={"user_ids": [third.id]})
    assert third.delete(f"/api/messages/{mine['id']}").status_code == 403
    r = kim.delete(f"/api/messages/{mine['id']}")
    assert r.status_code == 200
    gone = r.get_json()["message"]
    assert gone["deleted"] is True and gone["content"] == "" and gone["id"] == mine["id"]
    page = lee.get(f"/api/rooms/{rid}/messages").get_json()["messages"]
    assert {"id": mine["id"], "deleted": True, "content": ""}.items() <= next(
        m for m in page if m["id"] == mine["id"]).items()
    assert lee.patch(f"/api/messages/{mine['id']}", json={"content": "부활"}).get_json()["code"] == "message_deleted"
    own = send(lee, rid, "내가 지울 것")
    assert lee.delete(f"/api/messages/{own['id']}").status_code == 200
    kim.patch(f"/api/rooms/{rid}", json={"name": "새 이름"})
    kim.patch(f"/api/rooms/{rid}/members/{lee.id}", json={"role": "admin"})
    kim.delete(f"/api/rooms/{rid}/members/{third.id}")
    assert lee.get(f"/api/rooms/{rid}/admin-audit-logs").status_code == 200  # lee is admin now
    assert third.get(f"/api/rooms/{rid}/admin-audit-logs").status_code == 403
    logs = kim.get(f"/api/rooms/{rid}/admin-audit-logs").get_json()
    actions = [e["action"] for e in logs["logs"]]
    assert actions == ["member_kicked", "role_changed", "room_renamed", "message_deleted"]  # own deletion not audited
    deletion = logs["logs"][-1]
    assert deletion["actor"]["display_name"] == "김관리" and deletion["target_user"]["id"] == lee.id
    assert deletion["target_id"] == str(mine["id"])
    r = kim.get(f"/api/rooms/{rid}/admin-audit-logs?format=csv")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    raw = r.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "created_at", "action"] and len(rows) == 5
    assert "김관리" in rows[1] and any("새 이름" in cell for row in rows for cell in row)
    assert kim.get(f"/api/rooms/{rid}/admin-audit-logs?format=xml").status_code == 400


def test_reactions_toggle_and_validate(app: Any) -> None:
    kim, lee = TestUser(app, "kim"), TestUser(app, "lee")
    room = group(kim, "팀", lee)
    m = send(kim, room["id"], "점심 뭐 먹죠")
    url = f"/api/messages/{m['id']}/reactions"
    for emoji in ("👍", "❤️", "👨‍👩‍👧", "👍🏽", "🇰🇷", "1️⃣", "☕"):
        assert lee.post(url, json={"emoji": emoji}).status_code == 200, emoji
    r = kim.post(url, json={"emoji": "👍"})
    thumbs = next(x for x in r.get_json()["reactions"] if x["emoji"] == "👍")
    assert thumbs == {"emoji": "👍", "count": 2, "user_ids": [lee.id, kim.id]}
    r = kim.post(url, json={"emoji": "👍"})  # toggles off
    thumbs = next(x for x in r.get_json()["reactions"] if x["emoji"] == "👍")
    assert thumbs["count"] == 1
    for bad in ("abc", "좋아요", "👍 nice", "", "1", "<b>", "👍" * 20, "\u200d"):
        r = lee.post(url, json={"emoji": bad})
        assert r.status_code == 400 and r.get_json()["code"] in ("invalid_emoji", "invalid_field"), bad
    history = kim.get(f"/api/rooms/{room['id']}/messages").get_json()["messages"]
    assert len(next(x for x in history if x["id"] == m["id"])["reactions"]) == 7


def _count(svc: Any, fn: Any) -> int:
    with svc.db.count_statements() as statements:
        fn()
    return len(statements)


def test_room_list_and_history_take_a_fixed_number_of_statements(app: Any, svc: Any) -> None:
    from messenger.messages import service as messages
    from messenger.rooms import service as rooms

    kim, lee = TestUser(app, "kim"), TestUser(app, "lee")
    first = group(kim, "r0", lee)
    few_list = _count(svc, lambda: rooms.list_rooms(svc, kim.id))
    few_http = _count(svc, lambda: kim.get("/api/rooms"))
    seed = send(kim, first["id"], "첫 메시지")
    few_history = _count(svc, lambda: messages.history(svc, kim.id, first["id"]))
    for i in range(1, 12):
        room = group(kim, f"r{i}", lee)
        send(lee, room["id"], f"메시지 {i}")
    for i in range(40):
        msg = send(lee, first["id"], f"@kim 답장 {i}", reply_to_id=seed["id"])
        if i % 3 == 0:
            kim.post(f"/api/messages/{msg['id']}/reactions", json={"emoji": "👍"})
    assert len(kim.get("/api/rooms").get_json()["rooms"]) == 13  # and the announcement room
    assert _count(svc, lambda: rooms.list_rooms(svc, kim.id)) == few_list == 1
    assert _count(svc, lambda: kim.get("/api/rooms")) == few_http
    many_history = _count(svc, lambda: messages.history(svc, kim.id, first["id"]))
    assert many_history == few_history == 2  # membership check + one page statement
    page = kim.get(f"/api/rooms/{first['id']}/messages").get_json()
    assert len(page["messages"]) == 42 and page["has_more"] is False


def test_history_paging_with_before_id(app: Any) -> None:
    kim = TestUser(app, "kim")
    room = group(kim, "혼자")
    ids = [send(kim, room["id"], f"m{i}")["id"] for i in range(7)]
    page = kim.get(f"/api/rooms/{room['id']}/messages?limit=3").get_json()
    assert [m["id"] for m in page["messages"]] == ids[::-1][:3] and page["has_more"] is True
    page = kim.get(f"/api/rooms/{room['id']}/messages?limit=3&before_id={ids[4]}").get_json()
    assert [m["id"] for m in page["messages"]] == [ids[3], ids[2], ids[1]] and page["has_more"] is True
    assert kim.get(f"/api/rooms/{room['id']}/messages?limit=101").status_code == 400
    assert kim.get(f"/api/rooms/{room['id']}/messages?before_id=abc").status_code == 400


def test_search_index_follows_send_edit_and_delete(app: Any) -> None:
    kim, lee = TestUser(app, "kim"), TestUser(app, "lee")
    room = group(kim, "팀", lee)
    m = send(kim, room["id"], "주간회의를 목요일에 합니다")

    def found(q: str) -> list[int]:
        r = lee.get("/api/search", query_string={"q": q})
        assert r.status_code == 200, r.get_data(as_text=True)
        return [x["message"]["id"] for x in r.get_json()["results"]]

    assert found("회의") == [m["id"]]
    lee_msg = send(lee, room["id"], "회의실 예약했어요")
    kim.patch(f"/api/messages/{m['id']}", json={"content": "주간 미팅은 금요일로"})
    assert found("목요일") == [] and found("금요일") == [m["id"]]
    assert found("회의") == [lee_msg["id"]]
    lee.delete(f"/api/messages/{lee_msg['id']}")
    assert found("회의") == []


def test_sending_a_message_takes_a_fixed_number_of_statements(app: Any, svc: Any) -> None:
    """The send path (hot: every message) in ONE transaction: members, insert, room's last message,
    sender's read marker, search index row(s), the message object. Nothing per member."""
    from messenger.messages import service as messages

    kim, lee = TestUser(app, "kim"), TestUser(app, "lee")
    small = group(kim, "small", lee)
    big = group(kim, "big", lee, *[TestUser(app, name) for name in ("park", "choi", "jung")])  # 5/min sign-ups
    index_rows = 2 if svc.db.is_sqlite else 1  # SQLite: search_docs + the FTS5 row
    for room in (small, big):
        with svc.db.count_statements() as statements:
            sent = messages.send(svc, kim.id, room["id"], "회의는 3시에 합니다", client_msg_id=f"c-{room['id']}")
        assert sent["content"] == "회의는 3시에 합니다" and sent["read_count"] == 0
        assert len(statements) == 5 + index_rows, statements
    with svc.db.count_statements() as statements:  # @all resolves from the members already read
        messages.send(svc, kim.id, big["id"], "@all 공지입니다")
    assert len(statements) == 5 + index_rows + 2, statements  # + usernames lookup, + mention rows


def test_a_sent_message_object_equals_the_stored_one(app: Any, svc: Any) -> None:
    """The send path builds its message object without reading the message back; what the sender's ack
    and ``new_message`` carry must be exactly what history returns for it afterwards."""
    from messenger.messages import service as messages
    from messenger.messages.serialize import message_dicts
    from messenger.polls.service import create_poll
    from tests.files.util import upload

    kim, lee = TestUser(app, "kim"), TestUser(app, "lee")
    kim.patch("/api/me", json={"display_name": "김 팀장"})
    room = group(kim, "팀", lee)
    rid = room["id"]
    token = upload(kim, rid, "보고서.pdf", b"%PDF-1.4 report").get_json()["upload_token"]

    def as_stored(message: dict[str, Any]) -> dict[str, Any]:
        with svc.db.read() as conn:
            stored = message_dicts(svc, conn, [message["id"]], message["sender"]["id"])[message["id"]]
        assert message == stored
        return message

    first = as_stored(messages.send(svc, kim.id, rid, "@lee 확인 부탁해요 @all", client_msg_id="c-1"))
    assert first["mentions"] == [lee.id] and first["sender"]["display_name"] == "김 팀장"
    assert as_stored(messages.send(svc, kim.id, rid, "", type="file", upload_token=token))["file"]["name"] == "보고서.pdf"
    assert as_stored(create_poll(svc, kim.id, rid, "점심 메뉴?", ["국밥", "냉면"])[1])["poll"]["question"] == "점심 메뉴?"
    assert as_stored(messages.send(svc, lee.id, rid, "네", reply_to_id=first["id"]))["reply_to"]["id"] == first["id"]
