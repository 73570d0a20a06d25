"""HTTP routes for server administrators: ``/api/admin/...`` (users, settings, audit log)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from flask import Blueprint, Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import create_model

from messenger.accounts.auth import admin_required, client_ip, current_auth
from messenger.accounts.serialize import User
from messenger.admin import service
from messenger.audit import store as audit_store
from messenger.audit.serialize import AuditEntry
from messenger.core.context import Services
from messenger.core.errors import ApiError
from messenger.core.http import accepts, returns, serves
from messenger.core.models import Body, Date, Id, OneOf, Query, Range, Reply, Text
from messenger.settings import (
    SPECS,
    SettingsError,
    check_changes,
    describe_settings,
    restart_needed,
    spec_of,
    write_settings_file,
)


class AdminUser(User):
    """A user as a server admin sees it (``admin_user_dict``)."""

    is_active: bool
    last_seen: str | None
    created_at: str
    deleted: bool
    sso: bool


class UserPatch(service.ProfileFields):
    is_active: bool | None = None
    is_admin: bool | None = None


class _RegistrationPatch(Body):
    registration: Annotated[str, OneOf(*service.SETTING_KEYS["registration"])] | None = None


# The settings.toml settings the operator console edits: any JSON scalar or list here (``null``: back to
# the default); their values are checked by the settings table in messenger/settings.py.
CONSOLE_SETTINGS = tuple(spec.name for spec in SPECS if spec.console)
SettingsPatch: type[Body] = create_model(  # the fields come from the settings table
    "SettingsPatch", __base__=_RegistrationPatch,
    # pydantic's create_model overloads do not cover field definitions built in a comprehension
    **{name: (str | int | float | bool | list[Any] | None, None) for name in CONSOLE_SETTINGS})  # type: ignore[call-overload]
SettingsPatch.NULLABLE = frozenset(CONSOLE_SETTINGS)


class RuntimeSettings(Reply):
    """The settings stored in the database (changed at run time, no restart)."""

    registration: str


class SettingDescription(Reply):
    """A settings.toml setting the console edits (``settings.describe_settings``): its declaration (type,
    ``min``/``max`` or ``choices`` by type, default, whether a change needs a restart, the catalog key of
    its help), the current value and whether settings.toml sets it."""

    name: str
    type: str
    default: Any
    allowed: str
    restart: bool
    help: str
    value: Any
    in_file: bool


class SettingsReply(Reply):
    settings: RuntimeSettings
    server: list[SettingDescription]
    restart_needed: list[str]


class PendingRestart:
    """Settings changed from the console since the start that take effect only after a restart."""

    def __init__(self) -> None:
        self.names: set[str] = set()


MAX_JSON_LIMIT = 500
MAX_CSV_LIMIT = 50_000


class UsersQuery(Query):
    include_deleted: bool | None = None


class AuditQuery(Query):
    format: Annotated[str, OneOf("json", "csv")] | None = None
    action: Annotated[str, Text(max_len=64)] | None = None
    actor_id: Id | None = None
    date_from: Date | None = None
    date_to: Date | None = None
    before_id: Id | None = None
    limit: Annotated[int, Range(1, MAX_CSV_LIMIT)] | None = None


def _date_to(query: dict[str, Any]) -> dt.datetime | None:
    """``date_to`` is inclusive: a bare date means the whole of that day."""
    value: dt.datetime | None = query.get("date_to")
    if value is not None and len(request.args.get("date_to", "").strip()) == 10:
        value = value + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    return value


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("admin", __name__)

    @bp.get("/api/admin/users")
    @admin_required
    @accepts(query=UsersQuery)
    @returns(users=list[AdminUser])
    def users(query: dict[str, Any]) -> ResponseReturnValue:
        include_deleted = bool(query.get("include_deleted"))
        return jsonify({"users": service.list_users(svc, include_deleted)})

    @bp.patch("/api/admin/users/<int:user_id>")
    @admin_required
    @accepts(UserPatch)
    @returns(user=AdminUser)
    def update_user(user_id: int, body: dict[str, Any]) -> ResponseReturnValue:
        row = service.update_user(svc, current_auth().user_id, user_id, body, client_ip())
        return jsonify({"user": service.admin_user_dict(svc, row)})

    @bp.post("/api/admin/users/<int:user_id>/reset-password")
    @admin_required
    @returns(user=AdminUser, temporary_password=str)
    def reset_password(user_id: int) -> ResponseReturnValue:
        row, temporary = service.reset_password(svc, current_auth().user_id, user_id, client_ip())
        return jsonify({"user": service.admin_user_dict(svc, row), "temporary_password": temporary})

    @bp.delete("/api/admin/users/<int:user_id>")
    @admin_required
    @returns(ok=bool)
    def delete_user(user_id: int) -> ResponseReturnValue:
        service.delete_user(svc, current_auth().user_id, user_id, client_ip())
        return jsonify({"ok": True})

    @bp.get("/api/admin/settings")
    @admin_required
    @returns(reply=SettingsReply)
    def get_settings() -> ResponseReturnValue:
        return jsonify(settings_body())

    @bp.patch("/api/admin/settings")
    @admin_required
    @accepts(SettingsPatch)
    @returns(reply=SettingsReply)
    def patch_settings(body: dict[str, Any]) -> ResponseReturnValue:
        if not body:
            raise ApiError(400, "missing_field", "Nothing to change: send e.g. {\"registration\": \"closed\"}",
                           {"reason": "nothing_to_change"})
        runtime = {k: body.pop(k) for k in list(body) if k == "registration"}
        if body:
            try:
                changes = check_changes(body)
            except SettingsError as exc:
                raise ApiError(400, "invalid_setting", str(exc),
                               {"setting": exc.key or "", "allowed": exc.allowed or ""}) from None
            write_settings_file(svc.settings.data_dir, changes)
            later = restart_needed(changes)
            live = {k: (v if v is not None else spec_of(k).default) for k, v in changes.items() if k not in later}
            if live:
                svc.settings = svc.settings.replace(**live)
            svc.state_of(PendingRestart).names.update(later)
            with svc.db.begin() as conn:
                audit_store.add(conn, "server", "settings_changed", actor_id=current_auth().user_id,
                                details={"file": changes}, client_ip=client_ip())
        if runtime:
            service.update_settings(svc, current_auth().user_id, runtime, client_ip())
        return jsonify(settings_body())

    def settings_body() -> dict[str, Any]:
        """The run-time settings (stored in the database), and the settings.toml ones the console edits,
        described by the settings table (type, limits, default, restart) with their current values."""
        return {"settings": service.server_settings(svc), "server": describe_settings(svc.settings),
                "restart_needed": sorted(svc.state_of(PendingRestart).names)}

    @bp.get("/api/admin/audit-logs")
    @admin_required
    @accepts(query=AuditQuery)
    @returns(audit_logs=list[AuditEntry], total=int, has_more=bool, next_before_id=int | None)
    @serves("text/csv")  # format=csv: the same entries as a spreadsheet
    def audit_logs(query: dict[str, Any]) -> ResponseReturnValue:
        fmt = query.get("format", "json")
        cap = MAX_CSV_LIMIT if fmt == "csv" else MAX_JSON_LIMIT
        limit = query.get("limit", 100 if fmt == "json" else cap)
        if limit > cap:
            raise ApiError(400, "invalid_field", f"Field 'limit' must be <= {cap}",
                           {"field": "limit", "reason": "maximum", "max": cap})
        entries, total = service.audit_entries(
            svc, action=query.get("action") or None, actor_id=query.get("actor_id"),
            date_from=query.get("date_from"), date_to=_date_to(query), before_id=query.get("before_id"), limit=limit,
        )
        if fmt == "csv":
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
            return Response(service.audit_csv(entries), mimetype="text/csv; charset=utf-8", headers={
                "Content-Disposition": f'attachment; filename="audit-log-{stamp}.csv"'})
        has_more = len(entries) == limit and entries[-1]["id"] > 1
        return jsonify({"audit_logs": entries, "total": total, "has_more": has_more,
                        "next_before_id": entries[-1]["id"] if has_more else None})

    app.register_blueprint(bp)
