"""A diagnostics bundle for whoever helps the team lead: recent logs, settings with secrets
redacted, versions, data-dir sizes, database integrity, last backup age, clamd/Redis status.
Every secret value is scrubbed from every file in the bundle."""

from __future__ import annotations

import datetime as dt
import json
import platform
import re
import socket
import sqlite3
import sys
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

from messenger.settings import Settings
from messenger.version import __version__

PACKAGES = ("flask", "flask-socketio", "python-socketio", "python-engineio", "gevent", "sqlalchemy", "alembic",
            "psycopg", "redis", "flask-limiter", "authlib", "pillow", "pystray", "platformdirs", "zeroconf")
LOG_BYTES = 2 * 1024 * 1024


def _secrets(settings: Settings) -> list[str]:
    values = [settings.SECRET_KEY, settings.OIDC_CLIENT_SECRET]
    for url in (settings.DATABASE_URL, settings.STATE_STORE_REDIS_URL, settings.RATE_LIMIT_STORAGE_URI,
                settings.SOCKETIO_MESSAGE_QUEUE):
        match = re.match(r"^[a-z+]+://([^@/]*)@", url or "")
        if match:
            userinfo = match.group(1)
            values.append(userinfo.split(":", 1)[1] if ":" in userinfo else userinfo)
    secret_file = settings.data_dir / "secret_key"
    if secret_file.exists():
        values.append(secret_file.read_text(encoding="ascii", errors="ignore").strip())
    return sorted({v for v in values if v and len(v) >= 4}, key=len, reverse=True)


def _scrub(text: str, secrets: list[str]) -> str:
    for value in secrets:
        text = text.replace(value, "***")
    return re.sub(r"(?i)(password|secret|token)(\"?\s*[:=]\s*\"?)[^\s\",}]+", r"\1\2***", text)


def _dir_size(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _db_check(settings: Settings) -> str:
    path = settings.sqlite_path
    if path is None:
        try:
            from sqlalchemy import create_engine, text

            engine = create_engine(settings.database_url)
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            return "ok (PostgreSQL reachable)"
        except Exception as exc:
            return f"error: {type(exc).__name__}"
    if not path.exists():
        return "no database yet"
    try:
        raw = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            result = raw.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            raw.close()
        return "ok" if result == "ok" else f"problem: {result}"
    except sqlite3.Error as exc:
        return f"error: {exc}"


def _last_backup(settings: Settings) -> dict[str, Any]:
    manifests = sorted(settings.backup_dir.glob("*/manifest.json"), key=lambda p: p.stat().st_mtime)
    if not manifests:
        return {"path": None, "age_hours": None}
    newest = manifests[-1]
    age = (dt.datetime.now().timestamp() - newest.stat().st_mtime) / 3600
    return {"path": newest.parent.name, "age_hours": round(age, 1)}


def _ping(host: str, port: int, payload: bytes, expect: bytes) -> str:
    try:
        with socket.create_connection((host, port), timeout=2) as sock:
            sock.sendall(payload)
            return "ok" if expect in sock.recv(64) else "unexpected answer"
    except OSError as exc:
        return f"down ({exc.__class__.__name__})"


def _services(settings: Settings) -> dict[str, str]:
    out = {"clamd": "off", "redis": "off"}
    if settings.FEATURE_AV_SCAN_ENABLED:
        out["clamd"] = _ping(settings.AV_CLAMD_HOST, settings.AV_CLAMD_PORT, b"zPING\0", b"PONG")
    url = settings.STATE_STORE_REDIS_URL or (settings.RATE_LIMIT_STORAGE_URI if
                                             settings.RATE_LIMIT_STORAGE_URI.startswith("redis") else "")
    if url:
        from urllib.parse import urlparse

        parsed = urlparse(url)
        out["redis"] = _ping(parsed.hostname or "127.0.0.1", parsed.port or 6379, b"PING\r\n", b"PONG")
    return out


def collect(settings: Settings) -> dict[str, Any]:
    from messenger.lan import certs
    from messenger.netinfo import lan_ipv4_addresses

    # platform.platform() would run `uname -p` (a subprocess): not allowed off the main thread under gevent.
    versions = {"app": __version__, "python": sys.version.split()[0],
                "platform": f"{platform.system()} {platform.release()} {platform.machine()}"}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    cert = certs.status(settings.data_dir)
    return {
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": versions,
        "settings": settings.redacted(),
        "data_dir": str(settings.data_dir),
        "sizes_bytes": {
            "database": settings.sqlite_path.stat().st_size if settings.sqlite_path and settings.sqlite_path.exists()
            else None,
            "uploads": _dir_size(settings.upload_dir),
            "backups": _dir_size(settings.backup_dir),
            "logs": _dir_size(settings.log_dir),
        },
        "database_check": _db_check(settings),
        "last_backup": _last_backup(settings),
        "services": _services(settings),
        "lan_addresses": lan_ipv4_addresses(),
        "https": {"mode": settings.HTTPS_MODE, "certificate_days_left": cert.days_left},
    }


def bundle_name() -> str:
    """The bundle's file name: ``diagnostics-<local time>.zip``."""
    return f"diagnostics-{dt.datetime.now():%Y%m%d-%H%M%S}.zip"


def write_bundle(settings: Settings, output: Path | None = None) -> Path:
    """Write the zip and return its path (default: ``<data dir>/diagnostics-<time>.zip``)."""
    output = Path(output) if output else settings.data_dir / bundle_name()
    if output.is_dir():
        output = output / bundle_name()
    secrets = _secrets(settings)
    report = collect(settings)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("diagnostics.json", _scrub(json.dumps(report, indent=2, ensure_ascii=False, default=str),
                                               secrets))
        for log_file in sorted(settings.log_dir.glob("*.log*")):
            data = log_file.read_bytes()[-LOG_BYTES:]
            zf.writestr(f"logs/{log_file.name}", _scrub(data.decode("utf-8", errors="replace"), secrets))
    return output
