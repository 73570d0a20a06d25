"""Settings: built once, from defaults <- settings.toml in the data dir <- environment variables.

Every key keeps the established name from the original product. A bad value stops start-up with one
line naming the key and what it accepts (``SettingsError``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    """A setting has a value the server cannot use."""


def _parse_bool(key: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{key}: expected true/false (1/0, yes/no, on/off), got {raw!r}")


def _parse_int(key: str, raw: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    try:
        if isinstance(raw, bool):
            raise ValueError
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise SettingsError(f"{key}: expected an integer, got {raw!r}") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise SettingsError(f"{key}: expected an integer from {minimum} to {maximum}, got {value}")
    return value


def _parse_float(key: str, raw: Any, minimum: float = 0.0) -> float:
    try:
        value = float(str(raw).strip())
    except (TypeError, ValueError):
        raise SettingsError(f"{key}: expected a number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{key}: expected a number >= {minimum}, got {value}")
    return value


def _parse_list(key: str, raw: Any) -> tuple[str, ...]:
    if isinstance(raw, (list, tuple)):
        items = [str(x) for x in raw]
    else:
        items = str(raw).split(",")
    return tuple(sorted({x.strip().lower().lstrip(".") for x in items if x.strip()}))


def _parse_rate(key: str, raw: Any) -> str:
    from limits import parse_many

    text = str(raw).strip()
    try:
        if not parse_many(text):
            raise ValueError
    except ValueError:
        raise SettingsError(f"{key}: expected a rate like '10/minute' or '100 per hour', got {raw!r}") from None
    return text


def _parse_choice(key: str, raw: Any, choices: tuple[str, ...]) -> str:
    text = str(raw).strip().lower()
    if text not in choices:
        raise SettingsError(f"{key}: expected one of {', '.join(choices)}, got {raw!r}")
    return text


def _parse_uri(key: str, raw: Any, schemes: tuple[str, ...], allow_empty: bool) -> str:
    text = str(raw).strip()
    if not text and allow_empty:
        return ""
    if not any(text.startswith(s) for s in schemes):
        raise SettingsError(f"{key}: expected a URL starting with {' or '.join(schemes)}, got {raw!r}")
    return text


DEFAULT_BLOCKED_EXTENSIONS = (
    "bat", "cmd", "com", "cpl", "dll", "exe", "hta", "jar", "js", "jse", "lnk", "msi", "msp",
    "ps1", "psm1", "scr", "sh", "vbe", "vbs", "wsf", "wsh", "reg", "app", "deb", "rpm", "apk",
)


@dataclass(frozen=True)
class Settings:
    """Everything the server reads from its configuration. Build with :func:`load_settings`."""

    data_dir: Path
    DEFAULT_PORT: int = 5000
    HOST: str = "0.0.0.0"
    SESSION_TIMEOUT_HOURS: int = 72
    MAX_CONTENT_LENGTH: int = 16 * 1024 * 1024
    UPLOAD_FOLDER: str = ""
    DATABASE_URL: str = ""
    REGISTRATION: str = "open"
    RATE_LIMIT_STORAGE_URI: str = "memory://"
    RATE_LIMIT_LOGIN: str = "10/minute"
    RATE_LIMIT_REGISTER: str = "5/minute"
    RATE_LIMIT_UPLOAD: str = "10/minute"
    RATE_LIMIT_SEARCH_ADVANCED: str = "30/minute"
    SOCKET_SEND_MESSAGE_PER_MINUTE: int = 100
    STATE_STORE_REDIS_URL: str = ""
    SOCKETIO_MESSAGE_QUEUE: str = ""
    FEATURE_OIDC_ENABLED: bool = False
    OIDC_CLIENT_ID: str = ""
    OIDC_CLIENT_SECRET: str = ""
    OIDC_ISSUER_URL: str = ""
    OIDC_SCOPES: str = "openid email profile"
    OIDC_USERNAME_CLAIM: str = "preferred_username"
    OIDC_PROVIDER_NAME: str = "SSO"
    FEATURE_AV_SCAN_ENABLED: bool = False
    AV_CLAMD_HOST: str = "127.0.0.1"
    AV_CLAMD_PORT: int = 3310
    AV_SCAN_TIMEOUT_SECONDS: float = 30.0
    RETENTION_DAYS: int = 0
    UPLOAD_TOKEN_TTL_SECONDS: int = 600
    UPLOAD_BLOCKED_EXTENSIONS: tuple[str, ...] = DEFAULT_BLOCKED_EXTENSIONS
    UPLOAD_ALLOWED_EXTENSIONS: tuple[str, ...] = ()
    MESSAGE_MAX_LENGTH: int = 10000
    TLS_CERT_FILE: str = ""
    TLS_KEY_FILE: str = ""
    HTTPS_MODE: str = "off"  # off | local-ca (certificate from the local CA in <data dir>/tls)
    HTTPS_PORT: int = 5443
    MDNS_ENABLED: bool = True
    ALLOWED_ORIGINS: tuple[str, ...] = ()
    TRUSTED_PROXIES: int = 0  # number of reverse proxies in front (X-Forwarded-For/Proto/Host trusted)
    LOG_LEVEL: str = "INFO"
    SECRET_KEY: str = field(default="", repr=False)

    # ---- derived paths -------------------------------------------------------------------
    @property
    def database_url(self) -> str:
        if self.DATABASE_URL:
            return self.DATABASE_URL
        return f"sqlite:///{self.data_dir / 'messenger.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        return Path(self.database_url.split("///", 1)[1])

    @property
    def upload_dir(self) -> Path:
        return Path(self.UPLOAD_FOLDER) if self.UPLOAD_FOLDER else self.data_dir / "uploads"

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def tls_enabled(self) -> bool:
        return bool(self.TLS_CERT_FILE and self.TLS_KEY_FILE)

    @property
    def local_ca_https(self) -> bool:
        """HTTPS with the local CA: HTTPS on HTTPS_PORT, and plain HTTP redirecting to it."""
        return self.HTTPS_MODE == "local-ca"

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)

    def redacted(self) -> dict[str, Any]:
        """Settings as a dict with secrets hidden (diagnostics, admin views)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in {"SECRET_KEY", "OIDC_CLIENT_SECRET"} and value:
                value = "***"
            elif isinstance(value, str) and "://" in value and "@" in value:
                scheme, rest = value.split("://", 1)
                value = f"{scheme}://***@{rest.split('@', 1)[1]}"
            out[f.name] = str(value) if isinstance(value, Path) else value
        return out


