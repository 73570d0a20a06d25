"""Command line: ``launcher.py [--headless] [--host] [--port] [--data-dir]`` runs the server (tray
mode when a desktop is available); subcommands are the operator's actions.

Subcommands come from the modules in ``COMMAND_MODULES``; each exposes ``add_commands(subparsers,
common)`` and sets ``func`` on its parsers.

The CLI never imports the desktop part (gui/ sits above it): the entry point passes a :class:`Frontend`
(gui/launch.py gives the tray and the native failure dialog); without one the server runs headless and
a start-up failure is printed on the terminal.
"""

from __future__ import annotations

import argparse
import gc
import getpass
import importlib
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from messenger.datadir import DataDirBusy, DataDirElsewhere, load_cli_settings, other_data_dirs, resolve_data_dir
from messenger.i18n import Texts
from messenger.settings import Settings, SettingsError
from messenger.version import __version__

if TYPE_CHECKING:
    from messenger.startup import StartupFailure

COMMAND_MODULES: tuple[str, ...] = ("messenger.cli", "messenger.ops.cli", "messenger.lan.cli")

__all__ = ["Frontend", "load_cli_settings", "main"]  # load_cli_settings lives in messenger.datadir (commands of features use it)

# ``run_tray(make_runner, data_dir, log_path) -> exit code``: shows the tray until Quit.
TrayRunner = Callable[[Callable[..., Any], Path, Path | None], int]


def _no_tray() -> TrayRunner | None:
    return None


def _print_failure(failure: StartupFailure, log_path: Path | None) -> bool:
    """A start-up failure on the terminal (no desktop part to show it in a dialog), in the system language
    and in the words the tray uses (messenger/i18n ``startup.*``); the fix names ``--port``, never asks."""
    from messenger.startup import failure_text  # with the server only, as in cmd_serve

    t = Texts()
    print(f"{t('startup.failure_title')}\n{failure_text(failure, t, log_path, can_ask=False)}",
          file=sys.stderr, flush=True)
    return False


@dataclass(frozen=True)
class Frontend:
    """How the server meets the person at the PC; the entry point chooses it.

    ``tray()``: the tray's ``run_tray`` when a desktop tray can be shown, else None (headless).
    ``show_failure(failure, log_path)``: shows a start-up failure; True when the person took the
    offered free port."""

    tray: Callable[[], TrayRunner | None] = _no_tray
    show_failure: Callable[[StartupFailure, Path | None], bool] = _print_failure


TERMINAL = Frontend()


def build_parser() -> argparse.ArgumentParser:
    t = Texts()
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help=t("cli.help_data_dir"))
    parser = argparse.ArgumentParser(
        prog="launcher.py", parents=[common],
        description=t("cli.description"),
    )
    parser.add_argument("--version", action="version", version=f"Intranet Messenger {__version__}")
    parser.add_argument("--headless", action="store_true", help=t("cli.help_headless"))
    parser.add_argument("--host", default=None, help=t("cli.help_host"))
    parser.add_argument("--port", type=int, default=None, help=t("cli.help_port"))
    parser.set_defaults(func=cmd_serve)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).add_commands(sub, common)
    return parser


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    t = Texts()
    p = sub.add_parser("create-user", parents=[common], help=t("cli.help_create_user"))
    p.add_argument("username")
    p.add_argument("--admin", action="store_true", help=t("cli.help_admin"))
    p.add_argument("--display-name", default=None)
    p.add_argument("--password-stdin", action="store_true", help=t("cli.help_password_stdin"))
    p.set_defaults(func=cmd_create_user)


