"""Shared pieces of backup, verify and restore: the backup layout, hashing, listing and audit entries.

A backup is a folder::

    <name>/messenger.db           the database snapshot (always an SQLite file, whatever the server uses)
    <name>/uploads/...            the uploaded files
    <name>/manifest.json          format, versions, schema revision, created_at, label, row counts, files
    <name>/manifest.json.sha256   SHA-256 of manifest.json (``sha256sum -c`` format), so no byte is unchecked
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from messenger.i18n import Texts
from messenger.settings import Settings

log = logging.getLogger("messenger.ops")

FORMAT_NAME = "intranet-messenger-backup"
FORMAT_VERSION = 1
DB_FILE = "messenger.db"
UPLOADS = "uploads"
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.json.sha256"
CHUNK = 1024 * 1024

Progress = Callable[[str], None]


class OpsError(RuntimeError):
    """A backup, verify or restore could not be done. The message is English (logs, scripts); ``key``
    (an ``ops.*`` key of messenger/i18n/catalogs) and ``params`` let the tray and CLI word it."""

    def __init__(self, message: str, key: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


def say(progress: Progress | None, key: str, **params: Any) -> None:
    """A step of a long job: ``key`` (``ops.progress_*``) in English to the log, and in the system
    language (the tray's and the terminal's) to ``progress``."""
    log.info(Texts("en")(key, **params))
    if progress is not None:
        try:
            progress(Texts()(key, **params))
        except Exception:  # a progress display must never break the job
            log.exception("progress callback failed")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def checksum_line(manifest: bytes) -> bytes:
    """The whole content of ``manifest.json.sha256`` for a manifest (``sha256sum -c`` format)."""
    return f"{sha256_bytes(manifest)}  {MANIFEST}\n".encode("ascii")


def sha256_file(path: Path) -> tuple[str, int]:
    """(hex digest, size) of a file."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def copy_hashed(src: Path | BinaryIO, dst: Path) -> tuple[str, int]:
    """Copy ``src`` to ``dst`` (parents created) and return the (SHA-256, size) of the bytes written."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with (src.open("rb") if isinstance(src, Path) else src) as fin, dst.open("wb") as fout:
        for chunk in iter(lambda: fin.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
            fout.write(chunk)
        fout.flush()
    if isinstance(src, Path):
        shutil.copystat(src, dst)
    return digest.hexdigest(), size


def walk_files(root: Path) -> Iterator[Path]:
    """Every regular file below ``root`` (sorted, symlinks not followed)."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


def sqlite_table_counts(conn: Any) -> dict[str, int]:
    """Row count of every table in an sqlite3 connection (``sqlite_*`` internals and virtual tables excluded:
    a contentless FTS5 table cannot be scanned; its shadow tables are counted instead)."""
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
        "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name")]
    return {name: int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in names}


def sqlite_revision(conn: Any) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except Exception:
        return None
    return None if row is None else str(row[0])


@dataclass
class BackupInfo:
    """One backup folder as listed in the tray and by ``verify`` without a name."""

    path: Path
    created_at: str  # ISO 8601 UTC, from the manifest (or the folder time when the manifest is unreadable)
    label: str
    readable: bool

    @property
    def name(self) -> str:
        return self.path.name


def read_manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))


def list_backups(folder: Path) -> list[BackupInfo]:
    """The backups in ``folder``, newest first (half-written ``.partial`` folders are skipped)."""
    import datetime as dt

    found: list[BackupInfo] = []
    if not folder.is_dir():
        return found
    for path in folder.iterdir():
        if not path.is_dir() or path.name.startswith(".") or not (path / MANIFEST).exists():
            continue
        try:
            manifest = read_manifest(path)
            found.append(BackupInfo(path, str(manifest["created_at"]), str(manifest.get("label") or ""), True))
        except (OSError, ValueError, KeyError, TypeError):
            stamp = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).replace(tzinfo=None)
            found.append(BackupInfo(path, stamp.isoformat(timespec="seconds") + "Z", "", False))
    # created_at has whole seconds; the manifest's modification time orders backups made in the same second.
    found.sort(key=lambda b: (b.created_at, (b.path / MANIFEST).stat().st_mtime_ns), reverse=True)
    return found


def latest_backup(folder: Path) -> Path | None:
    backups = list_backups(folder)
    return backups[0].path if backups else None


def database_exists(settings: Settings) -> bool:
    path = settings.sqlite_path
    return path is None or path.exists()


def record_audit(settings: Settings, action: str, details: dict[str, Any]) -> None:
    """Write a server audit entry into the data dir's database; a failure is logged, never raised."""
    if not database_exists(settings):
        return
    # SQLAlchemy and the tables load only when there is a database to write to (the tray imports ops.common).
    from messenger.audit import store as audit_store
    from messenger.storage import Database

    db = Database(settings.database_url)
    try:
        with db.begin() as conn:
            audit_store.add(conn, "server", action, details=details)
    except Exception:
        log.exception("could not write the audit entry %s", action)
    finally:
        db.dispose()


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
