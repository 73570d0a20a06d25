"""``launcher.py backup|verify|restore``: the operator's data commands (see docs/BACKUP_RUNBOOK.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from messenger.datadir import load_cli_settings
from messenger.i18n import Texts


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    t = Texts()
    p = sub.add_parser("backup", parents=[common], help=t("cli.help_backup"))
    p.add_argument("--label", default=None, help=t("cli.help_backup_label"))
    p.add_argument("--output", default=None, help=t("cli.help_backup_output"))
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("verify", parents=[common], help=t("cli.help_verify"))
    p.add_argument("backup", nargs="?", default=None, help=t("cli.help_backup_folder"))
    p.set_defaults(func=cmd_verify)
    p = sub.add_parser("restore", parents=[common], help=t("cli.help_restore"))
    p.add_argument("backup", help=t("cli.help_backup_folder"))
    p.add_argument("--yes", action="store_true", help=t("cli.help_restore_yes"))
    p.set_defaults(func=cmd_restore)


def _error_text(exc: Exception) -> str:
    """An OpsError in the system language from the operator catalog (its English text when it has no key)."""
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
    print(Texts()("cli.backup_written", size=human_size(backup_size(path))), file=sys.stderr)
    print(path, flush=True)  # the folder alone on standard output: scripts read it
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from messenger.ops.common import latest_backup, record_audit
    from messenger.ops.verify import verify_backup

    t = Texts()
    settings = load_cli_settings(args.data_dir)
    path = Path(args.backup) if args.backup else latest_backup(settings.backup_dir)
    if path is None:
        print(t("cli.error", reason=t("cli.no_backups", path=str(settings.backup_dir))), file=sys.stderr)
        return 1
    report = verify_backup(path, progress=_progress)
    print(report.text(t), flush=True)
    record_audit(settings, "backup_verified", {"path": str(report.path), "ok": report.ok,
                                               "problems": report.problem_data()})
    return 0 if report.ok else 1  # the exit code says it in every language


def cmd_restore(args: argparse.Namespace) -> int:
    from messenger.ops.common import OpsError
    from messenger.ops.restore import RestoreRefused, restore_backup

    t = Texts()
    settings = load_cli_settings(args.data_dir)
    if not args.yes:
        print(t("cli.restore_confirm", data_dir=str(settings.data_dir), backup=args.backup), file=sys.stderr)
        return 2
    try:
        result = restore_backup(settings, Path(args.backup), progress=_progress)
    except RestoreRefused as exc:
        if exc.report is not None:  # the whole report, then its summary as the error
            print(exc.report.text(t), file=sys.stderr)
            print(t("cli.error", reason=exc.report.summary(t)), file=sys.stderr)
        else:
            print(_error_text(exc), file=sys.stderr)
        return 2
    except OpsError as exc:
        print(_error_text(exc), file=sys.stderr)
        return 1
    print(t("cli.restored", backup=str(result.backup), data_dir=str(settings.data_dir),
            schema_from=str(result.schema_from), schema_to=str(result.schema_to)))
    if result.safety_backup is not None:
        print(t("cli.restore_safety_kept", path=str(result.safety_backup)))
    return 0
