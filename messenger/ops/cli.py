"""``launcher.py backup|verify|restore``: the operator's data commands (see docs/BACKUP_RUNBOOK.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from messenger.datadir import load_cli_settings


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("backup", parents=[common], help="back up the database and uploads (safe while running)")
    p.add_argument("--label", default=None, help="a short name added to the backup folder")
    p.add_argument("--output", default=None, help="folder to put the backup in (default: backups/ in the data dir)")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("verify", parents=[common], help="check a backup (the newest one when none is named)")
    p.add_argument("backup", nargs="?", default=None, help="backup folder")
    p.set_defaults(func=cmd_verify)
    p = sub.add_parser("restore", parents=[common], help="replace the data with a backup (server must be stopped)")
    p.add_argument("backup", help="backup folder")
    p.add_argument("--yes", action="store_true", help="really replace the current data")
    p.set_defaults(func=cmd_restore)


def _error_text(exc: Exception) -> str:
    """An OpsError in the system language from the operator catalog (its English text when it has no key)."""
    from messenger.i18n import Texts

    t = Texts()
    key = getattr(exc, "key", None)
    return t("cli.error", reason=t(key, **getattr(exc, "params", {})) if key else str(exc))


def _progress(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)


def cmd_backup(args: argparse.Namespace) -> int:
    from messenger.ops.backup import backup_size, create_backup
    from messenger.ops.common import OpsError, human_size

    settings = load_cli_settings(args.data_dir)
    try:
        path = create_backup(settings, label=args.label, output_dir=args.output, progress=_progress)
    except OpsError as exc:
        print(_error_text(exc), file=sys.stderr)
        return 1
    print(f"Backup written ({human_size(backup_size(path))}):", file=sys.stderr)
    print(path, flush=True)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from messenger.ops.common import latest_backup, record_audit
    from messenger.ops.verify import verify_backup

    settings = load_cli_settings(args.data_dir)
    path = Path(args.backup) if args.backup else latest_backup(settings.backup_dir)
    if path is None:
        print(f"error: there are no backups in {settings.backup_dir}; name one: launcher.py verify BACKUP",
              file=sys.stderr)
        return 1
    report = verify_backup(path, progress=_progress)
    print(report.text(), flush=True)
    record_audit(settings, "backup_verified", {"path": str(report.path), "ok": report.ok,
                                               "problems": report.problems[:5]})
    return 0 if report.ok else 1


def cmd_restore(args: argparse.Namespace) -> int:
    from messenger.ops.common import OpsError
    from messenger.ops.restore import RestoreRefused, restore_backup

    settings = load_cli_settings(args.data_dir)
    if not args.yes:
        print(f"Restoring replaces the messages, accounts and files in {settings.data_dir} with the backup "
              f"{args.backup} (a safety backup of the current data is kept first).\n"
              "Run the command again with --yes to do it.", file=sys.stderr)
        return 2
    try:
        result = restore_backup(settings, Path(args.backup), progress=_progress)
    except RestoreRefused as exc:
        if exc.report is not None:
            print(exc.report.text(), file=sys.stderr)
        print(_error_text(exc) if exc.key else f"error: restore refused: {exc}", file=sys.stderr)
        return 2
    except OpsError as exc:
        print(_error_text(exc), file=sys.stderr)
        return 1
    print(f"Restored {result.backup} into {settings.data_dir} (schema {result.schema_from} -> {result.schema_to}).")
    if result.safety_backup is not None:
        print(f"The data from before the restore is kept in {result.safety_backup}")
    return 0
