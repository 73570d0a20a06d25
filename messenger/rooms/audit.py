"""The room admin audit log: kicks, role changes, admin deletions, pins, renames (JSON or Excel-ready CSV)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Response

from messenger.accounts import store as accounts_store
from messenger.audit import store as audit_store
from messenger.core.context import Services
from messenger.rooms.access import require_room_admin
from messenger.storage.db import iso

CSV_COLUMNS = ["id", "created_at", "action", "actor_id", "actor", "target_user_id", "target", "target_id", "details"]


def room_entries(svc: Services, user_id: int, room_id: int, before_id: int | None,
                 limit: int) -> tuple[list[dict[str, Any]], int]:
    """Entries newest first (room admins only) with actor and target names, and the total."""
    with svc.db.read() as conn:
        require_room_admin(conn, room_id, user_id)
        rows, total = audit_store.query(conn, "room", room_id=room_id, before_id=before_id, limit=limit)
        ids = sorted({r.actor_id for r in rows if r.actor_id} | {r.target_user_id for r in rows if r.target_user_id})
        people = {u.id: u for u in accounts_store.get_users(conn, ids)}
    return [_entry(r, people) for r in rows], total


def _person(people: dict[int, Any], user_id: int | None) -> dict[str, Any] | None:
    if user_id is None:
        return None
    row = people.get(user_id)
    return {"id": user_id, "username": row.username if row else None,
            "display_name": row.display_name if row else None}


def _entry(row: Any, people: dict[int, Any]) -> dict[str, Any]:
    try:
        details = json.loads(row.details or "{}")
    except ValueError:
        details = {}
    return {
        "id": row.id,
        "action": row.action,
        "actor": _person(people, row.actor_id),
        "target_user": _person(people, row.target_user_id),
        "target_id": row.target_id,
        "details": details,
        "created_at": iso(row.created_at),
    }


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_response(room_id: int, entries: list[dict[str, Any]]) -> Response:
    """UTF-8 with BOM so Excel shows Korean correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        actor, target = e["actor"] or {}, e["target_user"] or {}
        writer.writerow([_cell(v) for v in (
            e["id"], e["created_at"], e["action"], actor.get("id"), actor.get("display_name"),
            target.get("id"), target.get("display_name"), e["target_id"],
            json.dumps(e["details"], ensure_ascii=False),
        )])
    body = ("\ufeff" + buf.getvalue()).encode("utf-8")
    return Response(body, mimetype="text/csv", headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="room-{room_id}-audit-log.csv"',
    })
