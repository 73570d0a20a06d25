"""Retention through a real server: old messages and everything hanging off them go; files leave the
disk only after the deleting transaction committed; one audit entry records the counts."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, update

from messenger.audit import store as audit_store
from messenger.retention.service import run_retention
from messenger.storage import utcnow
from messenger.storage.tables import files, messages, rooms
from tests.extras.common import group, say
from tests.helpers import LiveUser


def _send_file(user: LiveUser, room_id: int, name: str, data: bytes) -> dict[str, Any]:
    r = user.http.post(f"{user.base}/api/upload", data={"room_id": str(room_id)},
                       files={"file": (name, data, "text/plain")})
    assert r.status_code == 200, r.text
    sock = user.socket()
    try:
        ack = sock.call("send_message", {"room_id": room_id, "content": "", "type": "file",
                                         "upload_token": r.json()["upload_token"],
                                         "client_msg_id": uuid.uuid4().hex})
    finally:
        sock.disconnect()
    assert ack["ok"], ack
    return ack["message"]


def _age(svc: Any, message_ids: list[int], days: int) -> None:
    with svc.db.begin() as conn:
        conn.execute(update(messages).where(messages.c.id.in_(message_ids))
                     .values(created_at=utcnow() - dt.timedelta(days=days)))


def test_retention_forgets_old_messages_files_after_commit_and_audits(start_server: Any) -> None:
    server = start_server(RETENTION_DAYS=30)
    svc = server.svc
    kim, lee = LiveUser(server.url, "kim"), LiveUser(server.url, "lee")
    room = group(kim, lee)
    old_room = group(kim, lee, name="옛 방")

    old_text = say(kim, room, "@lee 지난 분기 회의록")
    old_file = _send_file(lee, room, "report.txt", "오래된 보고서".encode() * 100)
    r = kim.post(f"/api/rooms/{room}/polls", json={"question": "옛 투표", "options": ["a", "b"]})
    assert r.status_code == 201, r.text
    old_poll = r.json()["poll"]
    assert lee.post(f"/api/polls/{old_poll['id']}/vote", json={"option_id": old_poll["options"][0]["id"]}).ok
    poll_msg_id = r.json()["message"]["id"]
    assert kim.post(f"/api/rooms/{room}/pins", json={"message_id": old_text["id"]}).status_code == 201
    assert lee.post(f"/api/messages/{old_text['id']}/reactions", json={"emoji": "👍"}).ok
    in_old_room = [say(kim, old_room, f"옛 방 {i}")["id"] for i in range(2)]
    fresh = say(lee, room, "이번 주 회의록")  # stays
    old_ids = [old_text["id"], old_file["id"], poll_msg_id, *in_old_room]
    _age(svc, old_ids, days=40)

    with svc.db.read() as conn:
        stored = conn.execute(select(files.c.stored_path).where(files.c.id == old_file["file"]["id"])).scalar_one()
    path = Path(svc.settings.upload_dir) / stored
    assert path.is_file()
    file_url = old_file["file"]["url"]
    assert lee.get(file_url).status_code == 200

    seen_at_commit: list[bool] = []

    def on_commit(_conn: Any) -> None:
        seen_at_commit.append(path.exists())

    event.listen(svc.db.engine, "commit", on_commit)
    try:
        result = server.call(run_retention, svc, None, 2)  # batches of 2: several transactions
    finally:
        event.remove(svc.db.engine, "commit", on_commit)

    assert {k: result[k] for k in ("messages", "files", "polls", "pins", "reactions", "mentions", "batches")} == {
        "messages": 5, "files": 1, "polls": 1, "pins": 1, "reactions": 1, "mentions": 1, "batches": 3}
    # The file was still on disk when the batch that forgot it committed, and gone afterwards.
    assert not path.exists()
    assert seen_at_commit and seen_at_commit[0] is True and seen_at_commit[-1] is False
    assert seen_at_commit == sorted(seen_at_commit, reverse=True)

    history = [m["id"] for m in kim.get(f"/api/rooms/{room}/messages").json()["messages"]]
    assert fresh["id"] in history and not set(old_ids) & set(history)
    assert lee.get(file_url).status_code == 404
    assert kim.get(f"/api/rooms/{room}/pins").json()["pins"] == []
    assert kim.get(f"/api/polls/{old_poll['id']}").status_code == 404

    # Each room's last message is still a message that exists (the old room's was deleted).
    listed = {r["id"]: r for r in kim.get("/api/rooms").json()["rooms"]}
    assert listed[room]["last_message"]["id"] == fresh["id"]
    remaining_old_room = [m["id"] for m in kim.get(f"/api/rooms/{old_room}/messages").json()["messages"]]
    last = listed[old_room]["last_message"]
    assert (last is None and not remaining_old_room) or last["id"] == max(remaining_old_room)
    with svc.db.read() as conn:
        last_ids = conn.execute(select(rooms.c.last_message_id).where(rooms.c.id.in_([room, old_room]))).scalars()
        assert not set(last_ids) & set(old_ids)

    with svc.db.read() as conn:
        entries, _ = audit_store.query(conn, "server", action="retention_run")
    details = json.loads(entries[0].details)
    assert details["messages"] == 5 and details["files"] == 1 and details["days"] == 30

    # A second run finds nothing more and still records its (empty) run.
    again = server.call(run_retention, svc)
    assert again["messages"] == 0 and again["batches"] == 0
    assert say(kim, room, "계속 대화").get("id")
    # The daily job is scheduled (it also ran once at start-up): running it records another entry.
    assert server.call(svc.jobs.run_now, "retention") is True
    with svc.db.read() as conn:
        _, runs = audit_store.query(conn, "server", action="retention_run")
    assert runs >= 4  # start-up, the two direct runs, the job


def test_retention_off_deletes_nothing(app: Any, svc: Any) -> None:
    from tests.helpers import TestUser

    kim, lee = TestUser(app, "kim"), TestUser(app, "lee")
    r = kim.post("/api/rooms", json={"type": "group", "name": "팀", "member_ids": [lee.id]})
    room = r.get_json()["room"]["id"]
    msg = kim.post(f"/api/rooms/{room}/messages", json={"content": "영원히"}).get_json()["message"]
    _age(svc, [msg["id"]], days=10_000)
    assert run_retention(svc)["skipped"] is True
    assert [m["id"] for m in kim.get(f"/api/rooms/{room}/messages").get_json()["messages"]][0] == msg["id"]
    assert svc.jobs.run_now("retention") is False  # no job scheduled when RETENTION_DAYS is 0
