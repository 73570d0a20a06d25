"""Uploads, downloads, names, types, limits and avatars through the real app (Flask test client)."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image

from messenger.core.errors import ApiError
from messenger.files import service as files_service
from messenger.storage.db import utcnow
from tests.files.util import animated_gif, jpeg_rotated, make_room, png, png_bomb, upload, webp
from tests.helpers import TestUser


def stored_files(svc: Any) -> set[Any]:
    return {p for p in svc.settings.upload_dir.rglob("*") if p.is_file()}


@pytest.fixture
def trio(people: Any) -> tuple[TestUser, TestUser, TestUser, int]:
    """The module's users and a fresh room of alice and bob (carol is not in it)."""
    alice, bob, carol = people
    return alice, bob, carol, make_room(alice, bob)


def test_upload_then_members_download_same_bytes(app: Any, svc: Any, trio: Any) -> None:
    alice, bob, carol, room = trio
    data = ("회의록 내용\n" * 2000).encode()
    r = upload(alice, room, "회의록 2026.txt", data, content_type="image/png")  # the client's type is ignored
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["scan_status"] == "clean" and body["upload_token"] and body["file_name"] == "회의록 2026.txt"
    assert body["file"]["mime"] == "text/plain" and body["file"]["size"] == len(data)

    got = bob.get(body["file_path"])
    assert got.status_code == 200 and got.data == data
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert "filename*=UTF-8''%ED%9A%8C%EC%9D%98%EB%A1%9D" in got.headers["Content-Disposition"]
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Type"].startswith("text/plain")
    assert "private" in got.headers["Cache-Control"] and got.headers["ETag"]
    assert got.headers["Content-Security-Policy"].startswith("default-src 'none'")

    part = bob.get(body["file_path"], headers={"Range": "bytes=10-29"})
    assert part.status_code == 206 and part.data == data[10:30]
    assert part.headers["Content-Range"] == f"bytes 10-29/{len(data)}"
    cached = bob.get(body["file_path"], headers={"If-None-Match": got.headers["ETag"]})
    assert cached.status_code == 304

    assert carol.get(body["file_path"]).status_code == 403
    anon = app.test_client().get(body["file_path"])
    assert anon.status_code == 401 and anon.get_json()["code"] == "unauthorized"
    assert carol.get(f"/files/{body['file']['id']}/x?thumb=1").status_code == 403
    assert bob.get("/files/999999/x").status_code == 404
    # upload to a room one is not in
    assert upload(carol, room, "a.txt", b"hi").status_code == 403

    # stored under a random sharded name with its SHA-256 recorded; the original name only in the database
    with svc.db.read() as conn:
        row = files_service.store.get_file(conn, body["file"]["id"])
    import hashlib

    assert row.sha256 == hashlib.sha256(data).hexdigest()
    stored = svc.settings.upload_dir / row.stored_path
    assert stored.read_bytes() == data and len(stored.relative_to(svc.settings.upload_dir).parts) == 3
    assert not any("회의록" in p.name for p in svc.settings.upload_dir.rglob("*"))


def test_upload_tokens_are_single_use_and_bound(svc: Any, trio: Any, app: Any) -> None:
    alice, bob, _carol, room = trio
    other_room = make_room(alice, name="other")
    token = upload(alice, room, "a.txt", b"hello").get_json()["upload_token"]
    bad = ((bob.id, room), (alice.id, other_room))  # another user, another room: refused, token kept
    for user_id, room_id in bad:
        with pytest.raises(ApiError) as err:
            files_service.consume_upload_token(svc, token, user_id, room_id)
        assert err.value.code == "invalid_upload_token" and err.value.status == 400
    file_id = files_service.consume_upload_token(svc, token, alice.id, room)
    assert file_id > 0
    with pytest.raises(ApiError):
        files_service.consume_upload_token(svc, token, alice.id, room)
    for junk in ("", "nope", "x" * 500):
        with pytest.raises(ApiError):
            files_service.consume_upload_token(svc, junk, alice.id, room)
    settings = svc.settings
    svc.settings = settings.replace(UPLOAD_TOKEN_TTL_SECONDS=0.3)  # below the configurable minimum, for speed
    try:
        expiring = upload(alice, room, "late.txt", b"late").get_json()["upload_token"]
    finally:
        svc.settings = settings
    time.sleep(0.5)
    with pytest.raises(ApiError) as err:
        files_service.consume_upload_token(svc, expiring, alice.id, room)
    assert err.value.code == "invalid_upload_token"


