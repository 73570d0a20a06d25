"""File messages end to end over a real server and Socket.IO (AV off)."""

from __future__ import annotations

import uuid
from typing import Any

from messenger.files import store as files_store
from tests.files.util import live_upload, make_room, png
from tests.helpers import LiveUser


def test_upload_send_download_and_leave(live_server: Any) -> None:
    alice, bob, carol = (LiveUser(live_server.url, n) for n in ("alice", "bob", "carol"))
    room = make_room(alice, bob)
    other_room = make_room(alice, carol, name="other")
    assert alice.get("/api/health").json()["av"] == "off"
    a_sock, b_sock = alice.socket(), bob.socket()
    try:
        data = png(640, 480)
        up = live_upload(alice, room, "../../x.png", data)
        assert up.status_code == 200 and up.json()["file_name"] == "x.png"
        token = up.json()["upload_token"]

        wrong_room = a_sock.call("send_message", {"room_id": other_room, "content": "", "type": "file",
                                                  "upload_token": token, "client_msg_id": uuid.uuid4().hex})
        assert not wrong_room["ok"] and wrong_room["code"] == "invalid_upload_token"
        sent = a_sock.call("send_message", {"room_id": room, "content": "차트", "type": "file",
                                            "upload_token": token, "client_msg_id": uuid.uuid4().hex})
        assert sent["ok"], sent
        reused = a_sock.call("send_message", {"room_id": room, "content": "", "type": "file",
                                              "upload_token": token, "client_msg_id": uuid.uuid4().hex})
        assert not reused["ok"] and reused["code"] == "invalid_upload_token"

        event = b_sock.wait_for("new_message", lambda d: d["message"]["id"] == sent["message"]["id"])
        f = event["message"]["file"]
        assert f["name"] == "x.png" and f["mime"] == "image/png" and f["size"] == len(data)
        assert (f["width"], f["height"]) == (640, 480) and f["thumbnail_url"].endswith("?thumb=1")
    finally:
        a_sock.disconnect()
        b_sock.disconnect()

    got = bob.get(f["url"])
    assert got.status_code == 200 and got.content == data
    assert got.headers["Content-Disposition"] == "inline; filename=x.png"
    assert carol.get(f["url"]).status_code == 403
    with live_server.svc.db.read() as conn:
        assert files_store.file_ids_for_messages(conn, [sent["message"]["id"]]) == [f["id"]]

    history = bob.get(f"/api/rooms/{room}/messages").json()["messages"]
    assert history[0]["file"]["id"] == f["id"]
    listing = bob.get(f"/api/rooms/{room}/files").json()
    assert [x["id"] for x in listing["files"]] == [f["id"]] and listing["has_more"] is False
    assert listing["files"][0]["uploader"]["id"] == alice.id

    # the uploader leaves: the room keeps the file, the leaver loses access
    assert alice.delete(f"/api/rooms/{room}/members/{alice.id}").status_code in (200, 204)
    assert bob.get(f["url"]).content == data
    assert alice.get(f["url"]).status_code == 403


def test_deleting_a_file_message_deletes_its_file(app: Any, svc: Any) -> None:
    """Deleting a file message removes the file from the room, the download and the disk (thumbnail too)."""
    from tests.files.util import upload
    from tests.helpers import TestUser

    kim, lee = TestUser(app, "kim"), TestUser(app, "lee")
    room = make_room(kim, lee)
    token = upload(kim, room, "도면.png", png(400, 300)).get_json()["upload_token"]
    sent = kim.post(f"/api/rooms/{room}/messages", json={"content": "", "type": "file", "upload_token": token})
    message = sent.get_json()["message"]
    f = message["file"]
    assert lee.get(f["url"]).status_code == 200
    with svc.db.read() as conn:
        row = files_store.get_files(conn, [f["id"]])[0]
    stored = [svc.settings.upload_dir / rel for rel in (row.stored_path, row.thumbnail_path)]
    assert all(p.is_file() for p in stored)

    assert kim.delete(f"/api/messages/{message['id']}").status_code == 200
    assert lee.get(f["url"]).status_code == 404 and lee.get(f["url"] + "?thumb=1").status_code == 404
    assert lee.get(f"/api/rooms/{room}/files").get_json()["files"] == []
    assert not any(p.exists() for p in stored)
    history = lee.get(f"/api/rooms/{room}/messages").get_json()["messages"]
    assert history[0]["id"] == message["id"] and history[0]["deleted"] and "file" not in history[0]
