"""Account and session services: the rules live here, SQL in ``store``, HTTP in ``routes``."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from messenger.accounts import store
from messenger.accounts.passwords import hash_password, needs_rehash, verify_password
from messenger.accounts.serialize import AVAILABILITY, avatar_url, directory_dict, people_fields, user_dict
from messenger.accounts.setup import check_registration, finish_setup
from messenger.audit import store as audit_store
from messenger.core.context import Services
from messenger.core.errors import ApiError
from messenger.storage.db import on_commit, utcnow

# Usernames are a safe set: lower-case ASCII letters and digits, '.', '-', '_', and Hangul syllables
# (가-힣), 2-32 of them after NFKC and lower-casing. No other script can register, so a Cyrillic "аlice"
# beside "alice" is impossible; look-alikes inside the set are caught by ``username_skeleton``.
USERNAME_RE = re.compile(r"^[a-z0-9._\-\uac00-\ud7a3]{2,32}$")
# UTS #39 confusables that remain inside the set (sequences first): rn→m, vv→w, cl→d, 1→l, 0→o.
_LOOKALIKES = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("1", "l"), ("0", "o"))
MIN_PASSWORD = 8
SESSION_COOKIE = "im_session"

__all__ = ["AVAILABILITY", "avatar_url", "directory_dict", "people_fields", "user_dict"]  # serialisers, importable here too


@dataclass(frozen=True)
class Auth:
    """The caller of a request or socket: their user row and session."""

    user: Any
    session_id: int
    csrf_token: str

    @property
    def user_id(self) -> int:
        return int(self.user.id)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_username(raw: str) -> str:
    name = unicodedata.normalize("NFKC", raw).strip().lower()
    if not USERNAME_RE.match(name):
        raise ApiError(400, "invalid_username",
                       "Username must be 2-32 of a-z, 0-9, '.', '-', '_' or Hangul syllables")
    return name


def username_skeleton(name: str) -> str:
    """What a username looks like: two usernames with the same skeleton are look-alikes (UTS #39's
    skeleton idea, for the characters a username may hold)."""
    out = name
    for seq, proto in _LOOKALIKES:
        out = out.replace(seq, proto)
    return out


def lookalike_of(name: str, existing: Any) -> str | None:
    """The first of ``existing`` usernames that looks like ``name`` without being it, else None."""
    skeleton = username_skeleton(name)
    for other in existing:
        if other != name and username_skeleton(other) == skeleton:
            return str(other)
    return None


def _check_lookalike(conn: Any, name: str) -> None:
    other = lookalike_of(name, store.live_usernames(conn))
    if other is not None:
        raise ApiError(409, "username_confusable", f"This username looks like the existing username '{other}'",
                       {"username": other})


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ApiError(400, "weak_password", f"Password must be at least {MIN_PASSWORD} characters", {"min": MIN_PASSWORD})
    if len(password) > 256:
        raise ApiError(400, "invalid_field", "Password is too long (at most 256 characters)", {"field": "password", "reason": "max_len", "max": 256})


def registration_state(svc: Services) -> str:
    from messenger.storage import settings_store

    with svc.db.read() as conn:
        return settings_store.get(conn, "registration") or svc.settings.REGISTRATION


def create_user(svc: Services, username: str, password: str | None, display_name: str | None = None,
                is_admin: bool = False, actor_id: int | None = None, client_ip: str | None = None,
                oidc: tuple[str, str] | None = None) -> Any:
    """Create an account (the very first account becomes server admin). Returns the user row."""
    name = normalise_username(username)
    if password is not None:
        check_password_strength(password)
    display = (display_name or "").strip() or name
    if len(display) > 100:
        raise ApiError(400, "invalid_field", "display_name must be at most 100 characters", {"field": "display_name", "reason": "max_len", "max": 100})
    pw_hash = hash_password(password) if password is not None else None
    try:
        with svc.db.begin() as conn:
            first = store.count_users(conn) == 0
            if store.get_user_by_username(conn, name) is not None:
                raise ApiError(409, "username_taken", "This username is already taken")
            _check_lookalike(conn, name)
            user_id = store.create_user(
                conn, name, display, pw_hash, is_admin=is_admin or first,
                oidc_issuer=oidc[0] if oidc else None, oidc_subject=oidc[1] if oidc else None,
            )
            audit_store.add(conn, "server", "user_created", actor_id=actor_id, target_user_id=user_id,
                            details={"username": name, "admin": is_admin or first, "sso": bool(oidc)},
                            client_ip=client_ip)
            row = store.get_user(conn, user_id)
            # After the commit: e.g. the announcement room takes the new account in.
            on_commit(conn, lambda: svc.realtime.notify_user_changed(user_id))
    except IntegrityError:
        raise ApiError(409, "username_taken", "This username is already taken") from None
    return row


def register(svc: Services, username: str, password: str, display_name: str | None, client_ip: str | None,
             setup_code: str | None = None) -> Any:
    """Self-registration. Until a server admin exists, a registration from another machine needs the
    one-time setup code (see :mod:`messenger.accounts.setup`); with it, the account is the admin."""
    setup = check_registration(svc, client_ip, setup_code)
    if not setup and registration_state(svc) != "open":
        raise ApiError(403, "registration_closed", "Registration is closed; ask an administrator")
    row = create_user(svc, username, password, display_name, is_admin=setup, client_ip=client_ip)
    if row.is_admin:
        finish_setup(svc)
    return row


def start_session(svc: Services, user_id: int, client_ip: str | None, user_agent: str | None) -> tuple[str, str]:
    """A brand-new session (a new identifier at every login). Returns (token, csrf_token)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    expires = utcnow() + timedelta(hours=svc.settings.SESSION_TIMEOUT_HOURS)
    with svc.db.begin() as conn:
        store.create_session(conn, hash_token(token), user_id, csrf, expires, client_ip, user_agent)
        store.touch_last_seen(conn, user_id)
    return token, csrf


