"""Server administration rules: accounts (activate, admin role, password reset, deletion), the
registration setting and the server audit log. Every change is written to the audit log in the same
transaction as the change itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import secrets
from typing import Annotated, Any

from messenger.accounts import service as accounts
from messenger.accounts import store as accounts_store
from messenger.accounts.passwords import hash_password
from messenger.admin import store
from messenger.audit import store as audit_store
from messenger.core.context import Services
from messenger.core.errors import ApiError
from messenger.core.models import Body, Text
from messenger.realtime.coalesce import Coalescer
from messenger.storage import settings_store
from messenger.storage.db import iso

log = logging.getLogger("messenger.admin")

DELETED_DISPLAY_NAME = ""  # no word stored: clients show their own ("탈퇴한 사용자" / "Deleted user")
SETTING_KEYS = {"registration": ("open", "closed")}
# Directory fields a server admin sets on an account (PATCH /api/admin/users/<id>, directory import).
class ProfileFields(Body):
    department: Annotated[str, Text(max_len=100)] | None = None
    title: Annotated[str, Text(max_len=100)] | None = None
    extension: Annotated[str, Text(max_len=32)] | None = None
    email: Annotated[str, Text(max_len=255)] | None = None


CSV_COLUMNS = ("id", "created_at", "action", "actor_id", "actor_username", "target_user_id",
               "target_username", "target_id", "room_id", "client_ip", "details")


def valid_email(value: str) -> bool:
    """A plausible address (one ``@``, a dot in the domain, no spaces): the directory's only check."""
    local, at, domain = value.partition("@")
    return bool(at and local and "." in domain.strip(".") and "@" not in domain
                and not any(c.isspace() for c in value))


def _last_admin() -> ApiError:
    return ApiError(400, "last_admin", "The last active server administrator cannot be removed or deactivated", {"reason": "server"})


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "User not found", {"reason": "user"})


def admin_user_dict(svc: Services, row: Any) -> dict[str, Any]:
    """The contract's user object plus what an administrator sees."""
    return {
        **accounts.user_dict(svc, row),
        "is_active": bool(row.is_active),
        "last_seen": iso(row.last_seen_at),
        "created_at": iso(row.created_at),
        "deleted": row.deleted_at is not None,
        "sso": row.oidc_subject is not None,
    }


LAST_SEEN_BATCH_SECONDS = 1.0


class LastSeenBatches(Coalescer):
    """Users whose socket went away, waiting for their "last seen" write (one statement per batch)."""


def _last_seen_batches(svc: Services) -> LastSeenBatches:
    return svc.state_of(LastSeenBatches, lambda: LastSeenBatches(svc.socketio, LAST_SEEN_BATCH_SECONDS,
                                                                 lambda items: _write_last_seen(svc, items)))


def _write_last_seen(svc: Services, items: dict[int, bool]) -> None:
    with svc.db.begin() as conn:
        accounts_store.touch_last_seen_many(conn, sorted(items))


def note_last_seen(svc: Services, user: Any) -> None:
    """Realtime disconnect hook: remember when the user was last connected. Coalesced: the first
    disconnect after a quiet second is written at once, the others of that second together, so a
    server closing 1,000 sockets on shutdown writes them in one statement instead of 1,000."""
    _last_seen_batches(svc).add(user.user_id, True)


def flush_last_seen(svc: Services) -> None:
    """Realtime stop hook: write the waiting "last seen" batch now (the server is shutting down)."""
    _last_seen_batches(svc).drain()


def list_users(svc: Services, include_deleted: bool = False) -> list[dict[str, Any]]:
    with svc.db.read() as conn:
        rows = store.list_users(conn, include_deleted)
    return [admin_user_dict(svc, r) for r in rows]


def _live_user(conn: Any, user_id: int) -> Any:
    row = store.lock_user(conn, user_id)
    if row is None or row.deleted_at is not None:
        raise _not_found()
    return row


def _keeps_an_admin(conn: Any, user_id: int) -> None:
    """Raise ``last_admin`` when ``user_id`` is the only active admin left."""
    if store.lock_admins(conn) == [user_id]:
        raise _last_admin()


def update_user(svc: Services, actor_id: int, user_id: int, changes: dict[str, Any],
                client_ip: str | None = None) -> Any:
    """Apply ``{is_active?, is_admin?, department?, title?, extension?, email?}``; deactivation ends the
    user's sessions and sockets at once (after the commit, as the user-changed hooks)."""
    with svc.db.begin() as conn:
        row = _live_user(conn, user_id)
        values: dict[str, Any] = {}
        actions: list[str] = []
        if "is_active" in changes and bool(changes["is_active"]) != bool(row.is_active):
            if not changes["is_active"] and row.is_admin:
                _keeps_an_admin(conn, user_id)
            values["is_active"] = bool(changes["is_active"])
            actions.append("user_reactivated" if changes["is_active"] else "user_deactivated")
        if "is_admin" in changes and bool(changes["is_admin"]) != bool(row.is_admin):
            if not changes["is_admin"] and row.is_active:
                _keeps_an_admin(conn, user_id)
            values["is_admin"] = bool(changes["is_admin"])
            actions.append("admin_granted" if changes["is_admin"] else "admin_revoked")
        profile = {k: v for k, v in changes.items() if k in ProfileFields.model_fields and getattr(row, k) != v}
        if "email" in profile and profile["email"] and not valid_email(profile["email"]):
            raise ApiError(400, "invalid_field", "Field 'email' is not an e-mail address")
        values.update(profile)
        accounts_store.update_user(conn, user_id, **values)
        for action in actions:
            audit_store.add(conn, "server", action, actor_id=actor_id, target_user_id=user_id,
                            details={"username": row.username}, client_ip=client_ip)
        if profile:
            audit_store.add(conn, "server", "profile_changed", actor_id=actor_id, target_user_id=user_id,
                            details={"username": row.username, "changes": profile,
                                     "before": {k: getattr(row, k) for k in profile}}, client_ip=client_ip)
        updated = accounts_store.get_user(conn, user_id)
        if values.get("is_active") is False:
            accounts.revoke_sessions_in(svc, conn, user_id, "deactivated")
        if values:
            svc.realtime.queue_user_changed(conn, user_id)
    return updated