def _coerce(key: str, raw: Any) -> Any:
    """Turn a raw value from TOML or the environment into the typed value for ``key``."""
    if key == "TRUSTED_PROXIES":
        return _parse_int(key, raw, 0, 5)
    if key == "HTTPS_PORT":
        return _parse_int(key, raw, 0, 65535)
    if key == "HTTPS_MODE":
        return _parse_choice(key, raw, ("off", "local-ca"))
    if key == "MDNS_ENABLED":
        return _parse_bool(key, raw)
    if key in {"DEFAULT_PORT", "AV_CLAMD_PORT"}:
        return _parse_int(key, raw, 1, 65535)
    if key == "SESSION_TIMEOUT_HOURS":
        return _parse_int(key, raw, 1, 24 * 365)
    if key == "MAX_CONTENT_LENGTH":
        return _parse_int(key, raw, 1024, 4 * 1024**3)
    if key in {"SOCKET_SEND_MESSAGE_PER_MINUTE"}:
        return _parse_int(key, raw, 1, 10_000_000)
    if key == "RETENTION_DAYS":
        return _parse_int(key, raw, 0, 36500)
    if key == "UPLOAD_TOKEN_TTL_SECONDS":
        return _parse_int(key, raw, 10, 7 * 24 * 3600)
    if key == "MESSAGE_MAX_LENGTH":
        return _parse_int(key, raw, 1, 1_000_000)
    if key == "AV_SCAN_TIMEOUT_SECONDS":
        return _parse_float(key, raw, 0.1)
    if key.startswith("FEATURE_"):
        return _parse_bool(key, raw)
    if key.startswith("RATE_LIMIT_") and key != "RATE_LIMIT_STORAGE_URI":
        return _parse_rate(key, raw)
    if key == "RATE_LIMIT_STORAGE_URI":
        return _parse_uri(key, raw, ("memory://", "redis://", "rediss://"), allow_empty=False)
    if key in {"STATE_STORE_REDIS_URL", "SOCKETIO_MESSAGE_QUEUE"}:
        return _parse_uri(key, raw, ("redis://", "rediss://"), allow_empty=True)
    if key == "DATABASE_URL":
        return _parse_uri(key, raw, ("sqlite:///", "postgresql"), allow_empty=True)
    if key == "REGISTRATION":
        return _parse_choice(key, raw, ("open", "closed"))
    if key == "LOG_LEVEL":
        return _parse_choice(key, raw, ("debug", "info", "warning", "error")).upper()
    if key in {"UPLOAD_BLOCKED_EXTENSIONS", "UPLOAD_ALLOWED_EXTENSIONS"}:
        return _parse_list(key, raw)
    if key == "ALLOWED_ORIGINS":
        if isinstance(raw, (list, tuple)):
            return tuple(str(x).strip().rstrip("/") for x in raw if str(x).strip())
        return tuple(x.strip().rstrip("/") for x in str(raw).split(",") if x.strip())
    return str(raw)


