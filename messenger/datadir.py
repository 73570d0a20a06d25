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

import platformdirs
from filelock import FileLock, Timeout

APP_NAME = "IntranetMessenger"
LOCK_NAME = "server.lock"


class DataDirBusy(RuntimeError):
    """Another server process holds this data directory."""


def default_data_dir() -> Path:
    """The site data dir where writable, else the user data dir."""
    site = Path(platformdirs.site_data_dir(APP_NAME, appauthor=False))
    try:
        site.mkdir(parents=True, exist_ok=True)
        probe = site / ".write-test"
        probe.write_text("ok")
        probe.unlink()
        return site
    except OSError:
        return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


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
