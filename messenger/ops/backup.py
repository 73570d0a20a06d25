"""Back up the data dir while the server serves: a consistent database snapshot, the uploads, a manifest.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies the live database page by page
inside one read transaction, so the snapshot is exactly the database at one instant, while writers
go on (WAL). PostgreSQL: every table is read inside one ``REPEATABLE READ`` transaction (one
snapshot) and written into a fresh SQLite file made by the same migrations. Either way the backup
holds one SQLite file, which ``verify`` can check with ``PRAGMA integrity_check`` on any machine and
``restore`` can load into either backend.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from messenger.ops.common import (
    DB_FILE,
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST,
    MANIFEST_SUM,
    UPLOADS,
    OpsError,
    Progress,
    checksum_line,
    copy_hashed,
    database_exists,
    human_size,
    record_audit,
    say,
    sha256_file,
    sqlite_revision,
    sqlite_table_counts,
    walk_files,
)
from messenger.settings import Settings
from messenger.version import __version__

_LABEL_RE = re.compile(r"[^\w.\-]+", re.UNICODE)


def clean_label(label: str | None) -> str:
    """A label safe in a folder name: letters (Hangul too), digits, ``.``, ``-``, ``_``; at most 40."""
    if not label:
        return ""
    return _LABEL_RE.sub("-", label.strip()).strip("-.")[:40]


def _folder_name(now: dt.datetime, label: str) -> str:
    stamp = now.strftime("%Y%m%d-%H%M%S")
    return f"{stamp}_{label}" if label else stamp


def create_backup(settings: Settings, label: str | None = None, output_dir: Path | str | None = None,
                  progress: Progress | None = None, audit: bool = True) -> Path:
    """Back up the database and uploads of ``settings`` into a new folder; returns its path.

    The folder is ``<output_dir or data_dir/backups>/<YYYYmmdd-HHMMSS>[_label]``. It is built under a
    hidden ``.partial`` name and renamed when complete, so a half-written backup is never listed.
    """
    if not database_exists(settings):
        raise OpsError(f"There is no database to back up yet in {settings.data_dir}.", "ops.no_database",
                       path=str(settings.data_dir))
    label = clean_label(label)
    target_root = Path(output_dir).expanduser().resolve() if output_dir else settings.backup_dir
    try:
        target_root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OpsError(f"Cannot create the backup folder {target_root}: {exc.strerror or exc}",
                       "ops.backup_folder_failed", path=str(target_root), reason=str(exc.strerror or exc)) from None
    name = _folder_name(dt.datetime.now(), label)
    final = target_root / name
    n = 2
    while final.exists():
        final = target_root / f"{name}-{n}"
        n += 1
    _remove_stale_partials(target_root)
    work = target_root / f".{final.name}.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    created_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        say(progress, "ops.progress_backup_database")
        if settings.is_sqlite:
            assert settings.sqlite_path is not None
            _snapshot_sqlite(settings.sqlite_path, work / DB_FILE)
        else:
            _snapshot_postgres(settings.database_url, work / DB_FILE)
        with sqlite3.connect(work / DB_FILE) as conn:
            counts = sqlite_table_counts(conn)
            revision = sqlite_revision(conn)
        conn.close()
        digest, size = sha256_file(work / DB_FILE)
        entries: list[dict[str, Any]] = [{"path": DB_FILE, "size": size, "sha256": digest}]
        say(progress, "ops.progress_backup_uploads")
        entries += _copy_uploads(settings.upload_dir, work / UPLOADS, progress)
        manifest: dict[str, Any] = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "app_version": __version__,
            "schema_revision": revision,
            "created_at": created_at.isoformat(timespec="seconds") + "Z",
            "label": label,
            "source_database": "sqlite" if settings.is_sqlite else "postgresql",
            "row_counts": counts,
            "total_size": sum(int(e["size"]) for e in entries),
            "files": entries,
        }
        raw = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        (work / MANIFEST).write_bytes(raw)
        (work / MANIFEST_SUM).write_bytes(checksum_line(raw))
        work.rename(final)
    except OpsError:
        shutil.rmtree(work, ignore_errors=True)
        raise
    except (OSError, sqlite3.Error) as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise OpsError(f"The backup failed: {exc}", "ops.backup_failed", reason=str(exc)) from exc
    total = int(manifest["total_size"])
    say(progress, "ops.progress_backup_done", path=str(final), size=human_size(total))
    if audit:
        record_audit(settings, "backup_created", {
            "path": str(final), "label": label, "size": total, "files": len(entries),
            "schema_revision": revision, "rows": sum(counts.values()),
        })
    return final


def _remove_stale_partials(folder: Path, max_age_hours: float = 24) -> None:
    """Half-written backups left by a crash (a backup never takes a day, so older ones are abandoned)."""
    cutoff = dt.datetime.now().timestamp() - max_age_hours * 3600
    for partial in folder.glob(".*.partial"):
        try:
            if partial.stat().st_mtime < cutoff:
                shutil.rmtree(partial, ignore_errors=True)
        except OSError:
            pass


def backup_size(path: Path) -> int:
    """Total bytes of the files a backup's manifest lists (0 when unreadable)."""
    try:
        return int(json.loads((path / MANIFEST).read_text(encoding="utf-8"))["total_size"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def _snapshot_sqlite(source: Path, dest: Path) -> None:
    """One consistent copy of a live SQLite database (online backup API, one step = one read txn)."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)  # pages=-1: everything in one step, so the copy is one instant of the database
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        dst.commit()
    finally:
        dst.close()
        src.close()


def _snapshot_postgres(url: str, dest: Path) -> None:
    """Every table of the PostgreSQL database, read in one snapshot, into a new migrated SQLite file."""
    from sqlalchemy import create_engine, text

    from messenger.ops.transfer import copy_tables
    from messenger.storage import Database

    source = create_engine(url)
    target = Database(f"sqlite:///{dest}")
    try:
        with source.connect() as src:
            src = src.execution_options(isolation_level="REPEATABLE READ")
            with src.begin():
                revision = src.execute(text("SELECT version_num FROM alembic_version")).scalar()
                upgrade_to(target, str(revision))
                with target.begin() as dst:
                    # replace: migrations also write rows (0010 creates the announcement room), and the
                    # snapshot must hold the source's rows only, ids included.
                    copy_tables(src, dst, replace=True)
    finally:
        target.dispose()
        source.dispose()
    with sqlite3.connect(dest) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()


def upgrade_to(db: Any, revision: str) -> None:
    """Run the migrations on ``db`` up to ``revision`` (not necessarily the head)."""
    from alembic import command

    from messenger.storage.migrate import _config

    command.upgrade(_config(db), revision)


def _copy_uploads(src_root: Path, dst_root: Path, progress: Progress | None) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    dst_root.mkdir(parents=True, exist_ok=True)
    files = list(walk_files(src_root))
    for i, path in enumerate(files, 1):
        rel = path.relative_to(src_root).as_posix()
        try:
            digest, size = copy_hashed(path, dst_root / rel)
        except FileNotFoundError:  # deleted while we copied (retention, a cancelled upload)
            continue
        entries.append({"path": f"{UPLOADS}/{rel}", "size": size, "sha256": digest})
        if i % 200 == 0:
            say(progress, "ops.progress_backup_uploads_count", done=i, total=len(files))
    return entries
