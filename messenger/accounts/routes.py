"""HTTP routes for accounts: register, login, logout, me, password, directory."""

from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, Flask, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as BaseResponse

from messenger.accounts import service
from messenger.accounts.auth import client_ip, current_auth, login_required
from messenger.accounts.serialize import Person, User
from messenger.core.context import Services, services
from messenger.core.http import accepts, returns
from messenger.core.models import Body, OneOf, Query, Text

Password = Annotated[str, Text(max_len=256, strip=False)]
Username = Annotated[str, Text(max_len=64)]


class Register(Body):
    username: Username
    password: Password
    display_name: Annotated[str, Text(max_len=100)] | None = None
    setup_code: Annotated[str, Text(max_len=32)] | None = None


class Login(Body):
    username: Username
    password: Password


class Profile(Body):
    display_name: Annotated[str, Text(max_len=100, min_len=1)] | None = None
    status_message: Annotated[str, Text(max_len=200)] | None = None
    availability: Annotated[str, OneOf(*service.AVAILABILITY)] | None = None


class UsersQuery(Query):
    q: Annotated[str, Text(strip=False)] | None = None


class PasswordChange(Body):
    current_password: Password
    new_password: Password


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
    @accepts(Register)
    @returns(201, user=User)
    def register_route(body: dict[str, Any]) -> ResponseReturnValue:
        row = service.register(svc, body["username"], body["password"], body.get("display_name"), client_ip(),
                               body.get("setup_code"))
        return jsonify({"user": service.user_dict(svc, row)}), 201

    @bp.post("/api/login")
    @limiter.limit(lambda: svc.settings.RATE_LIMIT_LOGIN)
    @accepts(Login)
    @returns(user=User, csrf_token=str)
    def login_route(body: dict[str, Any]) -> ResponseReturnValue:
        row, token, csrf = service.login(svc, body["username"], body["password"], client_ip(),
                                         request.headers.get("User-Agent"))
        resp = jsonify({"user": service.user_dict(svc, row), "csrf_token": csrf})
        _set_session_cookie(resp, svc, token)
        return resp

    @bp.post("/api/logout")
    @login_required
    @returns(ok=bool)
    def logout_route() -> ResponseReturnValue:
        service.logout(svc, current_auth())
        resp = jsonify({"ok": True})
        resp.delete_cookie(service.SESSION_COOKIE, path="/")
        return resp

    @bp.get("/api/me")
    @login_required
    @returns(user=User, csrf_token=str)
    def me() -> ResponseReturnValue:
        auth = current_auth()
        return jsonify({"user": service.user_dict(svc, auth.user), "csrf_token": auth.csrf_token})

    @bp.patch("/api/me")
    @login_required
    @accepts(Profile)
    @returns(user=User)
    def update_me(body: dict[str, Any]) -> ResponseReturnValue:
        row = service.update_profile(svc, current_auth().user_id, body)
        return jsonify({"user": service.user_dict(svc, row)})

    @bp.post("/api/me/password")
    @login_required
    @accepts(PasswordChange)
    @returns(ok=bool)
    def change_password(body: dict[str, Any]) -> ResponseReturnValue:
        service.change_password(svc, current_auth(), body["current_password"], body["new_password"], client_ip())
        return jsonify({"ok": True})

    @bp.get("/api/users")
    @login_required
    @accepts(query=UsersQuery)
    @returns(users=list[Person])
    def directory(query: dict[str, Any]) -> ResponseReturnValue:
        from messenger.search.directory import search_users  # substring, 초성 and keyboard-layout repair

        rows = search_users(services(), query.get("q") or "")
        return jsonify({"users": [service.directory_dict(svc, r) for r in rows]})

    app.register_blueprint(bp)