def cmd_create_user(args: argparse.Namespace) -> int:
    # Imported when this command runs: the operator's other commands start without the app.
    from messenger.accounts.service import create_user
    from messenger.app import create_app, get_services
    from messenger.core.errors import ApiError

    t = Texts()
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(t("cli.password_prompt"))
        if password != getpass.getpass(t("cli.password_repeat")):
            print(t("cli.error", reason=t("cli.passwords_differ")), file=sys.stderr)
            return 2
    settings = load_cli_settings(args.data_dir)
    app = create_app(settings)
    svc = get_services(app)
    try:
        row = create_user(svc, args.username, password, args.display_name, is_admin=args.admin)
    except ApiError as err:
        print(t("cli.error", reason=f"{err.message} ({err.code})"), file=sys.stderr)
        return 1
    finally:
        svc.db.dispose()
    print(t("cli.admin_created" if row.is_admin else "cli.user_created", username=row.username, id=row.id))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the server: the log is opened first; a start-up failure is shown in the tray's error state,
    in a native dialog where there is no tray, or on the terminal (see messenger/startup.py)."""
    from messenger.startup import open_log

    frontend: Frontend = getattr(args, "frontend", TERMINAL)
    try:
        data_dir = resolve_data_dir(args.data_dir)
    except DataDirElsewhere as exc:  # never start a second, empty data dir beside the real one
        return _data_dir_elsewhere(exc, frontend)
    log_path = open_log(data_dir)
    if not (args.data_dir or os.environ.get("MESSENGER_DATA_DIR")):
        for other in other_data_dirs(data_dir):
            logging.getLogger("messenger.startup").warning(
                "another data folder with data exists at %s; this server uses %s", other, data_dir)
            print(Texts()("cli.other_data_dir", other=str(other), data_dir=str(data_dir)), file=sys.stderr, flush=True)
    run_tray = None if args.headless else frontend.tray()
    if run_tray is not None:
        import zeroconf  # noqa: F401  (on the main thread: the tray starts the server from its worker; see discovery.py)

        return int(run_tray(lambda port=None: make_runner(args, data_dir, port), data_dir, log_path) or 0)
    return _serve_headless(args, data_dir, log_path, frontend)


def _data_dir_elsewhere(exc: DataDirElsewhere, frontend: Frontend) -> int:
    from messenger.startup import StartupFailure, current_user, open_log, owner_of

    log_path = open_log(None)  # the user's log folder: nothing is written at either data dir
    failure = StartupFailure("data_dir_elsewhere", {"path": str(exc.path), "user": current_user(),
                                                    "owner": owner_of(exc.path)})
    logging.getLogger("messenger.startup").error("start-up failed: %s", failure.english())
    frontend.show_failure(failure, log_path)
    return 2


def make_runner(args: argparse.Namespace, data_dir: Any, port: int | None = None,
                check_addresses: bool = True) -> Any:
    """Settings (from the file, again at every retry) and a server runner; ``StartupFailure`` when they
    cannot be built. ``check_addresses``: warn here when the PC's addresses changed (headless does it
    once the server listens)."""
    from messenger.logging_setup import setup_logging
    from messenger.server import ServerRunner
    from messenger.startup import check_writable, describe_failure

    try:
        check_writable(data_dir)
        settings = load_cli_settings(args.data_dir, HOST=args.host)
    except Exception as exc:
        raise describe_failure(exc, data_dir) from exc
    setup_logging(settings.log_dir, settings.LOG_LEVEL, console=False)  # the terminal's turn comes once running
    runner = ServerRunner(settings, host=args.host, port=port if port is not None else args.port,
                          announce=True, settle_gc=True, lean_imports=True)
    if check_addresses:
        runner.address_change = _warn_if_address_changed(settings)
    return runner


def _serve_headless(args: argparse.Namespace, data_dir: Any, log_path: Any, frontend: Frontend) -> int:
    import logging

    from messenger.logging_setup import setup_logging
    from messenger.netinfo import server_urls
    from messenger.server import StopSignal
    from messenger.settings import write_settings_file
    from messenger.startup import StartupFailure, describe_failure

    stop = StopSignal()  # before start(): a SIGTERM during start-up still stops cleanly
    port: int | None = None
    while True:
        runner = None
        try:
            runner = make_runner(args, data_dir, port, check_addresses=False)
            runner.start()
            break
        except Exception as exc:
            failure = exc if isinstance(exc, StartupFailure) else describe_failure(
                exc, data_dir, runner.host if runner else "0.0.0.0", runner.requested_port if runner else None)
            logging.getLogger("messenger.startup").error("start-up failed: %s", failure.english(),
                                                         exc_info=not isinstance(exc, StartupFailure))
            if not frontend.show_failure(failure, log_path):
                stop.close()
                return 2
            port = int(failure.params["next_port"])
            write_settings_file(data_dir, {"DEFAULT_PORT": port})  # remembered for the next start
    assert runner.public_port is not None
    settings = runner.settings
    # The server answers already: the LAN addresses (psutil) are read from here on, not on the way there.
    runner.address_change = _warn_if_address_changed(settings)
    setup_logging(settings.log_dir, settings.LOG_LEVEL)  # from now on warnings reach the terminal too
    t = Texts()
    print(t("cli.running", version=__version__, data_dir=settings.data_dir), flush=True)
    for url in server_urls(runner.host, runner.public_port, runner.scheme):
        print(f"  {url}", flush=True)
    print(f"  {runner.local_url}  {t('cli.this_pc')}", flush=True)
    if runner.setup_code:
        print(t("cli.setup_code", code=runner.setup_code, url=runner.local_url), flush=True)
    print(t("cli.press_ctrl_c"), flush=True)
    stop.wait(runner)
    runner.stop()
    print(t("cli.stopped"), flush=True)
    return 0


def _warn_if_address_changed(settings: Settings) -> tuple[list[str], list[str]] | None:
    """Print a warning when the PC's LAN addresses changed since the last start; (before, now) then."""
    from messenger.lan.discovery import check_address_change  # with the server only (see cmd_serve)

    try:
        changed, before, now = check_address_change(settings.data_dir)
    except OSError:
        return None
    if not changed:
        return None
    print(Texts()("cli.address_changed", before=", ".join(before), now=", ".join(now) or "-"), flush=True)
    return before, now


def main(argv: list[str] | None = None, frontend: Frontend = TERMINAL) -> int:
    """Run the command in ``argv``; ``frontend``: how the server shows itself (tray or terminal)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.frontend = frontend
    if args.func is not cmd_serve:
        gc.enable()  # held off by launcher.py for a server's start only (messenger.memtune)
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:
        print(Texts()("cli.settings_error", reason=str(exc)), file=sys.stderr)
        return 2
    except (DataDirBusy, DataDirElsewhere) as exc:
        print(Texts()("cli.error", reason=str(exc)), file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