SETTING_KEYS = tuple(f.name for f in dataclasses.fields(Settings) if f.name != "data_dir")


def write_settings_file(data_dir: Path, changes: Mapping[str, Any]) -> Path:
    """Set keys in ``settings.toml`` (validated first), keeping the other keys. ``None`` removes a key."""
    path = Path(data_dir) / "settings.toml"
    current: dict[str, Any] = {}
    if path.exists():
        current = tomllib.loads(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if key not in SETTING_KEYS or key == "SECRET_KEY":
            raise SettingsError(f"unknown setting {key!r}")
        if value is None:
            current.pop(key, None)
        else:
            _coerce(key, value)
            current[key] = value
    lines = ["# Intranet Messenger settings (environment variables override these)"]
    for key in sorted(current):
        value = current[key]
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (int, float)):
            text = str(value)
        elif isinstance(value, (list, tuple)):
            text = "[" + ", ".join(json.dumps(str(v), ensure_ascii=False) for v in value) + "]"
        else:
            text = json.dumps(str(value), ensure_ascii=False)
        lines.append(f"{key} = {text}")
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def load_settings(
    data_dir: Path,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the one Settings object: defaults <- ``settings.toml`` <- environment <- ``overrides``."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    toml_path = Path(data_dir) / "settings.toml"
    if toml_path.exists():
        try:
            file_values = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{toml_path}: not valid TOML ({exc})") from None
        for key, raw in file_values.items():
            if key not in SETTING_KEYS:
                raise SettingsError(f"{toml_path}: unknown setting {key!r}")
            values[key] = _coerce(key, raw)
    for key in SETTING_KEYS:
        if key in env and key != "SECRET_KEY":
            values[key] = _coerce(key, env[key])
    for key, raw in (overrides or {}).items():
        if key not in SETTING_KEYS:
            raise SettingsError(f"unknown setting {key!r}")
        values[key] = raw if key == "SECRET_KEY" else _coerce(key, raw)
    settings = Settings(data_dir=Path(data_dir), **values)
    if settings.FEATURE_OIDC_ENABLED and not (
        settings.OIDC_CLIENT_ID and settings.OIDC_ISSUER_URL
    ):
        raise SettingsError("FEATURE_OIDC_ENABLED: needs OIDC_CLIENT_ID and OIDC_ISSUER_URL to be set")
    if bool(settings.TLS_CERT_FILE) != bool(settings.TLS_KEY_FILE):
        raise SettingsError("TLS_CERT_FILE/TLS_KEY_FILE: set both or neither")
    return settings
