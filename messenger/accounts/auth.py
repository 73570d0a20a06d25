"""Request authentication for HTTP routes: the session cookie, CSRF and admin checks."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import Request, g, request

from messenger.accounts.service import SESSION_COOKIE, Auth, authenticate
from messenger.core.context import Services, services
from messenger.core.errors import ApiError
from messenger.realtime import Identity

P = ParamSpec("P")
R = TypeVar("R")
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def client_ip() -> str | None:
    return request.remote_addr


def current_auth() -> Auth:
    """The authenticated caller (401 when there is none)."""
    auth = getattr(g, "auth", None)
    if auth is None:
        auth = authenticate(services(), request.cookies.get(SESSION_COOKIE))
        g.auth = auth
    return auth


def socket_identity(svc: Services, req: Request) -> Identity:
    """The realtime authenticator: a connecting socket's session cookie (401 ``ApiError`` when invalid)."""
    auth = authenticate(svc, req.cookies.get(SESSION_COOKIE))
    return Identity(auth.user_id, auth.session_id, auth.user.username, auth.user.display_name)


def optional_auth() -> Auth | None:
    try:
        return current_auth()
    except ApiError:
        return None


def check_csrf(auth: Auth) -> None:
    if request.method in UNSAFE_METHODS:
        sent = request.headers.get("X-CSRF-Token", "")
        if not sent or not hmac.compare_digest(sent, auth.csrf_token):
            raise ApiError(403, "csrf_failed", "Missing or wrong X-CSRF-Token header")


def login_required(view: Callable[P, R]) -> Callable[P, R]:
    """Authenticate the caller and check CSRF on state-changing methods."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        auth = current_auth()
        check_csrf(auth)
        return view(*args, **kwargs)

    return wrapper


def admin_required(view: Callable[P, R]) -> Callable[P, R]:
    """Like :func:`login_required`, and the caller must be a server admin."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        auth = current_auth()
        check_csrf(auth)
        if not auth.user.is_admin:
            raise ApiError(403, "forbidden", "Server administrators only", {"reason": "server_admin"})
        return view(*args, **kwargs)

    return wrapper


def user_key() -> str:
    """Rate-limit key: the logged-in user, else the client address."""
    auth = optional_auth()
    return f"user:{auth.user_id}" if auth else f"ip:{request.remote_addr}"
