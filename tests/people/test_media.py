"""Images and files of a room: the media list by kind, name and type; deleting a file (uploader or room
admin) keeps its message as "삭제된 파일" while download, thumbnail and list answer 404/nothing."""

from __future__ import annotations

from typing import Any

from tests.files.util import make_room, png, upload
from tests.helpers import TestUser


def _share(user: TestUser, room: int, name: str, data: bytes) -> dict[str, Any]:
    token = upload(user, room, name, data).get_json()["upload_token"]
    r = user.post(f"/api/rooms/{room}/messages", json={"content": "", "type": "file", "upload_token": token})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["message"]


def _names(user: TestUser, room: int, **params: str) -> list[str]:
    r = user.get(f"/api/rooms/{room}/files", query_string=params)
    assert r.status_code == 200, r.get_json()
    return [f["name"] for f in r.get_json()["files"]]


def test_media_list_by_kind_name_and_type(app: Any) -> None:
    kim, lee = TestUser(app, "kim"), TestUser(app, "lee")
    room = make_room(kim, lee)
    _share(kim, room, "회의실.png", png())
    _share(lee, room, "견적서_최종.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    _share(kim, room, "메모.txt", "회의 메모".encode())
    _share(lee, room, "도면.PNG", png(32, 32))
    assert _names(kim, room) == ["도면.PNG", "메모.txt", "견적서_최종.pdf", "회의실.png"]
    assert _names(kim, room, kind="image") == ["도면.PNG", "회의실.png"]
    assert _names(kim, room, kind="file") == ["메모.txt", "견적서_최종.pdf"]
    assert _names(kim, room, kind="file", q="견적") == ["견적서_최종.pdf"]
    assert _names(kim, room, q="도면") == ["도면.PNG"]
    assert _names(kim, room, type="png") == ["도면.PNG", "회의실.png"]  # extension, any case
    assert _names(kim, room, kind="file", type="application/pdf") == ["견적서_최종.pdf"]
    assert _names(kim, room, type="text") == ["메모.txt"]
    assert _names(kim, room, q="100%_") == []  # LIKE wildcards are literal
    for bad in ({"kind": "video"}, {"type": "../x"}, {"type": "font/*"}):
        assert kim.get(f"/api/rooms/{room}/files", query_string=bad).get_json()["code"] == "invalid_field"
    outsider = TestUser(app, "eve")
    assert outsider.get(f"/api/rooms/{room}/files?kind=image").status_code == 403


def test_uploader_deletes_a_file_and_the_message_stays(app: Any, svc: Any) -> None:
    from messenger.files import store as files_store

    kim, lee = TestUser(app, "kim"), TestUser(app, "lee")
    room = make_room(kim, lee)
    message = _share(lee, room, "사진.png", png(200, 100))
    f = message["file"]
    with svc.db.read() as conn:
        row = files_store.get_files(conn, [f["id"]])[0]
    lee.get(f["url"] + "?thumb=1")
    stored = [svc.settings.upload_dir / rel for rel in (row.stored_path, row.thumbnail_path) if rel]
    assert stored and all(p.is_file() for p in stored)
    # Someone else (not a room admin) may not; an outsider gets 403; unknown 404.
    kim_is_admin = kim.get(f"/api/rooms/{room}").get_json()["room"]["my_role"] == "admin"
    assert kim_is_admin
    eve = TestUser(app, "eve")
    assert eve.delete(f"/api/files/{f['id']}").status_code == 403
    assert lee.delete("/api/files/999999").status_code == 404
    r = lee.delete(f"/api/files/{f['id']}")
    assert r.status_code == 200 and r.get_json() == {"ok": True, "message_ids": [message["id"]]}
    assert kim.get(f["url"]).status_code == 404 and kim.get(f["url"] + "?thumb=1").status_code == 404
    assert not any(p.exists() for p in stored)
    assert _names(kim, room) == []
    shown = kim.get(f"/api/rooms/{room}/messages").get_json()["messages"][0]
    assert shown["id"] == message["id"] and shown["deleted"] is False
    assert shown["file"] == {"id": f["id"], "deleted": True}
    assert lee.delete(f"/api/files/{f['id']}").status_code == 404  # already deleted
    # Deleting the message later still works.
    assert lee.delete(f"/api/messages/{message['id']}").status_code == 200


def test_room_admin_deletes_someone_elses_file_audited_member_cannot(app: Any) -> None:
    kim, lee, park = TestUser(app, "kim"), TestUser(app, "lee"), TestUser(app, "park")
    room = make_room(kim, lee, park)
    message = _share(lee, room, "자료.txt", b"hello")
    assert park.delete(f"/api/files/{message['file']['id']}").status_code == 403
    assert kim.delete(f"/api/files/{message['file']['id']}").status_code == 200
    logs = kim.get(f"/api/rooms/{room}/admin-audit-logs").get_json()["logs"]
    assert logs[0]["action"] == "file_deleted" and logs[0]["target_id"] == str(message["file"]["id"])
    assert logs[0]["target_user"]["id"] == lee.id


def test_file_deletion_reaches_the_room_live(live_server: Any) -> None:
    from tests.files.util import live_upload
    from tests.helpers import LiveUser

    kim, lee = LiveUser(live_server.url, "kim"), LiveUser(live_server.url, "lee")
    room = make_room(kim, lee)
    token = live_upload(kim, room, "a.txt", b"x").json()["upload_token"]
    message = kim.post(f"/api/rooms/{room}/messages", json={"content": "", "type": "file",
                                                            "upload_token": token}).json()["message"]
    sock = lee.socket()
    try:
        assert kim.delete(f"/api/files/{message['file']['id']}").status_code == 200
        got = sock.wait_for("message_edited", lambda d: d["message"]["id"] == message["id"])
        assert got["message"]["file"] == {"id": message["file"]["id"], "deleted": True}
    finally:
        sock.disconnect()
