"""The contract's ``file`` objects (no service imports: the message serialiser uses these)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from messenger.core.models import Reply
from messenger.files import store


class File(Reply):
    """The contract's ``file`` object (``file_dict``); a file deleted on its own is ``{id, deleted: true}``."""

    id: int
    name: str | None = None
    size: int | None = None
    mime: str | None = None
    url: str | None = None
    thumbnail_url: str | None = None
    width: int | None = None
    height: int | None = None
    deleted: bool | None = None


def file_url(file_id: int, name: str) -> str:
    return f"/files/{file_id}/{quote(name, safe='')}"


def file_dict(row: Any) -> dict[str, Any]:
    """The contract's ``file`` object for one files row."""
    url = file_url(row.id, row.original_name)
    out: dict[str, Any] = {"id": row.id, "name": row.original_name, "size": row.size, "mime": row.mime, "url": url}
    if row.thumbnail_path:
        out["thumbnail_url"] = f"{url}?thumb=1"
    if row.width and row.height:
        out["width"], out["height"] = row.width, row.height
    return out


def file_dicts(conn: Any, file_ids: list[int]) -> dict[int, dict[str, Any]]:
    """``{id: file}`` for message payloads, one query for all ids. A file deleted on its own (the
    uploader or a room admin; its message stays) is ``{id, deleted: true}``: the message shows
    "삭제된 파일"."""
    return {row.id: file_dict(row) if row.deleted_at is None else {"id": row.id, "deleted": True}
            for row in store.get_files(conn, file_ids)}
