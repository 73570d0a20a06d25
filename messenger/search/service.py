"""Search rules: query normalisation, filters, authorization, result objects, suggestions, rooms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection

from messenger.core.context import Services
from messenger.core.errors import ApiError
from messenger.messages.serialize import message_dicts
from messenger.search import hangul, store
from messenger.search.text import fts_template, highlight_ranges, normalize, query_grams

MAX_QUERY = 200
MIME_FAMILIES = ("image", "video", "audio", "text", "application", "font", "model")


def parse_file_type(value: str | None) -> tuple[str, str] | None:
    """``image`` / ``image/*`` → mime family, ``image/png`` → exact mime, ``xlsx`` / ``.xlsx`` → extension."""
    if not value:
        return None
    value = value.strip().lower()
    if value.endswith("/*"):
        value = value[:-2]
    if "/" in value:
        return ("mime", value)
    if value in MIME_FAMILIES:
        return ("mime_prefix", value + "/")
    ext = value.lstrip(".")
    if not ext or not all(c.isalnum() for c in ext):
        raise ApiError(400, "invalid_field", "Field 'file_type' must be a mime type, a mime family or an extension", {"field": "file_type", "reason": "file_type"})
    return ("extension", ext)


def build_filters(room_id: int | None = None, sender_id: int | None = None, date_from: dt.datetime | None = None,
                  date_to: dt.datetime | None = None, date_to_is_day: bool = False, has_file: bool | None = None,
                  file_type: str | None = None) -> dict[str, Any]:
    """The store's filter dict. ``date_to`` is inclusive: the whole day for a date, the whole second else."""
    date_before = None
    if date_to is not None:
        date_before = date_to + (dt.timedelta(days=1) if date_to_is_day else dt.timedelta(seconds=1))
    return {"room_id": room_id, "sender_id": sender_id, "date_from": date_from, "date_before": date_before,
            "has_file": has_file, "file_type": parse_file_type(file_type)}


def _check_room(conn: Connection, room_id: int, viewer_id: int) -> None:
    exists, member = store.room_membership(conn, room_id, viewer_id)
    if not exists:
        raise ApiError(404, "not_found", "No such room", {"reason": "room"})
    if not member:
        raise ApiError(403, "forbidden", "You are not a member of this room", {"reason": "not_member"})


def find_ids(conn: Connection, viewer_id: int, norm_q: str, filters: dict[str, Any], limit: int,
             offset: int) -> tuple[list[int], int]:
    """Ids (newest first) and total of the viewer's messages containing ``norm_q`` and passing ``filters``."""
    sqlite = store.is_sqlite(conn)
    if not norm_q:
        if sqlite and store.fts_can_filter(filters):  # every sent message has text or a file name
            return store.search_ids(conn, viewer_id, "", None, filters, limit, offset)
        return store.filter_ids(conn, viewer_id, filters, limit, offset)
    match: str | list[str] = fts_template(norm_q) if sqlite else query_grams(norm_q)
    return store.search_ids(conn, viewer_id, norm_q, match, filters, limit, offset)


def _room_label(row: Any) -> str:
    return row.name if (row.type != "direct" or not row.other_name) else row.other_name


def matching_rooms(conn: Connection, viewer_id: int, q: str, limit: int = 20) -> list[dict[str, Any]]:
    """The viewer's rooms whose name (direct rooms: the other person's name) matches ``q`` by substring,
    초성 (``ㄱㄷㅎ``) or the other keyboard layout."""
    queries = [q, *hangul.layout_alternatives(q)]
    out: list[dict[str, Any]] = []
    for row in store.rooms_of_user(conn, viewer_id):
        label = _room_label(row) or ""
        if any(hangul.initials_match(x, label) for x in queries):
            out.append({"id": row.id, "type": row.type, "name": label})
            if len(out) >= limit:
                break
    return out


def _message_objects(svc: Services, conn: Connection, ids: list[int], viewer_id: int) -> dict[int, dict[str, Any]]:
    return message_dicts(svc, conn, ids, viewer_id)


def _room_objects(conn: Connection, viewer_id: int, room_ids: set[int]) -> dict[int, dict[str, Any]]:
    return {r.id: {"id": r.id, "type": r.type, "name": _room_label(r) or ""}
            for r in store.rooms_of_user(conn, viewer_id) if r.id in room_ids}


def search(svc: Services, viewer_id: int, q: str | None, filters: dict[str, Any], limit: int = 20,
           offset: int = 0, with_rooms: bool = False) -> dict[str, Any]:
    """``{results:[{message, room, highlights, file_highlights?}], total, suggestion?, rooms?}``."""
    raw = (q or "").strip()
    if len(raw) > MAX_QUERY:
        raise ApiError(400, "invalid_field", f"Field 'q' must be at most {MAX_QUERY} characters", {"field": "q", "reason": "max_len", "max": MAX_QUERY})
    norm_q = normalize(raw)
    has_filter = any(v is not None for v in filters.values())
    if not norm_q and not has_filter:
        raise ApiError(400, "missing_field", "Missing field: q", {"field": "q"})
    with svc.db.read() as conn:
        if filters.get("room_id") is not None:
            _check_room(conn, filters["room_id"], viewer_id)
        ids, total = find_ids(conn, viewer_id, norm_q, filters, limit, offset)
        capped = bool(norm_q) and not store.is_sqlite(conn) and total > store.TOTAL_CAP
        suggestion = None
        if total == 0 and norm_q and offset == 0:
            for alt in hangul.layout_alternatives(raw):
                alt_norm = normalize(alt)
                if alt_norm and find_ids(conn, viewer_id, alt_norm, filters, 1, 0)[1]:
                    suggestion = alt
                    break
        messages = _message_objects(svc, conn, ids, viewer_id) if ids else {}
        rooms = _room_objects(conn, viewer_id, {m["room_id"] for m in messages.values()})
        room_matches = matching_rooms(conn, viewer_id, raw) if with_rooms and raw else None
    results = []
    for mid in ids:
        message = messages.get(mid)
        if message is None or message.get("deleted"):
            continue
        item: dict[str, Any] = {"message": message, "room": rooms.get(message["room_id"]),
                                "highlights": highlight_ranges(message.get("content") or "", norm_q)}
        file_obj = message.get("file")
        if file_obj and norm_q:
            item["file_highlights"] = highlight_ranges(file_obj.get("name") or "", norm_q)
        results.append(item)
    out: dict[str, Any] = {"results": results, "total": store.TOTAL_CAP if capped else total,
                           "total_capped": capped}
    if suggestion:
        out["suggestion"] = suggestion
    if room_matches is not None:
        out["rooms"] = room_matches
    return out


def find_rooms(svc: Services, viewer_id: int, q: str) -> list[dict[str, Any]]:
    """The caller's rooms whose name matches ``q`` (substring, 초성 or the other keyboard layout)."""
    with svc.db.read() as conn:
        return matching_rooms(conn, viewer_id, q)
