"""System messages become events: the Korean sentences older versions stored are read back into events.

Before this revision a ``system`` message's ``content`` was a Korean sentence ("김대호님이 나갔습니다.").
Now it holds the event as JSON (messenger/core/system_events.py) and clients word it in the reader's
language. Each known sentence form is parsed; a name is matched to a user id when exactly one member
of the room (else exactly one user) has that display name, otherwise the id is null and the name
stays. A sentence that matches no known form becomes ``{"event": "legacy", "text": <sentence>}``.
The downgrade writes the Korean sentences back.

Revision ID: 0007_system_events
Revises: 0006_notify
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007_system_events"
down_revision = "0006_notify"
branch_labels = None
depends_on = None

# The sentence forms of messenger/rooms/service.py before this revision (the Korean is data to parse).
_CREATED = re.compile(r"^(?P<user>.*?)님이 대화방을 만들었습니다\.(?: 참여자: (?P<members>.*))?$", re.S)
_RENAMED = re.compile(r"^(?P<user>.*?)님이 대화방 이름을 '(?P<name>.*)'\(으\)로 바꿨습니다\.$", re.S)
_INVITED = re.compile(r"^(?P<user>.*?)님이 (?P<members>.*)님을 초대했습니다\.$", re.S)
_LEFT = re.compile(r"^(?P<user>.*)님이 나갔습니다\.$", re.S)
_REMOVED = re.compile(r"^(?P<user>.*?)님이 (?P<target>.*)님을 내보냈습니다\.$", re.S)
_ADMIN = re.compile(r"^(?P<user>.*)님이 대화방 관리자가 되었습니다\.$", re.S)

Resolve = Callable[[str], "int | None"]


def _person(name: str, resolve: Resolve) -> dict[str, Any]:
    return {"id": resolve(name), "name": name}


def _people(names: str, resolve: Resolve) -> list[dict[str, Any]]:
    return [_person(n, resolve) for n in names.split(", ")] if names else []


def parse(text: str, resolve: Resolve) -> dict[str, Any]:
    """The event an old sentence describes (``legacy`` when it matches no known form)."""
    if m := _CREATED.match(text):
        return {"event": "room_created", "user": _person(m["user"], resolve),
                "members": _people(m["members"] or "", resolve)}
    if m := _RENAMED.match(text):
        return {"event": "room_renamed", "user": _person(m["user"], resolve), "name": m["name"]}
    if m := _REMOVED.match(text):
        return {"event": "member_removed", "user": _person(m["user"], resolve),
                "target": _person(m["target"], resolve)}
    if m := _INVITED.match(text):
        return {"event": "members_invited", "user": _person(m["user"], resolve),
                "members": _people(m["members"], resolve)}
    if m := _ADMIN.match(text):
        return {"event": "admin_assigned", "user": _person(m["user"], resolve)}
    if m := _LEFT.match(text):
        return {"event": "member_left", "user": _person(m["user"], resolve)}
    return {"event": "legacy", "text": text}


def _is_event(content: str) -> bool:
    try:
        value = json.loads(content)
    except ValueError:
        return False
    return isinstance(value, dict) and isinstance(value.get("event"), str)


def _unique(pairs: list[tuple[int, str]]) -> dict[str, int]:
    ids: dict[str, set[int]] = defaultdict(set)
    for user_id, name in pairs:
        ids[name].add(int(user_id))
    return {name: next(iter(found)) for name, found in ids.items() if len(found) == 1}


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, room_id, content FROM messages WHERE type = 'system'")).all()
    rows = [r for r in rows if not _is_event(r.content or "")]
    if not rows:
        return
    everyone = _unique([(r.id, r.display_name) for r in conn.execute(sa.text("SELECT id, display_name FROM users"))])
    by_room: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for r in conn.execute(sa.text(
            "SELECT rm.room_id, u.id, u.display_name FROM room_members rm JOIN users u ON u.id = rm.user_id")):
        by_room[int(r.room_id)].append((int(r.id), r.display_name))
    members = {room_id: _unique(pairs) for room_id, pairs in by_room.items()}
    updates = []
    for r in rows:
        in_room = members.get(int(r.room_id), {})

        def resolve(name: str, in_room: dict[str, int] = in_room) -> int | None:
            return in_room.get(name, everyone.get(name))

        event = parse(r.content or "", resolve)
        updates.append({"id": int(r.id), "content": json.dumps(event, ensure_ascii=False, separators=(",", ":"))})
    conn.execute(sa.text("UPDATE messages SET content = :content WHERE id = :id"), updates)


def _sentence(event: dict[str, Any]) -> str:
    def name(p: Any) -> str:
        return str((p or {}).get("name") or "")

    def names(ps: Any) -> str:
        return ", ".join(name(p) for p in ps or [])

    kind = event.get("event")
    if kind == "room_created":
        text = f"{name(event.get('user'))}님이 대화방을 만들었습니다."
        return text + (f" 참여자: {names(event.get('members'))}" if event.get("members") else "")
    if kind == "room_renamed":
        return f"{name(event.get('user'))}님이 대화방 이름을 '{event.get('name', '')}'(으)로 바꿨습니다."
    if kind == "members_invited":
        return f"{name(event.get('user'))}님이 {names(event.get('members'))}님을 초대했습니다."
    if kind == "member_left":
        return f"{name(event.get('user'))}님이 나갔습니다."
    if kind == "member_removed":
        return f"{name(event.get('user'))}님이 {name(event.get('target'))}님을 내보냈습니다."
    if kind == "admin_assigned":
        return f"{name(event.get('user'))}님이 대화방 관리자가 되었습니다."
    return str(event.get("text") or "")


def downgrade() -> None:
    conn = op.get_bind()
    updates = []
    for r in conn.execute(sa.text("SELECT id, content FROM messages WHERE type = 'system'")).all():
        if _is_event(r.content or ""):
            updates.append({"id": int(r.id), "content": _sentence(json.loads(r.content))[:2000]})
    if updates:
        conn.execute(sa.text("UPDATE messages SET content = :content WHERE id = :id"), updates)
