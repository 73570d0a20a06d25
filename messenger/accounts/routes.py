"""HTTP routes for accounts: register, login, logout, me, password, directory."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as BaseResponse

from messenger.accounts import service
from messenger.accounts.auth import client_ip, current_auth, login_required
from messenger.core.context import Services, services
from messenger.core.http import json_body
from messenger.core.validation import Field

REGISTER = {
    "username": Field(str, required=True, max_len=64),
    "password": Field(str, required=True, max_len=256, strip=False),
    "display_name": Field(str, max_len=100),
    "setup_code": Field(str, max_len=32),
}
LOGIN = {
    "username": Field(str, required=True, max_len=64),
    "password": Field(str, required=True, max_len=256, strip=False),
}
PROFILE = {
    "display_name": Field(str, max_len=100, min_len=1),
    "status_message": Field(str, max_len=200),
    "availability": Field(str, choices=service.AVAILABILITY),
}
PASSWORD = {
    "current_password": Field(str, required=True, max_len=256, strip=False),
    "new_password": Field(str, required=True, max_len=256, strip=False),
}


def _set_session_cookie(resp: BaseResponse, svc: Services, token: str) -> None:
    resp.set_cookie(
        service.SESSION_COOKIE,
        token,
        max_age=svc.settings.SESSION_TIMEOUT_HOURS * 3600,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
        path="/",
    )


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("accounts", __name__)
    limiter = svc.limiter

    @bp.post("/api/register")
    @limiter.limit(lambda: svc.settings.RATE_LIMIT_REGISTER)
    def register_route() -> ResponseReturnValue:
        body = json_body(REGISTER)
        row = service.register(svc, body["username"], body["password"], body.get("display_name"), client_ip(),
                               body.get("setup_code"))
        return jsonify({"user": service.user_dict(svc, row)}), 201

    @bp.post("/api/login")
    @limiter.limit(lambda: svc.settings.RATE_LIMIT_LOGIN)
    def login_route() -> ResponseReturnValue:
        body = json_body(LOGIN)
        row, token, csrf = service.login(svc, body["username"], body["password"], client_ip(),
                                         request.headers.get("User-Agent"))
        resp = jsonify({"user": service.user_dict(svc, row), "csrf_token": csrf})
        _set_session_cookie(resp, svc, token)
        return resp

    @bp.post("/api/logout")
    @login_required
    def logout_route() -> ResponseReturnValue:
        service.logout(svc, current_auth())
        resp = jsonify({"ok": True})
        resp.delete_cookie(service.SESSION_COOKIE, path="/")
        return resp

    @bp.get("/api/me")
    @login_required
    def me() -> ResponseReturnValue:
        auth = current_auth()
        return jsonify({"user": service.user_dict(svc, auth.user), "csrf_token": auth.csrf_token})

    @bp.patch("/api/me")
    @login_required
    def update_me() -> ResponseReturnValue:
        body = json_body(PROFILE)
        row = service.update_profile(svc, current_auth().user_id, body)
        return jsonify({"user": service.user_dict(svc, row)})

    @bp.post("/api/me/password")
    @login_required
    def change_password() -> ResponseReturnValue:
        body = json_body(PASSWORD)
        service.change_password(svc, current_auth(), body["current_password"], body["new_password"], client_ip())
        return jsonify({"ok": True})

    @bp.get("/api/users")
    @login_required
    def directory() -> ResponseReturnValue:
        from messenger.search.directory import search_users  # substring, 초성 and keyboard-layout repair

        rows = search_users(services(), request.args.get("q") or "")
        return jsonify({"users": [service.directory_dict(svc, r) for r in rows]})

    app.register_blueprint(bp)