def reset_password(svc: Services, actor_id: int, user_id: int, client_ip: str | None = None) -> tuple[Any, str]:
    """A new temporary password (shown once); the user must change it at the next login."""
    if user_id == actor_id:
        raise ApiError(400, "invalid_field", "Change your own password with POST /api/me/password", {"field": "password", "reason": "own_password"})
    temporary = secrets.token_urlsafe(9)
    pw_hash = hash_password(temporary)
    with svc.db.begin() as conn:
        row = _live_user(conn, user_id)
        accounts_store.update_user(conn, user_id, password_hash=pw_hash, must_change_password=True)
        audit_store.add(conn, "server", "password_reset", actor_id=actor_id, target_user_id=user_id,
                        details={"username": row.username}, client_ip=client_ip)
        updated = accounts_store.get_user(conn, user_id)
        accounts.revoke_sessions_in(svc, conn, user_id, "password_reset")
    return updated, temporary


def delete_user(svc: Services, actor_id: int, user_id: int, client_ip: str | None = None) -> None:
    """Delete an account: sessions end, personal data is anonymised, messages stay (by a deleted user)."""
    with svc.db.begin() as conn:
        row = _live_user(conn, user_id)
        if row.is_admin and row.is_active:
            _keeps_an_admin(conn, user_id)
        store.anonymise_user(conn, user_id, DELETED_DISPLAY_NAME)
        audit_store.add(conn, "server", "user_deleted", actor_id=actor_id, target_user_id=user_id,
                        details={"username": row.username, "display_name": row.display_name},
                        client_ip=client_ip)
        accounts.revoke_sessions_in(svc, conn, user_id, "deleted")
        # The rooms feature's user-changed hook hands the user's rooms on (never left without an admin).
        svc.realtime.queue_user_changed(conn, user_id)


def server_settings(svc: Services) -> dict[str, Any]:
    return {"registration": accounts.registration_state(svc)}


def update_settings(svc: Services, actor_id: int, changes: dict[str, Any], client_ip: str | None = None) -> dict[str, Any]:
    with svc.db.begin() as conn:
        before = {k: settings_store.get(conn, k) for k in changes}
        for key, value in changes.items():
            settings_store.put(conn, key, str(value))
        audit_store.add(conn, "server", "settings_changed", actor_id=actor_id,
                        details={"changes": changes, "before": before}, client_ip=client_ip)
    return server_settings(svc)


# ---- audit log -----------------------------------------------------------------------------------
def audit_entries(svc: Services, *, action: str | None, actor_id: int | None, date_from: dt.datetime | None,
                  date_to: dt.datetime | None, before_id: int | None, limit: int) -> tuple[list[dict[str, Any]], int]:
    """Server audit entries newest first (with actor and target names), and the total matching."""
    with svc.db.read() as conn:
        rows, total = audit_store.query(conn, "server", action=action, actor_id=actor_id, date_from=date_from,
                                        date_to=date_to, before_id=before_id, limit=limit)
        ids = {r.actor_id for r in rows if r.actor_id} | {r.target_user_id for r in rows if r.target_user_id}
        names = store.user_names(conn, ids)
    return [_entry(r, names) for r in rows], total


def _person(names: dict[int, Any], user_id: int | None) -> dict[str, Any] | None:
    if user_id is None:
        return None
    row = names.get(user_id)
    return {"id": user_id, "username": row.username if row else None,
            "display_name": row.display_name if row else None}


def _entry(row: Any, names: dict[int, Any]) -> dict[str, Any]:
    try:
        details = json.loads(row.details or "{}")
    except ValueError:
        details = {"raw": row.details}
    return {
        "id": row.id,
        "action": row.action,
        "actor": _person(names, row.actor_id),
        "target_user": _person(names, row.target_user_id),
        "target_id": row.target_id,
        "room_id": row.room_id,
        "details": details,
        "client_ip": row.client_ip,
        "created_at": iso(row.created_at),
    }


def _cell(value: Any) -> str:
    """A CSV cell Excel will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def audit_csv(entries: list[dict[str, Any]]) -> str:
    """UTF-8 CSV with a byte-order mark, so Excel shows Korean correctly."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        actor = e["actor"] or {}
        target = e["target_user"] or {}
        writer.writerow([_cell(v) for v in (
            e["id"], e["created_at"], e["action"], actor.get("id"), actor.get("username"), target.get("id"),
            target.get("username"), e["target_id"], e["room_id"], e["client_ip"],
            json.dumps(e["details"], ensure_ascii=False, sort_keys=True),
        )])
    return out.getvalue()
