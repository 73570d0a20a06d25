"""HTTP routes for server administrators: ``/api/admin/...`` (users, settings, audit log)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from flask import Blueprint, Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue

from messenger.accounts.auth import admin_required, client_ip, current_auth
from messenger.admin import service
from messenger.core.context import Services
from messenger.core.errors import ApiError
from messenger.core.http import accepts
from messenger.core.models import Body, OneOf
from messenger.core.validation import date_arg, int_arg


class UserPatch(service.ProfileFields):
    is_active: bool | None = None
    is_admin: bool | None = None


class SettingsPatch(Body):
    registration: Annotated[str, OneOf(*service.SETTING_KEYS["registration"])] | None = None
MAX_JSON_LIMIT = 500
MAX_CSV_LIMIT = 50_000


def _date_to(args: Any) -> dt.datetime | None:
    """``date_to`` is inclusive: a bare date means the whole of that day."""
    value = date_arg(args, "date_to")
    raw = args.get("date_to", "")
    if value is not None and len(raw.strip()) == 10:
        value = value + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    return value


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("admin", __name__)

    @bp.get("/api/admin/users")
    @admin_required
    def users() -> ResponseReturnValue:
        include_deleted = request.args.get("include_deleted", "") in {"1", "true", "yes"}
        return jsonify({"users": service.list_users(svc, include_deleted)})

    @bp.patch("/api/admin/users/<int:user_id>")
    @admin_required
    @accepts(UserPatch)
    def update_user(user_id: int, body: dict[str, Any]) -> ResponseReturnValue:
        row = service.update_user(svc, current_auth().user_id, user_id, body, client_ip())
        return jsonify({"user": service.admin_user_dict(svc, row)})

    @bp.post("/api/admin/users/<int:user_id>/reset-password")
    @admin_required
    def reset_password(user_id: int) -> ResponseReturnValue:
        row, temporary = service.reset_password(svc, current_auth().user_id, user_id, client_ip())
        return jsonify({"user": service.admin_user_dict(svc, row), "temporary_password": temporary})

    @bp.delete("/api/admin/users/<int:user_id>")
    @admin_required
    def delete_user(user_id: int) -> ResponseReturnValue:
        service.delete_user(svc, current_auth().user_id, user_id, client_ip())
        return jsonify({"ok": True})

    @bp.get("/api/admin/settings")
    @admin_required
    def get_settings() -> ResponseReturnValue:
        return jsonify({"settings": service.server_settings(svc)})

    @bp.patch("/api/admin/settings")
    @admin_required
    @accepts(SettingsPatch)
    def patch_settings(body: dict[str, Any]) -> ResponseReturnValue:
        if not body:
            raise ApiError(400, "missing_field", "Nothing to change: send e.g. {\"registration\": \"closed\"}", {"reason": "nothing_to_change"})
        return jsonify({"settings": service.update_settings(svc, current_auth().user_id, body, client_ip())})

    @bp.get("/api/admin/audit-logs")
    @admin_required
    def audit_logs() -> ResponseReturnValue:
        fmt = request.args.get("format", "json")
        if fmt not in ("json", "csv"):
            raise ApiError(400, "invalid_field", "format must be json or csv", {"field": "format", "reason": "choices", "choices": "json, csv"})
        cap = MAX_CSV_LIMIT if fmt == "csv" else MAX_JSON_LIMIT
        limit = int_arg(request.args, "limit", 100 if fmt == "json" else cap, 1, cap) or 100
        action = (request.args.get("action") or "").strip()[:64] or None
        entries, total = service.audit_entries(
            svc, action=action, actor_id=int_arg(request.args, "actor_id", None, 1),
            date_from=date_arg(request.args, "date_from"), date_to=_date_to(request.args),
            before_id=int_arg(request.args, "before_id", None, 1), limit=limit,
        )
        if fmt == "csv":
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
            return Response(service.audit_csv(entries), mimetype="text/csv; charset=utf-8", headers={
                "Content-Disposition": f'attachment; filename="audit-log-{stamp}.csv"'})
        has_more = len(entries) == limit and entries[-1]["id"] > 1
        return jsonify({"audit_logs": entries, "total": total, "has_more": has_more,
                        "next_before_id": entries[-1]["id"] if has_more else None})

    app.register_blueprint(bp)
