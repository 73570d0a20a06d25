"""Automatic backups: off, or daily at a set hour keeping the last N (default: daily at 02:00, keep 14).

The choice lives in ``<data_dir>/ops.json`` (the tray's "Automatic backups" menu writes it). The
server checks it every minute (a periodic job, so headless servers back up too): when today's hour
has come and no automatic backup was made since, it backs up with the label ``auto`` and deletes
the oldest ``auto`` backups beyond N. Backups the operator made by hand are never deleted.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from messenger.ops.common import list_backups
from messenger.settings import Settings

log = logging.getLogger("messenger.ops")

CONFIG_FILE = "ops.json"
AUTO_LABEL = "auto"
CHECK_INTERVAL_SECONDS = 60


@dataclass(frozen=True)
class AutoBackup:
    enabled: bool = True
    hour: int = 2
    keep: int = 14


def _read(data_dir: Path) -> dict[str, Any]:
    try:
        value = json.loads((data_dir / CONFIG_FILE).read_text(encoding="utf-8"))
        return value if isinstance(value, dict) else {}
    except (OSError, ValueError):
        return {}


def _write(data_dir: Path, values: dict[str, Any]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = data_dir / f".{CONFIG_FILE}.tmp"
    tmp.write_text(json.dumps(values, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, data_dir / CONFIG_FILE)


def load_auto_backup(data_dir: Path) -> AutoBackup:
    raw = _read(data_dir).get("auto_backup")
    if not isinstance(raw, dict):
        return AutoBackup()
    try:
        return AutoBackup(bool(raw.get("enabled", True)), min(max(int(raw.get("hour", 2)), 0), 23),
                          max(int(raw.get("keep", 14)), 1))
    except (TypeError, ValueError):
        return AutoBackup()


def save_auto_backup(data_dir: Path, config: AutoBackup) -> None:
    values = _read(data_dir)
    values["auto_backup"] = asdict(config)
    _write(data_dir, values)


def last_auto_backup(data_dir: Path) -> dt.datetime | None:
    raw = _read(data_dir).get("last_auto_backup")
    try:
        return dt.datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def is_due(config: AutoBackup, last: dt.datetime | None, now: dt.datetime) -> bool:
    """Due when today's hour (local time) has passed and the last automatic backup is older than it."""
    if not config.enabled:
        return False
    slot = now.replace(hour=config.hour, minute=0, second=0, microsecond=0)
    if now < slot:
        return False
    return last is None or last < slot


def prune_auto_backups(folder: Path, keep: int) -> list[Path]:
    """Delete the oldest ``auto`` backups beyond ``keep``; returns what was deleted."""
    autos = [b for b in list_backups(folder) if b.readable and b.label == AUTO_LABEL]
    removed = []
    for info in autos[keep:]:
        shutil.rmtree(info.path, ignore_errors=True)
        removed.append(info.path)
    return removed


def run_if_due(settings: Settings, now: dt.datetime | None = None) -> Path | None:
    """Make the automatic backup when it is due (and prune); returns its path, else None."""
    from messenger.ops.backup import create_backup

    now = now or dt.datetime.now()
    config = load_auto_backup(settings.data_dir)
    if not is_due(config, last_auto_backup(settings.data_dir), now):
        return None
    path = create_backup(settings, label=AUTO_LABEL)
    values = _read(settings.data_dir)
    values["last_auto_backup"] = now.isoformat(timespec="seconds")
    _write(settings.data_dir, values)
    removed = prune_auto_backups(settings.backup_dir, config.keep)
    log.info("automatic backup %s made; %d old automatic backups removed", path, len(removed))
    return path