def login(svc: Services, username: str, password: str, client_ip: str | None,
          user_agent: str | None) -> tuple[Any, str, str]:
    name = unicodedata.normalize("NFKC", username).strip().lower()
    with svc.db.read() as conn:
        row = store.get_user_by_username(conn, name)
    ok = verify_password(row.password_hash if row else None, password)
    if not ok or row is None or row.deleted_at is not None:
        with svc.db.begin() as conn:
            audit_store.add(conn, "server", "login_failed", actor_id=row.id if row else None,
                            details={"username": name[:64]}, client_ip=client_ip)
        raise ApiError(401, "invalid_credentials", "Wrong username or password")
    if not row.is_active:
        with svc.db.begin() as conn:
            audit_store.add(conn, "server", "login_failed", actor_id=row.id,
                            details={"username": name, "reason": "disabled"}, client_ip=client_ip)
        raise ApiError(403, "account_disabled", "This account is disabled")
    if needs_rehash(row.password_hash):  # Argon2 parameters changed since this hash was made
        new_hash = hash_password(password)
        with svc.db.begin() as conn:
            store.replace_password_hash(conn, row.id, row.password_hash, new_hash)
    token, csrf = start_session(svc, row.id, client_ip, user_agent)
    with svc.db.begin() as conn:
        audit_store.add(conn, "server", "login", actor_id=row.id, client_ip=client_ip)
    return row, token, csrf


def authenticate(svc: Services, token: str | None) -> Auth:
    """The session behind a cookie token, or 401 (``unauthorized``/``session_revoked``/``session_expired``)."""
    if not token:
        raise ApiError(401, "unauthorized", "Login required")
    with svc.db.read() as conn:
        row = store.get_session_with_user(conn, hash_token(token))
    if row is None:
        raise ApiError(401, "unauthorized", "Login required")
    if row.revoked_at is not None or not row.is_active or row.deleted_at is not None:
        if row.revoke_reason == "logout":
            raise ApiError(401, "unauthorized", "Login required")
        raise ApiError(401, "session_revoked", "This session was ended; please log in again")
    if row.expires_at <= utcnow():
        raise ApiError(401, "session_expired", "Session expired; please log in again")
    return Auth(user=row, session_id=row.session_id, csrf_token=row.csrf_token)


REVOCATION_KEY = "sessions:revocation"
SESSION_CHECK_CACHE = 50_000


class SessionChecks(dict[int, tuple[str, Any]]):
    """This node's valid session checks: session id → (revocation mark read with it, session expiry)."""


def _revocation_mark(svc: Services) -> str:
    """A token that changes with every session revocation on any node (kept in the state store)."""
    mark = svc.state.get(REVOCATION_KEY)
    if mark is None:  # first use, or Redis restarted empty: a fresh mark invalidates every cached check
        svc.state.set_if_absent(REVOCATION_KEY, secrets.token_hex(8))
        mark = svc.state.get(REVOCATION_KEY) or ""
    return mark


