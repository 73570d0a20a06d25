"""Start-up failures as data: what failed, the path, the user, and the fix, never a raw errno.

The launcher opens the log first (:func:`open_log`), then builds the settings and starts the server
through :func:`describe_failure`, which turns whatever went wrong into a :class:`StartupFailure`
(a ``code`` and ``params``). The tray, a native dialog or the terminal shows it in one language:
:func:`failure_lines` words it from the operator catalogs (``startup.*`` keys of messenger/i18n), so the
command line of a build without gui/ says it in the same words as the tray; the log gets the English
line and the exception.
"""

from __future__ import annotations

import errno
import getpass
import logging
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from messenger.datadir import DataDirBusy
from messenger.i18n import Texts, catalog
from messenger.settings import SettingsError

log = logging.getLogger("messenger.startup")

ADDRESS_IN_USE = {errno.EADDRINUSE, 10048}  # 10048: WSAEADDRINUSE on Windows
ACCESS_DENIED = {errno.EACCES, errno.EPERM, 10013}  # 10013: WSAEACCES (a port Windows reserves)
NEXT_PORT_TRIES = 50


@dataclass
class StartupFailure(Exception):
    """Why the server did not start. ``code`` is one of: settings_invalid, already_running,
    port_in_use, port_forbidden, data_dir_unwritable, secret_unreadable, data_dir_elsewhere,
    start_failed."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Exception.__init__(self, self.english())

    def english(self) -> str:
        """One line for the log and for scripts (the person gets the words from the catalog)."""
        p = self.params
        return {
            "settings_invalid": f"settings are invalid in {p.get('path')}: {p.get('detail')}",
            "already_running": f"another server already uses the data folder {p.get('path')}",
            "port_in_use": f"port {p.get('port')} is already in use by another program",
            "port_forbidden": f"port {p.get('port')} may not be used by user {p.get('user')}",
            "data_dir_unwritable": f"user {p.get('user')} cannot write to {p.get('path')}",
            "secret_unreadable": f"user {p.get('user')} cannot read {p.get('path')} (owner {p.get('owner')})",
            "data_dir_elsewhere": f"the data is in {p.get('path')} (owner {p.get('owner')}), not this user's "
                                  f"({p.get('user')}); run as its owner or pass --data-dir",
        }.get(self.code, f"the server did not start: {p.get('detail')}")


def failure_lines(failure: StartupFailure, t: Texts, can_ask: bool = True) -> tuple[str, str]:
    """(what happened, what to do) for ``failure`` in ``t``'s language; ``can_ask``: the free port can be
    offered (a dialog or the tray), else the fix names ``--port`` and ``DEFAULT_PORT``."""
    p = {k: ("" if v is None else v) for k, v in failure.params.items()}
    code = failure.code
    words = catalog("ko")  # every key is in both catalogs (a test checks); Korean is the reference

    def known(key: str) -> bool:
        return f"startup.{key}" in words

    if code == "settings_invalid" and not p.get("setting"):
        what = t("startup.fail_settings_invalid_file", **p)
    elif code == "settings_invalid" and p.get("source") == "environment":
        what = t("startup.fail_settings_invalid_env", **p)
    else:
        what = t(f"startup.fail_{code}", **p) if known(f"fail_{code}") else t("startup.fail_start_failed")
    if code in ("port_in_use", "port_forbidden"):
        if not p.get("next_port"):
            fix = t("startup.fix_port_in_use_none")
        else:
            fix = t("startup.fix_port_in_use" if can_ask else "startup.fix_port_in_use_cli", **p)
    elif code == "settings_invalid" and p.get("source") == "environment":
        fix = t("startup.fix_settings_invalid_env", **p)
    else:
        fix = t(f"startup.fix_{code}", **p) if known(f"fix_{code}") else t("startup.fix_start_failed")
    return what, fix


def failure_text(failure: StartupFailure, t: Texts, log_path: Path | None, can_ask: bool = True) -> str:
    """What happened, what to do and where the log is, one per line."""
    lines = list(failure_lines(failure, t, can_ask))
    if log_path is not None:
        lines.append(t("startup.log_at", log=str(log_path)))
    return "\n".join(lines)


def port_offer(failure: StartupFailure) -> int | None:
    """The free port to offer, for a port that cannot be used."""
    if failure.code in ("port_in_use", "port_forbidden"):
        value = failure.params.get("next_port")
        return int(value) if value else None
    return None


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment or the password database
        return str(os.getuid()) if hasattr(os, "getuid") else "?"


def owner_of(path: Path) -> str:
    try:
        uid = path.stat().st_uid
    except OSError:
        return "?"
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return str(uid)


def open_log(data_dir: Path | None, level: str = "INFO") -> Path:
    """Open the log before anything else can fail: ``<data dir>/logs/messenger.log``, or, when that
    folder cannot be written (or there is no data dir), the user's log folder. Returns the log's path."""
    import platformdirs

    from messenger.logging_setup import setup_logging

    candidates = [data_dir / "logs"] if data_dir is not None else []
    candidates.append(Path(platformdirs.user_log_dir("IntranetMessenger", appauthor=False)))
    for folder in candidates:
        try:
            setup_logging(folder, level, console=False)
            return folder / "messenger.log"
        except OSError:
            continue
    return candidates[0] / "messenger.log"


def check_writable(folder: Path) -> None:
    """Raise :class:`StartupFailure` ``data_dir_unwritable`` unless this user can create files in ``folder``."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_text("ok", encoding="ascii")
        probe.unlink()
    except OSError as exc:
        raise StartupFailure("data_dir_unwritable", {"path": str(folder), "user": current_user(),
                                                     "detail": exc.strerror or str(exc)}) from exc


