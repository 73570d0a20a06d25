"""Polls through a real server and real Socket.IO clients: voting rules, anonymity, closing, expiry."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from messenger.storage import utcnow
from tests.extras.common import group, nothing_arrives
from tests.helpers import LiveUser


def _create(user: LiveUser, room_id: int, **body: Any) -> dict[str, Any]:
    body.setdefault("question", "점심 메뉴?")
    body.setdefault("options", ["김치찌개", "된장찌개", "비빔밥"])
    r = user.post(f"/api/rooms/{room_id}/polls", json=body)
    assert r.status_code == 201, r.text
    return r.json()["poll"]


def _vote(user: LiveUser, poll: dict[str, Any], index: int) -> Any:
    return user.post(f"/api/polls/{poll['id']}/vote", json={"option_id": poll["options"][index]["id"]})


def _counts(poll: dict[str, Any]) -> list[int]:
    return [o["votes"] for o in poll["options"]]


def test_single_choice_poll_posted_as_message_and_votes_replace(live_server: Any) -> None:
    kim, lee, park = (LiveUser(live_server.url, n) for n in ("kim", "lee", "park"))
    room = group(kim, lee)
    lee_sock, park_sock = lee.socket(), park.socket()
    try:
        poll = _create(kim, room)
        assert poll["multiple_choice"] is False and poll["anonymous"] is False and poll["closed"] is False
        assert _counts(poll) == [0, 0, 0] and poll["my_votes"] == []
        posted = lee_sock.wait_for("new_message", lambda d: d["message"]["type"] == "poll")["message"]
        assert posted["room_id"] == room and posted["content"] == "점심 메뉴?"
        assert posted["poll"]["id"] == poll["id"] and [o["text"] for o in posted["poll"]["options"]] == [
            "김치찌개", "된장찌개", "비빔밥"]

        r = _vote(lee, poll, 0)
        assert r.status_code == 200, r.text
        assert _counts(r.json()["poll"]) == [1, 0, 0] and r.json()["poll"]["my_votes"] == [poll["options"][0]["id"]]
        r = _vote(lee, poll, 2)  # single choice: the new vote replaces the old one
        after = r.json()["poll"]
        assert _counts(after) == [0, 0, 1] and after["options"][2]["voters"] == [lee.id]
        assert _vote(kim, poll, 2).json()["poll"]["options"][2]["voters"] == [lee.id, kim.id]

        update = lee_sock.wait_for("poll_updated", lambda d: _counts(d["poll"]) == [0, 0, 2])["poll"]
        assert update["id"] == poll["id"] and update["room_id"] == room
        # Seen by lee: his own vote, not kim's view.
        assert lee.get(f"/api/polls/{poll['id']}").json()["poll"]["my_votes"] == [poll["options"][2]["id"]]

        # A non-member: 403 on every poll route, and no poll events.
        assert park.get(f"/api/polls/{poll['id']}").status_code == 403
        assert _vote(park, poll, 0).status_code == 403
        assert park.post(f"/api/polls/{poll['id']}/close").status_code == 403
        r = park.post(f"/api/rooms/{room}/polls", json={"question": "q", "options": ["a", "b"]})
        assert r.status_code == 403
        nothing_arrives(park_sock, "poll_updated")
        assert park_sock.of("new_message") == []
    finally:
        lee_sock.disconnect()
        park_sock.disconnect()


def test_multiple_choice_toggles_and_foreign_option_is_invalid(live_server: Any) -> None:
    kim, lee = LiveUser(live_server.url, "kim"), LiveUser(live_server.url, "lee")
    room = group(kim, lee)
    poll = _create(kim, room, question="가능한 요일", options=["월", "화", "수"], multiple_choice=True)
    other = _create(kim, room, question="다른 투표", options=["예", "아니오"])
    _vote(lee, poll, 0)
    mine = _vote(lee, poll, 1).json()["poll"]
    assert _counts(mine) == [1, 1, 0] and sorted(mine["my_votes"]) == sorted(o["id"] for o in poll["options"][:2])
    mine = _vote(lee, poll, 0).json()["poll"]  # voting an option again takes it back
    assert _counts(mine) == [0, 1, 0] and mine["my_votes"] == [poll["options"][1]["id"]]

    r = lee.post(f"/api/polls/{poll['id']}/vote", json={"option_id": other["options"][0]["id"]})
    assert r.status_code == 400 and r.json()["code"] == "invalid_option"
    r = lee.post(f"/api/polls/{poll['id']}/vote", json={"option_id": 10**6})
    assert r.status_code == 400 and r.json()["code"] == "invalid_option"
    assert _counts(lee.get(f"/api/polls/{other['id']}").json()["poll"]) == [0, 0]


def test_anonymous_poll_never_reveals_voters(live_server: Any) -> None:
    kim, lee = LiveUser(live_server.url, "kim"), LiveUser(live_server.url, "lee")
    room = group(kim, lee)
    kim_sock = kim.socket()
    try:
        poll = _create(kim, room, question="익명 설문", options=["좋다", "싫다"], anonymous=True)
        assert _vote(lee, poll, 1).status_code == 200
        event = kim_sock.wait_for("poll_updated", lambda d: _counts(d["poll"]) == [0, 1])["poll"]
        seen_by_kim = kim.get(f"/api/polls/{poll['id']}").json()["poll"]
        for view in (event, seen_by_kim, _vote(kim, poll, 0).json()["poll"]):
            assert view["anonymous"] is True
            assert all("voters" not in o for o in view["options"]), view
        assert seen_by_kim["my_votes"] == [] and event["my_votes"] is None
        history = kim.get(f"/api/rooms/{room}/messages").json()["messages"]
        embedded = next(m["poll"] for m in history if m["type"] == "poll")
        assert all("voters" not in o for o in embedded["options"]) and _counts(embedded) == [1, 1]
    finally:
        kim_sock.disconnect()


def test_close_by_creator_or_admin_then_votes_refused(live_server: Any) -> None:
    kim, lee, choi = (LiveUser(live_server.url, n) for n in ("kim", "lee", "choi"))
    room = group(kim, lee, choi)  # kim is room admin
    by_lee = _create(lee, room, question="lee의 투표", options=["a", "b"])
    r = choi.post(f"/api/polls/{by_lee['id']}/close")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = lee.post(f"/api/polls/{by_lee['id']}/close")
    assert r.status_code == 200 and r.json()["poll"]["closed"] is True
    r = _vote(choi, by_lee, 0)
    assert r.status_code == 400 and r.json()["code"] == "poll_closed"

    second = _create(lee, room, question="두 번째", options=["a", "b"])
    assert kim.post(f"/api/polls/{second['id']}/close").json()["poll"]["closed"] is True  # room admin
    assert kim.post(f"/api/polls/{second['id']}/close").status_code == 200  # again: no-op


def test_vote_after_ends_at_refused_at_once_and_job_broadcasts_close(live_server: Any) -> None:
    kim, lee = LiveUser(live_server.url, "kim"), LiveUser(live_server.url, "lee")
    room = group(kim, lee)
    ends = utcnow() + dt.timedelta(seconds=1.5)
    poll = _create(kim, room, question="곧 마감", options=["a", "b"], ends_at=ends.isoformat() + "Z")
    assert poll["ends_at"] is not None and poll["closed"] is False
    lee_sock = lee.socket()
    try:
        assert _vote(lee, poll, 0).status_code == 200
        time.sleep(max(0.0, (ends - utcnow()).total_seconds()) + 0.3)
        # No job has run (it runs every 30 s): the vote is refused at this moment anyway.
        r = _vote(lee, poll, 1)
        assert r.status_code == 400 and r.json()["code"] == "poll_closed"
        assert lee.get(f"/api/polls/{poll['id']}").json()["poll"]["closed"] is True

        svc = live_server.svc
        assert live_server.call(svc.jobs.run_now, "close_expired_polls") is True
        closed = lee_sock.wait_for("poll_updated", lambda d: d["poll"]["id"] == poll["id"] and d["poll"]["closed"])
        assert _counts(closed["poll"]) == [1, 0] and closed["poll"]["closed_at"] is not None
        from messenger.polls import store as polls_store

        with svc.db.read() as conn:
            assert polls_store.get(conn, poll["id"]).closed_at is not None
    finally:
        lee_sock.disconnect()


def test_poll_input_is_validated(live_server: Any) -> None:
    kim, lee = LiveUser(live_server.url, "kim"), LiveUser(live_server.url, "lee")
    room = group(kim, lee)
    past = (utcnow() - dt.timedelta(minutes=1)).isoformat() + "Z"
    bad = [
        {"question": "q", "options": ["하나"]},
        {"question": "q", "options": ["a", "A"]},
        {"question": "q", "options": ["a", "  "]},
        {"question": "q", "options": [str(i) for i in range(21)]},
        {"question": "q", "options": ["a", 3]},
        {"question": "   ", "options": ["a", "b"]},
        {"question": "q", "options": ["a", "b"], "ends_at": past},
        {"question": "q", "options": ["a", "b"], "ends_at": "next tuesday"},
        {"question": "q", "options": ["a", "b"], "anonymous": "yes"},
    ]
    for body in bad:
        r = kim.post(f"/api/rooms/{room}/polls", json=body)
        assert r.status_code == 400 and r.json()["code"] == "invalid_field", (body, r.text)
    assert kim.post(f"/api/rooms/{room}/polls", json={"options": ["a", "b"]}).json()["code"] == "missing_field"
    poll = _create(kim, room, options=["a", "b"])
    r = kim.post(f"/api/polls/{poll['id']}/vote", json={"option_id": "1"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_field"
    assert kim.get("/api/polls/424242").status_code == 404
    assert kim.get("/api/polls/99999999999999").status_code == 404


def test_concurrent_votes_of_one_user_leave_one_vote(live_server: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    kim, lee = LiveUser(live_server.url, "kim"), LiveUser(live_server.url, "lee")
    room = group(kim, lee)
    poll = _create(kim, room, question="동시 투표", options=["a", "b", "c"])
    tabs = [LiveUser(live_server.url, "lee", register=False) for _ in range(3)]  # three tabs, own sessions

    def vote(i: int) -> int:
        return _vote(tabs[i % len(tabs)], poll, i % 3).status_code

    with ThreadPoolExecutor(max_workers=3) as pool:
        assert set(pool.map(vote, range(12))) == {200}
    final = lee.get(f"/api/polls/{poll['id']}").json()["poll"]
    assert sum(_counts(final)) == 1 and len(final["my_votes"]) == 1 and final["total_voters"] == 1


def test_deleting_the_poll_message_closes_the_poll(live_server: Any) -> None:
    kim, lee = LiveUser(live_server.url, "kim"), LiveUser(live_server.url, "lee")
    room = group(kim, lee)
    poll = _create(kim, room)
    assert _vote(lee, poll, 0).status_code == 200
    with live_server.svc.db.read() as conn:
        from sqlalchemy import text

        message_id = conn.execute(text("SELECT id FROM messages WHERE poll_id = :p"), {"p": poll["id"]}).scalar()
    assert kim.delete(f"/api/messages/{message_id}").status_code == 200
    r = _vote(lee, poll, 1)  # no votes on a deleted poll
    assert r.status_code == 400 and r.json()["code"] == "poll_closed"
    assert lee.get(f"/api/polls/{poll['id']}").json()["poll"]["closed"] is True
