"""The operator console's API through a real running server (gevent WSGI in a thread, as launched):
server admins only, CSRF, audited; backup -> verify -> download -> restore (with a typed
confirmation) -> the server is back on the same address with the backup's data."""

from __future__ import annotations

import io
import time
import tomllib
import zipfile
from typing import Any

import requests

from messenger.ops.common import DB_FILE
from tests.helpers import LiveUser


def _wait_back(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    time.sleep(0.2)
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/api/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not come back")


def test_console_backup_verify_download_restore_round_trip(start_server: Any) -> None:
    server = start_server()
    boss, kim = LiveUser(server.url, "boss"), LiveUser(server.url, "kim")
    for method, path in (("get", "/api/admin/status"), ("get", "/api/admin/backups"), ("post", "/api/admin/backups"),
                         ("get", "/api/admin/logs"), ("get", "/api/admin/settings")):
        r = getattr(kim, method)(path)
        assert r.status_code == 403 and r.json()["code"] == "forbidden", (path, r.text)
    no_csrf = requests.post(server.url + "/api/admin/backups", json={}, cookies=boss.http.cookies)
    assert no_csrf.status_code == 403 and no_csrf.json()["code"] == "csrf_failed"

    status = boss.get("/api/admin/status").json()["status"]
    assert status["online_users"] == 0 and status["last_backup"] is None and status["health"]["status"] == "ok"
    assert (status["database_bytes"] or 1) > 0 and status["free_disk_bytes"] > 0 and status["version"]  # None on PostgreSQL

    r = boss.post("/api/admin/backups", json={"label": "before lee"})
    assert r.status_code == 201, r.text
    name = r.json()["backup"]["name"]
    assert [b["name"] for b in boss.get("/api/admin/backups").json()["backups"]] == [name]
    verified = boss.post(f"/api/admin/backups/{name}/verify").json()
    assert verified["ok"] is True and verified["problems"] == []
    checks = {c["code"]: c["params"] for c in verified["checks"]}  # codes and parameters, worded by the console
    assert {"manifest_ok", "files_ok", "integrity_ok", "row_counts_ok", "schema_ok"} <= set(checks), checks
    assert checks["files_ok"]["count"] >= 1 and checks["manifest_ok"] == {"manifest": "manifest.json"}
    status = boss.get("/api/admin/status").json()["status"]
    assert status["last_backup"]["name"] == name and status["last_verification"]["ok"] is True
    assert status["last_verification"]["backup"] == name

    zipped = boss.get(f"/api/admin/backups/{name}/download")
    assert zipped.status_code == 200 and zipped.headers["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()
    assert f"{name}/manifest.json" in names and f"{name}/messenger.db" in names
    deadline = time.monotonic() + 10  # the temporary zip goes when the response is closed
    while list(server.runner.settings.data_dir.glob(".download-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not list(server.runner.settings.data_dir.glob(".download-*"))
    assert boss.get("/api/admin/backups/..%2Fsecret_key/download").status_code == 404

    actions = {a["action"] for a in boss.get("/api/admin/audit-logs?limit=50").json()["audit_logs"]}
    assert {"console_backup_created", "backup_verified", "backup_downloaded"} <= actions

    lee = LiveUser(server.url, "lee")  # after the backup: gone after the restore
    sock = kim.socket()
    r = boss.post(f"/api/admin/backups/{name}/restore", json={"confirm": "yes"})
    assert r.status_code == 400 and r.json()["code"] == "confirm_mismatch"
    r = boss.post(f"/api/admin/backups/{name}/restore", json={"confirm": name})
    assert r.status_code == 202 and r.json()["status"] == "restarting"
    sock.wait_for("server_shutdown", timeout=15)
    _wait_back(server.url)
    r = requests.post(server.url + "/api/login", json={"username": lee.username, "password": lee.password}, timeout=5)
    assert r.status_code == 401  # the restored data predates lee
    boss.login()
    backups = boss.get("/api/admin/backups").json()["backups"]
    assert any(b["name"].endswith("_before-restore") for b in backups)  # the safety backup
    # The audit trail survives: what was written after the backup (verify, download, the restore's start,
    # the safety backup) is carried over, once each, and the restore itself comes last.
    entries = boss.get("/api/admin/audit-logs?limit=200").json()["audit_logs"]
    at = [e["action"] for e in entries].index("backup_restored")
    assert {e["action"] for e in entries[:at]} <= {"login", "login_failed"}  # lee's try and boss.login() since
    restored = entries[at]["details"]
    assert restored["backup"].endswith(name) and restored["audit_entries_carried"] >= 4, restored
    newer = entries[at + 1:at + 1 + restored["audit_entries_carried"]]
    assert {"backup_verified", "backup_downloaded", "console_restore_started", "backup_created"} <= {
        e["action"] for e in newer}, newer
    started = next(e for e in newer if e["action"] == "console_restore_started")
    assert started["actor"]["id"] == boss.id and started["details"] == {"backup": name}
    assert [e["action"] for e in entries].count("backup_verified") == 1  # not doubled
    assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)
    times = [e["created_at"] for e in entries]
    assert times == sorted(times, reverse=True)  # carried entries keep their times, in order
    r = boss.post("/api/admin/backups", json={"label": "damaged"})  # a damaged copy: the problem as a code
    assert r.status_code == 201, r.text
    damaged = r.json()["backup"]["name"]
    snapshot = server.runner.settings.backup_dir / damaged / DB_FILE
    data = bytearray(snapshot.read_bytes())
    data[-1] ^= 0xFF
    snapshot.write_bytes(bytes(data))
    verified = boss.post(f"/api/admin/backups/{damaged}/verify").json()
    assert verified["ok"] is False
    assert verified["problems"][0] == {"code": "file_damaged", "params": {"path": DB_FILE},
                                       "text": f"{DB_FILE} is damaged: its SHA-256 does not match the manifest."}
    log_file = server.runner.settings.log_dir / "messenger.log"  # (tests do not configure logging)
    log_file.write_text("".join(f"line {i}\n" for i in range(300)), encoding="utf-8")
    assert boss.get("/api/admin/logs?lines=3").json()["lines"] == ["line 297", "line 298", "line 299"]
    assert boss.get("/api/admin/logs?lines=0").status_code == 400


def test_console_settings_form_from_the_settings_table(start_server: Any) -> None:
    server = start_server()
    boss = LiveUser(server.url, "boss")
    body = boss.get("/api/admin/settings").json()
    fields = {f["name"]: f for f in body["server"]}
    assert {"DEFAULT_PORT", "RETENTION_DAYS", "HTTPS_MODE", "HEALTH_MIN_FREE_MB"} <= set(fields)
    assert fields["DEFAULT_PORT"]["restart"] is True and fields["RETENTION_DAYS"]["restart"] is False
    assert body["settings"]["registration"] == "open" and body["restart_needed"] == []

    r = boss.patch("/api/admin/settings", json={"RETENTION_DAYS": 30, "DEFAULT_PORT": 5123, "registration": "closed"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["restart_needed"] == ["DEFAULT_PORT"] and body["settings"]["registration"] == "closed"
    assert {f["name"]: f["value"] for f in body["server"]}["RETENTION_DAYS"] == 30  # applied at once
    saved = tomllib.loads((server.runner.settings.data_dir / "settings.toml").read_text(encoding="utf-8"))
    assert saved == {"RETENTION_DAYS": 30, "DEFAULT_PORT": 5123}
    r = boss.patch("/api/admin/settings", json={"RETENTION_DAYS": -1})
    assert r.status_code == 400 and r.json()["code"] == "invalid_setting"
    assert r.json()["params"]["setting"] == "RETENTION_DAYS"
    r = boss.patch("/api/admin/settings", json={"SECRET_KEY": "x"})
    assert r.status_code == 400 and r.json()["code"] == "unknown_field"
