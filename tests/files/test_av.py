"""ClamAV scanning against a real clamd: quarantine, infected/clean/error, events, restart resume."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import schemathesis

from messenger.files import store as files_store
from tests.files.clamd import eicar
from tests.files.util import live_upload, make_room, png, upload
from tests.helpers import LiveUser, TestUser
from tests.services import free_port

FAST = {"RATE_LIMIT_UPLOAD": "1000/minute"}
# Every job answer (pending, clean, infected, error) is checked against the document's UploadJob.
JOB = schemathesis.openapi.from_path(Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml")[
    "/api/upload/jobs/{job_id}"]["GET"]


def wait_job(user: Any, job_id: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = user.get(f"/api/upload/jobs/{job_id}")
        assert r.status_code == 200, r.text
        JOB.validate_response(r)
        body = r.json()
        if body["status"] != "pending" or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def send_file(sock: Any, room: int, token: str) -> Any:
    return sock.call("send_message", {"room_id": room, "content": "", "type": "file", "upload_token": token,
                                      "client_msg_id": uuid.uuid4().hex})


@pytest.fixture
def av_server(start_server: Any, clamd: Any) -> Any:
    return start_server(FEATURE_AV_SCAN_ENABLED=True, AV_CLAMD_PORT=clamd.port, AV_SCAN_TIMEOUT_SECONDS=5, **FAST)


def test_eicar_is_infected_deleted_audited_and_never_downloadable(av_server: Any) -> None:
    alice, bob = LiveUser(av_server.url, "alice"), LiveUser(av_server.url, "bob")
    room = make_room(alice, bob)
    sock = alice.socket()
    try:
        r = live_upload(alice, room, "invoice.txt", eicar())
        assert r.status_code == 202, r.text
        body = r.json()
        assert body["scan_status"] == "pending" and "upload_token" not in body
        done = sock.wait_for("upload_scan_done", lambda d: d["job_id"] == body["job_id"], timeout=15)
        assert done["status"] == "infected" and "upload_token" not in done
    finally:
        sock.disconnect()
    job = wait_job(alice, body["job_id"])
    assert job["status"] == "infected" and "upload_token" not in job
    assert bob.get(f"/api/upload/jobs/{body['job_id']}").status_code == 403

    svc = av_server.svc
    with svc.db.read() as conn:
        row = files_store.get_file(conn, files_store.get_job(conn, body["job_id"]).file_id)
    assert row.scan_status == "infected" and row.deleted_at is not None
    assert not (svc.settings.upload_dir / row.stored_path).exists()
    for user in (alice, bob):
        assert user.get(f"/files/{row.id}/invoice.txt").status_code == 404
    audit = alice.get("/api/admin/audit-logs?action=upload_infected").json()["audit_logs"]  # alice: first user, admin
    assert len(audit) == 1 and "Eicar" in audit[0]["details"]["detail"]
    assert audit[0]["details"]["file_name"] == "invoice.txt"


def test_clean_file_goes_pending_to_clean_and_can_be_sent(av_server: Any) -> None:
    alice, bob, carol = (LiveUser(av_server.url, n) for n in ("alice", "bob", "carol"))
    room = make_room(alice, bob)
    assert alice.get("/api/health").json()["av"] == "ok"
    data = png(300, 200)
    sock = alice.socket()
    try:
        r = live_upload(alice, room, "chart.png", data)
        assert r.status_code == 202 and r.json()["scan_status"] == "pending"
        job_id = r.json()["job_id"]
        done = sock.wait_for("upload_scan_done", lambda d: d["job_id"] == job_id, timeout=15)
        assert done["status"] == "clean" and done["upload_token"]
        job = wait_job(alice, job_id)
        assert job["status"] == "clean" and job["upload_token"] == done["upload_token"]
        assert carol.get(f"/api/upload/jobs/{job_id}").status_code == 403
        sent = send_file(sock, room, done["upload_token"])
        assert sent["ok"], sent
        message = sent["message"]
        assert message["type"] == "file" and message["file"]["name"] == "chart.png"
        assert (message["file"]["width"], message["file"]["height"]) == (300, 200)
        again = send_file(sock, room, done["upload_token"])
        assert not again["ok"] and again["code"] == "invalid_upload_token"
    finally:
        sock.disconnect()
    got = bob.get(message["file"]["url"])
    assert got.status_code == 200 and got.content == data
    assert bob.get(message["file"]["thumbnail_url"]).status_code == 200
    assert carol.get(message["file"]["url"]).status_code == 403
    listing = bob.get(f"/api/rooms/{room}/files").json()["files"]
    assert [f["id"] for f in listing] == [message["file"]["id"]] and listing[0]["message_id"] == message["id"]
    assert carol.get(f"/api/rooms/{room}/files").status_code == 403


def test_clamd_down_gives_error_never_clean(start_server: Any) -> None:
    server = start_server(FEATURE_AV_SCAN_ENABLED=True, AV_CLAMD_PORT=free_port(), **FAST)
    alice = LiveUser(server.url, "alice")
    room = make_room(alice)
    assert alice.get("/api/health").json()["av"] == "down"
    r = live_upload(alice, room, "notes.txt", b"harmless text")
    job = wait_job(alice, r.json()["job_id"])
    assert job["status"] == "error" and "upload_token" not in job
    with server.svc.db.read() as conn:
        row = files_store.get_file(conn, files_store.get_job(conn, job["job_id"]).file_id)
    assert row.scan_status == "error" and alice.get(f"/files/{row.id}/notes.txt").status_code == 404


def test_hung_clamd_times_out_as_error(start_server: Any, clamd: Any) -> None:
    server = start_server(FEATURE_AV_SCAN_ENABLED=True, AV_CLAMD_PORT=clamd.port, AV_SCAN_TIMEOUT_SECONDS=0.5, **FAST)
    alice = LiveUser(server.url, "alice")
    room = make_room(alice)
    clamd.pause()
    try:
        r = live_upload(alice, room, "notes.txt", b"harmless text")
        job = wait_job(alice, r.json()["job_id"])
    finally:
        clamd.resume()
    assert job["status"] == "error"
    assert clamd.ping(timeout=5)


def test_pending_scans_resume_after_restart(make_settings: Any, start_server: Any, clamd: Any) -> None:
    from messenger.app import create_app, get_services

    settings = make_settings(FEATURE_AV_SCAN_ENABLED=True, AV_CLAMD_PORT=clamd.port, **FAST)
    app = create_app(settings)  # no server running: jobs wait in the database
    alice = TestUser(app, "alice")
    room = make_room(alice)
    first = upload(alice, room, "a.txt", b"first file")
    second = upload(alice, room, "b.txt", eicar())
    assert first.status_code == second.status_code == 202
    assert alice.get(f"/api/upload/jobs/{first.get_json()['job_id']}").get_json()["status"] == "pending"
    get_services(app).db.dispose()

    server = start_server(settings)
    live = LiveUser(server.url, "alice", register=False)
    assert wait_job(live, first.get_json()["job_id"])["status"] == "clean"
    assert wait_job(live, second.get_json()["job_id"])["status"] == "infected"
    token = wait_job(live, first.get_json()["job_id"])["upload_token"]
    sock = live.socket()
    try:
        assert send_file(sock, room, token)["ok"]
    finally:
        sock.disconnect()


def test_avatar_is_scanned_synchronously(av_server: Any) -> None:
    alice = LiveUser(av_server.url, "alice")
    r = alice.post("/api/me/avatar", files={"file": ("me.png", png())})
    assert r.status_code == 200 and r.json()["user"]["avatar_url"]
    assert alice.get(r.json()["user"]["avatar_url"]).status_code == 200
    bad = alice.post("/api/me/avatar", files={"file": ("me.png", png() + eicar())})  # a valid PNG, EICAR appended
    assert bad.status_code == 400 and bad.json()["code"] == "infected_file"
    assert alice.get("/api/me").json()["user"]["avatar_url"] == r.json()["user"]["avatar_url"]