def session_is_valid(svc: Services, session_id: int) -> bool:
    """Re-check of a session on every socket event.

    A valid answer is remembered on this node until the session expires or ANY session is revoked
    (logout, password change, deactivation, deletion) on any node: every revocation changes a mark in
    the shared state store, and a cached answer counts only under the mark it was read with. Where the
    nodes cannot see each other's marks (Redis degraded, or several nodes on a message queue without a
    Redis state store) the database is asked every time.
    """
    checks = svc.state_of(SessionChecks)
    status = svc.state.status()  # "off": memory (one node, unless a message queue joins several)
    shared = status == "ok" or (status == "off" and not svc.settings.SOCKETIO_MESSAGE_QUEUE)
    mark = _revocation_mark(svc) if shared else ""
    hit = checks.get(session_id)
    if shared and hit is not None and hit[0] == mark and hit[1] > utcnow():
        return True
    with svc.db.read() as conn:
        row = store.get_session_state(conn, session_id)
    valid = bool(
        row is not None and row.revoked_at is None and row.is_active and row.deleted_at is None
        and row.expires_at > utcnow()
    )
    if valid and shared:
        if len(checks) >= SESSION_CHECK_CACHE:
            checks.clear()
        checks[session_id] = (mark, row.expires_at)
    else:
        checks.pop(session_id, None)
    return valid


def _sessions_revoked(svc: Services, session_ids: list[int], notify: bool = True) -> None:
    """After revoking sessions in the database: no cached check trusts them, their sockets go."""
    if session_ids:
        checks = svc.state_of(SessionChecks)
        for session_id in session_ids:
            checks.pop(session_id, None)
        svc.state.set(REVOCATION_KEY, secrets.token_hex(8))
    svc.realtime.revoke_sessions(session_ids, notify=notify)


def logout(svc: Services, auth: Auth) -> None:
    with svc.db.begin() as conn:
        store.revoke_session(conn, auth.session_id, "logout")
        on_commit(conn, lambda: _sessions_revoked(svc, [auth.session_id], notify=False))


def update_profile(svc: Services, user_id: int, changes: dict[str, Any]) -> Any:
    values: dict[str, Any] = {}
    if "display_name" in changes:
        display = changes["display_name"]
        if not display:
            raise ApiError(400, "invalid_field", "display_name must not be empty", {"field": "display_name", "reason": "empty"})
        values["display_name"] = display
    if "status_message" in changes:
        values["status_message"] = changes["status_message"]
    if "availability" in changes:
        values["availability"] = changes["availability"]
    with svc.db.begin() as conn:
        before = store.get_user(conn, user_id)
        store.update_user(conn, user_id, **values)
        row = store.get_user(conn, user_id)
        on_commit(conn, lambda: svc.realtime.notify_user_changed(user_id))
        if (before.availability, before.status_message) != (row.availability, row.status_message):
            on_commit(conn, lambda: svc.realtime.presence_changed(user_id))
    return row


def revoke_all_sessions(svc: Services, user_id: int, reason: str, keep_session_id: int | None = None) -> list[int]:
    """Rotate the user's sessions: every other session gets 401 and its sockets are disconnected."""
    with svc.db.begin() as conn:
        return revoke_sessions_in(svc, conn, user_id, reason, keep_session_id)


def revoke_sessions_in(svc: Services, conn: Connection, user_id: int, reason: str,
                       keep_session_id: int | None = None) -> list[int]:
    """Revoke the user's sessions in the caller's transaction; once it commits, they get 401 and their
    sockets are disconnected (nothing happens if it rolls back). Returns the revoked session ids."""
    ids = store.revoke_sessions(conn, user_id, reason, keep_session_id)
    on_commit(conn, lambda: _sessions_revoked(svc, ids))
    return ids


def change_password(svc: Services, auth: Auth, current: str, new: str, client_ip: str | None) -> None:
    check_password_strength(new)
    with svc.db.read() as conn:
        row = store.get_user(conn, auth.user_id)
    if row.password_hash and not verify_password(row.password_hash, current):
        raise ApiError(400, "invalid_credentials", "Current password is wrong", {"reason": "current_password"})
    new_hash = hash_password(new)
    with svc.db.begin() as conn:
        store.update_user(conn, auth.user_id, password_hash=new_hash, must_change_password=False)
        ids = store.revoke_sessions(conn, auth.user_id, "password_changed", keep_session_id=auth.session_id)
        audit_store.add(conn, "server", "password_changed", actor_id=auth.user_id,
                        details={"revoked_sessions": len(ids)}, client_ip=client_ip)
        on_commit(conn, lambda: _sessions_revoked(svc, ids))
