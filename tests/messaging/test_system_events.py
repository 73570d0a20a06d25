"""System messages are stored and sent as events with parameters, never as sentences; the migration reads
the Korean sentences of older versions back into events."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import text

from messenger.storage.migrate import HEAD, current_revision
from tests.helpers import LiveUser, TestUser
from tests.messaging.common import group, send

HANGUL = re.compile("[\uac00-\ud7a3]")


def person(user: Any, name: str | None = None) -> dict[str, Any]:
    return {"id": user.id, "name": name or user.username}


def system_events(user: Any, room_id: int) -> list[dict[str, Any]]:
    messages = sorted(user.get(f"/api/rooms/{room_id}/messages").get_json()["messages"], key=lambda m: m["id"])
    for m in messages:
        if m["type"] == "system":
            assert m["content"] == "" and m["sender"] is None
    return [m["event"] for m in messages if m["type"] == "system"]


def stored_system_rows(svc: Any) -> list[str]:
    with svc.db.read() as conn:
        return [r[0] for r in conn.execute(text("SELECT content FROM messages WHERE type = 'system' ORDER BY id"))]


def test_room_events_are_stored_as_events_without_words(app: Any, svc: Any) -> None:
    kim, lee, park, choi = (TestUser(app, n) for n in ("kim", "lee", "park", "choi"))
    room = group(kim, "개발팀", lee)
    rid = room["id"]
    assert kim.post(f"/api/rooms/{rid}/members", json={"user_ids": [park.id, choi.id]}).status_code == 200
    assert kim.patch(f"/api/rooms/{rid}", json={"name": "플랫폼팀"}).status_code == 200
    assert kim.delete(f"/api/rooms/{rid}/members/{choi.id}").status_code == 200
    assert kim.delete(f"/api/rooms/{rid}/members/{kim.id}").status_code == 200  # the last admin leaves
    assert system_events(lee, rid) == [
        {"event": "room_created", "user": person(kim), "members": [person(lee)]},
        {"event": "members_invited", "user": person(kim), "members": [person(park), person(choi)]},
        {"event": "room_renamed", "user": person(kim), "name": "플랫폼팀"},
        {"event": "member_removed", "user": person(kim), "target": person(choi)},
        {"event": "member_left", "user": person(kim)},
        {"event": "admin_assigned", "user": person(lee)},
    ]
    # The room list's last message carries the event too, with no sentence.
    last = next(r for r in lee.get("/api/rooms").get_json()["rooms"] if r["id"] == rid)["last_message"]
    assert last["type"] == "system" and last["content"] == "" and last["event"]["event"] == "admin_assigned"
    # What is stored: events as JSON, no Korean word (the room name is the user's own text, not ours).
    rows = stored_system_rows(svc)
    assert len(rows) == 6
    for raw in rows:
        event = json.loads(raw)
        assert not HANGUL.search(raw.replace("플랫폼팀", "").replace("개발팀", "")), raw
        assert event["event"] in {"room_created", "members_invited", "room_renamed", "member_removed",
                                  "member_left", "admin_assigned"}


def test_search_never_finds_system_events(app: Any, svc: Any) -> None:
    kim, lee = TestUser(app, "kim", "김대호"), TestUser(app, "lee", "이수진")
    room = group(kim, "팀", lee)
    assert kim.delete(f"/api/rooms/{room['id']}/members/{lee.id}").status_code == 200
    send(kim, room["id"], "이수진 님 환영합니다")
    for q in ("이수진", "member_removed", "event", "내보냈"):
        found = kim.get("/api/search", query_string={"q": q}).get_json()["results"]
        assert all(r["message"]["type"] != "system" for r in found), (q, found)
    assert [r["message"]["content"] for r in kim.get("/api/search", query_string={"q": "이수진"})
            .get_json()["results"]] == ["이수진 님 환영합니다"]
    advanced = kim.post("/api/search/advanced", json={"room_id": room["id"]}).get_json()["results"]
    assert [r["message"]["type"] for r in advanced] == ["text"]


def test_a_leaving_member_is_announced_live_as_an_event(live_server: Any) -> None:
    kim = LiveUser(live_server.url, "kim")
    lee = LiveUser(live_server.url, "lee")
    room = group(kim, "팀", lee)
    sock = kim.socket()
    try:
        assert lee.delete(f"/api/rooms/{room['id']}/members/{lee.id}").status_code == 200
        got = sock.wait_for("new_message", lambda d: d["message"]["type"] == "system")
        assert got["message"]["content"] == ""
        assert got["message"]["event"] == {"event": "member_left", "user": {"id": lee.id, "name": "lee"}}
    finally:
        sock.disconnect()


OLD_ROWS = [
    # (stored sentence, expected event with ids filled by the test)
    ("김대호님이 대화방을 만들었습니다. 참여자: 이수진, 박지민",
     lambda u: {"event": "room_created", "user": u["김대호"], "members": [u["이수진"], u["박지민"]]}),
    ("김대호님이 대화방을 만들었습니다.", lambda u: {"event": "room_created", "user": u["김대호"], "members": []}),
    ("김대호님이 대화방 이름을 '주간 회의'(으)로 바꿨습니다.",
     lambda u: {"event": "room_renamed", "user": u["김대호"], "name": "주간 회의"}),
    ("김대호님이 이수진, 박지민님을 초대했습니다.",
     lambda u: {"event": "members_invited", "user": u["김대호"], "members": [u["이수진"], u["박지민"]]}),
    ("이수진님이 나갔습니다.", lambda u: {"event": "member_left", "user": u["이수진"]}),
    ("김대호님이 박지민님을 내보냈습니다.",
     lambda u: {"event": "member_removed", "user": u["김대호"], "target": u["박지민"]}),
    ("박지민님이 대화방 관리자가 되었습니다.", lambda u: {"event": "admin_assigned", "user": u["박지민"]}),
    # A name no user has (renamed since): the name stays, the id is unknown.
    ("홍길동님이 나갔습니다.", lambda u: {"event": "member_left", "user": {"id": None, "name": "홍길동"}}),
    # Two users share a display name: which one is not guessed.
    ("동명이인님이 나갔습니다.", lambda u: {"event": "member_left", "user": {"id": None, "name": "동명이인"}}),
    # The deleted-account form of older versions (an empty name).
    ("님이 나갔습니다.", lambda u: {"event": "member_left", "user": {"id": None, "name": ""}}),
    # Anything else is kept as it was, as a legacy event.
    ("서버 점검 안내: 오늘 밤 10시", lambda u: {"event": "legacy", "text": "서버 점검 안내: 오늘 밤 10시"}),
]


def test_migration_reads_old_korean_sentences_into_events(app: Any, svc: Any) -> None:
    """Runs on SQLite and PostgreSQL (``--db``): the schema goes back to 0006 (the downgrade writes
    sentences again), rows in the old form are added, and the upgrade turns every one into an event."""
    from alembic import command

    from messenger.storage.migrate import _config

    kim, lee, park = TestUser(app, "kim", "김대호"), TestUser(app, "lee", "이수진"), TestUser(app, "park", "박지민")
    TestUser(app, "twin1", "동명이인")
    TestUser(app, "twin2", "동명이인")
    room = group(kim, "팀", lee, park)
    rid = room["id"]
    assert kim.delete(f"/api/rooms/{rid}/members/{lee.id}").status_code == 200
    command.downgrade(_config(svc.db), "0006_notify")
    assert current_revision(svc.db) == "0006_notify"
    assert stored_system_rows(svc) == ["김대호님이 대화방을 만들었습니다. 참여자: 이수진, 박지민",
                                       "김대호님이 이수진님을 내보냈습니다."]
    with svc.db.begin() as conn:
        for sentence, _ in OLD_ROWS:
            conn.execute(text("INSERT INTO messages (room_id, sender_id, type, content, created_at) "
                              "VALUES (:r, NULL, 'system', :c, CURRENT_TIMESTAMP)"), {"r": rid, "c": sentence})
    command.upgrade(_config(svc.db), "head")
    assert current_revision(svc.db) == HEAD
    users = {"김대호": person(kim, "김대호"), "이수진": person(lee, "이수진"), "박지민": person(park, "박지민")}
    want = [{"event": "room_created", "user": users["김대호"], "members": [users["이수진"], users["박지민"]]},
            {"event": "member_removed", "user": users["김대호"], "target": users["이수진"]}]
    want += [make(users) for _, make in OLD_ROWS]
    assert [json.loads(r) for r in stored_system_rows(svc)] == want
    # Through the API the converted rows read like new ones.
    assert system_events(kim, rid) == want


def test_migration_clears_the_korean_name_of_deleted_accounts(app: Any, svc: Any) -> None:
    """Older versions stored "탈퇴한 사용자" as a deleted account's name; 0009 stores no word (SQLite and
    PostgreSQL), and only for deleted accounts."""
    from alembic import command

    from messenger.storage.migrate import _config

    boss, kim = TestUser(app, "boss"), TestUser(app, "kim")
    TestUser(app, "lee", "탈퇴한 사용자")  # a living user may carry any name: untouched
    assert boss.delete(f"/api/admin/users/{kim.id}").status_code == 200
    command.downgrade(_config(svc.db), "0008_forwarding")
    with svc.db.read() as conn:
        names = dict(conn.execute(text("SELECT username, display_name FROM users")).all())
    assert names[f"deleted:{kim.id}"] == "탈퇴한 사용자"
    command.upgrade(_config(svc.db), "head")
    with svc.db.read() as conn:
        names = dict(conn.execute(text("SELECT username, display_name FROM users")).all())
    assert names == {"boss": "boss", f"deleted:{kim.id}": "", "lee": "탈퇴한 사용자"}
