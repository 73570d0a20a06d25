"""HTTP routes of the people feature: the org directory, and the directory import/export for admins."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from flask import Blueprint, Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue

from messenger.accounts import service as accounts
from messenger.accounts.auth import admin_required, client_ip, current_auth, login_required
from messenger.accounts.serialize import Person
from messenger.core.context import Services
from messenger.core.http import accepts, form, returns, serves
from messenger.core.models import Body, Query, Reply, Text
from messenger.people import service


class DeleteMe(Body):
    """``DELETE /api/me``: the account's own password confirms it."""

    password: Annotated[str, Text(max_len=256, strip=False)]


class DirectoryQuery(Query):
    q: Annotated[str, Text(strip=False)] | None = None
    department: Annotated[str, Text(max_len=100, strip=False)] | None = None


class DirectoryImport(Body):
    """``multipart/form-data`` of ``POST /api/admin/directory/import``: the CSV file."""

    file: bytes


class Department(Reply):
    name: str  # "" for the people without one
    count: int


class Created(Reply):
    """An account the import made, with its one-time password (shown once, to the administrator)."""

    id: int
    username: str
    display_name: str
    temporary_password: str


class Updated(Reply):
    id: int
    username: str
    changes: list[str]  # the directory fields the import changed


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("people", __name__)

    @bp.get("/api/directory")
    @login_required
    @accepts(query=DirectoryQuery)
    @returns(departments=list[Department], users=list[Person])
    def directory(query: dict[str, Any]) -> ResponseReturnValue:
        return jsonify(service.org_directory(svc, query.get("q") or "", query.get("department")))

    @bp.delete("/api/me")
    @login_required
    @accepts(DeleteMe)
    @returns(ok=bool)
    def delete_me(body: dict[str, Any]) -> ResponseReturnValue:
        service.delete_own_account(svc, current_auth(), body["password"], client_ip())
        resp = jsonify({"ok": True})
        resp.delete_cookie(accounts.SESSION_COOKIE, path="/")
        return resp

    @bp.post("/api/logout-all")
    @login_required
    @returns(ok=bool, sessions_ended=int)
    def logout_all() -> ResponseReturnValue:
        ended = service.logout_everywhere(svc, current_auth(), client_ip())
        resp = jsonify({"ok": True, "sessions_ended": ended})
        resp.delete_cookie(accounts.SESSION_COOKIE, path="/")
        return resp

    @bp.get("/api/people/online")
    @login_required
    @returns(users=list[Person])
    def online() -> ResponseReturnValue:
        return jsonify({"users": service.online_now(svc, current_auth().user_id)})

    @bp.get("/api/users/<int:user_id>")
    @login_required
    @returns(user=Person)
    def user(user_id: int) -> ResponseReturnValue:
        return jsonify({"user": service.profile(svc, user_id)})

    @bp.post("/api/admin/directory/import")
    @admin_required
    @form(DirectoryImport)
    @returns(created=list[Created], updated=list[Updated], unchanged=int)
    def import_directory(form: dict[str, Any]) -> ResponseReturnValue:
        upload = request.files["file"]  # present: the form model requires it
        report = service.import_directory(svc, current_auth().user_id, upload.read(service.MAX_FILE_BYTES + 1),
                                          client_ip())
        if "errors" in report:
            return jsonify({"error": f"{len(report['errors'])} row(s) have errors; nothing was imported",
                            "code": "invalid_rows", "params": {"count": len(report["errors"])},
                            "errors": report["errors"]}), 400
        return jsonify(report)

    @bp.get("/api/admin/directory/export")
    @admin_required
    @serves("text/csv")
    def export_directory() -> ResponseReturnValue:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
        return Response(service.export_directory(svc), mimetype="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="directory-{stamp}.csv"'})

    app.register_blueprint(bp)