def test_path_names_are_stored_safely(svc: Any, trio: Any) -> None:
    alice, bob, _carol, room = trio
    r = upload(alice, room, "../../x.png", png())
    body = r.get_json()
    assert r.status_code == 200 and body["file_name"] == "x.png"
    assert body["file"]["mime"] == "image/png" and (body["file"]["width"], body["file"]["height"]) == (64, 48)
    got = bob.get(body["file_path"])
    assert got.status_code == 200 and got.headers["Content-Disposition"] == "inline; filename=x.png"
    assert not (svc.settings.upload_dir.parent / "x.png").exists()
    assert not list(svc.settings.upload_dir.rglob("x.png"))
    odd = upload(alice, room, "..\\..\\evil\x07\u202e name\t.txt", b"text").get_json()
    assert odd["file_name"] == "evil name.txt"
    long = upload(alice, room, "가" * 300 + ".pdf", b"%PDF-1.4\n%%EOF\n").get_json()
    assert len(long["file_name"]) == 200 and long["file_name"].endswith("가.pdf")
    assert long["file"]["mime"] == "application/pdf"
    pdf = bob.get(long["file_path"])
    assert pdf.headers["Content-Disposition"].startswith("inline") and pdf.mimetype == "application/pdf"


def test_thumbnails_respect_exif_strip_metadata_and_are_cached(svc: Any, trio: Any) -> None:
    alice, bob, _carol, room = trio
    body = upload(alice, room, "photo.jpg", jpeg_rotated(400, 200)).get_json()
    f = body["file"]
    assert (f["width"], f["height"]) == (200, 400)  # as displayed (EXIF orientation 6)
    thumb = bob.get(f["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    img = Image.open(io.BytesIO(thumb.data))
    assert img.size == (160, 320)
    assert not img.getexif() and "exif" not in img.info
    r, g, b = img.convert("RGB").getpixel((80, 5))  # the band that was on the left is now on top
    assert r > 200 and g > 200 and b < 80
    with svc.db.read() as conn:
        cached = svc.settings.upload_dir / files_service.store.get_file(conn, f["id"]).thumbnail_path
    stamp = cached.stat().st_mtime_ns
    assert bob.get(f["thumbnail_url"]).data == thumb.data and cached.stat().st_mtime_ns == stamp

    gif = upload(alice, room, "anim.gif", animated_gif()).get_json()["file"]
    first = Image.open(io.BytesIO(bob.get(gif["thumbnail_url"]).data)).convert("RGB")
    assert first.getpixel((5, 5))[0] > 200 and first.getpixel((5, 5))[1] < 50  # the red first frame
    wp = upload(alice, room, "pic.webp", webp()).get_json()["file"]
    assert wp["mime"] == "image/webp"
    assert Image.open(io.BytesIO(bob.get(wp["thumbnail_url"]).data)).format == "PNG"  # keeps transparency
    whole = jpeg_rotated(400, 200)
    broken = upload(alice, room, "cut.jpg", whole[: len(whole) // 2])  # pixels cut off: shared, no preview
    assert broken.status_code == 200 and "thumbnail_url" not in broken.get_json()["file"]
    text = upload(alice, room, "a.txt", b"plain").get_json()["file"]
    assert "thumbnail_url" not in text and bob.get(text["url"] + "?thumb=1").status_code == 404


def test_refusals_are_clear(app: Any, trio: Any) -> None:
    alice, _bob, _carol, room = trio
    cases = [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 200, "file_type_blocked"),
        ("report.pdf", b"MZ\x90\x00" + b"\x00" * 200, "file_type_blocked"),  # an executable in disguise
        ("tool.elf.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "file_type_blocked"),
        ("run.BAT", b"echo hi", "file_type_blocked"),
        ("empty.txt", b"", "empty_file"),
        ("bomb.png", png_bomb(), "image_too_large"),
    ]
    for name, data, code in cases:
        r = upload(alice, room, name, data)
        assert r.status_code == 400 and r.get_json()["code"] == code, (name, r.get_json())
        assert r.get_json()["error"]
    assert alice.post("/api/upload", data={"room_id": str(room)}, content_type="multipart/form-data") \
        .get_json()["code"] == "missing_field"
    assert upload(alice, None, "a.txt", b"x").get_json()["code"] == "missing_field"
    assert upload(alice, "abc", "a.txt", b"x").get_json()["code"] == "invalid_field"
    assert upload(alice, 999999, "a.txt", b"x").status_code == 404
    assert upload(alice, 10**20, "a.txt", b"x").get_json()["code"] == "invalid_field"
    assert alice.get(f"/files/{10**20}/x").status_code == 404
    assert alice.get(f"/api/rooms/{10**20}/files").status_code == 404
    en = alice.post("/api/upload", data={"room_id": str(room), "file": (io.BytesIO(b"MZ"), "a.exe")},
                    content_type="multipart/form-data", headers={"Accept-Language": "en"})
    assert "not allowed" in en.get_json()["error"]


def test_allow_list_from_settings(make_settings: Any) -> None:
    from messenger.app import create_app, get_services

    app = create_app(make_settings(UPLOAD_ALLOWED_EXTENSIONS="pdf,png"))
    try:
        alice = TestUser(app, "alice")
        room = make_room(alice)
        r = upload(alice, room, "notes.txt", b"text")
        assert r.status_code == 400 and r.get_json()["code"] == "file_type_not_allowed"
        assert upload(alice, room, "ok.png", png()).status_code == 200
    finally:
        get_services(app).db.dispose()


def test_too_large_is_413(app: Any, svc: Any, trio: Any) -> None:
    alice, _bob, _carol, room = trio
    before = stored_files(svc)
    r = upload(alice, room, "big.bin", b"\0" * (17 * 1024 * 1024))
    assert r.status_code == 413 and set(r.get_json()) == {"error", "code", "params"}
    assert r.get_json()["code"] == "file_too_large" and isinstance(r.get_json()["params"]["limit"], int)
    # just over the limit, inside the multipart slack of the request limit: refused by the file check
    limit = svc.settings.MAX_CONTENT_LENGTH
    r = upload(alice, room, "edge.bin", b"\1" * (limit + 1))
    assert r.status_code == 413 and r.get_json()["code"] == "file_too_large"
    assert stored_files(svc) == before  # nothing left behind
    assert upload(alice, room, "fits.bin", b"\1" * limit).status_code == 200


def test_upload_rate_limit_per_user(make_settings: Any) -> None:
    from messenger.app import create_app, get_services

    app = create_app(make_settings())  # the default: 10/minute per user
    alice, bob = TestUser(app, "alice"), TestUser(app, "bob")
    room = make_room(alice, bob)
    codes = [upload(alice, room, f"{i}.txt", b"x").status_code for i in range(11)]
    assert codes[:10] == [200] * 10 and codes[10] == 429
    limited = upload(alice, room, "more.txt", b"x")
    assert limited.get_json()["code"] == "rate_limited" and limited.headers["Retry-After"]
    assert upload(bob, room, "bob.txt", b"x").status_code == 200  # per user, not per address
    get_services(app).db.dispose()


def test_avatar_same_pipeline_readable_by_everyone_logged_in(app: Any, svc: Any, trio: Any) -> None:
    alice, _bob, carol, _room = trio
    r = upload(alice, None, "me.jpg", jpeg_rotated(300, 100), path="/api/me/avatar")
    assert r.status_code == 200, r.get_json()
    url = r.get_json()["user"]["avatar_url"]
    assert url and alice.get("/api/me").get_json()["user"]["avatar_url"] == url
    got = carol.get(url)  # not sharing any room with alice
    assert got.status_code == 200 and got.mimetype == "image/jpeg"
    shown = Image.open(io.BytesIO(got.data))  # the stripped, upright thumbnail, never the original
    assert shown.size == (100, 300) and not shown.getexif()
    big = upload(alice, None, "big.jpg", jpeg_rotated(1200, 800), path="/api/me/avatar").get_json()["user"]
    assert Image.open(io.BytesIO(carol.get(big["avatar_url"]).data)).size == (213, 320)
    url = big["avatar_url"]
    assert app.test_client().get(url).status_code == 401
    bad = upload(alice, None, "doc.pdf", b"%PDF-1.4\n", path="/api/me/avatar")
    assert bad.status_code == 400 and bad.get_json()["code"] == "not_an_image"
    # a new avatar replaces the old one, which is removed
    old_id = int(url.split("/")[2])
    new = upload(alice, None, "me2.png", png(), path="/api/me/avatar").get_json()["user"]["avatar_url"]
    assert new != url and carol.get(url).status_code == 404
    with svc.db.read() as conn:
        old = files_service.store.get_file(conn, old_id)
    assert old.deleted_at is not None and not (svc.settings.upload_dir / old.stored_path).exists()


def test_delete_stored_files_removes_bytes_and_thumbnail(svc: Any, trio: Any) -> None:
    alice, bob, _carol, room = trio
    f = upload(alice, room, "p.png", png()).get_json()["file"]
    assert bob.get(f["thumbnail_url"]).status_code == 200
    with svc.db.read() as conn:
        row = files_service.store.get_file(conn, f["id"])
    files_service.delete_stored_files(svc, [f["id"]])
    assert bob.get(f["url"]).status_code == 404
    assert not (svc.settings.upload_dir / row.stored_path).exists()
    assert not (svc.settings.upload_dir / row.thumbnail_path).exists()
    with svc.db.read() as conn:
        assert files_service.file_dicts(conn, [f["id"]]) == {f["id"]: {"id": f["id"], "deleted": True}}  # no name, no url


def test_uploads_never_sent_are_purged(svc: Any, trio: Any) -> None:
    alice, bob, _carol, room = trio
    from messenger.messages.service import send

    kept = upload(alice, room, "recent.txt", b"recent").get_json()["file"]
    old = upload(alice, room, "old.txt", b"old").get_json()["file"]
    sent = upload(alice, room, "sent.txt", b"sent").get_json()
    send(svc, alice.id, room, "", type="file", upload_token=sent["upload_token"])
    with svc.db.begin() as conn:
        for file_id in (old["id"], sent["file"]["id"]):
            files_service.store.update_file(conn, file_id, created_at=utcnow() - timedelta(days=2))
        path = svc.settings.upload_dir / files_service.store.get_file(conn, old["id"]).stored_path
    assert svc.jobs.run_now("files_purge_orphans")
    assert not path.exists() and bob.get(old["url"]).status_code == 404
    assert bob.get(kept["url"]).status_code == 200  # its token is still good
    assert bob.get(sent["file_path"]).data == b"sent"  # sent in a message: kept however old


def test_stray_stored_files_left_by_a_crash_are_swept(svc: Any, trio: Any) -> None:
    """Files on disk that no upload refers to (a crash between the write and the commit, a quarantine
    copy of an interrupted scan) go with the hourly orphan job once a day old; nothing else does."""
    import os

    alice, bob, _carol, room = trio
    f = upload(alice, room, "사진.png", png()).get_json()["file"]
    root = svc.settings.upload_dir
    with svc.db.read() as conn:
        row = files_service.store.get_file(conn, f["id"])
    live = [root / row.stored_path, root / row.thumbnail_path]
    strays = [root / "ab" / "cd" / ("ab" + "c" * 30), root / "quarantine" / ("0" * 32),
              root / "ab" / "cd" / ("ab" + "d" * 30 + "_thumb.jpg")]
    recent_stray = root / "quarantine" / ("1" * 32)
    operator_file = root / "readme.txt"
    for path in [*strays, recent_stray, operator_file]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"left over")
    two_days_ago = time.time() - 2 * 86400
    for path in [*strays, *live, operator_file]:
        os.utime(path, (two_days_ago, two_days_ago))

    from messenger.files.sweep import stray_files

    assert stray_files(svc, timedelta(days=1), slice_size=1) == sorted(strays)  # live paths read in slices
    assert svc.jobs.run_now("files_purge_orphans")
    assert not any(p.exists() for p in strays)
    assert all(p.exists() for p in [*live, recent_stray, operator_file])
    assert bob.get(f["url"]).status_code == 200 and bob.get(f["thumbnail_url"]).status_code == 200
