"""The per-machine data directory: where the database, uploads, backups, logs and the secret key live.

Default: platformdirs' *site* data dir when it is writable (one server per machine), else the user
data dir. ``--data-dir`` / ``MESSENGER_DATA_DIR`` override it. A lock file makes a second server
on the same data dir refuse to start.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any

import platformdirs
from filelock import FileLock, Timeout

from messenger.settings import Settings, load_settings

APP_NAME = "IntranetMessenger"
LOCK_NAME = "server.lock"


class DataDirBusy(RuntimeError):
    """Another server process holds this data directory."""


def has_data(folder: Path) -> bool:
    """A data dir a server already used (its database or its secret key is there)."""
    return (folder / "messenger.db").exists() or (folder / "secret_key").exists()


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("ok")
        probe.unlink()
        return True
    except OSError:
        return False


def _sudo_user_data_dir() -> Path | None:
    """Under sudo: the per-user data dir of the user who ran sudo (whose data may be there)."""
    user = os.environ.get("SUDO_USER")
    if not user or sys.platform == "win32":
        return None
    try:
        import pwd

        home = Path(pwd.getpwnam(user).pw_dir)
    except (ImportError, KeyError):
        return None
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / APP_NAME
    return home / ".local" / "share" / APP_NAME


class DataDirElsewhere(RuntimeError):
    """The data is in another user's folder; starting here would begin a second, empty data dir."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"the data of this server is in {path}; run as its owner or pass --data-dir {path}")
        self.path = path


def default_data_dir() -> Path:
    """The one data dir: where a server already keeps its data (machine-wide first, then this
    user's), else the site data dir when writable, else the user data dir. Never a second, empty
    one while data exists at the other place: the machine-wide one is used even when this user
    cannot write to it (start-up then says who cannot write where), and data in the folder of the
    user who ran ``sudo`` raises :class:`DataDirElsewhere`."""
    site = Path(platformdirs.site_data_dir(APP_NAME, appauthor=False))
    user = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    if has_data(site):
        return site
    if has_data(user):
        return user
    sudo_dir = _sudo_user_data_dir()
    if sudo_dir is not None and sudo_dir != user and has_data(sudo_dir):
        raise DataDirElsewhere(sudo_dir)
    return site if _writable(site) else user


def other_data_dirs(chosen: Path) -> list[Path]:
    """Data dirs with data at the default places other than ``chosen`` (to say that they are not used)."""
    places = [Path(platformdirs.site_data_dir(APP_NAME, appauthor=False)),
              Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))]
    return [p for p in places if p.resolve() != chosen.resolve() and has_data(p)]


def resolve_data_dir(cli_value: str | None = None, env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    raw = cli_value or env.get("MESSENGER_DATA_DIR")
    return Path(raw).expanduser().resolve() if raw else default_data_dir()


def prepare_data_dir(data_dir: Path) -> None:
    """Create the folders below the data dir."""
    for sub in ("", "uploads", "backups", "logs"):
        (data_dir / sub).mkdir(parents=True, exist_ok=True)


def load_or_create_secret(data_dir: Path) -> str:
    """The server's secret key, generated on first start and readable by the owner only."""
    path = data_dir / "secret_key"
    if path.exists():
        value = path.read_text(encoding="ascii").strip()
        if len(value) >= 32:
            return value
    value = secrets.token_urlsafe(48)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value)
    if sys.platform != "win32":
        os.chmod(path, 0o600)
    return value


class DataDirLock:
    """An exclusive lock on a data dir, held for the life of a server."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_NAME
        self._lock = FileLock(str(self.path), thread_local=False)

    def acquire(self) -> None:
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise DataDirBusy(
                f"Another Intranet Messenger server is already using {self.path.parent}. "
                "Stop it first, or start this one with a different --data-dir."
            ) from None

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release()


def data_dir_in_use(data_dir: Path) -> bool:
    """True when a running server holds ``data_dir``."""
    if not (data_dir / LOCK_NAME).exists():
        return False
    probe = FileLock(str(data_dir / LOCK_NAME), thread_local=False)
    try:
        probe.acquire(timeout=0)
    except Timeout:
        return True
    probe.release()
    return False


def load_cli_settings(data_dir_arg: str | None, **overrides: Any) -> Settings:
    """Settings for a command on the data dir (the CLI's and the operator's commands): the resolved
    data dir, its secret key, and overrides (None values are left out)."""
    data_dir = resolve_data_dir(data_dir_arg)
    prepare_data_dir(data_dir)
    values = {k: v for k, v in overrides.items() if v is not None}
    values["SECRET_KEY"] = load_or_create_secret(data_dir)
    return load_settings(data_dir, overrides=values)
