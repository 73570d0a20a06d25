"""The operator console's server side (server admins; CSRF; every action audited): status, backups
(list, create, verify, download as one zip, restore with typed confirmation through the same
restore code as the tray and the CLI), a log tail and a diagnostics download.

Backups, verification and zips are blocking file work: they run on the hub's native thread pool.
A restore needs the running server (``svc.server``): it answers ``202`` first, then a
native thread stops the server (clients are told ``server_shutdown`` and reconnect by themselves),
restores (verify, safety backup, swap) and starts it again on the same port.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import threading
import time
import zipfile
from collections import deque
from pathlib import Path
from typing import Annotated, Any, BinaryIO

from flask import Blueprint, Flask, jsonify, send_file
from flask.typing import ResponseReturnValue

from messenger.accounts.auth import admin_required, client_ip, current_auth
from messenger.audit import store as audit_store
from messenger.core.context import Services
from messenger.core.errors import ApiError
from messenger.core.http import accepts, returns, serves
from messenger.core.models import Body, Query, Range, Reply, Text
from messenger.ops.backup import backup_size, create_backup
from messenger.ops.common import BackupInfo, OpsError, list_backups
from messenger.ops.restore import restore_backup
from messenger.ops.verify import verify_backup
from messenger.storage.db import iso
from messenger.system.routes import health
from messenger.version import __version__

log = logging.getLogger("messenger.console")

MAX_LOG_LINES = 2000


class BackupCreate(Body):
    label: Annotated[str, Text(max_len=40)] | None = None


class RestoreConfirm(Body):
    confirm: Annotated[str, Text(max_len=200)]


class LogsQuery(Query):
    lines: Annotated[int, Range(1, MAX_LOG_LINES)] | None = None


class Backup(Reply):
    """A backup folder as the console lists it (:func:`backup_dict`)."""

    name: str
    created_at: str
    label: str
    readable: bool
    size: int | None


class Finding(Reply):
    """One verify finding: a code for the catalogs' ``ops.verify_<code>`` with its parameters; ``text`` is
    the English sentence for scripts and logs."""

    code: str
    params: dict[str, Any]
    text: str


class Verification(Reply):
    at: str
    ok: bool
    backup: str


class HealthSummary(Reply):
    status: str
    reasons: list[str]


class ServerStatus(Reply):
    """The console's status card (:func:`status`)."""

    version: str
    uptime_seconds: int
    online_users: int
    database_bytes: int | None
    uploads_bytes: int
    free_disk_bytes: int | None
    health: HealthSummary
    data_dir: str
    last_backup: Backup | None
    last_verification: Verification | None


class ConsoleState:
    """When this app was built (the console's uptime)."""

    def __init__(self) -> None:
        self.started_at = time.time()


def _blocking(fn: Any, *args: Any) -> Any:
    """Run blocking file work on the hub's native thread pool (directly outside a gevent server)."""
    import gevent

    return gevent.get_hub().threadpool.apply(fn, args)


def _audit(svc: Services, action: str, details: dict[str, Any]) -> None:
    with svc.db.begin() as conn:
        audit_store.add(conn, "server", action, actor_id=current_auth().user_id, details=details,
                        client_ip=client_ip())


def _find(svc: Services, name: str) -> BackupInfo:
    """A backup by its folder name, only among the listed ones (no path in a name reaches the disk)."""
    for info in list_backups(svc.settings.backup_dir):
        if info.name == name:
            return info
    raise ApiError(404, "not_found", "backup not found", {"reason": "backup"})


def backup_dict(info: BackupInfo) -> dict[str, Any]:
    return {"name": info.name, "created_at": info.created_at, "label": info.label, "readable": info.readable,
            "size": backup_size(info.path) if info.readable else None}


