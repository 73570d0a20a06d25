"""Restore a backup into a data dir: verify, keep a safety backup, swap the new tree in by renames.

1. Refuse when a running server holds the data dir (the restore takes the data dir lock itself, so no
   server can start while it works).
2. Verify the backup by restoring it into ``<data_dir>/.restore-<stamp>/`` (beside the live files, on
   the same disk, so the swap is a rename).
3. Migrate the restored database forward to this version's schema.
4. Keep a safety backup of the current data (label ``before-restore``).
5. Swap: the current database (with its ``-wal``/``-shm``) and uploads folder are renamed into
   ``.replaced-<stamp>/``, the restored ones renamed into place; on any error the renames are undone.
   On PostgreSQL the tables are replaced inside one transaction instead.
   Before the swap, the audit entries the current database got after the backup was taken are copied
   into the restored one (times and actors kept), so the audit trail survives the restore.
6. Write ``backup_restored`` to the audit log of the restored database.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from messenger.datadir import DataDirBusy, DataDirLock, data_dir_in_use, prepare_data_dir
from messenger.ops.backup import create_backup
from messenger.ops.common import DB_FILE, UPLOADS, OpsError, Progress, database_exists, record_audit, say
from messenger.ops.verify import VerifyReport, verify_backup
from messenger.settings import Settings

log = logging.getLogger(__name__)

BUSY_MESSAGE = (
    "A running Intranet Messenger server is using {dir}. Stop it first (Quit in the tray menu, or Ctrl+C "
    "in its console), or use Restore in the tray menu, which stops and restarts the server for you."
)


class RestoreRefused(OpsError):
    """The restore was not started (server running, or the backup failed verification)."""

    def __init__(self, message: str, report: VerifyReport | None = None, key: str | None = None,
                 **params: Any) -> None:
        super().__init__(message, key, **params)
        self.report = report


@dataclass
class RestoreResult:
    backup: Path
    safety_backup: Path | None
    schema_from: str | None
    schema_to: str | None
    report: VerifyReport


def restore_backup(settings: Settings, path: Path | str, progress: Progress | None = None,
                   safety_backup: bool = True) -> RestoreResult:
    """Replace the data of ``settings`` with the backup at ``path`` (see the module docstring)."""
    path = Path(path).expanduser().resolve()
    data_dir = settings.data_dir
    if data_dir_in_use(data_dir):
        raise RestoreRefused(BUSY_MESSAGE.format(dir=data_dir), key="ops.restore_busy", path=str(data_dir))
    prepare_data_dir(data_dir)
    lock = DataDirLock(data_dir)
    try:
        lock.acquire()
    except DataDirBusy:
        raise RestoreRefused(BUSY_MESSAGE.format(dir=data_dir), key="ops.restore_busy", path=str(data_dir)) from None
    _remove_leftovers(settings)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    staging = data_dir / f".restore-{stamp}"
    try:
        say(progress, "ops.progress_restore_verify", name=path.name)
        report = verify_backup(path, restore_into=staging, progress=progress)
        if not report.ok:
            raise RestoreRefused(report.summary(), report, report.problems[0].key, **report.problems[0].params)
        schema_from = report.schema_revision
        say(progress, "ops.progress_restore_migrate")
        schema_to = _migrate(staging / DB_FILE)
        safety = None
        if safety_backup and database_exists(settings):
            say(progress, "ops.progress_restore_safety")
            safety = create_backup(settings, label="before-restore", progress=progress)
        carried = _carry_audit_trail(settings, staging / DB_FILE, (report.manifest or {}).get("created_at"))
        say(progress, "ops.progress_restore_swap")
        _swap_uploads(settings, staging, stamp)
        try:
            if settings.is_sqlite:
                _swap_sqlite(settings, staging, stamp)
            else:
                _load_postgres(settings.database_url, staging / DB_FILE)
        except BaseException:
            _undo_uploads(settings, stamp)
            raise
        shutil.rmtree(data_dir / f".replaced-{stamp}", ignore_errors=True)
        live = settings.upload_dir
        shutil.rmtree(live.parent / f".{live.name}.replaced-{stamp}", ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        lock.release()
    manifest = report.manifest or {}
    record_audit(settings, "backup_restored", {
        "backup": str(path), "created_at": manifest.get("created_at"), "label": manifest.get("label"),
        "schema_from": schema_from, "schema_to": schema_to,
        "safety_backup": None if safety is None else str(safety), "audit_entries_carried": carried,
    })
    say(progress, "ops.progress_restore_done", name=path.name)
    return RestoreResult(path, safety, schema_from, schema_to, report)


def _remove_leftovers(settings: Settings) -> None:
    """Staging folders of a restore that was interrupted (we hold the lock, so none is in use). The
    ``.replaced-*`` folders are left alone: after a crash mid-swap they may hold the only old copy."""
    live = settings.upload_dir
    for pattern, folder in ((".restore-*", settings.data_dir), (f".{live.name}.incoming-*", live.parent)):
        for leftover in folder.glob(pattern):
            shutil.rmtree(leftover, ignore_errors=True)


def _carry_audit_trail(settings: Settings, restored_db: Path, backup_time: str | None) -> int | None:
    """Copy the audit entries written after the backup was taken (after the manifest's time and after the
    restored log's newest entry, so none is doubled) from the current database into the restored one.
    Returns how many, or None when the current database cannot be read (it may be why one restores):
    then they are only in the safety backup."""
    if not database_exists(settings):
        return 0
    # SQLAlchemy and the tables load only when used (the tray imports ops.restore)
    from messenger.audit import store as audit_store
    from messenger.storage import Database

    restored, current = Database(f"sqlite:///{restored_db}"), Database(settings.database_url)
    try:
        with restored.read() as conn:
            newest = audit_store.latest_time(conn)
        cutoffs = [t for t in (_manifest_time(backup_time), newest) if t is not None]
        with current.read() as conn:
            rows = audit_store.written_after(conn, max(cutoffs, default=dt.datetime.min))
        with restored.begin() as conn:
            audit_store.add_rows(conn, rows)
        return len(rows)
    except Exception:
        log.exception("could not carry the audit entries since the backup over; they stay in the safety backup")
        return None
    finally:
        restored.dispose()
        current.dispose()


def _manifest_time(value: str | None) -> dt.datetime | None:
    """The manifest's ``created_at`` (``2026-12-07T02:30:00Z``) as naive UTC, like the stored times."""
    try:
        return dt.datetime.fromisoformat(str(value).removesuffix("Z")).replace(tzinfo=None) if value else None
    except ValueError:
        return None


def _migrate(db_path: Path) -> str | None:
    from messenger.storage import Database
    from messenger.storage.migrate import current_revision, upgrade

    db = Database(f"sqlite:///{db_path}")
    try:
        upgrade(db)
        return current_revision(db)
    finally:
        db.dispose()


def _swap_uploads(settings: Settings, staging: Path, stamp: str) -> None:
    """Move the restored uploads beside the live folder (same disk), then swap the two by renames."""
    live = settings.upload_dir
    live.parent.mkdir(parents=True, exist_ok=True)
    incoming = live.parent / f".{live.name}.incoming-{stamp}"
    shutil.move(str(staging / UPLOADS), str(incoming))  # a rename when on the same disk
    if live.exists():
        live.rename(live.parent / f".{live.name}.replaced-{stamp}")
    incoming.rename(live)


def _undo_uploads(settings: Settings, stamp: str) -> None:
    live = settings.upload_dir
    old = live.parent / f".{live.name}.replaced-{stamp}"
    if old.exists():
        if live.exists():
            live.rename(live.parent / f".{live.name}.failed-{stamp}")
        old.rename(live)


def _swap_sqlite(settings: Settings, staging: Path, stamp: str) -> None:
    db_path = settings.sqlite_path
    assert db_path is not None
    trash = settings.data_dir / f".replaced-{stamp}"
    trash.mkdir(parents=True, exist_ok=True)
    moved: list[tuple[Path, Path]] = []
    try:
        # The -wal/-shm files belong to the old database: left behind they would be replayed into the new one.
        for suffix in ("", "-wal", "-shm", "-journal"):
            current = db_path.with_name(db_path.name + suffix)
            if current.exists():
                current.rename(trash / current.name)
                moved.append((trash / current.name, current))
        db_path.parent.mkdir(parents=True, exist_ok=True)
        (staging / DB_FILE).rename(db_path)
    except BaseException:
        for parked, original in reversed(moved):
            if original.exists():
                original.unlink()
            parked.rename(original)
        raise


def _load_postgres(url: str, snapshot: Path) -> None:
    """Replace every table's rows in PostgreSQL by the snapshot's, in one transaction."""
    from sqlalchemy import create_engine

    from messenger.ops.transfer import copy_tables, reset_sequences
    from messenger.storage import Database
    from messenger.storage.migrate import upgrade

    target = Database(url)
    source = create_engine(f"sqlite:///{snapshot}")
    try:
        upgrade(target)
        with source.connect() as src, target.begin() as dst:
            copy_tables(src, dst, replace=True)
            reset_sequences(dst)
    except Exception as exc:
        raise OpsError(f"Loading the backup into PostgreSQL failed; nothing was changed there ({exc}).",
                       "ops.postgres_load_failed", reason=str(exc)) from exc
    finally:
        source.dispose()
        target.dispose()
