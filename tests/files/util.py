"""Helpers for the files tests: rooms, uploads and generated images."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

from PIL import Image


def make_room(owner: Any, *members: Any, name: str = "files") -> int:
    """A group room created through the API by ``owner`` (TestUser or LiveUser) with ``members``."""
    r = owner.post("/api/rooms", json={"type": "group", "name": name, "member_ids": [m.id for m in members]})
    assert r.status_code == 201, (r.status_code, r.get_data(as_text=True) if hasattr(r, "get_data") else r.text)
    body = r.get_json() if hasattr(r, "get_json") else r.json()
    return int(body["room"]["id"])


def upload(user: Any, room_id: Any, name: str, data: bytes, content_type: str = "application/octet-stream",
           path: str = "/api/upload") -> Any:
    """POST a multipart upload as a TestUser (Flask test client)."""
    form: dict[str, Any] = {"file": (io.BytesIO(data), name, content_type)}
    if room_id is not None:
        form["room_id"] = str(room_id)
    return user.post(path, data=form, content_type="multipart/form-data")


def live_upload(user: Any, room_id: int, name: str, data: bytes) -> Any:
    """POST a multipart upload as a LiveUser (real HTTP)."""
    return user.post("/api/upload", data={"room_id": str(room_id)}, files={"file": (name, data)})


def png(width: int = 64, height: int = 48, color: tuple[int, ...] = (200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "PNG")
    return buf.getvalue()


def jpeg_rotated(width: int = 400, height: int = 200) -> bytes:
    """A landscape JPEG whose EXIF says 'rotate 90° clockwise' (orientation 6), plus a GPS-ish tag."""
    img = Image.new("RGB", (width, height), (20, 120, 220))
    img.paste((250, 250, 0), (0, 0, width // 4, height))  # a yellow band on the left edge
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "SecretCameraMaker"
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif, quality=90)
    return buf.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (40, 30), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


def webp() -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", (50, 50), (0, 200, 0, 128)).save(buf, "WEBP")
    return buf.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(side: int = 100_000) -> bytes:
    """A tiny PNG claiming ``side`` x ``side`` pixels (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