def next_free_port(host: str, port: int, tries: int = NEXT_PORT_TRIES) -> int | None:
    """The first port after ``port`` that can be bound on ``host`` (None when none of ``tries`` can)."""
    for candidate in range(port + 1, min(port + 1 + tries, 65536)):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host if host not in ("", "0.0.0.0") else "0.0.0.0", candidate))
            except OSError:
                continue
            return candidate
    return None


def describe_failure(exc: BaseException, data_dir: Path, host: str = "0.0.0.0",
                     port: int | None = None) -> StartupFailure:
    """Turn an exception from building the settings or starting the server into a StartupFailure."""
    if isinstance(exc, StartupFailure):
        return exc
    cause: BaseException = exc
    while cause.__cause__ is not None and not isinstance(cause, OSError):
        cause = cause.__cause__
    user = current_user()
    if isinstance(exc, SettingsError):
        return StartupFailure("settings_invalid", {"path": str(data_dir / "settings.toml"), "detail": str(exc),
                                                   "setting": exc.key or "",
                                                   "source": "environment" if exc.key in os.environ else "file"})
    if isinstance(exc, DataDirBusy):
        return StartupFailure("already_running", {"path": str(data_dir)})
    if isinstance(cause, OSError):
        filename = getattr(cause, "filename", None)
        if cause.errno in ADDRESS_IN_USE and port is not None:
            return StartupFailure("port_in_use", {"port": port, "host": host,
                                                  "next_port": next_free_port(host, port)})
        if cause.errno in ACCESS_DENIED and filename is None and port is not None:
            return StartupFailure("port_forbidden", {"port": port, "user": user,
                                                     "next_port": next_free_port(host, max(port, 1024))})
        if cause.errno in ACCESS_DENIED and filename:
            path = Path(str(filename))
            if path.name == "secret_key":
                return StartupFailure("secret_unreadable", {"path": str(path), "user": user, "owner": owner_of(path)})
            return StartupFailure("data_dir_unwritable", {"path": str(path.parent if path.suffix else path),
                                                          "user": user, "detail": cause.strerror or ""})
        if cause.errno in (errno.EROFS, errno.ENOSPC):
            return StartupFailure("data_dir_unwritable", {"path": str(data_dir), "user": user,
                                                          "detail": cause.strerror or ""})
    detail = f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__
    return StartupFailure("start_failed", {"detail": detail[:300], "log": str(data_dir / "logs" / "messenger.log")})
