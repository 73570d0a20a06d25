"""Threads: replies with thread_root_id (HTTP and socket), the root's reply count and last repliers,
the thread page, "also to the room", authorization, notifications by room level, the unread-threads
list, and history, catch-up, search and retention including replies."""

from __future__ import annotations

from typing import Any

from tests.files.util import make_room
from tests.helpers import LiveUser, TestUser


def _send(user: Any, room: int, content: str, **extra: Any) -> Any:
    r = user.post(f"/api/rooms/{room}/messages", json={"content": content, **extra})
    return r


def test_reply_counts_page_and_authorization(app: Any) -> None:
    kim, lee, eve = TestUser(app, "kim"), TestUser(app, "lee"), TestUser(app, "eve")
    room = make_room(kim, lee, name="기획")
    other = make_room(eve, name="다른 방")
    root = _send(kim, room, "배포 일정 논의").get_json()["message"]
    r1 = _send(lee, room, "금요일 어때요?", thread_root_id=root["id"])
    assert r1.status_code == 201, r1.get_json()
    reply = r1.get_json()["message"]
    assert reply["thread_root_id"] == root["id"] and reply["also_to_channel"] is False
    r2 = _send(kim, room, "좋아요, 금요일로", thread_root_id=reply["id"], also_to_channel=True)  # a reply to a reply
    assert r2.get_json()["message"]["thread_root_id"] == root["id"]
    assert r2.get_json()["message"]["also_to_channel"] is True
    page = lee.get(f"/api/messages/{root['id']}/thread").get_json()
    assert page["root"]["id"] == root["id"] and page["has_more"] is False
    assert [m["content"] for m in page["replies"]] == ["금요일 어때요?", "좋아요, 금요일로"]
    assert page["root"]["thread_reply_count"] == 2
    assert page["root"]["thread_last_repliers"] == [kim.id, lee.id]
    assert lee.get(f"/api/messages/{reply['id']}/thread").get_json()["root"]["id"] == root["id"]
    # History and catch-up include replies (the client shows them in the thread panel).
    history = lee.get(f"/api/rooms/{room}/messages").get_json()["messages"]
    assert {m["content"] for m in history} >= {"금요일 어때요?", "좋아요, 금요일로", "배포 일정 논의"}
    after = lee.get(f"/api/rooms/{room}/messages?after_id={root['id']}").get_json()["messages"]
    assert len(after) == 2
    # The room's last message is not a thread-only reply.
    last = next(r for r in lee.get("/api/rooms").get_json()["rooms"] if r["id"] == room)["last_message"]
    assert last["content"] == "좋아요, 금요일로"  # also sent to the room
    # Search finds replies.
    found = lee.get("/api/search", query_string={"q": "금요일 어때"}).get_json()["results"]
    assert [x["message"]["id"] for x in found] == [reply["id"]]
    # Authorization: not a member of the room → refused; a root of another room → invalid_thread.
    assert _send(eve, room, "끼어들기", thread_root_id=root["id"]).status_code == 403
    assert eve.get(f"/api/messages/{root['id']}/thread").status_code == 403
    bad = _send(eve, other, "엉뚱한 방", thread_root_id=root["id"])
    assert bad.status_code == 400 and bad.get_json()["code"] == "invalid_thread"
    system = next(m for m in history if m["type"] == "system")
    assert _send(kim, room, "x", thread_root_id=system["id"]).get_json()["code"] == "invalid_thread"
    # Deleting a reply lowers the count.
    assert lee.delete(f"/api/messages/{reply['id']}").status_code == 200
    assert kim.get(f"/api/messages/{root['id']}/thread").get_json()["root"]["thread_reply_count"] == 1


def test_unread_threads_view(app: Any) -> None:
    kim, lee = TestUser(app, "kim"), TestUser(app, "lee")
    room = make_room(kim, lee)
    root = _send(kim, room, "질문 있습니다").get_json()["message"]
    assert kim.get("/api/threads").get_json() == {"threads": []}  # no replies yet
    _send(lee, room, "네 말씀하세요", thread_root_id=root["id"])
    threads = kim.get("/api/threads").get_json()["threads"]
    assert [(t["root"]["id"], t["unread"]) for t in threads] == [(root["id"], True)]
    assert kim.post(f"/api/messages/{root['id']}/thread/read").status_code == 200
    assert kim.get("/api/threads").get_json()["threads"][0]["unread"] is False
    assert lee.get("/api/threads").get_json()["threads"][0]["root"]["id"] == root["id"]  # replied: participant


def test_thread_only_replies_are_not_unread_in_the_room(app: Any) -> None:
    kim, lee = TestUser(app, "kim"), TestUser(app, "lee")
    room = make_room(kim, lee)
    root = _send(kim, room, "공유합니다").get_json()["message"]
    kim.post(f"/api/rooms/{room}/read", json={"message_id": root["id"]})

    def unread() -> int:
        return next(r for r in kim.get("/api/rooms").get_json()["rooms"] if r["id"] == room)["unread_count"]

    _send(lee, room, "스레드에서만", thread_root_id=root["id"])
    assert unread() == 0
    _send(lee, room, "방에도 보냄", thread_root_id=root["id"], also_to_channel=True)
    assert unread() == 1