def _dir_size(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def last_verification(svc: Services) -> dict[str, Any] | None:
    """The newest ``backup_verified`` audit entry (tray, CLI or console)."""
    with svc.db.read() as conn:
        rows, _ = audit_store.query(conn, "server", action="backup_verified", limit=1)
    if not rows:
        return None
    details = json.loads(rows[0].details or "{}")
    return {"at": iso(rows[0].created_at), "ok": bool(details.get("ok")),
            "backup": Path(str(details.get("path", ""))).name}


def status(svc: Services) -> dict[str, Any]:
    s = svc.settings
    body, _ = health(svc)
    backups = list_backups(s.backup_dir)
    db_path = s.sqlite_path
    return {
        "version": __version__,
        "uptime_seconds": int(time.time() - svc.state_of(ConsoleState).started_at),
        "online_users": svc.realtime.online_count(),
        "database_bytes": db_path.stat().st_size if db_path is not None and db_path.exists() else None,
        "uploads_bytes": _blocking(_dir_size, s.upload_dir),
        "free_disk_bytes": body.get("disk", {}).get("free_bytes"),
        "health": {"status": body["status"], "reasons": body.get("reasons", [])},
        "data_dir": str(s.data_dir),
        "last_backup": backup_dict(backups[0]) if backups else None,
        "last_verification": last_verification(svc),
    }


def tail(path: Path, lines: int) -> list[str]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8", errors="replace") as fh:
        return [line.rstrip("\n") for line in deque(fh, maxlen=lines)]


STALE_DOWNLOAD_SECONDS = 3600


def _open_temporary(path: Path) -> BinaryIO:
    """Open a file made for one download. On POSIX it is unlinked at once (the open handle keeps it
    readable until sent); on Windows, where an open file cannot be removed, leftovers older than an
    hour are removed at the next download."""
    fh = open(path, "rb")  # noqa: SIM115 - closed by the response
    if os.name != "nt":
        path.unlink(missing_ok=True)
    else:
        for old in list(path.parent.glob(".download-*")) + list(path.parent.glob(".diagnostics-*")):
            with contextlib.suppress(OSError):
                if time.time() - old.stat().st_mtime > STALE_DOWNLOAD_SECONDS:
                    shutil.rmtree(old) if old.is_dir() else old.unlink()
    return fh


def restart_with_backup(runner: Any, path: Path) -> None:
    """Stop the server, restore ``path`` (safety backup first), start again on the same ports: the
    same steps as the tray's restore. A failed restore still starts the server on the old data."""
    if not runner.requested_port and runner.port:
        runner.requested_port = runner.port  # a port chosen by the OS stays the clients' port
    runner.set_restarting(True)  # the headless main thread keeps waiting meanwhile; the tray shows it
    try:
        runner.stop()
        try:
            restore_backup(runner.settings, path)
        except Exception:
            log.exception("restore of %s failed; starting again on the current data", path.name)
        finally:
            runner.start()
    finally:
        runner.set_restarting(False)


def register(app: Flask, svc: Services) -> None:
    bp = Blueprint("console", __name__)
    svc.state_of(ConsoleState)  # made with the app: the uptime counts from here

    @bp.get("/api/admin/status")
    @admin_required
    @returns(status=ServerStatus)
    def status_route() -> ResponseReturnValue:
        return jsonify({"status": status(svc)})

    @bp.get("/api/admin/backups")
    @admin_required
    @returns(backups=list[Backup])
    def backups() -> ResponseReturnValue:
        return jsonify({"backups": [backup_dict(b) for b in list_backups(svc.settings.backup_dir)]})

    @bp.post("/api/admin/backups")
    @admin_required
    @accepts(BackupCreate)
    @returns(201, backup=Backup)
    def create(body: dict[str, Any]) -> ResponseReturnValue:
        try:
            path = _blocking(create_backup, svc.settings, body.get("label") or "console")
        except OpsError as exc:
            raise ApiError(409, "backup_failed", str(exc)) from None
        _audit(svc, "console_backup_created", {"backup": path.name})
        return jsonify({"backup": backup_dict(_find(svc, path.name))}), 201

    @bp.post("/api/admin/backups/<name>/verify")
    @admin_required
    @returns(backup=str, ok=bool, problems=list[Finding], checks=list[Finding])
    def verify(name: str) -> ResponseReturnValue:
        info = _find(svc, name)
        report = _blocking(verify_backup, info.path)
        _audit(svc, "backup_verified", {"path": str(info.path), "ok": report.ok, "problems": report.problem_data()})
        # each finding as {code, params} (the console words it from its catalog); "text": English, for scripts
        return jsonify({"backup": name, "ok": report.ok,
                        "problems": [{**p.as_data(), "text": p.text()} for p in report.problems],
                        "checks": [{**c.as_data(), "text": c.text()} for c in report.checks]})

    @bp.get("/api/admin/backups/<name>/download")
    @admin_required
    @serves("application/zip")
    def download(name: str) -> ResponseReturnValue:
        info = _find(svc, name)
        target = svc.settings.data_dir / f".download-{secrets.token_hex(8)}.zip"

        def build() -> None:
            with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for file in sorted(p for p in info.path.rglob("*") if p.is_file()):
                    zf.write(file, f"{name}/{file.relative_to(info.path).as_posix()}")

        try:
            _blocking(build)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        _audit(svc, "backup_downloaded", {"backup": name})
        return send_file(_open_temporary(target), mimetype="application/zip", as_attachment=True,
                         download_name=f"intranet-messenger-backup-{name}.zip")

    @bp.post("/api/admin/backups/<name>/restore")
    @admin_required
    @accepts(RestoreConfirm)
    @returns(202, status=str, backup=str)
    def restore(name: str, body: dict[str, Any]) -> ResponseReturnValue:
        info = _find(svc, name)
        if body["confirm"] != name:
            raise ApiError(400, "confirm_mismatch", "Type the backup's name exactly to confirm the restore",
                           {"expected": name})
        runner: Any = svc.server  # the ServerRunner: it can stop and start itself
        if runner is None or not hasattr(runner, "stop"):
            raise ApiError(409, "restore_needs_server", "A restore from the console needs the running server")
        _audit(svc, "console_restore_started", {"backup": name})
        threading.Thread(target=restart_with_backup, args=(runner, info.path), name="console-restore",
                         daemon=True).start()
        return jsonify({"status": "restarting", "backup": name}), 202

    @bp.get("/api/admin/logs")
    @admin_required
    @accepts(query=LogsQuery)
    @returns(lines=list[str])
    def logs(query: dict[str, Any]) -> ResponseReturnValue:
        lines = query.get("lines") or 200
        return jsonify({"lines": tail(svc.settings.log_dir / "messenger.log", lines)})

    @bp.get("/api/admin/diagnostics")
    @admin_required
    @serves("application/zip")
    def diagnostics() -> ResponseReturnValue:
        from messenger.lan.diagnostics import write_bundle  # the LAN checks load when a bundle is asked for

        folder = svc.settings.data_dir / f".diagnostics-{secrets.token_hex(8)}"
        folder.mkdir()
        try:
            path = _blocking(write_bundle, svc.settings, folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        _audit(svc, "diagnostics_downloaded", {"file": path.name})
        fh = _open_temporary(path)
        if os.name != "nt":
            shutil.rmtree(folder, ignore_errors=True)
        return send_file(fh, mimetype="application/zip", as_attachment=True, download_name=path.name)

    app.register_blueprint(bp)