def test_live_count_and_participant_notifications_follow_the_room_level(live_server: Any) -> None:
    kim, lee, park = (LiveUser(live_server.url, n) for n in ("kim", "lee", "park"))
    room = make_room(kim, lee, park)
    root = kim.post(f"/api/rooms/{room}/messages", json={"content": "회의록 공유"}).json()["message"]
    assert lee.patch(f"/api/rooms/{room}/settings", json={"notify": "none"}).status_code == 200
    socks = {u.username: u.socket() for u in (kim, lee, park)}
    try:
        ack = socks["lee"].call("send_message", {"room_id": room, "content": "확인했습니다", "client_msg_id": "t-1",
                                                  "thread_root_id": root["id"]})
        assert ack["ok"] and ack["message"]["thread_root_id"] == root["id"]
        upd = socks["park"].wait_for("thread_updated")
        assert upd == {"room_id": room, "root_id": root["id"], "thread_reply_count": 1,
                       "thread_last_reply_id": ack["message"]["id"], "thread_last_repliers": [lee.id]}
        note = socks["kim"].wait_for("thread_reply")  # the root's author, level "all"
        # The reply itself rides along: the client alerts (toast, sound, OS notification) from it.
        assert note == {"room_id": room, "root_id": root["id"], "message_id": ack["message"]["id"],
                        "message": ack["message"]}
        assert note["message"]["sender"]["id"] == lee.id and note["message"]["content"] == "확인했습니다"
        park.post(f"/api/rooms/{room}/messages", json={"content": "저도요", "thread_root_id": root["id"]})
        socks["kim"].wait_for("thread_reply", lambda d: d["message_id"] != ack["message"]["id"])
        socks["park"].wait_for("thread_updated", lambda d: d["thread_reply_count"] == 2)
        assert socks["lee"].of("thread_reply") == []  # a participant whose room level is "none"
        assert socks["park"].of("thread_reply") == []  # not a participant when lee replied; the sender after
    finally:
        for s in socks.values():
            s.disconnect()


def test_who_takes_part_in_a_thread_and_the_mentions_level(live_server: Any) -> None:
    """Participants: the root's author, the repliers and whoever the root or a reply mentioned. A
    participant whose room level is ``mentions`` hears only of a reply that mentions them; a member who
    never took part hears nothing."""
    kim, lee, park, choi = (LiveUser(live_server.url, n) for n in ("kim", "lee", "park", "choi"))
    room = make_room(kim, lee, park, choi)
    root = kim.post(f"/api/rooms/{room}/messages", json={"content": "@park 자료 봐주세요"}).json()["message"]
    assert root["mentions"] == [park.id]
    assert kim.patch(f"/api/rooms/{room}/settings", json={"notify": "mentions"}).status_code == 200
    socks = {u.username: u.socket() for u in (kim, lee, park, choi)}
    try:
        first = lee.post(f"/api/rooms/{room}/messages", json={"content": "저도 볼게요", "thread_root_id": root["id"]}).json()["message"]
        got = socks["park"].wait_for("thread_reply")  # mentioned in the root: a participant
        assert got["message_id"] == first["id"] and got["message"]["thread_root_id"] == root["id"]
        second = lee.post(f"/api/rooms/{room}/messages", json={"content": "@kim 확인 부탁", "thread_root_id": root["id"]}).json()["message"]
        assert socks["kim"].wait_for("thread_reply")["message_id"] == second["id"]  # level mentions, mentioned
        socks["park"].wait_for("thread_reply", lambda d: d["message_id"] == second["id"])
        socks["choi"].wait_for("thread_updated", lambda d: d["thread_reply_count"] == 2)
        assert [d["message_id"] for d in socks["kim"].of("thread_reply")] == [second["id"]]  # not the first reply
        assert socks["choi"].of("thread_reply") == []  # a member who never took part
        assert socks["lee"].of("thread_reply") == []  # the sender
        # The threads view lists it for whoever takes part, the mentioned too; not for choi.
        assert [t["root"]["id"] for t in park.get("/api/threads").json()["threads"]] == [root["id"]]
        assert choi.get("/api/threads").json()["threads"] == []
    finally:
        for s in socks.values():
            s.disconnect()


def test_retention_removes_old_replies_with_their_thread(make_settings: Any) -> None:
    import datetime as dt

    from messenger.app import create_app, get_services
    from messenger.retention.service import run_retention

    app = create_app(make_settings(RETENTION_DAYS=1))
    svc = get_services(app)
    try:
        kim, lee = TestUser(app, "kim"), TestUser(app, "lee")
        room = make_room(kim, lee)
        root = _send(kim, room, "오래된 글").get_json()["message"]
        _send(lee, room, "오래된 답글", thread_root_id=root["id"])
        result = run_retention(svc, now=dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=3))
        assert result["messages"] >= 3  # the system message, the root and the reply
        assert kim.get(f"/api/rooms/{room}/messages").get_json()["messages"] == []
        assert kim.get(f"/api/messages/{root['id']}/thread").status_code == 404
    finally:
        svc.db.dispose()
